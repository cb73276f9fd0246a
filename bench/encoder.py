"""Raw encoder throughput and parity: PyTorch (sentence-transformers) vs the int8 ONNX export.

    .venv/bin/python -m bench.encoder --n 2000
    .venv/bin/python -m bench.encoder --n 200        # smoke size

Both backends encode the same distinct sentences (8-60 words: brag-document lines from corpus/,
topped up with generated ones) with the same number of cores (torch in batches of 64, ONNX one
sentence per run on one single-threaded session per core), in one process,
alternating rounds so that load from other processes hits both alike. Reports sentences/s (best
round), the ONNX/torch ratio, the cosine between the two embeddings of each sentence, and how often
both pick the same nearest of 50 reference ladder statements.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from matcher.config import DEFAULT_MODEL
from matcher.embed import BATCH_SIZE, Embedder, TorchEmbedder
from matcher.modelfiles import resolve_model_path
from matcher.onnx_backend import OnnxEmbedder
from matcher.onnx_export import ensure_export

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
N_REFERENCES = 50

# Clauses for generated sentences; "|" separates alternatives.
_SUBJECTS = [
    "I",
    "As tech lead I",
    "Over the last quarter I",
    "With the platform team I",
    "After the outage I",
    "During the migration I",
    "On my own initiative I",
]
_VERBS = [
    "designed",
    "led",
    "rewrote",
    "mentored",
    "coordinated",
    "automated",
    "documented",
    "shipped",
    "profiled",
    "migrated",
    "reviewed",
    "prototyped",
    "refactored",
    "planned",
    "investigated",
    "simplified",
    "scaled",
]
_OBJECTS = [
    "the billing service",
    "our CI pipeline",
    "a junior engineer",
    "the ingestion jobs",
    "the incident response process",
    "the onboarding flow",
    "the search ranking model",
    "three new hires",
    "the payments API",
    "our Kubernetes clusters",
    "the warehouse",
    "the feature flag system",
    "the on-call rotation",
    "our dbt models",
    "the event streaming platform",
    "the authentication service",
    "the roadmap",
]
_HOW = [
    "using a strangler-fig approach",
    "with careful load testing",
    "by pairing daily with the owners",
    "through an RFC that three teams signed off",
    "with a gradual rollout behind feature flags",
    "after interviewing a dozen stakeholders",
    "by moving the heavy joins into incremental models",
]
_OUTCOMES = [
    "which cut p95 latency by 40%",
    "reducing cloud spend by about $12k a month",
    "so releases went from weekly to daily",
    "and the team now owns it without me",
    "cutting build times from 25 to 7 minutes",
    "which unblocked the enterprise launch",
    "raising test coverage from 52% to 81%",
]
_EXTRAS = [
    "Along the way I kept stakeholders informed with short weekly updates",
    "I also wrote a postmortem that changed how we review risky changes",
    "The work was hard to estimate because the legacy code had no tests",
    "I presented the results at the engineering all-hands",
    "Security reviewed the design and we fixed two findings before launch",
    "Later I handed the project over with a written plan and a recorded walkthrough",
]


def _words(text: str) -> int:
    return len(text.split())


def corpus_lines() -> tuple[list[str], list[str]]:
    """(ladder statements, brag lines) from corpus/*.md: bullets outside / inside <details>."""
    statements: list[str] = []
    lines: list[str] = []
    for path in sorted(CORPUS.glob("*.md")):
        in_details = False
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("<details"):
                in_details = True
            elif line.startswith("</details"):
                in_details = False
            elif line.startswith("- ") and not line.startswith("- **"):
                text = line[2:].strip()
                is_statement = not in_details and re.match(r"I (am|can|stay|make|do)\b", text)
                (statements if is_statement else lines).append(text)
    return statements, lines


def generated(n: int, seed: int = 0) -> list[str]:
    """Brag-document-like sentences of 8-60 words built from clauses."""
    rng = random.Random(seed)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        text = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
        target = rng.randint(8, 60)
        for clause in [rng.choice(_HOW), rng.choice(_OUTCOMES), *rng.sample(_EXTRAS, 4)]:
            if _words(text) >= target:
                break
            candidate = f"{text}. {clause}" if clause[0].isupper() else f"{text}, {clause}"
            if _words(candidate) > 60:
                break
            text = candidate
        text += "."
        if _words(text) >= 8 and text not in seen:
            seen.add(text)
            out.append(text)
    return out


def workload(n: int) -> tuple[list[str], list[str]]:
    """(n distinct sentences of 8-60 words, 50 reference statements)."""
    statements, lines = corpus_lines()
    references = list(dict.fromkeys(statements))[:N_REFERENCES]
    if len(references) < N_REFERENCES:
        references += generated(N_REFERENCES - len(references), seed=99)
    pool = [t for t in dict.fromkeys(lines) if 8 <= _words(t) <= 60 and t not in references]
    random.Random(1).shuffle(pool)
    sentences = pool[: n // 2]  # half real lines, half generated, so lengths span the range
    sentences += [t for t in generated(2 * n, seed=7) if t not in set(sentences)][: n - len(sentences)]
    return sentences, references


def measure(embedders: dict[str, Embedder], texts: list[str], rounds: int) -> dict[str, dict]:
    """Best and median sentences/s per backend (wall clock and per CPU-second), rounds alternating
    between backends so that load from other processes hits them alike."""
    for emb in embedders.values():
        emb.encode(texts[:BATCH_SIZE])  # warm-up: lazy init, allocator, thread pools
    runs: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in embedders}
    for _ in range(rounds):
        for name, emb in embedders.items():
            wall, cpu = time.perf_counter(), time.process_time()
            emb.encode(texts)
            runs[name]["wall"].append(len(texts) / (time.perf_counter() - wall))
            runs[name]["cpu"].append(len(texts) / (time.process_time() - cpu))
    return runs


def parity(onnx: Embedder, torch_emb: Embedder, texts: list[str], refs: list[str]) -> dict:
    """Per-sentence cosine between backends, agreement on the nearest reference statement, and
    whether an int8 embedding depends on what else is encoded with it (it must not: each sentence
    runs alone)."""
    t_vecs, o_vecs = torch_emb.encode(texts), onnx.encode(texts)
    t_sims, o_sims = t_vecs @ torch_emb.encode(refs).T, o_vecs @ onnx.encode(refs).T
    same = t_sims.argmax(axis=1) == o_sims.argmax(axis=1)
    top2 = np.sort(t_sims, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] >= 0.02  # torch's winner leads by at least 0.02
    sample = texts[:100]
    alone = np.vstack([onnx.encode([t]) for t in sample])
    cosines = (t_vecs * o_vecs).sum(axis=1)
    return {
        "cos_mean": float(cosines.mean()),
        "cos_min": float(cosines.min()),
        "cos_p01": float(np.percentile(cosines, 1)),
        "top1": float(same.mean()),
        "top1_clear": float(same[clear].mean()) if clear.any() else float("nan"),
        "clear_share": float(clear.mean()),
        "alone_vs_batch": float((alone * o_vecs[: len(sample)]).sum(axis=1).mean()),
    }


def report(runs: dict[str, dict[str, list[float]]], par: dict, n_refs: int) -> None:
    base = {kind: max(runs["torch"][kind]) for kind in ("wall", "cpu")}
    print(f"\n{'backend':<10} {'best sent/s':>12} {'median':>8} {'ratio':>6} {'per CPU-s':>10} {'ratio':>6}")
    for name, r in runs.items():
        wall, cpu = max(r["wall"]), max(r["cpu"])
        print(
            f"{name:<10} {wall:>12.1f} {np.median(r['wall']):>8.1f} {wall / base['wall']:>6.2f}"
            f" {cpu:>10.1f} {cpu / base['cpu']:>6.2f}"
        )
    print(f"\nONNX / torch throughput ratio: {max(runs['onnx-int8']['wall']) / base['wall']:.2f}x")
    print(
        f"parity: mean cosine {par['cos_mean']:.4f}, min {par['cos_min']:.4f}, "
        f"1st percentile {par['cos_p01']:.4f}\n"
        f"same top-1 of {n_refs} references: {par['top1']:.1%} "
        f"({par['top1_clear']:.1%} where torch's top-1 leads by >= 0.02, "
        f"{par['clear_share']:.0%} of sentences)\n"
        f"int8 embedding alone vs among others: mean cosine {par['alone_vs_batch']:.4f}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="number of distinct sentences")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per backend")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads for both backends")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="reuse this ONNX export cache (default: export afresh)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import torch

    threads = args.threads
    torch.set_num_threads(threads)
    sentences, references = workload(args.n)
    lengths = [_words(t) for t in sentences]
    print(
        f"{len(sentences)} sentences, {min(lengths)}-{max(lengths)} words "
        f"(mean {np.mean(lengths):.1f}); batch {BATCH_SIZE}; {threads} threads; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        cache = args.cache or Path(tmp)
        ensure_export(resolve_model_path(args.model), cache)
        onnx = OnnxEmbedder(args.model, cache, threads=threads)
        took = time.perf_counter() - start
        print(f"ONNX ready in {took:.1f} s, export included if not cached ({onnx.folder.name})")
        torch_emb = TorchEmbedder(args.model)
        runs = measure({"torch": torch_emb, "onnx-int8": onnx}, sentences, args.rounds)
        par = parity(onnx, torch_emb, sentences, references)
    report(runs, par, len(references))
    print(f"load average at the end {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
