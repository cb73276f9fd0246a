"""Report bundles: one JSON object carrying a signed-off report from one workspace to another.

    {"format": "evidence-matcher-bundle", "version": 1, "id": "<sha256 of the content>",
     "person": ..., "cycle": ..., "ladder_id": ..., "source": ..., "created_at": ...,
     "signed_off_by": ..., "signed_off_at": ..., "document": ..., "report": {...},
     "corrections": [{...}]}

The id is the SHA-256 of every other field as canonical JSON (sorted keys, no spaces, UTF-8): a
bundle edited after export no longer matches its id and is refused. It detects changes, it does not
prove who made them (anyone can recompute it); "signed off" records who vouched for the report.
Parsing validates everything before the store writes anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..corrections import Correction
from ..errors import WorkspaceError
from ..report import Report
from ..safeio import Budget, read_limited

__all__ = [
    "FORMAT",
    "VERSION",
    "Bundle",
    "bundle_id",
    "bundle_limit",
    "loads_bundle",
    "make_bundle",
    "parse_bundle",
    "read_bundle",
]

FORMAT = "evidence-matcher-bundle"
VERSION = 1
_TEXT_FIELDS = ("person", "cycle", "ladder_id", "source", "created_at", "signed_off_by", "signed_off_at", "document")
# A bundle holds the document and its report, which repeats each item's text and its closest
# statements: ten times the document limit leaves room for that and refuses a runaway file.
_BUNDLE_FACTOR = 10


@dataclass(frozen=True)
class Bundle:
    """A parsed, validated bundle."""

    id: str
    person: str
    cycle: str
    ladder_id: str
    source: str
    created_at: str
    signed_off_by: str
    signed_off_at: str
    document: str
    report: Report
    corrections: tuple[Correction, ...]


def bundle_limit(max_bytes: int) -> int:
    """The largest bundle file read from disk, for a document limit of `max_bytes`."""
    return _BUNDLE_FACTOR * max_bytes


def bundle_id(data: dict[str, Any]) -> str:
    """The SHA-256 of a bundle's content: every field but "id", as canonical JSON."""
    content = {k: v for k, v in data.items() if k != "id"}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def make_bundle(
    *,
    person: str,
    cycle: str,
    ladder_id: str,
    source: str,
    created_at: str,
    signed_off_by: str,
    signed_off_at: str,
    document: str,
    report: Report,
    corrections: Sequence[Correction],
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "person": person,
        "cycle": cycle,
        "ladder_id": ladder_id,
        "source": source,
        "created_at": created_at,
        "signed_off_by": signed_off_by,
        "signed_off_at": signed_off_at,
        "document": document,
        "report": report.to_dict(),
        "corrections": [c.to_dict() for c in corrections],
    }
    return {"format": FORMAT, "version": VERSION, "id": bundle_id(data), **data}


def parse_bundle(data: Any, origin: str = "the bundle") -> Bundle:
    """`data` as a Bundle, or WorkspaceError saying what is wrong with it (`origin` names it)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise WorkspaceError(
            f'{origin} is not an evidence-matcher bundle (no "format": "{FORMAT}"); '
            "export one with `evidence-matcher workspace export`."
        )
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise WorkspaceError(f"{origin}: its version {version!r} is not a bundle version.")
    if version > VERSION:
        raise WorkspaceError(
            f"{origin} is a version {version} bundle, newer than this evidence-matcher reads "
            f"(version {VERSION}); upgrade evidence-matcher to import it."
        )
    for name in (*_TEXT_FIELDS, "id"):
        if not isinstance(data.get(name, ""), str):
            raise WorkspaceError(f"{origin}: its {name!r} is not text.")
    if data.get("id") != bundle_id(data):
        raise WorkspaceError(
            f"{origin} does not match its id: it was changed after it was exported. "
            "Ask for a fresh export instead of editing the file."
        )
    text = {name: str(data.get(name, "")) for name in _TEXT_FIELDS}
    for name in ("person", "cycle", "ladder_id", "signed_off_by"):
        if not text[name].strip():
            raise WorkspaceError(f"{origin}: its {name!r} is empty.")
    try:
        report = Report.from_dict(data["report"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WorkspaceError(f'{origin}: its "report" is not an evidence-matcher report ({exc!r}).') from exc
    if str(report.ladder.get("id", "")) != text["ladder_id"]:
        raise WorkspaceError(
            f"{origin}: its report is for ladder {report.ladder.get('id', '')!r}, not {text['ladder_id']!r}."
        )
    raw = data.get("corrections", [])
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise WorkspaceError(f'{origin}: its "corrections" is not a list of corrections.')
    try:
        corrections = tuple(Correction.from_dict(c) for c in raw)
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(f"{origin}: a correction in it is not valid ({exc}).") from exc
    for c in corrections:
        if c.ladder_id and c.ladder_id != text["ladder_id"]:
            raise WorkspaceError(f"{origin}: a correction is for ladder {c.ladder_id!r}, not {text['ladder_id']!r}.")
    return Bundle(id=str(data["id"]), report=report, corrections=corrections, **text)


def read_bundle(path: str | Path, max_bytes: int) -> dict[str, Any]:
    """The JSON object in a bundle file, read with a size limit (see bundle_limit); not validated."""
    budget = Budget(
        limit=bundle_limit(max_bytes),
        advice="is it a bundle? Raise MATCHER_MAX_BYTES if it is one of a very large document.",
        error=WorkspaceError,
        too_large=WorkspaceError,
        regular_only=True,
    )
    return loads_bundle(read_limited(path, budget), str(path))


def loads_bundle(data: bytes, origin: str) -> dict[str, Any]:
    """The JSON object in a bundle's bytes; errors name `origin`, never quote the content."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WorkspaceError(f"{origin}: is not UTF-8 text, so not a bundle.") from exc
    except (ValueError, RecursionError) as exc:
        raise WorkspaceError(f"{origin}: is not valid JSON, so not a bundle.") from exc
    if not isinstance(value, dict):
        raise WorkspaceError(f"{origin}: is JSON but not a bundle (not an object).")
    return value
