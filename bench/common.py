"""What every benchmark shares: the product's embedders and matchers, memory readings, timing."""

from __future__ import annotations

import functools
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from matcher.config import Settings
from matcher.core import Matcher
from matcher.embed import CachedEmbedder, Embedder
from matcher.prepare import get_embedder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
LADDER = "lead-software-engineer"


def settings(backend: str = "auto") -> Settings:
    return replace(Settings.from_env(), backend=backend)


@functools.cache
def matcher(ladder: str = LADDER, backend: str = "auto") -> Matcher:
    """One product Matcher per ladder and backend for the whole run (building one fits its head)."""
    from matcher.ladder import load_ladder

    return Matcher.from_ladder(load_ladder(ladder), settings=settings(backend))


def raw_embedder(backend: str) -> Embedder:
    """The product's encoder for a backend (the corpus-tuned MiniLM), without the in-memory cache."""
    s = settings(backend)
    return get_embedder(s.model, s.backend, s.cache_dir, tune=s.tune).inner


def fresh_cache(backend: str = "auto") -> CachedEmbedder:
    """The product's encoder behind a new, empty in-memory cache (so nothing is a cache hit)."""
    emb = get_embedder(settings(backend).model, backend, settings(backend).cache_dir, tune=settings(backend).tune)
    fresh = CachedEmbedder(emb.inner)
    fresh.name = emb.name
    return fresh


def rss_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB."""
    current = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    if not peak:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return current, peak


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": round(ram, 1), "load_avg": round(os.getloadavg()[0], 2)}
