"""Gaps you can act on: for each statement a document does not evidence, what evidence of it looks
like (its own exemplars, and the ladder's examples nearest it), the document's closest line with why
it did not count, and a short prompt of what to write. No LLM is needed; an LLM's coaching, when a
report has it, is carried along.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from .exemplars import ExemplarSet
from .ladder import own_examples
from .models import Ladder
from .report import Report, StatementResult, UnitResult, _csv_safe
from .scoring import DECIDE
from .text import reduce_markdown

__all__ = ["GAP_CSV_FIELDS", "Gap", "find_gaps", "gaps_csv", "gaps_markdown"]

# A line scoring below this for a statement is no hint of it at all (half the decision line).
NEAR_MISS = DECIDE / 2
EXAMPLES_SHOWN = 3
GAP_CSV_FIELDS = (
    "pillar",
    "statement",
    "examples",
    "closest_line",
    "closest_text",
    "closest_score",
    "why_not",
    "what_would_show_it",
    "coaching_llm",
)
_WORD = re.compile(r"[a-z]{3,}")
_STOP_WORDS = (
    "the and for with that this our their from into have has are was were you your its they "
    "them who how what when where which will would can not but all any also more most"
)
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Gap:
    """An uncovered statement and what would help evidence it."""

    statement_id: str
    pillar: str
    statement: str
    examples: tuple[str, ...]
    closest_line: int | None
    closest_text: str
    closest_score: float
    why_not: str
    prompt: str
    coaching: str = ""


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def _examples(s: StatementResult, ladder: Ladder | None, exemplars: ExemplarSet | None) -> tuple[str, ...]:
    """The statement's own exemplars first, then the ladder examples of its pillar sharing most
    words with it (a ladder's `<details>` examples belong to a pillar, not to one statement)."""
    own = list((exemplars.by_statement.get(s.id) if exemplars else None) or ())[:EXAMPLES_SHOWN]
    out = [reduce_markdown(e) for e in own]
    if ladder is not None and len(out) < EXAMPLES_SHOWN:
        pillar = next((p for p in ladder.pillars if p.name == s.pillar), None)
        pool = [e.display for e in (own_examples(pillar) or pillar.examples)] if pillar else []
        words = _words(reduce_markdown(s.text))
        ranked = sorted(pool, key=lambda e: -len(words & _words(e)))
        out += [e for e in ranked if words & _words(e)][: EXAMPLES_SHOWN - len(out)]
    return tuple(dict.fromkeys(out))


def _score(u: UnitResult, statement_id: str) -> float:
    return next((m.score for m in u.matches if m.statement_id == statement_id), 0.0)


def _closest(report: Report, s: StatementResult) -> tuple[UnitResult, float] | None:
    best: tuple[UnitResult, float] | None = None
    for u in report.units:
        score = _score(u, s.id)
        if score >= NEAR_MISS and (best is None or score > best[1]):
            best = (u, score)
    return best


def _why_not(report: Report, u: UnitResult, score: float) -> str:
    taken = [report.statement(sid) for sid in u.evidences]
    if taken:
        other = taken[0]
        return (
            f"It scores {score:.2f} here, below the {DECIDE:.2f} needed, and counts for "
            f"“{_short(reduce_markdown(other.text))}” ({_score(u, other.id):.2f}) instead."
        )
    return (
        f"It scores {score:.2f}, below the {DECIDE:.2f} needed: it does not yet say what you did "
        "and what came of it in the terms of this statement."
    )


def _prompt(statement: str) -> str:
    return (
        f"Add a line about a time your own work showed this: “{statement}” Say what you did, who it "
        "involved, and what changed because of it (a number, a date, a decision)."
    )


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def find_gaps(report: Report, ladder: Ladder | None = None, exemplars: ExemplarSet | None = None) -> list[Gap]:
    """One Gap per uncovered statement of `report`, in ladder order."""
    out = []
    for s in report.statements:
        if s.covered:
            continue
        text = reduce_markdown(s.text)
        near = _closest(report, s)
        coaching = s.extra.get("coaching")
        out.append(
            Gap(
                statement_id=s.id,
                pillar=s.pillar,
                statement=text,
                examples=_examples(s, ladder, exemplars),
                closest_line=near[0].line if near else None,
                closest_text=near[0].text if near else "",
                closest_score=round(float(near[1]), 2) if near else 0.0,
                why_not=_why_not(report, *near) if near else "No line of the document comes near it.",
                prompt=_prompt(text),
                coaching=str(coaching.get("text") or "") if isinstance(coaching, dict) else "",
            )
        )
    return out


def gaps_csv(gaps: list[Gap]) -> str:
    """One row per gap; examples joined by newlines within their cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(GAP_CSV_FIELDS)
    for g in gaps:
        writer.writerow(
            [
                _csv_safe(v)
                for v in (
                    g.pillar,
                    g.statement,
                    "\n".join(g.examples),
                    g.closest_line or "",
                    g.closest_text,
                    f"{g.closest_score:.2f}" if g.closest_line else "",
                    g.why_not,
                    g.prompt,
                    g.coaching,
                )
            ]
        )
    return buf.getvalue()


def _md(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return " ".join(out.split())


def gaps_markdown(gaps: list[Gap], title: str = "") -> str:
    """The gap list as Markdown, grouped by pillar."""
    lines = [f"# Gaps: {_md(title)}" if title else "# Gaps", ""]
    if not gaps:
        return "\n".join([*lines, "Every statement is evidenced.", ""])
    pillar = None
    for g in gaps:
        if g.pillar != pillar:
            pillar = g.pillar
            lines += [f"## {_md(pillar)}", ""]
        lines += [f"### {_md(g.statement)}", ""]
        if g.closest_line:
            lines.append(
                f"- **Closest line** (line {g.closest_line}, {g.closest_score:.2f}): "
                f"“{_md(g.closest_text)}”. {_md(g.why_not)}"
            )
        else:
            lines.append(f"- **Closest line:** {_md(g.why_not)}")
        lines.append(f"- **What would show it:** {_md(g.prompt)}")
        if g.coaching:
            lines.append(f"- **Evidence to collect (LLM):** {_md(g.coaching)}")
        if g.examples:
            lines.append("- **What evidence of it can look like:**")
            lines += [f"  - {_md(e)}" for e in g.examples]
        lines.append("")
    return "\n".join(lines)
