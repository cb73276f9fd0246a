"""The engineer's "Save to workspace", and the signed-off bundle to hand to a manager.

Nothing is written before the person presses Save. After a save, the session is connected to that
workspace: corrections made from then on are written there too (and the workspace's corrections
apply to the report), while the document and ladder stay those that were saved.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import streamlit as st

from ..corrections import Correction
from ..errors import MatcherError
from ..handover import Handover
from ..models import Ladder
from . import stored
from .resources import analyse
from .review import CORRECTIONS, made_here
from .safe import md_escape
from .state import kept, kept_value
from .widgets import Document, guarded, show_error

__all__ = ["Connection", "connection", "corrections_for", "save_panel", "workspace_call"]

PREFIX = "eng"
CONNECTED = f"{PREFIX}_saved"
FLASH = f"{PREFIX}_saved_flash"

T = TypeVar("T")


@dataclass(frozen=True)
class Connection:
    """The workspace this session saved to, and what it saved."""

    path: str
    report_id: Any
    person: str
    cycle: str
    key: str  # stored.doc_key of the saved document and ladder


def workspace_call(fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Call the store; its errors (and a file the system refuses) become an st.error, never a
    traceback, and None is returned."""
    try:
        return fn(*args, **kwargs)
    except MatcherError as exc:
        show_error(exc)
    except (OSError, sqlite3.Error) as exc:
        st.error(
            f"The workspace could not be used: {md_escape(str(exc))}. Check the file's path and "
            "permissions, or choose another file.",
            icon=":material/error:",
        )
    return None


def connection() -> Connection | None:
    return st.session_state.get(CONNECTED)


def corrections_for(doc: Document, ladder: Ladder) -> list[Correction]:
    """The corrections that apply to this document: the connected workspace's (after writing there
    the ones made since, when this is the saved document) and this session's unsaved ones."""
    conn = connection()
    if conn is None:
        return made_here()
    if conn.key == stored.doc_key(doc.text, ladder.id) and made_here():
        made = [c if c.author else _by(c, conn.person) for c in made_here()]
        if workspace_call(stored.store_corrections, conn.path, conn.report_id, made) is not None:
            st.session_state[CORRECTIONS] = []
    saved = workspace_call(stored.workspace_corrections, conn.path, ladder.id) or []
    return [*saved, *made_here()]


def current_cycle(today: datetime.date | None = None) -> str:
    """This half-year as a review cycle name, e.g. "2026 H2"."""
    today = today or datetime.date.today()
    return f"{today.year} H{1 if today.month <= 6 else 2}"


def save_panel(doc: Document, ladder: Ladder, who: Handover) -> None:
    """The save form, what was saved, and the bundle export once saved."""
    conn = connection()
    key = stored.doc_key(doc.text, ladder.id)
    with st.expander(
        ":material/save: Save to workspace" + (" (saved)" if conn is not None and conn.key == key else ""),
        expanded=conn is not None,
    ):
        st.caption(
            "Keep this document, its report and your corrections in a workspace file on this machine, "
            "for the next review cycle or your manager. Nothing is written until you press Save."
        )
        left, middle = st.columns(2, gap="medium")
        person = left.text_input(
            "Person",
            placeholder="e.g. Sam Lee",
            max_chars=80,
            **kept(f"{PREFIX}_save_person", default=who.person or None),
        )
        cycle = middle.text_input(
            "Review cycle",
            placeholder="e.g. 2026 H2",
            max_chars=40,
            **kept(f"{PREFIX}_save_cycle", default=who.period or current_cycle()),
        )
        default = workspace_call(stored.default_path)
        path = st.text_input(
            "Workspace file",
            help="A SQLite file; created (readable by you only) when you first save.",
            **kept(f"{PREFIX}_save_path", default=str(default) if default else None),
        )
        if st.button("Save to workspace", key=f"{PREFIX}_save", type="primary", icon=":material/save:"):
            _save(doc, ladder, person, cycle, path)
        if flash := st.session_state.pop(FLASH, None):
            st.success(flash, icon=":material/check_circle:")
        conn = connection()
        if conn is None:
            return
        if conn.key != key:
            st.info(
                "Your document or ladder changed since you saved: save again to keep this version. "
                "Corrections you make now stay in this session until then.",
                icon=":material/info:",
            )
            return
        st.caption(
            f"Saved for {md_escape(conn.person)}, {md_escape(conn.cycle)}, in {md_escape(conn.path)}. "
            "Corrections you make now are saved there too."
        )
        _bundle(conn)


def _save(doc: Document, ladder: Ladder, person: str, cycle: str, path: str) -> None:
    person, cycle = person.strip(), cycle.strip()
    if not person or not cycle:
        st.error("Enter the person and the review cycle to save under.", icon=":material/error:")
        return
    author = str(kept_value(f"{PREFIX}_person", "") or "").strip() or person
    made = [c if c.author else _by(c, author) for c in made_here()]
    # The store keeps the matcher's own report; the corrections are kept beside it and applied when read.
    base = guarded(analyse, doc.text, ladder)
    if base is None:
        return
    saved = workspace_call(stored.save, path, person, cycle, doc.text, base, made, source=doc.name, author=author)
    if saved is None:
        return
    st.session_state[CONNECTED] = Connection(path.strip(), saved.id, person, cycle, stored.doc_key(doc.text, ladder.id))
    st.session_state[CORRECTIONS] = []
    st.session_state[FLASH] = f"Saved for {md_escape(person)}, {md_escape(cycle)}." + (
        f" {len(made)} corrections saved with it." if made else ""
    )
    st.rerun()


def _by(c: Correction, author: str) -> Correction:
    from dataclasses import replace

    return replace(c, author=author)


def _bundle(conn: Connection) -> None:
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    signer = left.text_input(
        "Signed off by",
        max_chars=80,
        help="Who vouches for this report; shown to whoever imports the bundle.",
        **kept(f"{PREFIX}_signed_off_by", default=conn.person),
    )
    if not signer.strip():
        right.caption("Enter who signs it off to export the bundle.")
        return
    data = workspace_call(stored.bundle, conn.path, conn.report_id, signer.strip())
    if data is None:
        return
    name = "".join(ch if ch.isalnum() else "-" for ch in f"{conn.person}-{conn.cycle}").strip("-").lower()
    right.download_button(
        "Signed-off bundle (JSON)",
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        file_name=f"{name or 'report'}-bundle.json",
        mime="application/json",
        key=f"{PREFIX}_bundle",
        on_click="ignore",
        icon=":material/download:",
    )
