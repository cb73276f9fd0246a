"""The second-stage check: is this item evidence of *this* statement, or routine work on its topic?

The head ranks statements by topic; the check looks at one (item, statement) pair at a time. It is
a logistic regression over pair features of the two embeddings (their elementwise product and
absolute difference, plus their cosine), trained on the ladder's own exemplars against hard
negatives: every no-evidence line paired with the statements it is closest to, and every exemplar
paired with the nearest statement it is not listed under. Fitting takes a second or two and is
cached beside the head, keyed by the index, so a warm start fits nothing.

A cross-encoder from the packaged MiniLM weights was tried first (README, "How matching works"):
on 2 shared cores it trained at under 4 pairs a second, ~5,400 pairs x 2 epochs, far over the
set-up budget, so the check works on the embeddings the encoder already produced.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .atomic import write_bytes
from .index import EvidenceIndex

__all__ = ["CHECK_FORMAT", "PairCheck", "fit_check"]

log = logging.getLogger(__name__)

CHECK_FORMAT = 1
# Units per step of `probabilities` (bounds its temporaries to a few MB).
_CHUNK = 128
CHECK_C = 0.3
# Hard negatives per no-evidence line and per exemplar.
NOISE_NEIGHBOURS = 2
EXEMPLAR_NEIGHBOURS = 1


def pair_features(units: np.ndarray, statements: np.ndarray) -> np.ndarray:
    """Features of aligned rows of unit and statement vectors (both normalised)."""
    prod = units * statements
    return np.hstack([prod, np.abs(units - statements), prod.sum(axis=1, keepdims=True)]).astype(np.float32)


@dataclass(frozen=True)
class PairCheck:
    """Logistic weights over pair features; `statements` are the ladder's statement vectors."""

    coef: np.ndarray
    intercept: float
    statements: np.ndarray

    def probabilities(self, unit_vecs: np.ndarray) -> np.ndarray:
        """P(evidence) for every unit x statement pair (ladder order)."""
        n, s = len(unit_vecs), len(self.statements)
        if n == 0:
            return np.zeros((0, s), np.float32)
        d = self.statements.shape[1]
        w_prod, w_abs, w_cos = self.coef[:d], self.coef[d : 2 * d], self.coef[2 * d]
        # The product and cosine features are linear in u * s: fold their weights into the statements.
        folded = (w_prod + w_cos) * self.statements
        out = np.empty((n, s), np.float32)
        # Elementwise products summed along each row, never a matrix product: BLAS picks kernels by
        # the number of rows, which would round a unit's score differently alone and in a batch.
        for start in range(0, n, _CHUNK):
            u = unit_vecs[start : start + _CHUNK, None, :]
            logits = (u * folded).sum(axis=2) + (np.abs(u - self.statements) * w_abs).sum(axis=2) + self.intercept
            out[start : start + _CHUNK] = 1.0 / (1.0 + np.exp(-logits))
        return out


def _training_set(
    index: EvidenceIndex, ids: list[str], stmt_vecs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair features, labels and sample weights: exemplars and a user's confirmed pairs are
    positives (each with the nearest statement it is not listed under as a negative), noise lines
    negatives with their nearest statements, and a user's rejected pairs negatives as they are."""
    pos = {sid: i for i, sid in enumerate(ids)}
    listed: dict[str, set[int]] = {}
    for e in index.entries:
        if e.kind in ("exemplar", "confirmed") and e.statement_id in pos:
            listed.setdefault(e.text, set()).add(pos[e.statement_id])
    units, stmts, labels, weights = [], [], [], []

    def add(v: np.ndarray, k: int, label: int, weight: float) -> None:
        units.append(v)
        stmts.append(k)
        labels.append(label)
        weights.append(weight)

    seen: set[str] = set()
    for e, v in zip(index.entries, index.vectors, strict=True):
        if e.kind in ("exemplar", "confirmed") and e.statement_id in pos:
            add(v, pos[e.statement_id], 1, e.weight)
            if e.text in seen:
                continue
            seen.add(e.text)
            order = np.argsort(-(stmt_vecs @ v), kind="stable")
            for k in [int(k) for k in order if int(k) not in listed[e.text]][:EXEMPLAR_NEIGHBOURS]:
                add(v, k, 0, 1.0)
        elif e.kind == "noise":
            for k in np.argsort(-(stmt_vecs @ v), kind="stable")[:NOISE_NEIGHBOURS]:
                add(v, int(k), 0, 1.0)
        elif e.kind == "negative" and e.statement_id in pos:
            add(v, pos[e.statement_id], 0, e.weight)
    x = pair_features(np.array(units, np.float32), stmt_vecs[np.array(stmts)])
    return x, np.array(labels), np.array(weights, np.float64)


def _path(cache_dir: Path, index_key: str) -> Path:
    tag = hashlib.sha256(
        f"check{CHECK_FORMAT}|{index_key}|C={CHECK_C}|{NOISE_NEIGHBOURS}|{EXEMPLAR_NEIGHBOURS}".encode()
    ).hexdigest()[:24]
    return cache_dir / "head" / f"{tag}.check.npz"


def fit_check(
    index: EvidenceIndex, ids: list[str], stmt_vecs: np.ndarray, cache_dir: Path | None = None
) -> PairCheck | None:
    """The check for this index (from the cache when fitted before); None without exemplars or noise."""
    path = _path(cache_dir, index.key) if cache_dir is not None else None
    if path is not None:
        try:
            with np.load(path, allow_pickle=False) as z:
                coef, intercept = z["coef"], float(z["intercept"])
            if coef.shape == (2 * stmt_vecs.shape[1] + 1,) and np.all(np.isfinite(coef)):
                return PairCheck(coef, intercept, stmt_vecs)
            log.warning("check cache %s does not fit this index; refitting it", path)
        except FileNotFoundError:
            pass
        except Exception as exc:  # truncated or foreign file: refit
            log.warning("check cache %s is unreadable (%s); refitting it", path, exc)
    x, y, w = _training_set(index, ids, stmt_vecs)
    weights = w if np.any(w != 1.0) else None
    if len(set(y.tolist())) < 2:
        return None
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=CHECK_C, max_iter=3000, class_weight="balanced").fit(x, y, sample_weight=weights)
    check = PairCheck(model.coef_[0].astype(np.float32), float(model.intercept_[0]), stmt_vecs)
    if path is not None:
        import io

        buf = io.BytesIO()
        np.savez(buf, coef=check.coef, intercept=np.float32(check.intercept))
        try:
            write_bytes(path, buf.getvalue())
        except OSError as exc:
            log.warning("cannot write the check cache %s (%s); continuing without it", path, exc)
    return check
