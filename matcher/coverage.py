"""Coverage: how strongly each statement is evidenced, and how many statements each pillar covers.

One pure function used by everything that decides or changes which units evidence which
statements (the matcher, the LLM judge), so the strength rule is written once:

- "none": no unit evidences the statement;
- "strong": STRONG_UNITS or more units evidence it, or the best one scores at least STRONG_SCORE;
- "partial": otherwise.

A pillar covers a statement whose strength is not "none".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .report import Report, UnitResult

__all__ = ["STRONG_SCORE", "STRONG_UNITS", "match_score", "strength", "with_coverage"]

# A statement evidenced by a single unit is "strong" only when that unit's score reaches this;
# two or more evidencing units make it strong regardless.
STRONG_SCORE = 0.85
STRONG_UNITS = 2


def strength(scores: Sequence[float]) -> str:
    """The strength of a statement from the scores of the units that evidence it."""
    if not scores:
        return "none"
    if len(scores) >= STRONG_UNITS or max(scores) >= STRONG_SCORE:
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
    evidence: dict[str, list[tuple[str, float]]] = {s.id: [] for s in report.statements}
    for u in units:
        for sid in u.evidences:
            if sid in evidence:
                evidence[sid].append((u.id, score(u, sid)))
    statements = []
    for s in report.statements:
        ev = sorted(evidence[s.id], key=lambda t: -t[1])
        statements.append(replace(s, strength=strength([x for _, x in ev]), evidence=tuple(uid for uid, _ in ev)))
    pillars = tuple(
        replace(p, covered=sum(1 for s in statements if s.pillar == p.name and s.strength != "none"))
        for p in report.pillars
    )
    return replace(report, units=units, statements=tuple(statements), pillars=pillars)
