"""The Matcher: one ladder, one embedder, one evidence index and scorer; documents in, Reports out.

`Matcher.from_ladder(...)` builds those parts (preparing the model first: matcher.prepare);
`Matcher(...)` takes them already built. The matcher knows nothing of the optional LLM: that is a
Report -> Report step applied afterwards (matcher.llm.Assistant.augment).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal, overload

import numpy as np

from .config import Settings
from .corrections import Correction, apply_corrections
from .coverage import STRONG_SCORE, STRONG_UNITS, with_coverage
from .embed import Embedder
from .errors import DocumentError, DocumentTooLarge, ModelError
from .exemplars import ExemplarSet, load_exemplars
from .index import EvidenceIndex, build_entries
from .ladder import load_ladder
from .learn import DEFAULT_WEIGHTS, LearnWeights, learn, relevant
from .models import Ladder, Unit
from .report import Match, PillarCoverage, Report, StatementResult, UnitResult
from .scoring import Scored, Scorer

__all__ = ["STRONG_SCORE", "STRONG_UNITS", "TOP_MATCHES", "Matcher", "split_document"]

log = logging.getLogger(__name__)

TOP_MATCHES = 5
# Units per encoder call in match_many: big enough that length-sorted batches pad little (the bench
# measured 0.81x of the raw encoder at 256, 0.96x at 1024), small enough to stream.
STREAM_CHUNK = 1024


class Matcher:
    """Matches brag documents against one ladder.

    >>> m = Matcher.from_ladder("lead-software-engineer")
    >>> report = m.match("- Led the incident review for the March outage")
    """

    def __init__(
        self,
        ladder: Ladder,
        embedder: Embedder,
        index: EvidenceIndex,
        scorer: Scorer,
        *,
        exemplars: ExemplarSet | None = None,
        borrowed: dict[str, str] | None = None,
        settings: Settings | None = None,
    ) -> None:
        """Parts already built (see `from_ladder`): `index` holds the ladder's entries embedded by
        `embedder`, `scorer` scores against it; `exemplars` are those in the index and `borrowed`
        maps a statement id to the shipped ladder its exemplars were borrowed from."""
        self.ladder = ladder
        self.embedder = embedder
        self.index = index
        self.scorer = scorer
        self.exemplars = exemplars if exemplars is not None else ExemplarSet()
        self.borrowed = dict(borrowed or {})
        self.settings = settings or Settings.from_env()
        # The corrections this matcher learned from and applies to every report (with_corrections),
        # and the parts before any, which with_corrections starts again from.
        self.corrections: tuple[Correction, ...] = ()
        self._base = (index, scorer)

    @classmethod
    def from_ladder(
        cls,
        ladder: str | Path | Ladder,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        exemplars: ExemplarSet | None = None,
        model: str | None = None,
        backend: str | None = None,
        cache_dir: str | Path | None = None,
    ) -> Matcher:
        """A Matcher for a corpus ladder id, a ladder file, or a Ladder.

        Prepares the model (fine-tune and export once per machine, then cached) unless `embedder`
        is given, borrows exemplars for a ladder that has none, and loads or builds the index and
        the scoring head. `model`, `backend` and `cache_dir` override `settings` (default: the
        environment).
        """
        settings = settings or Settings.from_env()
        overrides = {"model": model, "backend": backend, "cache_dir": cache_dir}
        if any(v is not None and v != "" for v in overrides.values()):
            settings = settings.replace(**overrides)
        lad = ladder if isinstance(ladder, Ladder) else load_ladder(ladder)
        if embedder is None:
            from .prepare import prepare_model

            embedder = prepare_model(settings)
        borrowed: dict[str, str] = {}
        if exemplars is None:
            exemplars = load_exemplars(lad)
            if not len(exemplars):
                from .carryover import carry_over, shipped_donors

                carried = carry_over(lad, shipped_donors(exclude=lad.id), embedder)
                exemplars, borrowed = carried.exemplars, carried.sources
        index = EvidenceIndex.build(build_entries(lad, exemplars), embedder, settings.cache_dir)
        scorer = Scorer(lad, index, settings.cache_dir)
        return cls(lad, embedder, index, scorer, exemplars=exemplars, borrowed=borrowed, settings=settings)

    # -- public API ----------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """What makes this ladder's results less trustworthy than the shipped ladders' (for the report)."""
        n = len(self.ladder.statements)
        missing = [s for s in self.ladder.statements if not self.exemplars.by_statement.get(s.id)]
        out = []
        if self.borrowed:
            donors = ", ".join(sorted(set(self.borrowed.values())))
            out.append(
                f"Ladder {self.ladder.id!r} has no evidence exemplars of its own: {len(self.borrowed)} of its "
                f"{n} statements borrow those of the most similar statement of {donors}. It is matched "
                "less accurately than a shipped ladder; treat its scores as rough, or write exemplars "
                "for it with `evidence-matcher expand`."
            )
        if missing and len(missing) == n:
            out.append(
                f"Ladder {self.ladder.id!r} has no evidence exemplars, so it is matched on statement text "
                "alone and much less accurately. Treat its scores as rough; `evidence-matcher expand` can "
                "write exemplars for it."
            )
        elif missing:
            out.append(
                f"{len(missing)} statements of {self.ladder.id!r} have no evidence exemplars and are "
                "matched less accurately."
            )
        return out

    def using(self, embedder: Embedder) -> Matcher:
        """This matcher (same ladder, index and scorer) encoding documents with `embedder`, which
        must produce the same vectors: e.g. the same model behind another line cache."""
        if embedder.fingerprint != self.embedder.fingerprint:
            raise ModelError(
                f"Matcher.using() needs the model the index was built with ({self.embedder.fingerprint}), "
                f"not {embedder.fingerprint}; build a new Matcher for another model."
            )
        view = copy.copy(self)
        view.embedder = embedder
        return view

    def with_corrections(
        self, corrections: Sequence[Correction], *, weights: LearnWeights = DEFAULT_WEIGHTS
    ) -> Matcher:
        """This matcher (same ladder and embedder) learning from a user's corrections, in the order
        they were made: confirmed and assigned pairs become extra exemplars and rejected pairs hard
        negatives of a refitted head and check (matcher.learn; seconds, no fine-tune, in memory
        only), and every report it makes has them applied (`apply_corrections`), so a rejected
        (text, statement) is never claimed again for that text and a confirmed one always is.

        The corrections replace any this matcher had (pass them all); those about another ladder
        are ignored, and `with_corrections([])` behaves exactly as the matcher without any.
        `weights` are the sample weights of confirmed and rejected pairs against a shipped
        exemplar's 1 (the default was chosen by the learning curve; matcher.learn.LearnWeights).
        """
        base_index, base_scorer = self._base
        mine = relevant(self.ladder, corrections)
        learned = learn(self.ladder, base_index, self.embedder, mine, weights)
        view = copy.copy(self)
        view.index, view.scorer = (learned.index, learned.scorer) if learned else (base_index, base_scorer)
        view.corrections = mine
        return view

    def split(self, text: str) -> list[Unit]:
        """Split a document into units, enforcing the size and unit limits."""
        return split_document(text, self.settings)

    def match(self, text: str) -> Report:
        """Split and match one document."""
        return self.match_units(self.split(text))

    def match_units(self, units: Sequence[Unit]) -> Report:
        """Match already-split units (e.g. gold units in an evaluation)."""
        vecs = self.embedder.encode([u.text for u in units])
        return self._report(units, self.scorer.score(vecs, [u.signals for u in units]))

    @overload
    def match_many(self, texts: Iterable[str], *, errors: Literal["raise"] = "raise") -> Iterator[Report]: ...

    @overload
    def match_many(self, texts: Iterable[str], *, errors: Literal["yield"]) -> Iterator[Report | DocumentError]: ...

    def match_many(self, texts: Iterable[str], *, errors: str = "raise") -> Iterator[Report | DocumentError]:
        """Match many documents, batching the encoder across them; yields reports in order.

        A generator, so a large batch streams: only about STREAM_CHUNK units' worth is held at a
        time. With `errors="yield"`, a document refused by `split` (too large, too many units)
        yields its DocumentError in its place instead of ending the batch, so positions still
        line up with `texts`.
        """
        if errors not in ("raise", "yield"):
            raise ValueError(f"errors must be 'raise' or 'yield', not {errors!r}")
        pending: list[list[Unit] | DocumentError] = []
        n_units = 0
        for text in texts:
            try:
                units: list[Unit] | DocumentError = self.split(text)
            except DocumentError as exc:
                if errors == "raise":
                    raise
                units = exc
            pending.append(units)
            n_units += len(units) if isinstance(units, list) else 0
            if n_units >= STREAM_CHUNK or len(pending) >= STREAM_CHUNK:
                yield from self._match_batch(pending)
                pending, n_units = [], 0
        if pending:
            yield from self._match_batch(pending)

    def score(self, texts: Sequence[str], signals: Sequence[frozenset[str]] | None = None) -> Scored:
        """Calibrated scores (texts x statements, ladder order) and decisions for unit texts;
        `signals` are the units' signals from the splitter (matcher.brag), when known. The scorer's
        own figures: corrections are applied to reports only (a learned scorer is used, though)."""
        return self.scorer.score(self.embedder.encode(list(texts)), signals)

    # -- internals -----------------------------------------------------------------------------

    def _match_batch(self, docs: list[list[Unit] | DocumentError]) -> Iterator[Report | DocumentError]:
        flat = [u for units in docs if isinstance(units, list) for u in units]
        scored = self.scorer.score(self.embedder.encode([u.text for u in flat]), [u.signals for u in flat])
        start = 0
        for units in docs:
            if isinstance(units, DocumentError):
                yield units  # only with errors="yield"
                continue
            end = start + len(units)
            yield self._report(units, Scored(scored.scores[start:end], scored.decisions[start:end]))
            start = end

    def _report(self, units: Sequence[Unit], scored: Scored) -> Report:
        statements = self.ladder.statements
        scores, decisions = scored.scores, scored.decisions
        unit_results: list[UnitResult] = []
        unit_scores: dict[int, dict[str, float]] = {}
        for u, row, chosen in zip(units, scores, decisions, strict=True):
            top = np.argsort(-row, kind="stable")[:TOP_MATCHES]
            matches = tuple(
                Match(statements[i].id, statements[i].text, statements[i].pillar, float(row[i])) for i in top
            )
            result = UnitResult(
                u.id,
                u.text,
                u.line,
                u.section,
                matches,
                tuple(statements[i].id for i in chosen),
                end_line=u.end_line,
                signals=tuple(sorted(u.signals)),
            )
            unit_scores[id(result)] = {statements[i].id: float(row[i]) for i in chosen}
            unit_results.append(result)
        best = scores.max(axis=0) if len(units) else np.zeros(len(statements))
        closest = [unit_results[int(i)].id for i in scores.argmax(axis=0)] if len(units) else [""] * len(statements)
        results = tuple(
            StatementResult(s.id, s.pillar, s.text, "none", float(best[j]), (), closest=closest[j])
            for j, s in enumerate(statements)
        )
        pillars = tuple(PillarCoverage(p.name, 0, len(p.statements)) for p in self.ladder.pillars)
        meta = {
            "model": self.embedder.name,
            "backend": self.embedder.backend,
            "exemplars": len(self.exemplars),
            "exemplars_borrowed": len(self.borrowed),
            "warnings": self.warnings,
        }
        if self.corrections:
            meta["learned_from"] = len(self.corrections)
        lad = {"id": self.ladder.id, "title": self.ladder.title, "level": self.ladder.level}
        report = Report(lad, tuple(unit_results), results, pillars, meta)
        # Scores from the full rows, so an evidence outside a unit's top matches still counts.
        report = with_coverage(report, score=lambda u, sid: unit_scores[id(u)][sid])
        return apply_corrections(report, self.corrections) if self.corrections else report


def split_document(text: str, settings: Settings) -> list[Unit]:
    """Split a document into units, refusing it past MATCHER_MAX_BYTES or MATCHER_MAX_UNITS.

    A module function, so front ends can refuse a document before they load a model.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > settings.max_bytes:
        raise DocumentTooLarge(
            f"The document is {size:,} bytes, over the {settings.max_bytes:,}-byte limit. "
            "Split it, or raise MATCHER_MAX_BYTES."
        )
    from .brag import split_units

    units = split_units(text)
    if len(units) > settings.max_units:
        raise DocumentTooLarge(
            f"The document has {len(units):,} units, over the {settings.max_units:,}-unit limit. "
            "Split it, or raise MATCHER_MAX_UNITS."
        )
    return units
