"""The learning curve: a user's corrections replayed from gold labels, and the documents left out scored.

Protocol (README, "Learning from corrections"):

- Corrections belong to one ladder, so the documents of all dev sets are pooled per ladder, in a
  fixed order that alternates the sets (each set's documents by name: set A's first, set B's
  first, A's second, ...), so that a user's first documents come from both sets.
- Folds: fold f of F holds out the pool's documents at positions f, f + F, f + 2F, ...; the
  others, in pool order starting after position f (cyclic), are that fold's user's documents, so
  each fold's user starts from other documents. Over the F folds every document is held out
  exactly once, so every k is scored on the same documents: all of them.
- A user reviews their documents in that order, a stage at a time (k = 0 -> 2 -> 4 -> 8): the
  documents between two stages are matched (their gold units, `match_units`) by the matcher of the
  earlier stage, and each unit is corrected to its gold labels: a predicted pair that is not gold
  is rejected, a gold pair that was predicted is confirmed, and a gold pair that was not is
  assigned (replacing a wrongly predicted statement of that unit, if any). A unit with no gold
  label and no prediction gets no correction. The matcher at stage k is
  `base.with_corrections(all corrections so far)`.
- At each k, each held-out document's gold units are matched by its fold's stage-k matcher; the
  metrics (matcher.evaluate.compute_metrics) are computed per dev set and over all documents.

The corrections live in memory only: nothing of a dev set is written anywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .core import Matcher
from .corrections import Correction
from .errors import EvalError
from .evaluate import DocRun, EvalDoc, EvalSet, Metrics, compute_metrics, gold_unit_texts, signals_of
from .learn import DEFAULT_WEIGHTS, LearnWeights
from .models import Ladder, Unit

__all__ = ["DEFAULT_KS", "CurvePoint", "LearningCurve", "corrections_for", "learning_curve", "plan_folds"]

log = logging.getLogger(__name__)

DEFAULT_KS = (0, 2, 4, 8)
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class Fold:
    """One simulated user of one ladder: the documents they correct, in order, and those held out."""

    ladder: str
    index: int
    train: tuple[str, ...]
    held_out: tuple[str, ...]


@dataclass(frozen=True)
class CurvePoint:
    """The metrics after a user corrected k documents: per dev set and over all held-out documents;
    `corrections` counts them by action, summed over every user (fold x ladder)."""

    k: int
    sets: dict[str, Metrics]
    union: Metrics
    corrections: dict[str, int]
    users: int
    refit_seconds: list[float] = field(default_factory=list)

    @property
    def corrections_per_user(self) -> float:
        return sum(self.corrections.values()) / self.users if self.users else 0.0


@dataclass(frozen=True)
class LearningCurve:
    points: tuple[CurvePoint, ...]
    folds: tuple[Fold, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [
                {
                    "k": p.k,
                    "corrections": p.corrections,
                    "users": p.users,
                    "corrections_per_user": p.corrections_per_user,
                    "refit_seconds": p.refit_seconds,
                    "sets": {s: m.to_dict() for s, m in p.sets.items()},
                    "union": p.union.to_dict(),
                }
                for p in self.points
            ],
            "folds": [
                {"ladder": f.ladder, "fold": f.index, "train": list(f.train), "held_out": list(f.held_out)}
                for f in self.folds
            ],
        }


def _units(doc: EvalDoc) -> list[Unit]:
    """The document's gold units as Units, with the splitter's signals (as `eval` scores them)."""
    texts = gold_unit_texts(doc)
    signals = signals_of(doc, texts)
    return [Unit(f"g{i}", t, i + 1, i + 1, signals=sig) for i, (t, sig) in enumerate(zip(texts, signals, strict=True))]


def _run(m: Matcher, doc: EvalDoc) -> DocRun:
    """What the matcher (its reports, corrections applied) says about the document's gold units."""
    units = _units(doc)
    report = m.match_units(units)
    scores = m.score([u.text for u in units], [u.signals for u in units]).scores
    return DocRun(tuple(u.text for u in units), scores, tuple(frozenset(u.evidences) for u in report.units))


def corrections_for(m: Matcher, doc: EvalDoc) -> list[Correction]:
    """A user correcting the matcher's report on `doc` to its gold labels (see the module doc)."""
    units = _units(doc)
    report = m.match_units(units)
    out: list[Correction] = []
    for unit, result, gold in zip(units, report.units, doc.gold, strict=True):
        predicted = list(result.evidences)
        wrong = [sid for sid in predicted if sid not in gold]
        ids = [s.id for s in doc.ladder.statements if s.id in gold]

        def made(action: str, sid: str, replaces: str = "", unit: Unit = unit) -> Correction:
            return Correction(action, unit.text, sid, doc.ladder.id, replaces, author="replay", unit_id=unit.id)

        out += [made("confirm", sid) for sid in ids if sid in predicted]
        for sid in ids:
            if sid not in predicted:
                out.append(made("assign", sid, wrong.pop(0) if wrong else ""))
        out += [made("reject", sid) for sid in wrong]
    return out


def plan_folds(docs: Sequence[EvalDoc], sets: Sequence[EvalSet], folds: int) -> list[Fold]:
    """The folds of every ladder (see the module doc); `docs` are named "set/doc"."""
    out: list[Fold] = []
    for ladder in sorted({d.ladder.id for d in docs}):
        per_set = [[d.doc for d in docs if d.ladder.id == ladder and d.doc.startswith(f"{s.name}/")] for s in sets]
        pool = [name for group in _zip_longest(per_set) for name in group]
        n = len(pool)
        for f in range(min(folds, n)):
            held = tuple(pool[i] for i in range(f, n, folds))
            train = tuple(pool[(f + j) % n] for j in range(1, n) if pool[(f + j) % n] not in held)
            out.append(Fold(ladder, f, train, held))
    return out


def _zip_longest(groups: list[list[str]]) -> list[list[str]]:
    longest = max((len(g) for g in groups), default=0)
    return [[g[i] for g in groups if i < len(g)] for i in range(longest)]


def learning_curve(
    sets: Sequence[EvalSet],
    factory: Callable[[Ladder], Matcher],
    *,
    ks: Sequence[int] = DEFAULT_KS,
    folds: int = DEFAULT_FOLDS,
    max_folds: int | None = None,
    weights: LearnWeights = DEFAULT_WEIGHTS,
) -> LearningCurve:
    """Replay the gold labels of a user's first k documents as corrections and score the held-out
    documents, for each k (see the module doc). `factory` gives the base Matcher of a ladder;
    `max_folds` runs only the first folds of each ladder (a quick look); `weights` are the learned
    pairs' sample weights (matcher.learn.LearnWeights; to measure others)."""
    ks = sorted(set(ks))
    if not ks or ks[0] < 0:
        raise EvalError(f"learning curve: k values must be 0 or more, not {ks}.")
    if folds < 2:
        raise EvalError(f"learning curve: at least 2 folds are needed to hold documents out, not {folds}.")
    docs = [replace(d, doc=f"{s.name}/{d.doc}") for s in sets for d in s.docs]
    plan = plan_folds(docs, sets, folds)
    if max_folds is not None:
        plan = [f for f in plan if f.index < max_folds]
    for f in plan:
        if len(f.train) < ks[-1]:
            raise EvalError(
                f"learning curve: ladder {f.ladder} fold {f.index} has {len(f.train)} documents to learn from, "
                f"fewer than k = {ks[-1]}; give more documents, fewer folds, or a smaller k."
            )
    by_name = {d.doc: d for d in docs}
    runs: dict[int, dict[str, DocRun]] = {k: {} for k in ks}
    made: dict[int, dict[str, int]] = {k: {"confirm": 0, "reject": 0, "assign": 0} for k in ks}
    seconds: dict[int, list[float]] = {k: [] for k in ks}
    for f in plan:
        base = factory(by_name[f.held_out[0]].ladder)
        current, corrections, done = base, [], 0
        for k in ks:
            for name in f.train[done:k]:
                corrections += corrections_for(current, by_name[name])
            if k != done:
                started = time.perf_counter()
                current = base.with_corrections(corrections, weights=weights)
                seconds[k].append(time.perf_counter() - started)
            done = k
            for c in corrections:
                made[k][c.action] += 1
            for name in f.held_out:
                runs[k][name] = _run(current, by_name[name])
        log.info("learning curve: %s fold %d done", f.ladder, f.index)
    scored = [d for d in docs if d.doc in runs[ks[0]]]
    points = []
    for k in ks:
        per_set = {}
        for s in sets:
            mine = [d for d in scored if d.doc.startswith(f"{s.name}/")]
            if mine:
                per_set[s.name] = compute_metrics(mine, [runs[k][d.doc] for d in mine])
        union = compute_metrics(scored, [runs[k][d.doc] for d in scored])
        points.append(CurvePoint(k, per_set, union, made[k], len(plan), seconds[k]))
    return LearningCurve(tuple(points), tuple(plan))
