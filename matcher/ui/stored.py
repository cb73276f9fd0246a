"""The app's only door to the workspace store (matcher.workspace): open, save, correct, read a team,
import and export bundles. Nothing here runs until a person asks to save or to open a workspace, so
nobody who never saves has anything on disk (a workspace is opened without `create` for reading).

Store errors are MatcherErrors (WorkspaceCorrupt, WorkspaceNotFound, ...): callers show them with
`guarded`, never a traceback, and the file is never overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..corrections import Correction
from ..errors import MatcherError
from ..report import Report

if TYPE_CHECKING:
    from ..workspace import Change, SavedReport, Workspace

__all__ = [
    "bundle",
    "changes",
    "cycles",
    "default_path",
    "doc_key",
    "exists",
    "import_bundle",
    "open_workspace",
    "people",
    "save",
    "store_corrections",
    "team",
    "workspace_corrections",
]


def default_path() -> Path:
    """Where a workspace is kept unless the person says otherwise (nothing is created here)."""
    from ..workspace import default_workspace_path

    return Path(default_workspace_path())


def _path(path: str | Path) -> Path:
    text = str(path).strip()
    if not text:
        raise MatcherError("No workspace file given: enter the path of a workspace file (.sqlite3).")
    return Path(text).expanduser()


def open_workspace(path: str | Path, *, create: bool = False) -> Workspace:
    """The workspace at `path`; only a save or an import creates a missing one (and, for the
    default location, its folder, private to the user; another folder must exist)."""
    from ..workspace import Workspace

    resolved = _path(path)
    if create and resolved == default_path():
        return Workspace.open(None, create=True)
    return Workspace.open(resolved, create=create)


def exists(path: str | Path) -> bool:
    """Whether there is a file at `path` (a workspace is read only where one exists)."""
    try:
        return _path(path).is_file()
    except (MatcherError, OSError):
        return False


def doc_key(text: str, ladder_id: str) -> str:
    """What a save is about (the document's text and the ladder), to tell whether it changed since."""
    return hashlib.sha256(f"{ladder_id}\0{text}".encode()).hexdigest()


def save(
    path: str | Path,
    person: str,
    cycle: str,
    document: str,
    report: Report,
    corrections: Sequence[Correction] = (),
    *,
    source: str = "",
    author: str = "",
) -> SavedReport:
    """Save the document and its report, then the corrections made so far (each its own
    transaction: a correction that fails leaves the saved report and the earlier ones)."""
    ws = open_workspace(path, create=True)
    saved = ws.save(person, cycle, document, report, source=source, author=author)
    for c in corrections:
        ws.correct(saved.id, c)
    return saved


def store_corrections(path: str | Path, report_id: Any, corrections: Sequence[Correction]) -> None:
    ws = open_workspace(path)
    for c in corrections:
        ws.correct(report_id, c)


def workspace_corrections(path: str | Path, ladder_id: str) -> list[Correction]:
    return open_workspace(path).corrections(ladder_id)


def bundle(path: str | Path, report_id: Any, signed_off_by: str) -> dict:
    return open_workspace(path).export_bundle(report_id, signed_off_by=signed_off_by)


def cycles(path: str | Path) -> list[str]:
    """The workspace's review cycles, oldest first."""
    return [c.name for c in open_workspace(path).cycles()]


def people(path: str | Path) -> list[str]:
    return [p.name for p in open_workspace(path).people()]


def team(path: str | Path, ladder_id: str, cycle: str) -> dict[str, SavedReport]:
    """Person name -> their latest saved report for this ladder in `cycle`."""
    return open_workspace(path).team(ladder_id, cycle)


def changes(path: str | Path, person: str, ladder_id: str, cycle: str, previous: str) -> Change:
    return open_workspace(path).changes(person, ladder_id, cycle, previous)


def import_bundle(path: str | Path, data: bytes, name: str) -> tuple[SavedReport, bool, int]:
    """Import a bundle file's bytes: the report, whether it is new (importing twice does not
    duplicate), and how many corrections it added (a later export of the same report carries those
    made since). A file that is not a bundle is refused before the workspace is opened."""
    from ..workspace import loads_bundle

    parsed = loads_bundle(data, name)
    ws = open_workspace(path, create=True)
    before = {r.id for r in ws.reports()}
    corrections = len(ws.corrections())
    saved = ws.import_bundle(parsed)
    return saved, saved.id not in before, len(ws.corrections()) - corrections


def forget(path: str | Path, person: str) -> str:
    """Delete a person and everything of theirs from the workspace (the file is rewritten); their name."""
    open_workspace(path).forget_person(person)
    return person
