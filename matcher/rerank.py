"""The second-stage check: a cross-encoder that reads an item and a candidate statement together.

The first stage (embedding + logistic head) ranks statements by topic well, but it cannot tell
routine work on a statement's topic ("Added an index to the events table") from lead-level
evidence of it. The cross-encoder sees both texts at once and is trained for exactly that question:
positives are (exemplar, its statement); negatives are hard ones — no-evidence lines paired with the
statements they are closest to, and exemplars paired with the neighbouring statement they do not
evidence. It starts from the packaged MiniLM weights (never a hub), is trained once per machine
(seeded, cached, keyed by the data and the settings) and runs as int8 ONNX like the encoder.

Training and export import torch; scoring imports only onnxruntime and tokenizers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError

__all__ = ["RERANK_FORMAT", "RerankConfig", "Reranker", "rerank_pairs", "reranker_dir", "train_reranker"]

log = logging.getLogger(__name__)

RERANK_FORMAT = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "rerank.json"


@dataclass(frozen=True)
class RerankConfig:
    """How the cross-encoder is trained; part of its cache key."""

    epochs: int = 2
    batch_size: int = 16
    learning_rate: float = 4e-5
    max_length: int = 128
    seed: int = 13
    # Hard negatives: each no-evidence line with its nearest statements, each exemplar with the
    # nearest statement it is not listed under.
    noise_neighbours: int = 2
    exemplar_neighbours: int = 1


Pair = tuple[str, str, float]


def rerank_pairs(
    statements: Sequence[str],
    exemplars: Sequence[tuple[str, int]],
    noise: Sequence[str],
    nearest: Callable[[Sequence[str]], np.ndarray],
    cfg: RerankConfig,
) -> list[Pair]:
    """(text, statement, label) training pairs for one ladder.

    `exemplars` are (line, statement index); `nearest(texts)` gives each text's statement indices,
    most similar first (the first-stage ranking, so the negatives are the ones it gets wrong).
    """
    pairs: list[Pair] = [(s, s, 1.0) for s in statements]
    listed: dict[str, set[int]] = {}
    for text, j in exemplars:
        listed.setdefault(text, set()).add(j)
    for text, j in exemplars:
        pairs.append((text, statements[j], 1.0))
    texts = sorted(listed)
    if texts:
        order = nearest(texts)
        for text, row in zip(texts, order, strict=True):
            others = [int(k) for k in row if int(k) not in listed[text]][: cfg.exemplar_neighbours]
            pairs += [(text, statements[k], 0.0) for k in others]
    if noise:
        order = nearest(list(noise))
        for text, row in zip(noise, order, strict=True):
            pairs += [(text, statements[int(k)], 0.0) for k in row[: cfg.noise_neighbours]]
    return pairs


def reranker_dir(cache_dir: Path, base_fingerprint: str, pairs: Sequence[Pair], cfg: RerankConfig) -> Path:
    h = hashlib.sha256(f"{RERANK_FORMAT}|{base_fingerprint}|{json.dumps(asdict(cfg), sort_keys=True)}".encode())
    for a, b, y in pairs:
        h.update(json.dumps([a, b, y]).encode())
    return cache_dir / "rerank" / h.hexdigest()[:16]


def train_reranker(base_path: str, pairs: Sequence[Pair], out: Path, cfg: RerankConfig) -> Path:
    """Train, export to int8 ONNX and install into `out` (atomically); returns `out`."""
    if (out / META_FILE).is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        started = time.monotonic()
        float_dir = tmp / "float"
        _train(base_path, pairs, float_dir, cfg)
        _export(float_dir, tmp, cfg)
        shutil.rmtree(float_dir)
        meta = {"format": RERANK_FORMAT, "pairs": len(pairs), "config": asdict(cfg),
                "seconds": round(time.monotonic() - started, 1)}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        if out.exists():  # another process finished first
            shutil.rmtree(tmp)
            return out
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _train(base_path: str, pairs: Sequence[Pair], dest: Path, cfg: RerankConfig) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "newly initialized classifier" is expected here
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    tok = AutoTokenizer.from_pretrained(base_path)
    model = AutoModelForSequenceClassification.from_pretrained(base_path, num_labels=1)
    model.train()
    order = list(range(len(pairs)))
    steps = cfg.epochs * ((len(order) + cfg.batch_size - 1) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / warm) * max(0.0, (steps - k) / max(1, steps - warm)))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    rng = random.Random(cfg.seed)
    step, started = 0, time.monotonic()
    for _epoch in range(cfg.epochs):
        rng.shuffle(order)
        for i in range(0, len(order), cfg.batch_size):
            batch = [pairs[k] for k in order[i: i + cfg.batch_size]]
            enc = tok([a for a, _, _ in batch], [b for _, b, _ in batch], padding=True, truncation=True,
                      max_length=cfg.max_length, return_tensors="pt")
            labels = torch.tensor([y for _, _, y in batch], dtype=torch.float32)
            logits = model(**enc).logits.squeeze(-1)
            loss = loss_fn(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0 or step == steps:
                left = (time.monotonic() - started) / step * (steps - step)
                # Progress goes to standard error: standard output belongs to the caller's report.
                print(f"\rtraining the second-stage check: {step}/{steps} steps, ~{left:.0f} s left",
                      end="" if step < steps else "\n", file=sys.stderr, flush=True)
    model.eval()
    dest.mkdir(parents=True)
    model.save_pretrained(str(dest))
    tok.save_pretrained(str(dest))


def _export(float_dir: Path, dest: Path, cfg: RerankConfig) -> None:
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(float_dir), attn_implementation="eager").eval()
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Logit(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    sample = torch.ones((2, 8), dtype=torch.long)
    float_onnx = dest / "float.onnx"
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Logit().eval(), (sample, sample, torch.zeros_like(sample)), str(float_onnx),
                          input_names=names, output_names=["logits"],
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in [*names, "logits"]},
                          opset_version=17, do_constant_folding=True, dynamo=False)
    quantize_dynamic(str(float_onnx), str(dest / MODEL_FILE), weight_type=QuantType.QInt8, per_channel=True)
    float_onnx.unlink()
    tok = AutoTokenizer.from_pretrained(str(float_dir))
    tok.backend_tokenizer.save(str(dest / TOKENIZER_FILE))
    (dest / "max_length").write_text(str(cfg.max_length), encoding="utf-8")


class Reranker:
    """Runs an exported cross-encoder: `score(pairs)` gives P(text evidences statement) per pair."""

    def __init__(self, folder: Path, threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not (folder / META_FILE).is_file():
            raise ModelError(f"{folder} holds no trained second-stage check; run `evidence-matcher warm`.")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(str(folder / MODEL_FILE), opts, providers=["CPUExecutionProvider"])
        self._tok = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        max_length = int((folder / "max_length").read_text(encoding="utf-8"))
        self._tok.enable_truncation(max_length)
        self._tok.no_padding()
        self.folder = folder

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        out = np.zeros(len(pairs), dtype=np.float32)
        # One pair per run: int8 activation scales are per run, so a pair's score must not depend
        # on what it was batched with (the encoder does the same, for the same reason).
        for i, (a, b) in enumerate(pairs):
            enc = self._tok.encode(a, b)
            feed = {
                "input_ids": np.array([enc.ids], dtype=np.int64),
                "attention_mask": np.array([enc.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([enc.type_ids], dtype=np.int64),
            }
            logit = float(self._session.run(None, feed)[0][0, 0])
            out[i] = 1.0 / (1.0 + np.exp(-logit))
        return out
