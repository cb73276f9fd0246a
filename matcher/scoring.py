"""Turn unit embeddings into calibrated per-statement scores and evidence decisions.

With exemplars (the shipped ladders, or any ladder with an `.exemplars.md` file): a multinomial
logistic-regression head over the statements plus a "no evidence" class, fitted on the exemplar,
statement and noise-line embeddings, then a second-stage check of each (unit, statement) pair
(matcher.check); a unit evidences a statement only when both agree. Units whose section or tense
says they are not work done (goals, plans, talks attended, ...) are held below the line. Without
exemplars: cosine to the statement text, which is far less accurate (the report says so).

Every score is mapped so that DECIDE = 0.5 is the decision line and 1.0 is certainty; see README,
"How matching works".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .check import fit_check
from .coverage import DECIDE, POSSIBLE
from .head import Head, fit_head
from .index import EvidenceIndex
from .models import Ladder
from .report import HELD_REASONS

__all__ = ["DECIDE", "MAX_EVIDENCES", "NOT_WORK_DONE", "POSSIBLE", "Scored", "Scorer", "head_training_set"]

log = logging.getLogger(__name__)

MAX_EVIDENCES = 3

# Head: the class probability at which a unit evidences a statement (maps to DECIDE) and the L2
# strength of the logistic regression. Second-stage check: the pair probability that maps to
# DECIDE. A unit evidences a statement only when both reach their line. Chosen on the two dev sets
# together (README, "Evaluation").
HEAD_THRESHOLD = 0.24
HEAD_C = 4.0
CHECK_THRESHOLD = 0.3
# Unit signals (matcher.brag) that say an item is not work done: goals and plans, talks and
# courses attended, life outside work, feedback received, and items in the future, conditional,
# a question or a to-do. "What I learned" is not among them: acting on something learned is
# evidence of staying informed. Such units are scored, and held below the line.
NOT_WORK_DONE = frozenset(HELD_REASONS)
HELD_BELOW = 0.39
# The highest score below the line: low enough that no display rounding (2 or 4 places) shows a
# score that is not evidence as 0.50, so "0.50 or more" always reads as evidence.
BELOW_LINE = 0.494

# Without exemplars: the cosine to the statement text that maps to DECIDE, and the cosine span
# over which the score rises from DECIDE to 1. Chosen with a model fine-tuned without the ladder's
# exemplars (the software-engineer ones only), on the data-engineer dev documents.
COSINE_THRESHOLD = 0.30
COSINE_SPAN = 0.35
COSINE_RELATIVE = 0.8


@dataclass(frozen=True)
class Scored:
    """Calibrated scores (units x statements, ladder order) and each unit's chosen statements."""

    scores: np.ndarray
    decisions: tuple[tuple[int, ...], ...]


def _calibrate(p: np.ndarray, threshold: float, top: float = 1.0) -> np.ndarray:
    """Piecewise-linear map of a raw score onto 0..1 with `threshold` landing on DECIDE."""
    p = np.clip(p, 0.0, top)
    low = DECIDE * p / threshold
    high = DECIDE + (1 - DECIDE) * (p - threshold) / (top - threshold)
    return np.where(p < threshold, low, high).astype(np.float32)


def _decide(scores: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """Each unit's statements at or above DECIDE, best first, at most MAX_EVIDENCES (the most any
    dev-set unit carries). Scores of any beyond the cap are set just below the line in place, so a
    score at or above DECIDE always means evidence."""
    out = []
    for row in scores:
        order = [int(j) for j in np.argsort(-row, kind="stable") if row[j] >= DECIDE]
        for j in order[MAX_EVIDENCES:]:
            row[j] = BELOW_LINE
        out.append(tuple(order[:MAX_EVIDENCES]))
    return tuple(out)


def head_training_set(index: EvidenceIndex, pos: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The head's samples, labels (a statement's position in `pos`, or len(pos) for no evidence)
    and sample weights: statements, exemplars and a user's confirmed pairs under their statement;
    noise lines, and each text a user rejected and confirmed for no statement, as no evidence."""
    noise_class = len(pos)
    confirmed = {e.text for e in index.entries if e.kind == "confirmed"}
    negatives: set[str] = set()
    rows, y, w = [], [], []
    for j, e in enumerate(index.entries):
        if e.kind in ("exemplar", "statement", "confirmed") and e.statement_id in pos:
            label = pos[e.statement_id]
        elif e.kind == "noise":
            label = noise_class
        elif e.kind == "negative" and e.text not in confirmed and e.text not in negatives:
            negatives.add(e.text)  # once per text, however many statements it was rejected for
            label = noise_class
        else:
            continue
        rows.append(j)
        y.append(label)
        w.append(e.weight)
    return index.vectors[np.array(rows, dtype=np.int64)], np.array(y), np.array(w, np.float64)


class Scorer:
    """Scores units against one ladder's statements using its evidence index."""

    def __init__(self, ladder: Ladder, index: EvidenceIndex, cache_dir: Path | None = None) -> None:
        self.ladder = ladder
        self.index = index
        ids = [s.id for s in ladder.statements]
        self._pos = {sid: i for i, sid in enumerate(ids)}
        self._stmt_rows = np.array(
            [j for sid in ids for j, e in enumerate(index.entries) if e.kind == "statement" and e.statement_id == sid],
            dtype=np.int64,
        )
        self.has_exemplars = any(e.kind == "exemplar" for e in index.entries)
        with_exemplars = {e.statement_id for e in index.entries if e.kind == "exemplar"}
        self._bare = np.array([sid not in with_exemplars for sid in ids], dtype=bool)
        self._head = self._fit_head(cache_dir) if self.has_exemplars else None
        self._check = fit_check(index, ids, index.vectors[self._stmt_rows], cache_dir) if self.has_exemplars else None

    def _fit_head(self, cache_dir: Path | None) -> Head:
        noise_class = len(self._pos)
        X, y, w = head_training_set(self.index, self._pos)
        weights = w if np.any(w != 1.0) else None
        head = fit_head(X, y, HEAD_C, cache_dir=cache_dir, index_key=self.index.key, weights=weights)
        # Map the head's class order back to statement order (a class can only be absent if a
        # statement has neither text nor exemplars, which the parser does not produce).
        self._cols = [head.column(i) for i in range(len(self._pos))]
        self._noise_col = head.column(noise_class)
        return head

    def score(self, unit_vecs: np.ndarray, signals: Sequence[frozenset[str]] | None = None) -> Scored:
        """Scores and decisions for unit vectors; `signals` (one set per unit, from matcher.brag)
        hold units that are not work done below the line."""
        n_stmt = len(self._pos)
        if len(unit_vecs) == 0:
            return Scored(np.zeros((0, n_stmt), np.float32), ())
        if self._head is None:
            scores = self._cosine(unit_vecs)
        else:
            proba = self._head.predict_proba(unit_vecs)
            raw = np.stack([proba[:, c] if c >= 0 else np.zeros(len(unit_vecs)) for c in self._cols], axis=1)
            scores = _calibrate(raw, HEAD_THRESHOLD)
            if self._check is not None:
                scores = np.minimum(scores, _calibrate(self._check.probabilities(unit_vecs), CHECK_THRESHOLD))
            if self._bare.any():
                # Statements without exemplars have one training point each, so the head all but
                # never picks them: they are scored on their text instead, on the same scale.
                scores[:, self._bare] = self._cosine(unit_vecs)[:, self._bare]
        if signals is not None:
            held = np.array([bool(sig & NOT_WORK_DONE) for sig in signals], dtype=bool)
            scores[held] = np.minimum(scores[held] * HELD_BELOW / DECIDE, HELD_BELOW)
        scores = np.where(scores < DECIDE, np.minimum(scores, BELOW_LINE), scores).astype(np.float32)
        return Scored(scores, _decide(scores))

    def _cosine(self, unit_vecs: np.ndarray) -> np.ndarray:
        sims = self.index.similarities(unit_vecs)[:, self._stmt_rows]
        scores = _calibrate(sims, COSINE_THRESHOLD, COSINE_THRESHOLD + COSINE_SPAN)
        # Text-only scores are rough: only statements close to the unit's best one may count.
        weak = sims < COSINE_RELATIVE * sims.max(axis=1, keepdims=True)
        return np.where(weak & (scores >= DECIDE), np.minimum(scores, POSSIBLE), scores).astype(np.float32)
