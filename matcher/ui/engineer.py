"""Engineer view: one brag document against one ladder."""

from __future__ import annotations

import streamlit as st

from ..config import Settings
from ..models import Ladder
from ..report import Report
from .resources import analyse, app_settings, assist
from .safe import md_escape
from .views import (
    coverage_chart,
    judge_table,
    llm_notes_table,
    llm_summary,
    pillar_examples,
    statement_table,
    statement_text,
    units_frame,
    units_table,
    unmatched_table,
)
from .widgets import (
    Document,
    Download,
    LLMChoice,
    document_input,
    download_row,
    guarded,
    ladder_picker,
    llm_settings,
    show_warnings,
)

__all__ = ["downloads", "render", "render_report"]

PREFIX = "eng"


def render() -> None:
    st.title("Evidence for your next review")
    st.caption(
        "Paste your brag document and see which competency statements of your career ladder each "
        "accomplishment evidences, which are well evidenced, and which are still uncovered."
    )
    settings = guarded(app_settings)
    if settings is None:
        return
    llm = llm_settings(PREFIX)
    ladder = ladder_picker(PREFIX)
    doc = document_input(PREFIX, settings)
    if ladder is None or doc is None:
        return
    report = _match(doc, ladder)
    if report is None:
        return
    if llm is not None:
        report = _assist(report, ladder, llm, settings)
    render_report(report, ladder)


def _match(doc: Document, ladder: Ladder) -> Report | None:
    with st.spinner("Matching your document against the ladder…"):
        return guarded(analyse, doc.text, ladder)


def _assist(report: Report, ladder: Ladder, llm: LLMChoice, settings: Settings) -> Report:
    """The report with the LLM's additions; on an LLM error, the embedded report (the error shown)."""
    with st.spinner("Asking the LLM…"):
        augmented = guarded(
            assist,
            report,
            ladder,
            llm.config,
            judge=llm.judge,
            explain=llm.explain,
            coach=llm.coach,
            settings=settings,
        )
    return report if augmented is None else augmented


def downloads(report: Report) -> list[Download]:
    """The library's own exports, byte for byte."""
    stem = f"evidence-{report.ladder.get('id') or 'report'}"
    return [
        Download("JSON", report.to_json(), f"{stem}.json", "application/json"),
        Download("CSV", report.to_csv(), f"{stem}.csv", "text/csv"),
        Download("Markdown", report.to_markdown(), f"{stem}.md", "text/markdown"),
    ]


def render_report(report: Report, ladder: Ladder) -> None:
    show_warnings(report.meta.get("warnings", []))
    if not report.units:
        st.info("No accomplishments found in this document: add bullets, dated lines or sentences.")
        return
    _summary(report)
    if summary := llm_summary(report.meta):
        st.caption(summary)
    download_row(downloads(report), key=f"{PREFIX}_dl")
    by_statement, by_line, nothing = st.tabs(
        [
            f"By statement ({len(report.statements)})",
            f"Your document, annotated ({len(report.units)} lines)",
            f"Lines that evidence nothing ({len(report.unmatched_units)})",
        ]
    )
    with by_statement:
        for pillar in ladder.pillars:
            if pillar.statements:  # an examples-only pillar has nothing to evidence
                _pillar_section(report, ladder, pillar.name, pillar.emoji)
    with by_line:
        _units_section(report)
    with nothing:
        _unmatched_section(report)


def _summary(report: Report) -> None:
    covered = len(report.statements) - len(report.uncovered)
    strong = sum(1 for s in report.statements if s.strength == "strong")
    with st.container(horizontal=True):
        st.metric("Coverage", f"{report.coverage:.0%}", border=True)
        st.metric("Statements evidenced", f"{covered} / {len(report.statements)}", border=True)
        st.metric("Strongly evidenced", strong, border=True)
        st.metric("Still uncovered", len(report.uncovered), border=True)
        st.metric(
            "Lines evidencing nothing",
            f"{len(report.unmatched_units)} / {len(report.units)}",
            border=True,
        )
    st.altair_chart(coverage_chart(report), width="stretch")


# Above this many lines the annotated document is a scrollable grid instead of a wrapped table.
TABLE_MAX_UNITS = 300


def _pillar_section(report: Report, ladder: Ladder, pillar: str, emoji: str) -> None:
    cov = next(p for p in report.pillars if p.name == pillar)
    st.subheader(f"{md_escape(emoji)} {md_escape(pillar)}".strip(), divider="gray")
    st.caption(f"{cov.covered} of {cov.total} statements evidenced")
    st.table(statement_table(report, pillar), hide_index=True, border="horizontal")
    notes = llm_notes_table(report, pillar)
    if not notes.empty:
        st.table(notes, hide_index=True, border="horizontal")
    uncovered = [s for s in report.statements if s.pillar == pillar and not s.covered]
    if uncovered:
        _ideas(ladder, pillar, [statement_text(s) for s in uncovered])


def _ideas(ladder: Ladder, pillar: str, uncovered: list[str]) -> None:
    """Uncovered statements beside the ladder's examples: what evidence could look like."""
    with st.container(border=True):
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown(f"**:material/flag: Not yet evidenced ({len(uncovered)})**")
            st.markdown("\n".join(f"- {md_escape(text)}" for text in uncovered))
        with right:
            st.markdown("**:material/lightbulb: What evidence can look like** (ladder examples)")
            examples = pillar_examples(ladder, pillar)
            if examples:
                st.markdown("\n".join(f"- {md_escape(e)}" for e in examples))
            else:
                st.caption("This ladder gives no examples for this pillar.")


def _units_section(report: Report) -> None:
    st.caption("Each line of your document and the statements it evidences (with their scores).")
    if len(report.units) <= TABLE_MAX_UNITS:
        st.table(units_table(report), hide_index=True, border="horizontal")
    else:
        _units_grid(report)
    judged = judge_table(report)
    if not judged.empty:
        st.markdown("**:material/smart_toy: What the LLM judge said** (lines it was asked about)")
        st.table(judged, hide_index=True, border="horizontal")


def _units_grid(report: Report) -> None:
    st.dataframe(
        units_frame(report),
        hide_index=True,
        column_config={
            "line": st.column_config.NumberColumn("Line", width="small"),
            "section": st.column_config.TextColumn("Section", width="small"),
            "text": st.column_config.TextColumn("Accomplishment", width="large"),
            "evidences": st.column_config.ListColumn("Evidences", width="large"),
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
        },
    )


def _unmatched_section(report: Report) -> None:
    if not report.unmatched_units:
        st.success("Every line of the document evidences at least one statement.")
        return
    st.caption(
        "These lines evidence no statement. Often that is noise (leave, a laptop swap); "
        "sometimes it is a sign the ladder misses something you do, or that the line does not "
        "yet say what you did and what came of it."
    )
    st.table(unmatched_table(report), hide_index=True, border="horizontal")
