"""Encoder throughput (torch vs int8 ONNX) and end-to-end `match_many` vs the raw encoder.

Both comparisons run in one process on the same distinct units, batch size and thread count, with
rounds alternating between the two sides so that load from other processes hits them alike; each
side's best round counts.
"""

from __future__ import annotations

import os
import time
from collections import deque

from matcher.embed import BATCH_SIZE, CachedEmbedder

from .common import fresh_cache, raw_embedder
from .common import matcher as product_matcher
from .encoder import measure, workload

UNITS_PER_DOC = 20


def encoders(n: int, rounds: int) -> dict[str, float]:
    """Sentences/s of the raw torch and ONNX encoders on n distinct sentences."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    texts, _ = workload(n)
    runs = measure({"torch": raw_embedder("torch"), "onnx": raw_embedder("onnx")}, texts, rounds)
    out = {name: max(r["wall"]) for name, r in runs.items()}
    out["ratio"] = out["onnx"] / out["torch"]
    out["n"], out["batch"], out["threads"] = len(texts), BATCH_SIZE, os.cpu_count() or 1
    return out


def documents(texts: list[str]) -> list[str]:
    return [
        "\n".join(f"- {t}" for t in texts[i : i + UNITS_PER_DOC]) + "\n" for i in range(0, len(texts), UNITS_PER_DOC)
    ]


def pipeline(n: int, rounds: int) -> dict[str, float]:
    """Units/s through Matcher.match_many (fresh cache each round) vs the raw encoder alone."""
    matcher = product_matcher()
    texts, _ = workload(n)
    docs = documents(texts)
    units = [u.text for d in docs for u in matcher.split(d)]
    assert len(set(units)) == len(units), "the workload's units must be distinct"
    raw = raw_embedder(matcher.embedder.backend)
    raw.encode(units[:BATCH_SIZE])
    best = {"raw": 0.0, "match_many": 0.0}
    for _ in range(rounds):
        start = time.perf_counter()
        raw.encode(units)
        best["raw"] = max(best["raw"], len(units) / (time.perf_counter() - start))
        matcher.embedder = fresh_cache(matcher.embedder.backend)
        assert isinstance(matcher.embedder, CachedEmbedder)
        start = time.perf_counter()
        deque(matcher.match_many(docs), maxlen=0)
        best["match_many"] = max(best["match_many"], len(units) / (time.perf_counter() - start))
    return {
        **best,
        "ratio": best["match_many"] / best["raw"],
        "units": len(units),
        "docs": len(docs),
        "backend": matcher.embedder.backend,
    }
