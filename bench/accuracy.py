"""Accuracy guard: the dev-set eval (matcher.evaluate) of the matcher with each backend."""

from __future__ import annotations

from matcher.core import Matcher
from matcher.evaluate import evaluate, load_gold, matcher_method
from matcher.models import Ladder

from .common import SHARED, settings


def accuracy(backends: tuple[str, ...] = ("torch", "onnx")) -> dict[str, dict[str, float]]:
    eval_dir = SHARED / "eval"
    docs = load_gold(eval_dir / "labels.jsonl", eval_dir / "docs")
    out: dict[str, dict[str, float]] = {}
    for backend in backends:
        s = settings(backend)
        built: dict[str, Matcher] = {}

        def factory(ladder: Ladder, s=s, built=built) -> Matcher:
            if ladder.id not in built:
                built[ladder.id] = Matcher(ladder, settings=s)
            return built[ladder.id]

        m = evaluate(docs, {"matcher": matcher_method(factory)})["matcher"]
        out[backend] = {"unit_f1": m.unit_f1, "unit_p": m.unit_p, "unit_r": m.unit_r, "doc_f1": m.doc_f1,
                        "r_at_1": m.r_at_1}
    return out
