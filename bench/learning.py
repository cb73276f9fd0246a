"""Learning from corrections: the learning curve on both dev sets (matcher.replay) and how long
`Matcher.with_corrections` takes to refit with ~50 corrections, warm caches.

    .venv/bin/python -m bench.learning           # the full curve, k = 0, 2, 4, 8, 5 folds
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Sequence
from typing import Any

from matcher.evaluate import EvalSet, load_sets
from matcher.models import Ladder
from matcher.replay import corrections_for, learning_curve

from .common import LADDER, ROOT, SHARED, matcher

REFIT_CORRECTIONS = 50


def dev_sets() -> list[EvalSet]:
    return load_sets([SHARED / "eval", ROOT / "eval" / "realistic"])


def _factory(ladder: Ladder):
    return matcher(ladder.id)  # the dev sets' ladders are corpus ids


def curve(ks: Sequence[int] = (0, 2, 4, 8), max_folds: int | None = None) -> dict[str, Any]:
    """The curve's figures per k: corrections per user, and unit P/R/F1, noise FPR per set and overall."""
    sets = dev_sets()
    result = learning_curve(sets, _factory, ks=ks, max_folds=max_folds)
    out: dict[str, Any] = {"users": result.points[0].users, "points": []}
    for p in result.points:
        figures = {name: m for name, m in [*p.sets.items(), ("all", p.union)]}
        out["points"].append(
            {
                "k": p.k,
                "corrections_per_user": p.corrections_per_user,
                "corrections": p.corrections,
                **{
                    name: {f: getattr(m, f) for f in ("unit_p", "unit_r", "unit_f1", "noise_fpr", "doc_f1")}
                    for name, m in figures.items()
                },
            }
        )
    return out


def refit_time(n: int = REFIT_CORRECTIONS, runs: int = 3) -> dict[str, Any]:
    """Median seconds of `with_corrections` with `n` corrections replayed from the dev documents of
    one ladder, after one untimed call (so the corrected lines are in the embedder's line cache, as
    they are after the user's own match)."""
    base = matcher(LADDER)
    corrections = []
    for s in dev_sets():
        for doc in s.docs:
            if doc.ladder.id == LADDER and len(corrections) < n:
                corrections += corrections_for(base, doc)
    corrections = corrections[:n]
    learned = base.with_corrections(corrections)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        base.with_corrections(corrections)
        samples.append(time.perf_counter() - started)
    return {
        "corrections": len(corrections),
        "pairs": len(learned.index.entries) - len(base.index.entries),
        "index_entries": len(learned.index.entries),
        "seconds": statistics.median(samples),
        "runs": runs,
    }


def report(c: dict[str, Any], refit: dict[str, Any]) -> list[str]:
    lines = [
        f"learning curve ({c['users']} simulated users; unit P / R / F1, noise FPR on the held-out documents):",
    ]
    for p in c["points"]:
        sets = [k for k in p if isinstance(p[k], dict) and "unit_f1" in p[k]]
        lines.append(
            f"  k={p['k']} ({p['corrections_per_user']:.0f} corrections per user): "
            + "; ".join(
                f"{s} {p[s]['unit_p']:.3f} / {p[s]['unit_r']:.3f} / {p[s]['unit_f1']:.3f}, {p[s]['noise_fpr']:.3f}"
                for s in sets
            )
        )
    lines.append(
        f"with_corrections, {refit['corrections']} corrections ({refit['pairs']} pairs, "
        f"{refit['index_entries']} index entries), warm: {refit['seconds']:.2f} s (median of {refit['runs']})"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    print("\n".join(report(curve(), refit_time())))


if __name__ == "__main__":
    main()
