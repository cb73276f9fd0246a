"""The Assistant: the optional LLM layer, a Report -> Report step applied after matching.

    from matcher import Matcher
    from matcher.llm import Assistant, LLMConfig

    matcher = Matcher.from_ladder("lead-software-engineer")
    with Assistant(LLMConfig(base_url="http://127.0.0.1:11434/v1", model="qwen2.5:7b"),
                   judge=True, explain=True, coach=True) as llm:
        report = llm.augment(matcher.match(text), matcher.ladder)

The matcher knows nothing of it; the CLI and the app apply it the same way, to the report.

Every LLM failure falls back to the embedded result for the units or statements concerned, and says
so in `report.meta["llm"]` and `report.meta["warnings"]`; `augment` never raises for an LLM error.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse, urlunparse

from ..models import Ladder
from ..report import Report
from .client import LLMClient
from .coach import coach_report
from .config import ENV_BASE_URL, LLMConfig
from .explain import explain_report
from .judge import SOURCE_EMBEDDING, judge_report

__all__ = ["CAPABILITIES", "Assistant"]

log = logging.getLogger(__name__)

CAPABILITIES = ("judge", "explain", "coach")


class Assistant:
    """Judge, explain and coach with an OpenAI-compatible LLM; each capability is a switch."""

    def __init__(
        self,
        config: LLMConfig,
        *,
        judge: bool = True,
        explain: bool = False,
        coach: bool = False,
        client: LLMClient | None = None,
    ) -> None:
        self.config = config
        self.judge = judge
        self.explain = explain
        self.coach = coach
        self.client = client or LLMClient(config)

    @classmethod
    def from_env(
        cls, *, judge: bool = True, explain: bool = False, coach: bool = False, **overrides: Any
    ) -> Assistant | None:
        """An Assistant for the endpoint in MATCHER_LLM_* and `overrides`; None when none is set."""
        config = LLMConfig.from_env(**overrides)
        return cls(config, judge=judge, explain=explain, coach=coach) if config else None

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(c for c in CAPABILITIES if getattr(self, c))

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def augment(self, report: Report, ladder: Ladder | None = None) -> Report:
        """The report with the enabled capabilities applied; the judge first (it moves coverage).

        `ladder` (the one the report was matched against) lets the coach quote its examples.
        """
        # Each report gets a fresh try at the endpoint, even if the last one found it down.
        self.client.reset()
        info: dict[str, Any] = {
            "endpoint": _public_url(self.config.base_url),
            "capabilities": list(self.capabilities),
        }
        warnings = list(report.meta.get("warnings", []))
        steps = (
            ("judge", lambda r: judge_report(r, self.client)),
            ("explain", lambda r: explain_report(r, self.client)),
            ("coach", lambda r: coach_report(r, ladder, self.client)),
        )
        if not self.judge:
            report = _mark_embedding(report)
        for name, step in steps:
            if not getattr(self, name):
                continue
            try:
                report, counts = step(report)
            except Exception as exc:  # a bug or surprise here must not cost the user the embedded report
                log.exception("LLM %s failed", name)
                counts = {
                    "requested": 0,
                    "succeeded": 0,
                    "failed": 0,
                    "fallback": True,
                    "error": str(exc),
                }
                if name == "judge":
                    report = _mark_embedding(report)
            info[name] = counts
            if counts.get("fallback"):
                warnings.append(_warning(name, counts))
        info["model"] = self.client.known_model
        info["response_format"] = self.client.response_format_mode
        return replace(report, meta={**report.meta, "llm": info, "warnings": warnings})


def _mark_embedding(report: Report) -> Report:
    units = tuple(replace(u, extra={**u.extra, "evidence_source": SOURCE_EMBEDDING}) for u in report.units)
    return replace(report, units=units)


_WHAT = {
    "judge": ("units", "keep the embedded decision"),
    "explain": ("statements", "have no explanation"),
    "coach": ("statements", "have no coaching"),
}


def _warning(name: str, counts: dict[str, Any]) -> str:
    things, effect = _WHAT[name]
    failed, requested = counts.get("failed", 0), counts.get("requested", 0)
    error = counts.get("error") or "unknown error"
    if not requested:
        return f"The LLM {name} could not run, so the embedded result is used: {error}"
    share = f"all {requested}" if failed >= requested else f"{failed} of {requested}"
    return f"The LLM {name} failed for {share} {things}, which {effect}: {error}"


def _public_url(url: str) -> str:
    """The base URL without any user:password part, for reports and logs."""
    parts = urlparse(url)
    if "@" not in parts.netloc:
        return url
    return urlunparse(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def require_config(config: LLMConfig | None, what: str) -> LLMConfig:
    """`config`, or an LLMError naming the settings to give when it is None."""
    from ..errors import LLMError

    if config is None:
        raise LLMError(
            f"{what} needs an LLM endpoint: set {ENV_BASE_URL} (e.g. http://127.0.0.1:11434/v1 "
            "for Ollama) or pass --llm-base-url, and MATCHER_LLM_MODEL / --llm-model if the server "
            "has several models."
        )
    return config
