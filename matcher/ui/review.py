"""Corrections in the engineer view: confirm a match, reject it, or move a line to another statement.

Corrections made in the app live in the session (`st.session_state`, memory only) until the person
saves to a workspace; from then on they are written there too (matcher/ui/saving.py). The report
is rebuilt with them on the next run, so coverage, strengths, gaps and every download follow.

Each control is a button with a visible name that says what it does to which line ("Reject line
12"), so it reads the same to a screen reader; moving a line opens a picker of statements for that
line only, to keep the page light.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import streamlit as st

from ..corrections import Correction
from ..report import Report, UnitResult
from .safe import md_escape, short
from .state import kept_value
from .views import EvidenceLine, closest_unit, evidence, statement_text, unit_score

__all__ = [
    "CORRECTIONS",
    "correction_note",
    "correction_notes",
    "line_panel",
    "made_here",
    "record",
    "statement_controls",
    "undo",
]

PREFIX = "eng"
# Every correction made in this session, in order (plain session state: it outlives the page).
CORRECTIONS = f"{PREFIX}_corrections"
# The line whose "Move…" picker is open: (unit id, statement id), or None.
MOVING = f"{PREFIX}_moving"
ACTION_WORDS = {"confirm": "Confirmed", "reject": "Rejected", "assign": "Moved here"}


def made_here() -> list[Correction]:
    """The corrections made in this session, oldest first."""
    return list(st.session_state.get(CORRECTIONS, []))


def _author() -> str:
    # The handover's person, when given: saved corrections then say who made them.
    return str(kept_value(f"{PREFIX}_person", "") or "").strip()


def record(action: str, text: str, statement_id: str, ladder_id: str, replaces: str = "", unit_id: str = "") -> None:
    """Add a correction made now by this session's person (a button's callback)."""
    if not statement_id or not text.strip():
        return  # a picker emptied under the button: nothing to record
    at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    c = Correction(action, text, statement_id, ladder_id, replaces, _author(), at, unit_id)
    st.session_state[CORRECTIONS] = [*made_here(), c]
    st.session_state[MOVING] = None


def undo(index: int) -> None:
    """Drop a correction that is not saved anywhere yet."""
    made = made_here()
    if 0 <= index < len(made):
        del made[index]
    st.session_state[CORRECTIONS] = made


def when(at: str) -> str:
    """An ISO time as people read it: '14:05 UTC' today, else '3 Dec 2026 14:05 UTC'."""
    try:
        t = datetime.datetime.fromisoformat(at).astimezone(datetime.UTC)
    except ValueError:
        return at
    today = datetime.datetime.now(datetime.UTC).date()
    return t.strftime("%H:%M UTC") if t.date() == today else t.strftime("%-d %b %Y %H:%M UTC")


def correction_note(shown: dict, names: dict[str, str]) -> str:
    """One correction a unit carries, as escaped Markdown: what, by whom, when."""
    action = str(shown.get("action", ""))
    sid = str(shown.get("statement_id", ""))
    who = md_escape(str(shown.get("author") or "You"))
    what = {
        "confirm": "confirmed for",
        "reject": "rejected for",
        "assign": "moved to",
    }.get(action, md_escape(action))
    target = md_escape(short(names.get(sid, sid), 70))
    return f"*{what} “{target}” by {who}, {md_escape(when(str(shown.get('at', ''))))}*"


def correction_notes(unit: UnitResult, names: dict[str, str], statement_id: str | None = None) -> list[str]:
    """The corrections a report's unit carries (about one statement, if given), as escaped Markdown."""
    made = unit.extra.get("corrections") or []
    return [
        correction_note(c, names)
        for c in made
        if isinstance(c, dict) and (statement_id is None or statement_id in (c.get("statement_id"), c.get("replaces")))
    ]


def _names(report: Report) -> dict[str, str]:
    return {s.id: statement_text(s) for s in report.statements}


def _line_row(report: Report, unit: UnitResult, sid: str, shown: str, *, evidences: bool, key: str) -> None:
    """One line under one statement: the text, its corrections, and Confirm / Reject / Move…"""
    ladder_id = str(report.ladder.get("id", ""))
    names = _names(report)
    text, controls = st.columns([3, 2], vertical_alignment="center")
    notes = correction_notes(unit, names, sid)
    text.markdown(shown + ("  \n" + "  \n".join(notes) if notes else ""))
    line = unit.line
    with controls, st.container(horizontal=True, gap="small"):
        st.button(
            f"Confirm line {line}",
            key=f"{key}_ok",
            icon=":material/check:",
            help=f"Line {line} does evidence “{short(names[sid], 120)}”.",
            on_click=record,
            args=("confirm", unit.text, sid, ladder_id, "", unit.id),
            disabled=evidences and _confirmed(unit, sid),
        )
        if evidences:
            st.button(
                f"Reject line {line}",
                key=f"{key}_no",
                icon=":material/close:",
                help=f"Line {line} does not evidence “{short(names[sid], 120)}”.",
                on_click=record,
                args=("reject", unit.text, sid, ladder_id, "", unit.id),
            )
            st.button(
                f"Move line {line}…",
                key=f"{key}_mv",
                icon=":material/move_down:",
                help="It evidences another statement instead: pick which.",
                on_click=_open_move,
                args=(unit.id, sid),
            )
    if st.session_state.get(MOVING) == (unit.id, sid):
        _move_picker(report, unit, sid, key)


def _confirmed(unit: UnitResult, sid: str) -> bool:
    made = [c for c in unit.extra.get("corrections") or [] if isinstance(c, dict)]
    last = [c for c in made if sid in (c.get("statement_id"), c.get("replaces"))]
    return bool(last) and last[-1].get("action") in ("confirm", "assign") and last[-1].get("statement_id") == sid


def _taken_out(unit: UnitResult, sid: str) -> bool:
    """Whether a correction took this line out of the statement (rejected, or moved elsewhere)."""
    made = [c for c in unit.extra.get("corrections") or [] if isinstance(c, dict)]
    about = [c for c in made if sid in (c.get("statement_id"), c.get("replaces"))]
    return bool(about) and (about[-1].get("action") == "reject" or about[-1].get("replaces") == sid)


def _open_move(unit_id: str, sid: str) -> None:
    st.session_state[MOVING] = (unit_id, sid)


def _move_picker(report: Report, unit: UnitResult, replaces: str, key: str) -> None:
    names = _names(report)
    others = [s.id for s in report.statements if s.id != replaces and s.id not in unit.evidences]
    with st.container(border=True):
        target = st.selectbox(
            f"Line {unit.line} evidences, instead",
            others,
            index=None,
            placeholder="Choose a statement",
            format_func=lambda k: short(names[k], 110),
            key=f"{key}_target",
        )
        left, right = st.columns(2)
        left.button(
            f"Move line {unit.line}",
            key=f"{key}_go",
            type="primary",
            disabled=target is None,
            on_click=record,
            args=("assign", unit.text, target or "", str(report.ladder.get("id", "")), replaces, unit.id),
        )
        right.button("Cancel", key=f"{key}_cancel", on_click=_open_move, args=(None, None))


def statement_controls(report: Report, pillar: str) -> None:
    """Per statement of a pillar: each evidencing line (or the closest one, when none counts) with
    its controls."""
    for s in report.statements:
        if s.pillar != pillar:
            continue
        lines: Sequence[tuple[UnitResult, EvidenceLine, bool]] = [
            (report.unit(uid), e, True) for uid, e in zip(s.evidence, evidence(report, s), strict=True)
        ]
        if not lines and s.closest and closest_unit(report, s.id) is not None:
            unit = report.unit(s.closest)  # nothing counts, but this came near: confirm it?
            lines = [(unit, EvidenceLine(unit.line, unit_score(unit, s.id), unit.text), False)]
        # Lines a person took out stay in sight (struck through), with a way to put them back.
        taken_out = [
            (u, EvidenceLine(u.line, unit_score(u, s.id), u.text), False)
            for u in report.units
            if s.id not in u.evidences and u.id not in {x[0].id for x in lines} and _taken_out(u, s.id)
        ]
        if not lines and not taken_out:
            continue
        st.markdown(f"**{md_escape(short(statement_text(s), 200))}**")
        for unit, e, evidences in [*lines, *taken_out]:
            if evidences:
                shown = e.markdown()
            elif _taken_out(unit, s.id):
                shown = f"~~line {unit.line}~~ · {md_escape(short(unit.text, 150))}"
            else:
                shown = f"*closest, not counted:* {e.markdown()}"
            _line_row(report, unit, s.id, shown, evidences=evidences, key=f"{PREFIX}_fix_{s.id}_{unit.id}")


def line_panel(report: Report) -> None:
    """The annotated document's control: pick a line, then confirm, reject or move each statement
    it evidences, or add one it evidences that the matcher missed."""
    names = _names(report)
    ids = [u.id for u in report.units]
    by_id = {u.id: u for u in report.units}
    with st.container(border=True):
        st.markdown("**:material/rule: Correct a line**")
        uid = st.selectbox(
            "Line of your document",
            ids,
            index=None,
            placeholder="Choose a line to confirm, reject or move its matches",
            format_func=lambda k: f"line {by_id[k].line} · {short(by_id[k].text, 110)}",
            key=f"{PREFIX}_fix_line",
        )
        if uid is None or uid not in by_id:
            return
        unit = by_id[uid]
        for sid in unit.evidences:
            shown = f"{md_escape(short(names[sid], 150))} · {unit_score(unit, sid):.2f}"
            _line_row(report, unit, sid, shown, evidences=True, key=f"{PREFIX}_doc_{sid}_{uid}")
        if not unit.evidences:
            st.caption("This line evidences no statement yet.")
        other = [s.id for s in report.statements if s.id not in unit.evidences]
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        target = left.selectbox(
            f"Line {unit.line} also evidences",
            other,
            index=None,
            placeholder="Choose a statement the matcher missed",
            format_func=lambda k: short(names[k], 110),
            key=f"{PREFIX}_doc_add_{uid}",
        )
        right.button(
            "Add",
            key=f"{PREFIX}_doc_add_go_{uid}",
            icon=":material/add:",
            disabled=target is None,
            on_click=record,
            args=("assign", unit.text, target or "", str(report.ladder.get("id", "")), "", unit.id),
        )
        rejected = [n for n in correction_notes(unit, names) if "rejected" in n]
        if rejected:
            st.markdown("  \n".join(rejected))
