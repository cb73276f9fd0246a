"""Coverage: how strongly each statement is evidenced, and how many statements each pillar covers.

One pure function used by everything that decides or changes which units evidence which
statements (the matcher, the LLM judge), so the strength rule is written once:

- "strong": STRONG_UNITS or more *distinct* items evidence it (the same text pasted twice counts
  once), or one does with a score of at least STRONG_SCORE;
- "partial": one item evidences it, below STRONG_SCORE;
- "possible": no item evidences it, but the closest one scores within POSSIBLE..DECIDE, just below
  the line: worth checking, never counted as covered;
- "none": nothing comes close.

A pillar covers a statement that is strong or partial.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .report import Report, UnitResult
from .text import collapse_ws

__all__ = ["COVERED", "DECIDE", "POSSIBLE", "STRONG_SCORE", "STRONG_UNITS", "match_score", "strength", "with_coverage"]

# A statement evidenced by a single unit is "strong" only when that unit's score reaches this;
# two or more evidencing units make it strong regardless.
STRONG_SCORE = 0.85
STRONG_UNITS = 2


COVERED = ("strong", "partial")
# The calibrated score at which a unit evidences a statement (every score in the product is on this
# scale), and the lower edge of "possible".
DECIDE = 0.5
POSSIBLE = 0.4


def strength(evidence: Sequence[tuple[str, float]], best: float = 0.0) -> str:
    """The strength of a statement from the (text, score) of the units that evidence it and the
    best score any unit has for it."""
    if not evidence:
        return "possible" if POSSIBLE <= best < DECIDE else "none"
    distinct = {collapse_ws(text).casefold() for text, _ in evidence}
    if len(distinct) >= STRONG_UNITS or max(x for _, x in evidence) >= STRONG_SCORE:
        return "strong"
    return "partial"


def match_score(unit: UnitResult, statement_id: str) -> float:
    """The unit's score for a statement among its top matches (0 when it is not among them)."""
    return next((float(m.score) for m in unit.matches if m.statement_id == statement_id), 0.0)


def with_coverage(
    report: Report,
    units: Sequence[UnitResult] | None = None,
    score: Callable[[UnitResult, str], float] = match_score,
) -> Report:
    """`report` with `units` (default: its own) and every statement's strength and evidence, and
    every pillar's covered count, computed from those units' evidences.

    Each statement's evidence lists unit ids best score first (`score(unit, statement_id)`); the
    statement's own `score` (its best match over all units) does not depend on decisions and is
    kept.
    """
    units = tuple(report.units if units is None else units)
    evidence: dict[str, list[tuple[str, str, float]]] = {s.id: [] for s in report.statements}
    for u in units:
        for sid in u.evidences:
            if sid in evidence:
                evidence[sid].append((u.id, u.text, score(u, sid)))
    statements = []
    for s in report.statements:
        ev = sorted(evidence[s.id], key=lambda t: -t[2])
        level = strength([(text, x) for _, text, x in ev], s.score)
        statements.append(replace(s, strength=level, evidence=tuple(uid for uid, _, _ in ev)))
    pillars = tuple(
        replace(p, covered=sum(1 for s in statements if s.pillar == p.name and s.strength in COVERED))
        for p in report.pillars
    )
    return replace(report, units=units, statements=tuple(statements), pillars=pillars)
