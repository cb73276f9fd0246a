"""Contrastive fine-tuning of the embedding model on the shipped exemplars.

Pairs are (exemplar line, statement text), trained with MultipleNegativesRankingLoss so a brag line
lands near the statement it evidences and away from the others. Training is seeded and runs once:
the result is cached under the cache dir, keyed by a hash of the base weights, the training data
and TUNE_FORMAT. Only this module (and ONNX export) needs torch and sentence-transformers' trainer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import atomic
from .errors import ModelError
from .exemplars import ExemplarSet
from .modelfiles import resolve_model_path, weights_fingerprint
from .models import Ladder

__all__ = ["TUNE_FORMAT", "TuneConfig", "training_pairs", "tuned_model"]

log = logging.getLogger(__name__)

TUNE_FORMAT = 1


@dataclass(frozen=True)
class TuneConfig:
    """Training hyper-parameters (chosen on the dev set; see README)."""

    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_ratio: float = 0.1
    seed: int = 13


def training_pairs(sets: Sequence[tuple[Ladder, ExemplarSet]]) -> list[tuple[str, str]]:
    """(exemplar, statement display text) for every exemplar of every ladder, in a fixed order."""
    pairs = []
    for ladder, ex in sets:
        for s in ladder.statements:
            pairs += [(x, s.display) for x in ex.by_statement.get(s.id, ())]
    return pairs


def _key(base_path: str, pairs: list[tuple[str, str]], cfg: TuneConfig) -> str:
    h = hashlib.sha256(f"{TUNE_FORMAT}|{weights_fingerprint(base_path)}|{cfg}".encode())
    for a, b in pairs:
        h.update(json.dumps([a, b]).encode())
    return h.hexdigest()[:16]


def tuned_model(
    base: str, sets: Sequence[tuple[Ladder, ExemplarSet]], cache_dir: Path, cfg: TuneConfig | None = None
) -> str:
    """Path of the fine-tuned model for these exemplars, training it first if it is not cached."""
    cfg = cfg or TuneConfig()
    base_path = resolve_model_path(base)
    pairs = training_pairs(sets)
    if not pairs:
        raise ModelError("No exemplars to fine-tune on: the corpus has no *.exemplars.md files.")
    out = cache_dir / "tuned" / _key(base_path, pairs, cfg)
    if (out / "tuned.json").is_file():
        return str(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"Cannot write the fine-tuned model under {out.parent} ({exc}). "
            "Set MATCHER_MODEL_CACHE to a writable folder, or MATCHER_TUNE=0."
        ) from exc
    # Another process may be training the same model: wait for it rather than train twice.
    with atomic.cache_lock(out.parent / f"{out.name}.lock"):
        if not (out / "tuned.json").is_file():
            log.warning("fine-tuning %s on %d exemplar pairs (once; cached in %s)", base, len(pairs), out)
            _train(base_path, pairs, out, cfg)
    return str(out)


def _require_tuning_extra() -> None:
    import importlib.util

    missing = [name for name in ("datasets", "accelerate") if importlib.util.find_spec(name) is None]
    if missing:
        raise ModelError(
            f"Fine-tuning the model needs {' and '.join(missing)} (the 'tune' extra): "
            "pip install 'evidence-matcher[tune]', or set MATCHER_TUNE=0 to use the base model "
            "(much less accurate)."
        )


def _train(base_path: str, pairs: list[tuple[str, str]], out: Path, cfg: TuneConfig) -> None:
    _require_tuning_extra()
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )
    from sentence_transformers.training_args import BatchSamplers

    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    model = SentenceTransformer(base_path, device="cpu")
    data = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [b for _, b in pairs]})
    tmp = atomic.temp_dir_for(out)
    try:
        args = SentenceTransformerTrainingArguments(
            output_dir=str(tmp / "run"),
            num_train_epochs=cfg.epochs,
            per_device_train_batch_size=cfg.batch_size,
            learning_rate=cfg.learning_rate,
            warmup_ratio=cfg.warmup_ratio,
            seed=cfg.seed,
            data_seed=cfg.seed,
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            save_strategy="no",
            report_to=[],
            logging_steps=50,
            use_cpu=True,
            disable_tqdm=True,
        )
        trainer = SentenceTransformerTrainer(
            model=model, args=args, train_dataset=data, loss=losses.MultipleNegativesRankingLoss(model)
        )
        _quiet_trainer(trainer)
        # Standard output belongs to the caller (`match --format json > r.json`); anything a
        # dependency prints while training goes to standard error instead.
        with contextlib.redirect_stdout(sys.stderr):
            trainer.train()
        model.save(str(tmp / "model"))
        (tmp / "model" / "tuned.json").write_text(json.dumps({"format": TUNE_FORMAT, "pairs": len(pairs)}))
        atomic.install_dir(tmp / "model", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _quiet_trainer(trainer: Any) -> None:
    """Swap the trainer's printed loss lines (PrinterCallback, on standard output) and its own bar
    for one progress bar with the time left, on standard error."""
    from tqdm.auto import tqdm
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    class StderrBar(TrainerCallback):
        def __init__(self) -> None:
            self.bar: Any = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.bar = tqdm(
                total=state.max_steps,
                desc="fine-tuning the model (once)",
                unit="step",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=False,
                mininterval=1.0,
            )

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.update(state.global_step - self.bar.n)

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.bar is not None:
                self.bar.close()
                self.bar = None

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(StderrBar())
