"""Sentence embedders: the Embedder protocol, the PyTorch embedder and the in-memory line cache.

Every embedder returns L2-normalised float32 rows, so inner product is cosine similarity. Which
embedder to load, and preparing its model (fine-tuning, ONNX export), is matcher.prepare's job.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelError
from .modelfiles import resolve_model_path, weights_fingerprint

__all__ = ["CachedEmbedder", "Embedder", "TorchEmbedder"]

log = logging.getLogger(__name__)

BATCH_SIZE = 64


class Embedder(Protocol):
    """What the matcher needs from an embedding model."""

    name: str
    backend: str

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class TorchEmbedder:
    """A sentence-transformers model run with PyTorch on the CPU."""

    backend = "torch"

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.name = model
        self.path = resolve_model_path(model)
        try:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.path, device="cpu")
        except ModelError:
            raise
        except Exception as exc:  # a bad name or path surfaces as many exception types
            raise ModelError(
                f"Could not load the embedding model {model!r} ({type(exc).__name__}: {exc}). "
                "Give a local sentence-transformers folder, or unset MATCHER_MODEL to use the "
                "packaged default."
            ) from exc
        self._dim = int(self._model.get_embedding_dimension())
        self._fingerprint = f"{Path(self.path).name}-{weights_fingerprint(self.path)}"
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        # PyTorch modules are not safe to call from several threads at once (app sessions).
        with self._lock:
            vecs = self._model.encode(
                list(texts),
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vecs, dtype=np.float32)


class CachedEmbedder:
    """Wraps an embedder with a bounded in-memory cache, so repeated lines are not re-encoded.

    Memory only: nothing a user pastes is written to disk.
    """

    def __init__(self, inner: Embedder, max_items: int = 50_000) -> None:
        self.inner = inner
        self.name = inner.name
        self.backend = inner.backend
        self.max_items = max_items
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                vec = self._cache.get(t)
                if vec is None:
                    todo.setdefault(t, []).append(i)
                else:
                    self._cache.move_to_end(t)
                    out[i] = vec
            self.hits += len(texts) - sum(len(v) for v in todo.values())
            self.misses += len(todo)
        if todo:
            keys = list(todo)
            vecs = self.inner.encode(keys)
            with self._lock:
                for key, vec in zip(keys, vecs, strict=True):
                    for i in todo[key]:
                        out[i] = vec
                    self._cache[key] = vec
                while len(self._cache) > self.max_items:
                    self._cache.popitem(last=False)
        return out
