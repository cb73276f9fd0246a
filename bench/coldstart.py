"""Cold start in a fresh process (import, model load, index load from the warm cache), and index
builds from scratch for the shipped corpus and for every ladder in ../shared/ladders."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from matcher.core import Matcher
from matcher.ladder import load_ladders

from .common import LADDER, ROOT, SHARED, fresh_cache, settings

# Runs in a fresh interpreter; prints its phase timings as JSON.
_COLD = """
import json, sys, time
t0 = time.perf_counter()
from matcher.config import Settings
from matcher.core import Matcher
from matcher.prepare import get_embedder
from matcher.ladder import load_ladder
t1 = time.perf_counter()
s = Settings.from_env()
emb = get_embedder(s.model, s.backend, s.cache_dir, tune=s.tune)
t2 = time.perf_counter()
m = Matcher.from_ladder(load_ladder(%r), settings=s)
t3 = time.perf_counter()
m.match("- Led the incident review for the March outage and drove the follow-ups\\n")
t4 = time.perf_counter()
heavy = sorted(n for n in sys.modules if n.split(".")[0] in ("torch", "sentence_transformers", "transformers"))
print(json.dumps({"import_s": t1 - t0, "model_s": t2 - t1, "index_s": t3 - t2, "first_match_s": t4 - t3,
                  "backend": m.embedder.backend, "heavy_modules": len(heavy)}))
"""


def cold_start(runs: int = 1) -> dict[str, float]:
    """Best of `runs` fresh processes; wall time includes interpreter start-up."""
    best: dict | None = None
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", _COLD % LADDER], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"cold-start process failed: {done.stderr[-2000:]}")
        phases = json.loads(done.stdout.strip().splitlines()[-1])
        phases["wall_s"] = wall
        if best is None or wall < best["wall_s"]:
            best = phases
    assert best is not None
    return best


def _build(ladders: list, cache: Path) -> float:
    """Seconds to build matchers (embed every entry, FAISS, save, fit the head) with cold caches."""
    emb = fresh_cache()
    s = replace(settings(), cache_dir=cache)
    start = time.perf_counter()
    for ladder in ladders:
        Matcher.from_ladder(ladder, embedder=emb, settings=s)
    return time.perf_counter() - start


def index_builds(shipped: bool = True, shared: bool = True, limit: int | None = None) -> dict[str, float]:
    """Seconds to build every matcher from scratch: the shipped corpus, and `limit` shared ladders."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if shipped:
            corpus = load_ladders()
            out["shipped_s"] = _build(corpus, Path(tmp) / "shipped")
            out["shipped_ladders"] = len(corpus)
        folder = SHARED / "ladders"
        if shared and folder.is_dir():
            ladders = load_ladders(folder)[:limit]
            out["shared_s"] = _build(ladders, Path(tmp) / "shared")
            out["shared_ladders"] = len(ladders)
            out["shared_files"] = sum(1 for p in folder.rglob("*.md"))
    return out
