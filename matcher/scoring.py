"""Turn unit embeddings into calibrated per-statement scores and evidence decisions.

With exemplars (the shipped ladders, or any ladder with an `.exemplars.md` file): a multinomial
logistic-regression head over the statements plus a "no evidence" class, fitted on the exemplar,
statement and noise-line embeddings. Without exemplars: cosine to the statement text, which is far
less accurate (the report says so).

Every score is mapped so that DECIDE = 0.5 is the decision line and 1.0 is certainty; see README,
"How matching works".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .head import Head, fit_head
from .index import EvidenceIndex
from .models import Ladder

__all__ = ["DECIDE", "MAX_EVIDENCES", "Scored", "Scorer"]

log = logging.getLogger(__name__)

# The calibrated score at which a unit evidences a statement.
DECIDE = 0.5
MAX_EVIDENCES = 3

# Head: the class probability at which a unit evidences a statement (maps to DECIDE), the L2
# strength of the logistic regression, and how strong a second or third label must be relative to
# the unit's best one. Chosen on the dev set (README, "Evaluation").
HEAD_THRESHOLD = 0.18
HEAD_C = 4.0
HEAD_RELATIVE = 0.5
# A unit whose "no evidence" probability reaches NOISE_GATE evidences nothing, unless its best
# statement is more probable than no evidence at all.
NOISE_GATE = 0.2

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


def _decide(raw: np.ndarray, threshold: float, relative: float) -> tuple[tuple[int, ...], ...]:
    out = []
    for row in raw:
        order = np.argsort(-row, kind="stable")[:MAX_EVIDENCES]
        best = row[order[0]] if len(order) else 0.0
        out.append(tuple(int(j) for j in order if row[j] >= threshold and row[j] >= relative * best))
    return tuple(out)


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

    def _fit_head(self, cache_dir: Path | None) -> Head:
        noise_class = len(self._pos)
        X, y = [], []
        for e, v in zip(self.index.entries, self.index.vectors, strict=True):
            if e.kind in ("exemplar", "statement") and e.statement_id in self._pos:
                X.append(v)
                y.append(self._pos[e.statement_id])
            elif e.kind == "noise":
                X.append(v)
                y.append(noise_class)
        head = fit_head(np.array(X), np.array(y), HEAD_C, cache_dir=cache_dir, index_key=self.index.key)
        # Map the head's class order back to statement order (a class can only be absent if a
        # statement has neither text nor exemplars, which the parser does not produce).
        self._cols = [head.column(i) for i in range(len(self._pos))]
        self._noise_col = head.column(noise_class)
        return head

    def score(self, unit_vecs: np.ndarray) -> Scored:
        n_stmt = len(self._pos)
        if len(unit_vecs) == 0:
            return Scored(np.zeros((0, n_stmt), np.float32), ())
        if self._head is None:
            return self._cosine(unit_vecs)
        proba = self._head.predict_proba(unit_vecs)
        raw = np.stack([proba[:, c] if c >= 0 else np.zeros(len(unit_vecs)) for c in self._cols], axis=1)
        scores = _calibrate(raw, HEAD_THRESHOLD)
        noise = proba[:, self._noise_col] if self._noise_col >= 0 else np.zeros(len(unit_vecs))
        gated = (noise >= NOISE_GATE) & (raw.max(axis=1) < noise)
        raw = np.where(gated[:, None], 0.0, raw)
        if not self._bare.any():
            return Scored(scores, _decide(raw, HEAD_THRESHOLD, HEAD_RELATIVE))
        # Statements without exemplars have one training point each, so the head all but never picks
        # them: they are scored on statement text instead, and decided on the common calibrated scale.
        cosine = self._cosine(unit_vecs).scores
        scores[:, self._bare] = np.maximum(scores[:, self._bare], cosine[:, self._bare])
        # The gate speaks only for the statements the head knows; bare ones stand on their text.
        gate = gated[:, None] & ~self._bare[None, :]
        return Scored(scores, _decide(np.where(gate, 0.0, scores), DECIDE, HEAD_RELATIVE))

    def _cosine(self, unit_vecs: np.ndarray) -> Scored:
        sims = self.index.similarities(unit_vecs)[:, self._stmt_rows]
        scores = _calibrate(sims, COSINE_THRESHOLD, COSINE_THRESHOLD + COSINE_SPAN)
        return Scored(scores, _decide(sims, COSINE_THRESHOLD, COSINE_RELATIVE))
