"""Optional LLM assistance: judge, explain, coach and expand, against an OpenAI-compatible endpoint.

Off unless an endpoint is configured (MATCHER_LLM_BASE_URL, MATCHER_LLM_MODEL, MATCHER_LLM_API_KEY,
or the CLI's --llm-* flags). Everything the LLM produces is marked `"source": "llm"` in the
report, and every failure falls back to the embedded result with a warning.
"""

from __future__ import annotations

from ..errors import LLMError
from .assistant import CAPABILITIES, Assistant
from .client import LLMBadResponse, LLMClient, LLMRefused, LLMUnavailable
from .config import LLMConfig

__all__ = [
    "CAPABILITIES",
    "Assistant",
    "LLMBadResponse",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMRefused",
    "LLMUnavailable",
]
