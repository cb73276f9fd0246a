"""Engineer view: one brag document against one ladder."""

from __future__ import annotations

import streamlit as st

from ..config import Settings
from ..corrections import Correction, apply_corrections
from ..exemplars import ExemplarSet
from ..gaps import Gap, find_gaps, gaps_csv, gaps_markdown
from ..handover import CSV_BOM, Handover, export_stem, handover_html
from ..models import Ladder
from ..report import Report
from .resources import analyse, app_settings, assist, get_matcher
from .review import correction_note, line_panel, made_here, statement_controls, undo
from .safe import md_escape, short
from .saving import corrections_for, save_panel
from .views import (
    coverage_chart,
    judge_table,
    llm_notes_table,
    llm_summary,
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
    handover_inputs,
    ladder_picker,
    llm_settings,
    print_layout,
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
    who = handover_inputs(PREFIX)
    doc = document_input(PREFIX, settings)
    if ladder is None or doc is None:
        return
    corrections = corrections_for(doc, ladder)
    report = _match(doc, ladder, corrections)
    if report is None:
        return
    if llm is not None:
        report = _assist(report, ladder, llm, settings)
        if corrections:  # the LLM's judge must not overrule what a person decided
            report = apply_corrections(report, corrections)
    matcher = guarded(get_matcher, ladder, settings)
    render_report(report, ladder, who, matcher.exemplars if matcher is not None else None, correctable=True)
    if report.units:
        save_panel(doc, ladder, who)


def _match(doc: Document, ladder: Ladder, corrections: list[Correction]) -> Report | None:
    with st.spinner("Matching your document against the ladder…"):
        return guarded(analyse, doc.text, ladder, None, corrections)


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


def downloads(report: Report, who: Handover, gaps: list[Gap]) -> list[Download]:
    """The report to hand over (HTML), the library's exports, and the gap list; named
    `<person>-<ladder>-<date>`. CSV files start with a byte order mark so that Excel reads UTF-8."""
    stem = export_stem(report, who)
    title = f"{report.ladder.get('level', '')} {report.ladder.get('title', '')}".strip()
    return [
        Download(
            "Report to hand over (HTML, print or save as PDF)",
            handover_html(report, who, gaps),
            f"{stem}.html",
            "text/html",
        ),
        Download("JSON", report.to_json(), f"{stem}.json", "application/json"),
        Download("CSV", CSV_BOM + report.to_csv(), f"{stem}.csv", "text/csv"),
        Download("Markdown", report.to_markdown(), f"{stem}.md", "text/markdown"),
        Download("Gaps (Markdown)", gaps_markdown(gaps, title), f"{stem}-gaps.md", "text/markdown"),
        Download("Gaps (CSV)", CSV_BOM + gaps_csv(gaps), f"{stem}-gaps.csv", "text/csv"),
    ]


def render_report(
    report: Report,
    ladder: Ladder,
    who: Handover | None = None,
    exemplars: ExemplarSet | None = None,
    *,
    correctable: bool = False,
) -> None:
    """The report; with `correctable`, each evidencing line and the annotated document get controls
    to confirm, reject or move a match (matcher/ui/review.py)."""
    show_warnings(report.meta.get("warnings", []))
    if not report.units:
        st.info("No accomplishments found in this document: add bullets, dated lines or sentences.")
        return
    if report.coverage == 0:
        _not_a_brag_doc(report)
    who = who or Handover()
    gaps = find_gaps(report, ladder, exemplars)
    print_layout()
    _summary(report)
    if summary := llm_summary(report.meta):
        st.caption(summary)
    download_row(downloads(report, who, gaps), key=f"{PREFIX}_dl")
    by_statement, by_line, nothing = st.tabs(
        [
            f"By statement ({len(report.statements)})",
            f"Your document, annotated ({len(report.units)} lines)",
            f"Lines that evidence nothing ({len(report.unmatched_units)})",
        ]
    )
    by_pillar = {g.pillar: [] for g in gaps}
    for g in gaps:
        by_pillar[g.pillar].append(g)
    with by_statement:
        for pillar in ladder.pillars:
            if pillar.statements:  # an examples-only pillar has nothing to evidence
                _pillar_section(report, pillar.name, pillar.emoji, by_pillar.get(pillar.name, []), correctable)
    with by_line:
        _units_section(report)
        if correctable:
            line_panel(report)
    with nothing:
        _unmatched_section(report)
    if correctable:  # below the tabs: appearing above them would close their open expanders
        _corrections_list(report)


def _corrections_list(report: Report) -> None:
    """What was corrected, by whom and when; corrections not saved anywhere yet can be undone."""
    names = {s.id: statement_text(s) for s in report.statements}
    shown = [(u, c) for u in report.units for c in u.extra.get("corrections") or [] if isinstance(c, dict)]
    unsaved = made_here()
    if not shown and not unsaved:
        return
    with st.expander(f":material/history: Corrections ({report.meta.get('corrections', len(shown))})"):
        st.caption("Each correction sticks to the line's text: it applies wherever the same line comes back.")
        for u, c in shown:
            st.markdown(f"**line {u.line}** · {md_escape(short(u.text, 90))}: {correction_note(c, names)}")
        if unsaved:
            st.markdown("**Not saved to a workspace yet** (kept in this session only):")
            for i, c in enumerate(unsaved):
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(f"{md_escape(short(c.text, 90))}: {correction_note(c.to_dict(), names)}")
                right.button("Undo", key=f"{PREFIX}_undo_{i}", on_click=undo, args=(i,), icon=":material/undo:")


def _not_a_brag_doc(report: Report) -> None:
    """A hint above a report in which nothing counts (random text, or the wrong ladder)."""
    st.info(
        "This does not look like a brag document for this ladder: "
        + (
            "its one line evidences no statement"
            if len(report.units) == 1
            else f"none of its {len(report.units)} lines evidences any statement"
        )
        + ". A brag document lists things you did and what came of them, one per line, "
        "for example “Led the billing migration with two other teams; cut failed payments by 30%”. Check that "
        "the right file and ladder are chosen.",
        icon=":material/help:",
    )


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


def _pillar_section(report: Report, pillar: str, emoji: str, gaps: list[Gap], correctable: bool = False) -> None:
    cov = next(p for p in report.pillars if p.name == pillar)
    st.subheader(f"{md_escape(emoji)} {md_escape(pillar)}".strip(), divider="gray")
    st.caption(f"{cov.covered} of {cov.total} statements evidenced")
    st.table(statement_table(report, pillar), hide_index=True, border="horizontal")
    if correctable:
        with st.expander(f":material/rule: Check these matches: confirm, reject or move a line ({md_escape(pillar)})"):
            statement_controls(report, pillar)
    notes = llm_notes_table(report, pillar)
    if not notes.empty:
        st.table(notes, hide_index=True, border="horizontal")
    if gaps:
        st.markdown(f"**:material/flag: Not yet evidenced ({len(gaps)}): what would show it**")
        for gap in gaps:
            _gap(gap)


def _gap(gap: Gap) -> None:
    """One uncovered statement: the closest line and why it did not count, a prompt, examples."""
    with st.expander(f":material/flag: {md_escape(short(gap.statement, 140))}"):
        st.markdown(f"**{md_escape(gap.statement)}**")
        if gap.closest_line:
            st.markdown(
                f"**Closest line** (line {gap.closest_line}, score {gap.closest_score:.2f}): "
                f"“{md_escape(gap.closest_text)}”  \n{md_escape(gap.why_not)}"
            )
        else:
            st.markdown(f"**Closest line:** {md_escape(gap.why_not)}")
        st.markdown(f"**What would show it:** {md_escape(gap.prompt)}")
        if gap.coaching:
            st.markdown(f"**Evidence to collect (LLM):** {md_escape(gap.coaching)}")
        if gap.examples:
            bullets = "\n".join(f"- {md_escape(e)}" for e in gap.examples)
            st.markdown(f"**What evidence of it can look like:**\n{bullets}")
        else:
            st.caption("This ladder gives no examples for this statement.")


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
