"""Learning from corrections: a ladder's evidence index and scorer refitted with a user's verdicts.

Confirmed and assigned (text, statement) pairs join the index as extra exemplars ("confirmed"
entries) and rejected pairs as hard negatives ("negative" entries): the pair check trains each
rejected pair as a non-evidence pair, and the head trains a rejected text that no verdict confirms
for any statement as a no-evidence line. Only the light parts are refitted (head and check, a few
seconds); the model is not fine-tuned. The base entries keep their vectors, and only the corrected
lines are encoded (they were just matched, so the embedder's line cache usually holds them).

Nothing here touches disk: the corrected index, head and check live in memory only, since they
hold the user's own lines (README, "Reliability and privacy").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .corrections import Correction, text_key, verdicts
from .embed import Embedder
from .index import Entry, EvidenceIndex, entries_key
from .models import Ladder
from .scoring import Scorer

__all__ = ["DEFAULT_WEIGHTS", "LearnWeights", "Learned", "learn", "learned_entries", "relevant"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LearnWeights:
    """Sample weights of a user's pairs in the head and the check, against 1 for a shipped exemplar
    or noise line: a few dozen corrections among ~1,300 training lines barely move a fit at 1.

    Rejections weigh more than confirmations: a rejected pair is a mistake the matcher made, while
    most confirmed pairs are ones it already got right. Chosen by the learning curve on both dev
    sets together (README, "Learning from corrections")."""

    confirmed: float = 2.0
    rejected: float = 8.0


DEFAULT_WEIGHTS = LearnWeights()


@dataclass(frozen=True)
class Learned:
    """The refitted parts, and the corrections they learned from."""

    index: EvidenceIndex
    scorer: Scorer
    entries: tuple[Entry, ...]


def relevant(ladder: Ladder, corrections: Sequence[Correction]) -> tuple[Correction, ...]:
    """The corrections about this ladder (those naming another ladder are dropped; those naming
    none are kept) and about one of its statements."""
    known = {s.id for s in ladder.statements}
    return tuple(
        c
        for c in corrections
        if (not c.ladder_id or c.ladder_id == ladder.id)
        and (c.statement_id in known or (c.replaces and c.replaces in known))
    )


def learned_entries(
    ladder: Ladder, corrections: Sequence[Correction], weights: LearnWeights = DEFAULT_WEIGHTS
) -> list[Entry]:
    """One entry per (text, statement) verdict, the latest correction winning: "confirmed" for a
    pair that evidences, "negative" for one rejected; statements the ladder lacks are skipped."""
    pillar = {s.id: s.pillar for s in ladder.statements}
    text_of: dict[str, str] = {}
    for c in corrections:
        text_of[c.key] = c.text  # the latest wording of the line is the one embedded
    out = []
    for (key, sid), evidences in verdicts(corrections, ladder.id).items():
        if sid in pillar:
            kind, weight = ("confirmed", weights.confirmed) if evidences else ("negative", weights.rejected)
            out.append(Entry(kind, text_of[key], sid, pillar[sid], weight))
    return out


def learn(
    ladder: Ladder,
    base: EvidenceIndex,
    embedder: Embedder,
    corrections: Sequence[Correction],
    weights: LearnWeights = DEFAULT_WEIGHTS,
) -> Learned | None:
    """The index and scorer of `base` refitted with `corrections` (their pairs at `weights`); None
    when they make no verdict about this ladder (then the base parts serve as they are)."""
    extra = learned_entries(ladder, relevant(ladder, corrections), weights)
    if not extra:
        return None
    entries = [*base.entries, *extra]
    vectors = np.vstack([base.vectors, embedder.encode([e.text for e in extra])])
    # The key hashes every entry with its kind and weight, so it can never name a base index's
    # cache; it is kept for the record, nothing is written under it (cache_dir=None below).
    key = "learned-" + hashlib.sha256(entries_key(entries, embedder).encode()).hexdigest()[:16]
    index = EvidenceIndex(entries, vectors, key)
    scorer = Scorer(ladder, index, None)
    n_neg = sum(e.kind == "negative" for e in extra)
    log.info(
        "learned %d pairs (%d confirmed, %d rejected) for %s from %d lines",
        len(extra),
        len(extra) - n_neg,
        n_neg,
        ladder.id,
        len({text_key(e.text) for e in extra}),
    )
    return Learned(index, scorer, tuple(extra))
