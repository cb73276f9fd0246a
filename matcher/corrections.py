"""Corrections: a person's verdict on an (item, statement) pair, and a report with them applied.

Three actions, made on one item of a report:

- "confirm": the item does evidence the statement (it stays, or is added if the matcher held it
  below the line);
- "reject": it does not (the pair is removed, and never claimed again for the same text);
- "assign": it evidences another statement instead: `statement_id` is added and `replaces` (the
  statement it was shown under, if any) is removed.

Corrections stick to the item's *text* (whitespace and case folded), not to a report's unit ids, so
they apply to every later report that contains the same line: the next review cycle's document,
a re-pasted one, a teammate's copy. For one (text, statement) pair the latest correction wins.
Applying them is pure: the report's evidences change, and coverage, strengths and every export
follow (matcher.coverage).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .coverage import DECIDE, match_score, with_coverage
from .report import Report, UnitResult
from .text import collapse_ws

__all__ = ["ACTIONS", "Correction", "apply_corrections", "text_key", "verdicts"]

ACTIONS = ("confirm", "reject", "assign")


def text_key(text: str) -> str:
    """The key a correction sticks to: the item's text, Unicode-normalised, whitespace and case folded."""
    return collapse_ws(unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Correction:
    """One verdict on an (item text, statement) pair, by `author` at `at` (ISO 8601, UTC)."""

    action: str
    text: str
    statement_id: str
    ladder_id: str = ""
    replaces: str = ""
    author: str = ""
    at: str = ""
    unit_id: str = ""

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"a correction's action is one of {', '.join(ACTIONS)}, not {self.action!r}")
        if not self.statement_id:
            raise ValueError("a correction needs the statement it is about (statement_id)")
        if self.replaces and self.action != "assign":
            raise ValueError(f"only 'assign' replaces a statement, not {self.action!r}")
        if not text_key(self.text):
            raise ValueError("a correction needs the item's text")

    @property
    def key(self) -> str:
        return text_key(self.text)

    def pairs(self) -> list[tuple[str, bool]]:
        """(statement id, evidences?) verdicts this correction makes about its text."""
        out = [(self.statement_id, self.action != "reject")]
        if self.replaces and self.replaces != self.statement_id:
            out.append((self.replaces, False))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "text": self.text,
            "statement_id": self.statement_id,
            "ladder_id": self.ladder_id,
            "replaces": self.replaces,
            "author": self.author,
            "at": self.at,
            "unit_id": self.unit_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Correction:
        return cls(**{k: str(data.get(k) or "") for k in cls.__dataclass_fields__})


def _for_ladder(corrections: Iterable[Correction], ladder_id: str) -> list[Correction]:
    return [c for c in corrections if not c.ladder_id or not ladder_id or c.ladder_id == ladder_id]


def verdicts(corrections: Iterable[Correction], ladder_id: str = "") -> dict[tuple[str, str], bool]:
    """(text key, statement id) -> whether the text evidences the statement, the latest
    correction winning (corrections in the order they were made)."""
    out: dict[tuple[str, str], bool] = {}
    for c in _for_ladder(corrections, ladder_id):
        for sid, evidences in c.pairs():
            out[(c.key, sid)] = evidences
    return out


def apply_corrections(report: Report, corrections: Sequence[Correction]) -> Report:
    """`report` with `corrections` (in the order they were made) applied to every item whose text
    they are about; statements of another ladder, or unknown to this report, are ignored.

    A confirmed or assigned pair counts with at least a score of DECIDE (a strong statement still
    needs two items or a strong score); a rejected one is removed, and a statement whose closest
    item was rejected for it gets its next-closest item instead.
    """
    ladder_id = str(report.ladder.get("id", ""))
    relevant = _for_ladder(corrections, ladder_id)
    if not relevant:
        return report
    known = {s.id for s in report.statements}
    verdict = {k: v for k, v in verdicts(relevant).items() if k[1] in known}
    by_key: dict[str, list[Correction]] = {}
    for c in relevant:
        by_key.setdefault(c.key, []).append(c)
    units: list[UnitResult] = []
    applied = 0
    for u in report.units:
        key = text_key(u.text)
        made = by_key.get(key)
        if not made:
            units.append(u)
            continue
        evidences = [sid for sid in u.evidences if verdict.get((key, sid), True)]
        evidences += [sid for (k, sid), yes in verdict.items() if k == key and yes and sid not in evidences]
        applied += len(made)
        extra = {**u.extra, "corrections": [_shown(c) for c in made]}
        units.append(replace(u, evidences=tuple(evidences), extra=extra))
    rejected = {(k, sid) for (k, sid), yes in verdict.items() if not yes}
    confirmed = {(k, sid) for (k, sid), yes in verdict.items() if yes}
    statements = tuple(_closest_allowed(s, units, rejected) for s in report.statements)

    def score(u: UnitResult, sid: str) -> float:
        x = match_score(u, sid)
        return max(x, DECIDE) if (text_key(u.text), sid) in confirmed else x

    meta = {**report.meta, "corrections": applied}
    out = replace(report, statements=statements, meta=meta)
    return with_coverage(out, units, score=score)


def _shown(c: Correction) -> dict[str, str]:
    """A correction as a report's unit carries it (its text is the unit's own)."""
    return {k: v for k, v in c.to_dict().items() if k not in ("text", "ladder_id", "unit_id")}


def _closest_allowed(s, units: Sequence[UnitResult], rejected: set[tuple[str, str]]):
    """The statement with its best score and closest item over items not rejected for it."""
    by_id = {u.id: u for u in units}
    closest = by_id.get(s.closest)
    if closest is None or (text_key(closest.text), s.id) not in rejected:
        return s
    best, best_id = 0.0, ""
    for u in units:
        if (text_key(u.text), s.id) in rejected:
            continue
        x = match_score(u, s.id)
        if x > best:
            best, best_id = x, u.id
    return replace(s, score=best, closest=best_id)
