"""Make the model ready, then hand it out: the one step between a model name and an embedder.

Preparing means, in order and each at most once per machine (cached under the model cache):
fine-tune the base model on the shipped exemplars (matcher.tuning, when `Settings.tune`), export
it to int8 ONNX (matcher.onnx_export, unless the backend is torch), and load it. `evidence-matcher
warm` and `Matcher.from_ladder` call `prepare_model`; everything after it only uses the embedder.
The first preparation on a machine takes minutes and shows one progress bar on standard error;
standard output is never written.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .config import DEFAULT_MODEL, Settings
from .embed import CachedEmbedder, Embedder, TorchEmbedder
from .errors import ModelError

__all__ = ["BACKENDS", "get_embedder", "load_embedder", "prepare_model", "tuned_for_corpus"]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "onnx")

_EMBEDDERS: dict[tuple[str, str, str, bool], CachedEmbedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def prepare_model(settings: Settings) -> CachedEmbedder:
    """The process-wide embedder for these settings, fine-tuned, exported and loaded as needed."""
    return get_embedder(settings.model, settings.backend, settings.model_cache_dir, tune=settings.tune)


def get_embedder(
    model: str = DEFAULT_MODEL, backend: str = "auto", cache_dir: Path | None = None, *, tune: bool = False
) -> CachedEmbedder:
    """The process-wide embedder for a model and backend, prepared and loaded once, then shared.

    With `tune`, the model is first fine-tuned on the corpus exemplars (once, cached; see
    matcher.tuning). `cache_dir` is where such derived models and ONNX exports are kept (default:
    the model cache of `Settings.from_env()`).
    """
    key = (model, backend, str(cache_dir or ""), tune)
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            cache = cache_dir if cache_dir is not None else Settings.from_env().model_cache_dir
            path = tuned_for_corpus(model, cache) if tune else model
            emb = CachedEmbedder(load_embedder(path, backend, cache))
            emb.name = f"{model} (fine-tuned on the corpus exemplars)" if tune else model
            _EMBEDDERS[key] = emb
        return emb


def tuned_for_corpus(base: str, cache_dir: Path) -> str:
    """The base model fine-tuned on every exemplar file in the corpus folder (trained once)."""
    from .carryover import shipped_donors
    from .tuning import tuned_model

    return tuned_model(base, shipped_donors(), cache_dir)


def load_embedder(model: str, backend: str, cache_dir: Path) -> Embedder:
    """Load `model` with `backend`; for ONNX, export it first when `cache_dir` has no valid export.

    "auto" prefers the faster int8 ONNX and falls back to PyTorch on any failure to export or load.
    """
    if backend not in BACKENDS:
        raise ModelError(f"Unknown backend {backend!r}: use 'torch', 'onnx' or 'auto'.")
    log.info("loading embedding model %s (backend %s)", model, backend)
    if backend == "torch":
        return TorchEmbedder(model)
    try:
        from .onnx_backend import OnnxEmbedder
        from .onnx_export import ensure_export
    except ImportError as exc:
        if backend == "onnx":
            raise ModelError(f"The ONNX backend needs onnxruntime and tokenizers ({exc}).") from exc
        log.info("onnxruntime or tokenizers is missing (%s); using the PyTorch backend", exc)
        return TorchEmbedder(model)

    def onnx() -> Embedder:
        try:
            return OnnxEmbedder(model, cache_dir)  # the warm path: a valid export is there
        except ModelError:
            log.info("preparing the ONNX export of %s", model)
        from .modelfiles import resolve_model_path

        ensure_export(resolve_model_path(model), cache_dir)
        try:
            return OnnxEmbedder(model, cache_dir)
        except ModelError as exc:
            raise ModelError(
                f"The ONNX export of {model} in {cache_dir} cannot be loaded even after re-exporting it ({exc})."
            ) from exc

    if backend == "onnx":
        return onnx()
    try:
        return onnx()
    except Exception as exc:
        log.warning(
            "the ONNX backend is unavailable for %s (%s: %s); falling back to PyTorch",
            model,
            type(exc).__name__,
            exc,
        )
        return TorchEmbedder(model)
