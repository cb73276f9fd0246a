"""Turn unit embeddings into per-statement scores and evidence decisions.

Scores are in 0..1 and calibrated so that 0.5 is the decision line: a unit evidences a statement
when its score is at least DECIDE (see README, "How matching works").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .index import EvidenceIndex
from .models import Ladder

__all__ = ["DECIDE", "MAX_EVIDENCES", "Scorer"]

log = logging.getLogger(__name__)

# A unit evidences a statement when the calibrated score reaches DECIDE ...
DECIDE = 0.5
# ... and is within RELATIVE of that unit's best score (a second label must be nearly as strong).
RELATIVE = 0.6
MAX_EVIDENCES = 3
# k of the k-nearest exemplars whose mean similarity stands for a statement.
KNN = 3


def _topk_mean(sims: np.ndarray, k: int) -> np.ndarray:
    """Mean of the k largest values along the last axis (all of them when fewer than k)."""
    if sims.shape[-1] == 0:
        return np.zeros(sims.shape[:-1], dtype=np.float32)
    k = min(k, sims.shape[-1])
    part = np.partition(sims, -k, axis=-1)[..., -k:]
    return part.mean(axis=-1)


@dataclass(frozen=True)
class Groups:
    """Index positions of each kind of entry, per statement where it applies."""

    statement: np.ndarray  # (n_statements,) entry index of each statement's own text
    exemplars: tuple[np.ndarray, ...]  # per statement
    noise: np.ndarray

    @classmethod
    def of(cls, ladder: Ladder, index: EvidenceIndex) -> Groups:
        ids = [s.id for s in ladder.statements]
        pos = {sid: i for i, sid in enumerate(ids)}
        stmt = np.zeros(len(ids), dtype=np.int64)
        ex: list[list[int]] = [[] for _ in ids]
        noise: list[int] = []
        for j, e in enumerate(index.entries):
            if e.kind == "statement":
                stmt[pos[e.statement_id]] = j
            elif e.kind == "exemplar" and e.statement_id in pos:
                ex[pos[e.statement_id]].append(j)
            elif e.kind == "noise":
                noise.append(j)
        return cls(stmt, tuple(np.array(x, dtype=np.int64) for x in ex), np.array(noise, dtype=np.int64))


class Scorer:
    """k-nearest-exemplar scoring with a noise class, calibrated into 0..1.

    For each statement: a blend of the unit's cosine to the statement text and the mean cosine to the
    statement's KNN nearest exemplars; the same for the noise lines. The calibrated score is a logistic
    of the blend and of its margin over noise.
    """

    # Blend and calibration constants (chosen on the dev set; see README).
    W_EXEMPLAR = 0.8
    CENTER = 0.50
    NOISE_WEIGHT = 1.0
    SCALE = 0.05
    # For statements with no exemplars, only the statement text is there to compare with.
    CENTER_NO_EXEMPLARS = 0.45

    def __init__(self, ladder: Ladder, index: EvidenceIndex) -> None:
        self.ladder = ladder
        self.index = index
        self.groups = Groups.of(ladder, index)
        self.has_exemplars = np.array([len(g) > 0 for g in self.groups.exemplars])

    def raw(self, unit_vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(blend per unit x statement, noise similarity per unit) before calibration."""
        sims = self.index.similarities(unit_vecs)
        stmt = sims[:, self.groups.statement]
        blend = stmt.copy()
        for i, g in enumerate(self.groups.exemplars):
            if len(g):
                blend[:, i] = self.W_EXEMPLAR * _topk_mean(sims[:, g], KNN) + (1 - self.W_EXEMPLAR) * stmt[:, i]
        noise = _topk_mean(sims[:, self.groups.noise], KNN) if len(self.groups.noise) else np.zeros(len(unit_vecs))
        return blend, noise

    def scores(self, unit_vecs: np.ndarray) -> np.ndarray:
        """Calibrated scores in 0..1, units x statements."""
        blend, noise = self.raw(unit_vecs)
        center = np.where(self.has_exemplars, self.CENTER, self.CENTER_NO_EXEMPLARS)
        margin = blend - np.maximum(noise[:, None], 0) * self.NOISE_WEIGHT * self.has_exemplars
        z = (blend - center + margin) / self.SCALE
        return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)


def decide(scores: np.ndarray) -> list[list[int]]:
    """Per unit, the statement indices it evidences: best first, at most MAX_EVIDENCES."""
    out: list[list[int]] = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:MAX_EVIDENCES]
        best = row[order[0]] if len(order) else 0.0
        out.append([int(i) for i in order if row[i] >= DECIDE and row[i] >= RELATIVE * best])
    return out
