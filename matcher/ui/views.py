"""Tables and charts built from Reports. No Streamlit here: plain pandas and Altair, so tests can
compare them with the library's report directly.

`*_frame` functions give plain values (for tests and downloads); `*_table` functions give the same
rows as Markdown cells for `st.table`, which wraps long lines where `st.dataframe` would cut them.
Every piece of ladder or document text in a `*_table` cell goes through `md_escape`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from ..ladder import own_examples
from ..models import Ladder
from ..report import Report, StatementResult, UnitResult, held_reason
from ..scoring import DECIDE
from ..text import reduce_markdown
from .safe import md_escape, short

__all__ = [
    "CHART_TEXT",
    "STRENGTHS",
    "STRENGTH_BADGES",
    "STRENGTH_COLORS",
    "Closest",
    "EvidenceLine",
    "closest_unit",
    "coverage_chart",
    "escaped",
    "evidence",
    "judge_table",
    "llm_notes_table",
    "llm_summary",
    "pillar_examples",
    "pillar_frame",
    "readable",
    "statement_frame",
    "statement_table",
    "statement_text",
    "strength_scale",
    "unit_score",
    "units_frame",
    "units_table",
    "unmatched_frame",
    "unmatched_table",
]

STRENGTHS = ("strong", "partial", "possible", "none")
# "possible" (just below the line, not counted) sits between partial and none in colour too.
STRENGTH_COLORS = {"strong": "#1f6f5c", "partial": "#e9a23b", "possible": "#f4e3bd", "none": "#dfe3e8"}
# Streamlit Markdown badges; our own markup, never built from user text.
STRENGTH_BADGES = {
    "strong": ":green-badge[strong]",
    "partial": ":orange-badge[partial]",
    "possible": ":gray-badge[possible]",
    "none": ":gray-badge[none]",
}
EVIDENCE_SHOWN = 3
# Half the decision line: a line that does not evidence a statement but scores above this is
# shown as the closest one, a hint of what to reword. Lower scores are no hint at all.
NEAR_MISS = DECIDE / 2


# Chart text as dark as body text: WCAG AA (4.5:1) on white, where the default grey is 3.7:1.
CHART_TEXT = "#31333f"


def readable(chart, description: str):
    """`chart` with dark axis, legend and header text and a description (its accessible name)."""
    return (
        chart.configure_axis(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
        .configure_legend(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
        .configure_header(labelColor=CHART_TEXT, titleColor=CHART_TEXT)
        .properties(description=description)
    )


def strength_scale() -> alt.Scale:
    return alt.Scale(domain=list(STRENGTHS), range=[STRENGTH_COLORS[s] for s in STRENGTHS])


def statement_text(s: StatementResult) -> str:
    """A statement as people read it: links and emphasis reduced to their text."""
    return reduce_markdown(s.text)


def unit_score(unit: UnitResult, statement_id: str) -> float:
    """The unit's score for a statement (0 when the statement is not among its top matches)."""
    return next((m.score for m in unit.matches if m.statement_id == statement_id), 0.0)


@dataclass(frozen=True)
class EvidenceLine:
    line: int
    score: float
    text: str

    def plain(self) -> str:
        return f"line {self.line} · {self.score:.2f} · {self.text}"

    def markdown(self, width: int = 150) -> str:
        return f"**line {self.line}** · {self.score:.2f} · {md_escape(short(self.text, width))}"


def evidence(report: Report, s: StatementResult) -> list[EvidenceLine]:
    """The lines evidencing a statement, best first (the report keeps them in that order)."""
    return [
        EvidenceLine(report.unit(uid).line, unit_score(report.unit(uid), s.id), report.unit(uid).text)
        for uid in s.evidence
    ]


@dataclass(frozen=True)
class Closest:
    line: int
    score: float
    text: str


def closest_unit(report: Report, statement_id: str) -> Closest | None:
    """The unit nearest a statement, when it came near at all."""
    best: Closest | None = None
    for u in report.units:
        score = unit_score(u, statement_id)
        if score >= NEAR_MISS and (best is None or score > best.score):
            best = Closest(u.line, score, u.text)
    return best


# -- coverage --------------------------------------------------------------------------------


def pillar_frame(report: Report) -> pd.DataFrame:
    """Per pillar: covered, total, and the count of each strength (ladder order)."""
    rows = []
    for p in (p for p in report.pillars if p.total):
        counts = dict.fromkeys(STRENGTHS, 0)
        for s in report.statements:
            if s.pillar == p.name:
                counts[s.strength] += 1
        rows.append({"pillar": p.name, "covered": p.covered, "total": p.total, **counts})
    return pd.DataFrame(rows, columns=["pillar", "covered", "total", *STRENGTHS])


def coverage_chart(report: Report) -> alt.LayerChart:
    """Horizontal stacked bars: each pillar's statements by strength, labelled covered/total."""
    frame = pillar_frame(report)
    order = list(frame["pillar"])
    long = frame.melt(
        id_vars=["pillar", "covered", "total"],
        value_vars=list(STRENGTHS),
        var_name="strength",
        value_name="statements",
    )
    long["rank"] = long["strength"].map({s: i for i, s in enumerate(STRENGTHS)})
    y = alt.Y("pillar:N", sort=order, title=None, axis=alt.Axis(labelLimit=260, labelFontSize=13))
    bars = (
        alt.Chart(long)
        .mark_bar(height={"band": 0.7})
        .encode(
            x=alt.X(
                "statements:Q",
                stack="zero",
                title="statements",
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            y=y,
            color=alt.Color(
                "strength:N",
                scale=strength_scale(),
                sort=list(STRENGTHS),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            order=alt.Order("rank:Q"),
            tooltip=["pillar:N", "strength:N", "statements:Q"],
        )
    )
    frame["label"] = frame["covered"].astype(str) + " / " + frame["total"].astype(str)
    labels = (
        alt.Chart(frame)
        .mark_text(align="left", dx=6, fontSize=13, fontWeight="bold")
        .encode(x="total:Q", y=y, text="label:N")
    )
    covered = int(frame["covered"].sum())
    total = int(frame["total"].sum())
    parts = "; ".join(
        f"{p}: {c} of {t}" for p, c, t in zip(frame["pillar"], frame["covered"], frame["total"], strict=True)
    )
    return readable(
        (bars + labels).properties(height=alt.Step(40)),
        f"Bar chart of statements evidenced per pillar, {covered} of {total} in all: {parts}.",
    )


# -- statements ------------------------------------------------------------------------------


def statement_frame(report: Report, pillar: str) -> pd.DataFrame:
    """A pillar's statements in ladder order: strength, text, best score, evidencing lines."""
    rows = [
        {
            "id": s.id,
            "strength": s.strength,
            "statement": statement_text(s),
            "score": round(float(s.score), 2),
            "evidence": [e.plain() for e in evidence(report, s)],
        }
        for s in report.statements
        if s.pillar == pillar
    ]
    return pd.DataFrame(rows, columns=["id", "strength", "statement", "score", "evidence"])


def _evidence_cell(report: Report, s: StatementResult) -> str:
    lines = evidence(report, s)
    cell = "  \n".join(e.markdown() for e in lines[:EVIDENCE_SHOWN])
    if len(lines) > EVIDENCE_SHOWN:
        cell += f"  \n*… and {len(lines) - EVIDENCE_SHOWN} more*"
    if not lines:
        near = closest_unit(report, s.id)
        cell = (
            f"*closest:* **line {near.line}** · {near.score:.2f} · {md_escape(short(near.text, 110))} "
            f"*(below the {DECIDE:.2f} needed to count)*"
            if near
            else ""
        )
    return cell


def statement_table(
    report: Report,
    pillar: str,
    *,
    only: set[str] | None = None,
    new: set[str] | None = None,
    new_label: str = "new",
) -> pd.DataFrame:
    """`statement_frame` as Markdown cells for st.table; `only` keeps some statements, and those
    in `new` get a `new_label` badge (the level comparison)."""
    rows = []
    for s in report.statements:
        if s.pillar != pillar or (only is not None and s.id not in only):
            continue
        badge = STRENGTH_BADGES[s.strength]
        if new and s.id in new:
            badge += f" :violet-badge[{md_escape(new_label)}]"
        rows.append(
            {
                "Strength": badge,
                "Statement": md_escape(statement_text(s)),
                "Score": f"{s.score:.2f}",
                "Best evidencing lines": _evidence_cell(report, s),
            }
        )
    return pd.DataFrame(rows, columns=["Strength", "Statement", "Score", "Best evidencing lines"])


# -- the document ----------------------------------------------------------------------------


def units_frame(report: Report) -> pd.DataFrame:
    """Every unit of the document with the statements it evidences."""
    names = {s.id: statement_text(s) for s in report.statements}
    rows = [
        {
            "line": u.line,
            "section": u.section,
            "text": u.text,
            "evidences": [names[sid] for sid in u.evidences],
            "score": round(max((unit_score(u, sid) for sid in u.evidences), default=0.0), 2),
        }
        for u in report.units
    ]
    return pd.DataFrame(rows, columns=["line", "section", "text", "evidences", "score"])


def line_span(u: UnitResult) -> str:
    """'12' for a one-line item, '12–15' for one that spans lines."""
    return f"{u.line}–{u.end_line}" if u.end_line > u.line else str(u.line)


def units_table(report: Report) -> pd.DataFrame:
    """`units_frame` as Markdown cells: each line of the document, annotated."""
    names = {s.id: md_escape(short(statement_text(s), 120)) for s in report.statements}
    pillars = {s.id: md_escape(s.pillar) for s in report.statements}
    rows = []
    for u in report.units:
        ev = "  \n".join(f"{names[sid]} *({pillars[sid]}, {unit_score(u, sid):.2f})*" for sid in u.evidences)
        held = held_reason(u.signals)
        rows.append(
            {
                # An item may span wrapped and continuation lines: the row is the whole item.
                "Line": line_span(u),
                "Section": md_escape(u.section),
                "Accomplishment": md_escape(u.text),
                "Evidences": ev or (f"*— nothing ({held}: not counted)*" if held else "*— nothing*"),
            }
        )
    return pd.DataFrame(rows, columns=["Line", "Section", "Accomplishment", "Evidences"])


def unmatched_frame(report: Report) -> pd.DataFrame:
    """Units that evidence nothing, with the statement they came closest to."""
    rows = []
    for uid in report.unmatched_units:
        u = report.unit(uid)
        top = u.matches[0] if u.matches else None
        rows.append(
            {
                "line": u.line,
                "text": u.text,
                "closest": reduce_markdown(top.statement) if top else "",
                "score": round(float(top.score), 2) if top else 0.0,
            }
        )
    return pd.DataFrame(rows, columns=["line", "text", "closest", "score"])


def unmatched_table(report: Report) -> pd.DataFrame:
    frame = unmatched_frame(report)
    return pd.DataFrame(
        {
            "Line": frame["line"].astype(str),
            "Line of the document": [md_escape(t) for t in frame["text"]],
            "Closest statement": [md_escape(short(t, 140)) for t in frame["closest"]],
            "Score": [f"{v:.2f}" for v in frame["score"]],
        }
    )


def escaped(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of `frame` as escaped Markdown text, for st.table."""
    return frame.map(lambda v: md_escape(str(v))).rename(columns=lambda c: md_escape(str(c)))


def pillar_examples(ladder: Ladder, pillar: str, limit: int = 6) -> list[str]:
    """The ladder's own examples for a pillar (else the inherited Leadership qualities)."""
    for p in ladder.pillars:
        if p.name == pillar:
            examples = own_examples(p) or p.examples
            return [e.display for e in examples[:limit]]
    return []


# -- LLM assistance --------------------------------------------------------------------------

LLM_NOTE_COLUMNS = ["Statement", "Why it counts (LLM)", "Evidence to collect (LLM)"]
JUDGE_COLUMNS = ["Line", "Accomplishment", "The judge accepted", "Reason (LLM)"]


def llm_text(extra: dict[str, Any], key: str) -> str:
    """The text of an LLM addition (`explanation`, `coaching`, or the `judge` reason); '' if none."""
    value = extra.get(key)
    if not isinstance(value, dict):
        return ""
    return str(value.get("text") or value.get("reason") or "")


def llm_notes_table(report: Report, pillar: str) -> pd.DataFrame:
    """A pillar's statements that carry LLM text (explanation or coaching), as escaped cells."""
    rows = []
    for s in report.statements:
        why, collect = llm_text(s.extra, "explanation"), llm_text(s.extra, "coaching")
        if s.pillar == pillar and (why or collect):
            rows.append(
                {
                    "Statement": md_escape(short(statement_text(s), 140)),
                    "Why it counts (LLM)": md_escape(why),
                    "Evidence to collect (LLM)": md_escape(collect),
                }
            )
    return pd.DataFrame(rows, columns=LLM_NOTE_COLUMNS)


def judge_table(report: Report) -> pd.DataFrame:
    """The units the LLM judged: what it accepted and its one-sentence reason, as escaped cells."""
    names = {s.id: md_escape(short(statement_text(s), 120)) for s in report.statements}
    rows = []
    for u in report.units:
        judge = u.extra.get("judge")
        if not isinstance(judge, dict):
            continue
        accepted = [names.get(str(sid), md_escape(str(sid))) for sid in judge.get("evidences") or []]
        rows.append(
            {
                "Line": str(u.line),
                "Accomplishment": md_escape(u.text),
                "The judge accepted": "  \n".join(accepted) or "*— nothing*",
                "Reason (LLM)": md_escape(llm_text(u.extra, "judge")),
            }
        )
    return pd.DataFrame(rows, columns=JUDGE_COLUMNS)


_WHAT = {"judge": "lines judged", "explain": "statements explained", "coach": "statements coached"}


def llm_summary(meta: dict[str, Any]) -> str:
    """What the LLM did for a report (from `meta["llm"]`), as escaped Markdown; '' if it did nothing."""
    info = meta.get("llm")
    if not isinstance(info, dict):
        return ""
    parts = []
    for name in info.get("capabilities") or []:
        counts = info.get(name)
        if isinstance(counts, dict) and name in _WHAT:
            done, asked = counts.get("succeeded", 0), counts.get("requested", 0)
            parts.append(f"{done} of {asked} {_WHAT[name]}")
    model = info.get("model") or "unknown model"
    head = f"LLM assistance ({info.get('endpoint', '')}, {model})"
    return md_escape(f"{head}: {', '.join(parts) or 'nothing asked'}.")
