"""Warm `match()` latency: median over many documents of 20 and 100 units.

Each run matches a document of lines never seen before (the encoder cache cannot help), and then
the same document again (a repeated analysis, served by the in-memory embedding cache).
"""

from __future__ import annotations

import time

from .common import matcher as product_matcher
from .common import median_ms
from .encoder import generated


def latency(runs: dict[int, int]) -> dict[str, float]:
    """{units per doc: number of runs} -> median ms, fresh lines and repeated."""
    matcher = product_matcher()
    matcher.match("- Warm-up: led the incident review for the March outage\n")
    pool = iter(generated(sum(k * n for k, n in runs.items()) + 100, seed=31))
    out: dict[str, float] = {}
    for size, n in runs.items():
        fresh, repeat = [], []
        for _ in range(n):
            doc = "".join(f"- {next(pool)}\n" for _ in range(size))
            start = time.perf_counter()
            report = matcher.match(doc)
            fresh.append(time.perf_counter() - start)
            assert len(report.units) == size, (len(report.units), size)
            start = time.perf_counter()
            matcher.match(doc)
            repeat.append(time.perf_counter() - start)
        out[f"{size}_units_ms"] = median_ms(fresh)
        out[f"{size}_units_repeat_ms"] = median_ms(repeat)
        out[f"{size}_units_runs"] = n
    return out
