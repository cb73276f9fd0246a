"""Carry exemplars over to a ladder that has none, from the shipped ladders, by statement similarity.

Levels of one track repeat many statements with small edits ("I stay informed on evolving
standards…" at L3, L4 and L5). A statement of a ladder without exemplars borrows the exemplars of
the most similar shipped statement when the two are close enough (cosine >= CARRY_MIN_SIMILARITY
with the embedder in use); the noise lines come along whenever any statement borrows. Statements
with no near twin keep none, and the report says how many that is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .embed import Embedder
from .exemplars import ExemplarSet, load_exemplars
from .models import Ladder

__all__ = ["CARRY_MIN_SIMILARITY", "CarryOver", "carry_over", "shipped_donors"]

log = logging.getLogger(__name__)

# Measured on the dev set by matching the data-engineer documents with a model fine-tuned on the
# software-engineer exemplars alone and exemplars carried over from that ladder (README,
# "Evaluation"): unit F1 0.07 with none carried, 0.26 at 0.8, 0.47 at 0.5, 0.46 at 0.4.
CARRY_MIN_SIMILARITY = 0.50


@dataclass(frozen=True)
class CarryOver:
    """Exemplars borrowed for a ladder, and for each statement the id of the ladder they came from."""

    exemplars: ExemplarSet
    sources: dict[str, str]


def carry_over(
    ladder: Ladder,
    donors: list[tuple[Ladder, ExemplarSet]],
    embedder: Embedder,
    min_similarity: float = CARRY_MIN_SIMILARITY,
) -> CarryOver:
    """Borrow exemplars from `donors` for each statement of `ladder` that has a near twin there."""
    pool = [(lad.id, s, ex) for lad, ex in donors for s in lad.statements if ex.by_statement.get(s.id)]
    if not pool or not ladder.statements:
        return CarryOver(ExemplarSet(), {})
    mine = embedder.encode([s.display for s in ladder.statements])
    theirs = embedder.encode([s.display for _, s, _ in pool])
    sims = mine @ theirs.T
    by_statement: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    noise: dict[str, None] = {}
    for i, s in enumerate(ladder.statements):
        j = int(np.argmax(sims[i]))
        if sims[i, j] < min_similarity:
            continue
        donor, twin, ex = pool[j]
        by_statement[s.id] = ex.by_statement[twin.id]
        sources[s.id] = donor
        noise.update(dict.fromkeys(ex.noise))
    log.info("%s: carried exemplars over for %d of %d statements", ladder.id, len(by_statement), len(ladder.statements))
    return CarryOver(ExemplarSet(by_statement, tuple(noise), source="carried over"), sources)


def shipped_donors(exclude: str = "") -> list[tuple[Ladder, ExemplarSet]]:
    """The corpus ladders that have exemplar files (except the ladder id `exclude`)."""
    from .ladder import corpus_dir, load_ladders

    out = []
    for lad in load_ladders(corpus_dir()):
        ex = load_exemplars(lad)
        if lad.id != exclude and len(ex):
            out.append((lad, ex))
    return out
