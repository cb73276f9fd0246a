"""The scoring head: multinomial logistic regression over a ladder's statements plus "no evidence".

Fitted with scikit-learn on the index's exemplar, statement and noise vectors, then kept as plain
arrays: prediction is a numpy softmax, and the arrays are cached beside the index (keyed by the
index key and the fit settings), so a warm start neither imports scikit-learn nor fits anything.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic

__all__ = ["HEAD_FORMAT", "Head", "fit_head"]

log = logging.getLogger(__name__)

HEAD_FORMAT = 1


@dataclass(frozen=True)
class Head:
    """Softmax weights: `coef` (classes x dim), `intercept` (classes), `classes` (class labels)."""

    coef: np.ndarray
    intercept: np.ndarray
    classes: np.ndarray

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        # Row-wise sums per class, not a matrix product: BLAS picks kernels by the number of rows,
        # so a product could round a unit's probabilities differently alone and inside a batch.
        logits = np.stack([(x * w).sum(axis=1, dtype=np.float64) for w in self.coef], axis=1) + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def column(self, label: int) -> int:
        """The probability column of a class label, or -1 if the head has no such class."""
        hit = np.flatnonzero(self.classes == label)
        return int(hit[0]) if len(hit) else -1


def _path(cache_dir: Path, index_key: str, c: float) -> Path:
    tag = hashlib.sha256(f"{HEAD_FORMAT}|{index_key}|C={c}".encode()).hexdigest()[:24]
    return cache_dir / "head" / f"{tag}.npz"


def _load(path: Path, dim: int, n_samples_classes: int) -> Head | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            head = Head(z["coef"], z["intercept"], z["classes"])
    except FileNotFoundError:
        return None
    except Exception as exc:  # truncated or foreign file: refit
        log.warning("head cache %s is unreadable (%s: %s); refitting it", path, type(exc).__name__, exc)
        return None
    ok = (
        head.coef.ndim == 2
        and head.coef.shape == (n_samples_classes, dim)
        and head.intercept.shape == (n_samples_classes,)
        and head.classes.shape == (n_samples_classes,)
        and np.all(np.isfinite(head.coef))
        and np.all(np.isfinite(head.intercept))
    )
    if not ok:
        log.warning("head cache %s does not fit this index; refitting it", path)
        return None
    return head


def _save(path: Path, head: Head) -> None:
    """Write atomically (temp file, fsync, rename); a failure only costs a refit next time."""
    try:
        atomic.write_bytes(
            path, lambda fh: np.savez(fh, coef=head.coef, intercept=head.intercept, classes=head.classes)
        )
    except OSError as exc:
        log.warning("cannot write the head cache %s (%s); continuing without it", path, exc)


def fit_head(
    x: np.ndarray,
    y: np.ndarray,
    c: float,
    *,
    cache_dir: Path | None = None,
    index_key: str = "",
    weights: np.ndarray | None = None,
) -> Head:
    """The head for (x, y), from the cache when one was fitted for the same index and settings.

    `weights` are per-sample weights (None: all 1); the index key must cover them, as
    EvidenceIndex keys do (an entry's weight is part of it)."""
    n_classes = len(np.unique(y))
    path = _path(cache_dir, index_key, c) if cache_dir is not None and index_key else None
    if path is not None and (cached := _load(path, x.shape[1], n_classes)) is not None:
        return cached
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000)
    model.fit(x, y, sample_weight=weights)
    head = Head(model.coef_.astype(np.float32), model.intercept_.astype(np.float32), model.classes_)
    if path is not None:
        _save(path, head)
    return head
