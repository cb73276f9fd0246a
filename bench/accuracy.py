"""Accuracy guard: the dev-set eval (matcher.evaluate) of the matcher with each backend, and how
finely that eval can tell two backends apart.

The resolution check perturbs the torch vectors with random noise of the size int8 quantisation
causes (the same mean cosine to the torch vectors as the ONNX ones have) and re-runs the eval per
seed: the spread of unit F1 it gives is what any perturbation that small does to this dev set.
"""

from __future__ import annotations

import hashlib
import math
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from matcher.core import Matcher
from matcher.embed import CachedEmbedder, Embedder
from matcher.evaluate import EvalDoc, evaluate, load_gold, matcher_method
from matcher.models import Ladder

from .common import SHARED, matcher, settings


def _docs() -> list[EvalDoc]:
    eval_dir = SHARED / "eval"
    return load_gold(eval_dir / "labels.jsonl", eval_dir / "docs")


def accuracy(backends: tuple[str, ...] = ("torch", "auto")) -> dict[str, dict[str, float]]:
    """Unit and document metrics per backend actually used (the default "auto" is ONNX when it loads)."""
    docs = _docs()
    out: dict[str, dict[str, float]] = {}
    for backend in backends:
        used: list[str] = []

        def factory(ladder: Ladder, backend: str = backend, used: list[str] = used):
            m = matcher(ladder.id, backend)  # the eval's ladders are corpus ids
            used.append(m.embedder.backend)
            return m

        m = evaluate(docs, {"matcher": matcher_method(factory)})["matcher"]
        out[used[0] if used else backend] = {
            "unit_f1": m.unit_f1,
            "unit_p": m.unit_p,
            "unit_r": m.unit_r,
            "doc_f1": m.doc_f1,
            "r_at_1": m.r_at_1,
            "noise_fpr": m.noise_fpr,
        }
    return out


class _Perturbed:
    """An embedder's vectors plus Gaussian noise seeded by (seed, text): like quantisation error,
    the same text always gets the same perturbed vector."""

    def __init__(self, inner: Embedder, sigma: float, seed: int) -> None:
        self.inner, self.sigma, self.seed = inner, sigma, seed
        self.backend = "perturbed"
        self.name = f"{inner.name} + noise {sigma:.4f}"

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def fingerprint(self) -> str:
        return f"{self.inner.fingerprint}-perturbed-{self.sigma:.6f}-{self.seed}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.array(self.inner.encode(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            key = hashlib.sha256(f"{self.seed}\0{text}".encode()).digest()[:8]
            vectors[row] += np.random.default_rng(int.from_bytes(key, "little")).normal(0, self.sigma, self.dim)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _mean_cosine(a: Embedder, b: Embedder, lines: Sequence[str]) -> float:
    return float((a.encode(lines) * b.encode(lines)).sum(axis=1).mean())


def resolution(seeds: int) -> dict[str, float]:
    """Unit F1 of torch vectors perturbed to the ONNX/torch cosine, over `seeds` seeds."""
    docs = _docs()
    lines = [u.text for d in docs for u in matcher(d.ladder.id).split(d.text)]
    torch_embedder = matcher(backend="torch").embedder
    cosine = _mean_cosine(matcher(backend="auto").embedder, torch_embedder, lines)
    # Unit vector + N(0, s^2) noise in d dimensions: cosine ~ 1 / sqrt(1 + d s^2).
    sigma = math.sqrt(max(1 / cosine**2 - 1, 0.0) / torch_embedder.dim)
    f1s, cosines = [], []
    with tempfile.TemporaryDirectory(prefix="bench-resolution-") as tmp:
        s = replace(settings("torch"), cache_dir=Path(tmp))  # indexes of perturbed vectors are not kept
        for seed in range(seeds):
            emb = CachedEmbedder(_Perturbed(torch_embedder, sigma, seed))
            cosines.append(_mean_cosine(emb, torch_embedder, lines))  # on the same lines as `cosine`
            run = matcher_method(lambda ladder, emb=emb: Matcher.from_ladder(ladder, embedder=emb, settings=s))
            f1s.append(evaluate(docs, {"perturbed": run})["perturbed"].unit_f1)
    return {
        "onnx_torch_cosine": cosine,
        "perturbed_cosine": statistics.mean(cosines),
        "seeds": seeds,
        "f1_mean": statistics.mean(f1s),
        "f1_sd": statistics.stdev(f1s) if seeds > 1 else 0.0,
        "f1_min": min(f1s),
        "f1_max": max(f1s),
    }
