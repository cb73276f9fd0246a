"""LLM endpoint settings, from MATCHER_LLM_* variables and command-line flags.

Nothing here talks to the network; `LLMConfig.from_env()` returns None when no endpoint is set,
which is what keeps every LLM feature off by default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import LLMError

__all__ = ["ENV_BASE_URL", "LLMConfig"]

ENV_BASE_URL = "MATCHER_LLM_BASE_URL"
ENV_MODEL = "MATCHER_LLM_MODEL"
ENV_API_KEY = "MATCHER_LLM_API_KEY"
ENV_TIMEOUT = "MATCHER_LLM_TIMEOUT"
ENV_RETRIES = "MATCHER_LLM_RETRIES"
ENV_CONCURRENCY = "MATCHER_LLM_CONCURRENCY"
ENV_LOG = "MATCHER_LLM_LOG"
ENV_MAX_RESPONSE = "MATCHER_LLM_MAX_RESPONSE_BYTES"

RESPONSE_FORMATS = ("auto", "json_schema", "json_object")


@dataclass(frozen=True)
class LLMConfig:
    """How to reach an OpenAI-compatible chat endpoint (Ollama, llama.cpp, vLLM or a hosted API).

    `model` may be empty: the first model the server lists is used (local servers serve one).
    `response_format` "auto" sends the standard `json_schema` form and falls back to
    llama-cpp-python's `{"type": "json_object", "schema": ...}` when the server refuses it.
    """

    base_url: str
    model: str = ""
    # Kept out of repr so a logged or printed config never shows the key.
    api_key: str = field(default="", repr=False)
    timeout: float = 60.0
    max_retries: int = 2
    concurrency: int = 4
    log_path: Path | None = None
    backoff: float = 0.5
    max_backoff: float = 8.0
    temperature: float = 0.0
    response_format: str = "auto"
    # Answers are a few KB and a hosted API's model list well under 1 MB; beyond this the endpoint
    # is broken or hostile, and reading on would only fill memory.
    max_response_bytes: int = 8_000_000

    def __post_init__(self) -> None:
        url = urlparse(self.base_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise LLMError(
                f"LLM base URL {self.base_url!r} is not an http(s) URL; give e.g. "
                f"http://127.0.0.1:11434/v1 ({ENV_BASE_URL} or --llm-base-url)."
            )
        if self.timeout <= 0 or self.max_retries < 0 or self.concurrency < 1:
            raise LLMError("LLM timeout and concurrency must be positive and retries not negative.")
        if self.max_response_bytes < 1024:
            raise LLMError(
                f"LLM max_response_bytes {self.max_response_bytes} is too small; "
                f"give at least 1024 ({ENV_MAX_RESPONSE})."
            )
        if self.response_format not in RESPONSE_FORMATS:
            raise LLMError(f"LLM response_format must be one of {', '.join(RESPONSE_FORMATS)}.")

    @classmethod
    def from_env(cls, **overrides: Any) -> LLMConfig | None:
        """The configured endpoint, or None when neither the environment nor `overrides` names one.

        Overrides (e.g. from CLI flags) win over the environment; None values are ignored.
        """
        given = {k: v for k, v in overrides.items() if v is not None}
        base_url = given.pop("base_url", None) or os.environ.get(ENV_BASE_URL, "").strip()
        if not base_url:
            return None
        env: dict[str, Any] = {
            "model": os.environ.get(ENV_MODEL, "").strip(),
            "api_key": os.environ.get(ENV_API_KEY, "").strip(),
        }
        for name, key, kind in (
            (ENV_TIMEOUT, "timeout", float),
            (ENV_RETRIES, "max_retries", int),
            (ENV_CONCURRENCY, "concurrency", int),
            (ENV_MAX_RESPONSE, "max_response_bytes", int),
        ):
            raw = os.environ.get(name, "").strip()
            if raw:
                env[key] = _number(name, raw, kind)
        if os.environ.get(ENV_LOG, "").strip():
            env["log_path"] = os.environ[ENV_LOG].strip()
        merged = {**env, **given}
        if merged.get("log_path") is not None:
            merged["log_path"] = Path(merged["log_path"]).expanduser()
        return cls(base_url=base_url, **merged)


def _number(name: str, raw: str, kind: type) -> float | int:
    try:
        return kind(raw)
    except ValueError as exc:
        raise LLMError(f"{name}={raw!r} is not a number; unset it or give e.g. 30.") from exc
