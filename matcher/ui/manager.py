"""Manager view: several people's brag documents against one ladder."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from ..config import Settings
from ..errors import MatcherError
from ..models import Ladder
from ..report import Report
from .resources import analyse, app_settings, get_matcher, read_upload, upload_limit_mb
from .review import correction_notes
from .safe import md_escape, short
from .saved_team import render_saved_team
from .state import KeptFile, kept, kept_files, remember
from .team import Team, person_names
from .views import STRENGTH_BADGES, EvidenceLine, escaped, statement_text, unit_score
from .widgets import (
    DOC_HINT,
    Download,
    download_row,
    earlier_files_note,
    guarded,
    ladder_picker,
    show_error,
    show_warnings,
)

__all__ = ["render", "render_team", "score_team", "show_team"]

PREFIX = "mgr"
ROW_PX = 35  # st.dataframe's row height


UPLOADS, WORKSPACE = "Uploads", "Workspace"


def render() -> None:
    st.title("Team evidence")
    st.caption(
        "Upload one brag document per person (the file name is the person's name), or open a "
        "workspace the team saves to, to see which statements the team evidences, where it is thin, "
        "and who covers what."
    )
    settings = guarded(app_settings)
    if settings is None:
        return
    source = st.radio(
        "The team's documents",
        [UPLOADS, WORKSPACE],
        horizontal=True,
        captions=["Brag documents uploaded now", "The latest reports saved in a workspace file"],
        **kept(f"{PREFIX}_source", default=UPLOADS),
    )
    if source == WORKSPACE:
        render_saved_team(settings, show_team)
        return
    ladder = ladder_picker(PREFIX)
    keep, earlier = kept_files(f"{PREFIX}_files")
    uploads = st.file_uploader(
        f"Brag documents, one per person ({DOC_HINT})",
        type=None,
        accept_multiple_files=True,
        max_upload_size=upload_limit_mb(settings),
        **keep,
    )
    docs = _documents(uploads or _earlier(earlier), settings)
    if ladder is None:
        return
    if not docs:
        st.info("Upload the team's brag documents to see the heatmap.", icon=":material/group:")
        return
    render_team(docs, ladder, settings)


def _earlier(files: list[KeptFile]) -> list[KeptFile]:
    """The team's files uploaded earlier in this session (shown as such, with a way to drop them)."""
    if files:
        names = ", ".join(md_escape(f.name) for f in files)
        earlier_files_note(
            f"{PREFIX}_files",
            f"Using the {len(files)} files uploaded earlier in this session: {names}.",
            "Remove these files",
        )
    return files


def _documents(uploads: Sequence, settings: Settings) -> list[tuple[str, str]]:
    """(person, text) for each readable upload; unreadable ones are reported and skipped."""
    docs = []
    for name, upload in zip(person_names([u.name for u in uploads]), uploads, strict=True):
        text = guarded(read_upload, upload, settings)
        if text is not None:
            docs.append((name, text))
    return docs


def score_team(docs: Sequence[tuple[str, str]], ladder: Ladder, settings: Settings) -> Team | None:
    """Match every document with a progress bar; a refused document is reported, not fatal."""
    if guarded(get_matcher, ladder, settings) is None:
        return None
    bar = st.progress(0.0, text=f"Scoring {len(docs)} documents…")
    people, reports = [], []
    for i, (name, text) in enumerate(docs, start=1):
        try:
            reports.append(analyse(text, ladder, settings))
            people.append(name)
        except MatcherError as exc:
            show_error(exc)
        bar.progress(i / len(docs), text=f"Scored {i} of {len(docs)}: {md_escape(name)}")
    bar.empty()
    return Team(tuple(people), tuple(reports)) if reports else None


def render_team(docs: Sequence[tuple[str, str]], ladder: Ladder, settings: Settings) -> None:
    team = score_team(docs, ladder, settings)
    if team is not None:
        show_team(team, ladder)


def show_team(team: Team, ladder: Ladder, between: Callable[[], None] | None = None) -> None:
    """The team's summary, heatmap with its drill-down, gaps and coverage; `between` draws more
    (e.g. the change since the last cycle) after the drill-down."""
    show_warnings(team.reports[0].meta.get("warnings", []))
    _summary(team)
    st.subheader("Statements × people", divider="gray")
    st.caption(
        "● strong · ◐ partial · ◌ possible (just below the line, not counted) · ○ none. "
        "⚑ marks a statement nobody evidences; each row ends with how many people evidence it. "
        "Hover a cell for the full statement; click one to see its evidencing lines."
    )
    event = st.altair_chart(team.heatmap(), width="content", on_select="rerun", key=f"{PREFIX}_heatmap")
    _drill_down(team, _selected_cell(event))
    if between is not None:
        between()
    download_row(
        [
            Download(
                "Matrix as CSV (strengths, scores, evidencing lines)",
                team.to_csv(),
                f"team-{ladder.id}.csv",
                "text/csv",
            )
        ],
        key=f"{PREFIX}_dl",
    )
    with st.expander(f"The statements in full ({len(team.statements)})"):
        st.table(escaped(team.statement_rows()), hide_index=True, border="horizontal")
    _gaps(team)
    _people(team)


def _selected_cell(event: object) -> tuple[str, str] | None:
    """(person, statement id) of the heatmap cell clicked, if any."""
    try:
        points = event.selection["cell"]  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError):
        return None
    if isinstance(points, list) and points and isinstance(points[0], dict):
        person, sid = points[0].get("person"), points[0].get("id")
        if isinstance(person, str) and isinstance(sid, str):
            return person, sid
    return None


def _drill_down(team: Team, clicked: tuple[str, str] | None) -> None:
    """One person's lines for one statement: picked by clicking a cell, or with the two pickers
    (which also work from the keyboard)."""
    ids = [s.id for s in team.statements]
    texts = {s.id: statement_text(s) for s in team.statements}
    # A click is applied once: the chart keeps its selection across reruns, and a later choice in
    # the pickers (the keyboard way) must not be undone by it.
    fresh = clicked != st.session_state.get(f"{PREFIX}_cell_clicked")
    st.session_state[f"{PREFIX}_cell_clicked"] = clicked
    if fresh and clicked and clicked[0] in team.people and clicked[1] in texts:
        st.session_state[f"{PREFIX}_cell_person"], st.session_state[f"{PREFIX}_cell_statement"] = clicked
        remember(f"{PREFIX}_cell_person", clicked[0])
        remember(f"{PREFIX}_cell_statement", clicked[1])
    with st.container(border=True):
        st.markdown("**:material/manage_search: Who evidences what, and with which lines**")
        left, right = st.columns([1, 3], gap="medium")
        person = left.selectbox("Person", list(team.people), **kept(f"{PREFIX}_cell_person", options=list(team.people)))
        sid = right.selectbox(
            "Statement",
            ids,
            format_func=lambda k: short(texts[k], 150),
            **kept(f"{PREFIX}_cell_statement", options=ids),
        )
        if person is None or sid is None:
            return
        result = team.reports[team.people.index(person)].statement(sid)
        st.markdown(
            f"{STRENGTH_BADGES[result.strength]} **{md_escape(person)}** · score {result.score:.2f} · "
            f"{md_escape(texts[sid])}"
        )
        report = team.reports[team.people.index(person)]
        lines = _evidence_markdown(report, sid)
        if lines:
            st.markdown("\n".join(lines))
        if not result.evidence:
            near = team.closest_line(person, sid)
            st.caption(
                f"No line of {md_escape(person)}'s document evidences it"
                + (f"; the closest is {md_escape(near)}." if near else ".")
            )


def _evidence_markdown(report: Report, sid: str) -> list[str]:
    """The lines evidencing a statement, each with the corrections made on it for that statement,
    and the lines a person rejected for it (so a manager sees what was taken out, and by whom)."""
    names = {s.id: statement_text(s) for s in report.statements}
    out = []
    for uid in report.statement(sid).evidence:
        u = report.unit(uid)
        out.append(f"- {md_escape(EvidenceLine(u.line, unit_score(u, sid), u.text).plain())}")
        out += [f"  - {n}" for n in correction_notes(u, names, sid)]
    for u in report.units:
        if sid not in u.evidences:
            notes = correction_notes(u, names, sid)
            if notes:
                out.append(f"- ~~line {u.line}~~ · {md_escape(short(u.text, 200))}")
                out += [f"  - {n}" for n in notes]
    return out


def _summary(team: Team) -> None:
    nobody, only_one = team.nobody(), team.only_one()
    total = len(team.statements)
    with st.container(horizontal=True):
        st.metric("People", len(team.people), border=True)
        st.metric("Statements the team evidences", f"{total - len(nobody)} / {total}", border=True)
        st.metric("Nobody evidences", len(nobody), border=True)
        st.metric("Only one person evidences", len(only_one), border=True)


def _gaps(team: Team) -> None:
    st.subheader("Team-level gaps", divider="gray")
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**:material/block: Nobody evidences**")
        nobody = team.nobody()
        if nobody.empty:
            st.success("Every statement is evidenced by someone.")
        else:
            st.table(escaped(nobody), hide_index=True, border="horizontal")
    with right:
        st.markdown("**:material/person_alert: Only one person evidences**")
        only = team.only_one()
        if only.empty:
            st.success("No statement rests on a single person.")
        else:
            st.table(escaped(only), hide_index=True, border="horizontal")


def _people(team: Team) -> None:
    st.subheader("Coverage per person", divider="gray")
    frame = team.coverage()
    st.dataframe(
        frame,
        hide_index=True,
        height=ROW_PX * (len(frame) + 1) + 3,  # every person visible, no inner scrolling
        column_config={
            "Evidenced": st.column_config.NumberColumn("Evidenced", help="Statements evidenced, strongly or partially"),
            "Coverage": st.column_config.ProgressColumn("Coverage", min_value=0, max_value=100, format="%d%%"),
            "Lines": st.column_config.NumberColumn("Lines", help="Accomplishment units found"),
        },
    )
