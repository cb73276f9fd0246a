"""The Matcher: one ladder, one embedder, one evidence index; documents in, Reports out."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from .config import Settings
from .embed import Embedder, get_embedder
from .errors import DocumentError, DocumentTooLarge, ModelError
from .exemplars import ExemplarSet, load_exemplars
from .index import EvidenceIndex, build_entries
from .ladder import load_ladder
from .models import Ladder, Unit
from .report import Match, PillarCoverage, Report, StatementResult, UnitResult
from .scoring import Scored, Scorer

if TYPE_CHECKING:
    from .llm import Assistant

__all__ = ["STRONG_SCORE", "TOP_MATCHES", "Matcher", "split_document"]

log = logging.getLogger(__name__)

TOP_MATCHES = 5
# A statement evidenced by a single unit is "strong" only when that unit's score reaches this;
# two or more evidencing units make it strong regardless.
STRONG_SCORE = 0.85
STRONG_UNITS = 2
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
        *,
        embedder: Embedder | None = None,
        settings: Settings | None = None,
        exemplars: ExemplarSet | None = None,
        llm: Assistant | None = None,
    ) -> None:
        self.ladder = ladder
        self.llm = llm
        self.settings = settings or Settings.from_env()
        self.embedder = embedder or get_embedder(
            self.settings.model, self.settings.backend, self.settings.model_cache_dir, tune=self.settings.tune
        )
        # Statement id -> the shipped ladder its exemplars were borrowed from (matcher.carryover).
        self.borrowed: dict[str, str] = {}
        if exemplars is None:
            exemplars = load_exemplars(ladder)
            if not len(exemplars):
                from .carryover import carry_over, shipped_donors

                borrowed = carry_over(ladder, shipped_donors(exclude=ladder.id), self.embedder)
                exemplars, self.borrowed = borrowed.exemplars, borrowed.sources
        self.exemplars = exemplars
        entries = build_entries(ladder, self.exemplars)
        self.index = EvidenceIndex.build(entries, self.embedder, self.settings.cache_dir)
        self.scorer = Scorer(ladder, self.index, self.settings.cache_dir)

    @classmethod
    def from_ladder(
        cls,
        ladder: str | Path | Ladder,
        *,
        model: str | None = None,
        backend: str | None = None,
        cache_dir: str | Path | None = None,
    ) -> Matcher:
        """A Matcher for a corpus ladder id, a ladder file, or a Ladder."""
        settings = Settings.from_env()
        if model:
            settings = replace(settings, model=model)
        if backend:
            settings = replace(settings, backend=backend)
        if cache_dir:
            settings = replace(settings, cache_dir=Path(cache_dir))
        lad = ladder if isinstance(ladder, Ladder) else load_ladder(ladder)
        return cls(lad, settings=settings)

    # -- public API ----------------------------------------------------------------------------

    @property
    def warnings(self) -> list[str]:
        """What makes this ladder's results less trustworthy than the shipped ladders' (for the report)."""
        n = len(self.ladder.statements)
        missing = [s for s in self.ladder.statements if not self.exemplars.by_statement.get(s.id)]
        out = []
        if self.borrowed:
            donors = ", ".join(sorted(set(self.borrowed.values())))
            out.append(f"Ladder {self.ladder.id!r} has no evidence exemplars of its own: {len(self.borrowed)} of its "
                       f"{n} statements borrow those of the most similar statement of {donors}. It is matched "
                       "less accurately than a shipped ladder; treat its scores as rough, or write exemplars "
                       "for it with `evidence-matcher expand`.")
        if missing and len(missing) == n:
            out.append(f"Ladder {self.ladder.id!r} has no evidence exemplars, so it is matched on statement text "
                       "alone and much less accurately. Treat its scores as rough; `evidence-matcher expand` can "
                       "write exemplars for it.")
        elif missing:
            out.append(f"{len(missing)} statements of {self.ladder.id!r} have no evidence exemplars and are "
                       "matched less accurately.")
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

    def split(self, text: str) -> list[Unit]:
        """Split a document into units, enforcing the size and unit limits."""
        return split_document(text, self.settings)

    def match(self, text: str) -> Report:
        """Split and match one document."""
        return self.match_units(self.split(text))

    def match_units(self, units: Sequence[Unit]) -> Report:
        """Match already-split units (e.g. gold units in an evaluation)."""
        vecs = self.embedder.encode([u.text for u in units])
        return self._finish(self._report(units, self.scorer.score(vecs)))

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

    def score(self, texts: Sequence[str]) -> Scored:
        """Calibrated scores (texts x statements, ladder order) and decisions for unit texts."""
        return self.scorer.score(self.embedder.encode(list(texts)))

    # -- internals -----------------------------------------------------------------------------

    def _match_batch(self, docs: list[list[Unit] | DocumentError]) -> Iterator[Report | DocumentError]:
        flat = [u.text for units in docs if isinstance(units, list) for u in units]
        scored = self.scorer.score(self.embedder.encode(flat))
        start = 0
        for units in docs:
            if isinstance(units, DocumentError):
                yield units  # only with errors="yield"
                continue
            end = start + len(units)
            yield self._finish(self._report(units, Scored(scored.scores[start:end], scored.decisions[start:end])))
            start = end

    def _finish(self, report: Report) -> Report:
        """Let the optional LLM assistant judge, explain and coach; without one, the report as is."""
        return self.llm.augment(report, self) if self.llm is not None else report

    def _report(self, units: Sequence[Unit], scored: Scored) -> Report:
        statements = self.ladder.statements
        scores, decisions = scored.scores, scored.decisions
        unit_results: list[UnitResult] = []
        evidence: dict[str, list[tuple[str, float]]] = {s.id: [] for s in statements}
        for u, row, chosen in zip(units, scores, decisions, strict=True):
            top = np.argsort(-row, kind="stable")[:TOP_MATCHES]
            matches = tuple(Match(statements[i].id, statements[i].text, statements[i].pillar, float(row[i]))
                            for i in top)
            ev = tuple(statements[i].id for i in chosen)
            for i in chosen:
                evidence[statements[i].id].append((u.id, float(row[i])))
            unit_results.append(UnitResult(u.id, u.text, u.line, u.section, matches, ev))
        best = scores.max(axis=0) if len(units) else np.zeros(len(statements))
        results = []
        for j, s in enumerate(statements):
            ev = sorted(evidence[s.id], key=lambda t: -t[1])
            results.append(StatementResult(s.id, s.pillar, s.text, _strength(ev), float(best[j]),
                                           tuple(uid for uid, _ in ev)))
        # By the pillar's own statements, not by name: two pillars may share a name.
        strength = {r.id: r.strength for r in results}
        pillars = tuple(
            PillarCoverage(p.name, sum(1 for s in p.statements if strength[s.id] != "none"), len(p.statements))
            for p in self.ladder.pillars
        )
        meta = {
            "model": self.embedder.name,
            "backend": self.embedder.backend,
            "exemplars": len(self.exemplars),
            "exemplars_borrowed": len(self.borrowed),
            "warnings": self.warnings,
        }
        lad = {"id": self.ladder.id, "title": self.ladder.title, "level": self.ladder.level}
        return Report(lad, tuple(unit_results), tuple(results), pillars, meta)


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


def _strength(evidence: list[tuple[str, float]]) -> str:
    if not evidence:
        return "none"
    if len(evidence) >= STRONG_UNITS or evidence[0][1] >= STRONG_SCORE:
        return "strong"
    return "partial"
