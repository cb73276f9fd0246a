"""An evaluation method for `evidence-matcher eval --judge`: the matcher with the LLM judge on top.

Ranking metrics (R@k, MRR) come from the embedded scores, as for the plain matcher; only the
decisions differ, so the comparison isolates what the judge does to precision, recall and noise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..evaluate import DocRun, EvalDoc, matcher_method
from ..models import Ladder, Unit
from .assistant import Assistant

__all__ = ["assisted_method"]

COUNTED = ("requested", "succeeded", "failed")


def assisted_method(
    factory: Callable[[Ladder], Any], assistant: Assistant, tally: dict[str, int] | None = None
) -> Callable[[EvalDoc, list[str]], DocRun]:
    """Like evaluate.matcher_method, with `assistant` deciding; judge counts go into `tally`."""
    plain = matcher_method(factory)
    tally = tally if tally is not None else {}

    def run(doc: EvalDoc, units: list[str]) -> DocRun:
        base = plain(doc, units)
        matcher = factory(doc.ladder)
        report = matcher.match_units([Unit(f"u{i}", t, i, i) for i, t in enumerate(units, start=1)])
        report = assistant.augment(report, matcher.ladder)
        counts = report.meta.get("llm", {}).get("judge", {})
        for key in COUNTED:
            tally[key] = tally.get(key, 0) + int(counts.get(key, 0))
        tally["changed_units"] = tally.get("changed_units", 0) + sum(
            1 for u, d in zip(report.units, base.decisions, strict=True) if frozenset(u.evidences) != d
        )
        return DocRun(base.units, base.scores, tuple(frozenset(u.evidences) for u in report.units))

    return run
