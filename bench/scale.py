"""Batch scale: N synthetic documents through `run_batch` (Matcher.match_many) in a fresh process.

    .venv/bin/python -m bench.scale --n 10000

Documents recombine exemplar and noise lines of corpus/*.exemplars.md (5-30 lines each, some under
headings). Reports docs/s, units/s, peak RSS, and RSS at 1/4, 1/2 and the end of the batch, which
should stay flat: reports are streamed to the output file, never held.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from matcher.batch import run_batch
from matcher.core import Matcher
from matcher.exemplars import load_exemplars
from matcher.ladder import load_ladders

from .common import LADDER, ROOT, rss_mb

HEADINGS = ("## Projects", "## Mentoring", "## Incidents", "## Q3", "### Misc")


def corpus_lines() -> list[str]:
    lines: list[str] = []
    for ladder in load_ladders():
        ex = load_exemplars(ladder)
        lines += [x for xs in ex.by_statement.values() for x in xs] + list(ex.noise)
    return list(dict.fromkeys(lines))


def synthetic(n: int, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    lines = corpus_lines()
    docs = []
    for _ in range(n):
        parts = []
        for line in rng.sample(lines, rng.randint(5, 30)):
            if rng.random() < 0.1:
                parts.append(f"\n{rng.choice(HEADINGS)}\n")
            parts.append(f"- {line}")
        docs.append("\n".join(parts) + "\n")
    return docs


def scale(n: int, fmt: str = "jsonl") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "docs.jsonl", Path(tmp) / f"out.{fmt}"
        with src.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(synthetic(n)):
                fh.write(json.dumps({"id": f"doc-{i:05d}", "text": text}) + "\n")
        matcher = Matcher.from_ladder(LADDER)
        matcher.match("- Warm-up line\n")
        samples: dict[str, float] = {"rss_start_mb": rss_mb()[0]}
        marks = {max(n // 4, 1): "rss_quarter_mb", max(n // 2, 1): "rss_half_mb"}
        done = [0]

        def progress(k: int) -> None:
            done[0] += k
            if done[0] in marks:
                samples[marks[done[0]]] = rss_mb()[0]

        start = time.perf_counter()
        summary = run_batch(src, out, LADDER, fmt=fmt, matcher_for=lambda _id: matcher, progress=progress)
        took = time.perf_counter() - start
        current, peak = rss_mb()
        units = sum(len(json.loads(line)["units"]) for line in out.open(encoding="utf-8")) if fmt == "jsonl" else 0
        output_mb = out.stat().st_size / 2**20
    emb = matcher.embedder
    return {
        "docs": summary.written,
        "errors": summary.errors,
        "seconds": took,
        "docs_per_s": summary.written / took,
        "units_per_s": units / took,
        **samples,
        "rss_end_mb": current,
        "peak_rss_mb": peak,
        "output_mb": output_mb,
        "cache_hit_rate": getattr(emb, "hits", 0) / max(getattr(emb, "hits", 0) + getattr(emb, "misses", 0), 1),
        "backend": emb.backend,
    }


def run_subprocess(n: int) -> dict[str, float]:
    """`scale(n)` in a fresh interpreter, so its memory is the batch's alone."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--n", str(n), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=7200,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.scale failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = scale(args.n)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
