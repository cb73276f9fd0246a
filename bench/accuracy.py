"""Accuracy guard: the dev-set eval (matcher.evaluate) of the matcher with each backend."""

from __future__ import annotations

from matcher.evaluate import evaluate, load_gold, matcher_method
from matcher.models import Ladder

from .common import SHARED, matcher


def accuracy(backends: tuple[str, ...] = ("torch", "auto")) -> dict[str, dict[str, float]]:
    """Unit and document metrics per backend actually used (the default "auto" is ONNX when it loads)."""
    eval_dir = SHARED / "eval"
    docs = load_gold(eval_dir / "labels.jsonl", eval_dir / "docs")
    out: dict[str, dict[str, float]] = {}
    for backend in backends:
        used: list[str] = []

        def factory(ladder: Ladder, backend: str = backend, used: list[str] = used):
            m = matcher(ladder.id, backend)  # the eval's ladders are corpus ids
            used.append(m.embedder.backend)
            return m

        m = evaluate(docs, {"matcher": matcher_method(factory)})["matcher"]
        out[used[0] if used else backend] = {"unit_f1": m.unit_f1, "unit_p": m.unit_p, "unit_r": m.unit_r,
                                             "doc_f1": m.doc_f1, "r_at_1": m.r_at_1}
    return out
