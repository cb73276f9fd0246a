"""A thin, defensive wrapper over the `openai` SDK for OpenAI-compatible chat endpoints.

What it adds over the SDK: its own retries with jittered exponential backoff (the SDK's are off,
so the policy is ours and testable), a cap on requests in flight, JSON-schema output with a fallback
for servers that only know llama-cpp-python's `json_object` + `schema` form, a circuit breaker so an
unreachable endpoint costs one failed request rather than one per unit, an optional JSONL audit log,
and errors that say what went wrong in words a user can act on. Under it, `transport` refuses
redirects, caps each response's size and holds each request to a total deadline of `timeout`.
"""

from __future__ import annotations

import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ..errors import LLMError
from ..text import strip_code_fence
from .config import ENV_API_KEY, ENV_BASE_URL, ENV_MAX_RESPONSE, ENV_MODEL, LLMConfig
from .transport import RedirectRefused, ResponseRefused, ResponseTooLarge, deadline, guarded_http_client, origin

__all__ = [
    "AuditLog",
    "LLMBadResponse",
    "LLMClient",
    "LLMRefused",
    "LLMUnavailable",
    "Reply",
    "parse_json_object",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

# Statuses worth another try: rate limits, overload and server-side failures.
RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# After this many requests in a row fail for want of a working endpoint, the rest fail fast.
BREAKER_AFTER = 2
# The SDK refuses an empty key; local servers ignore whatever is sent.
NO_KEY = "no-key"
# Audit-log and error messages keep this much of a response body.
SNIPPET = 300


class LLMUnavailable(LLMError):
    """The endpoint could not be reached, timed out, or kept failing after the retries."""


class LLMRefused(LLMError):
    """The endpoint answered an error that retrying will not fix (bad key, unknown model...)."""


class LLMBadResponse(LLMError):
    """The endpoint answered, but not with the JSON object asked for."""


@dataclass(frozen=True)
class Reply:
    """A parsed JSON answer and what it came from."""

    data: dict[str, Any]
    content: str
    finish_reason: str | None
    attempts: int


class AuditLog:
    """Append-only JSONL file of every request and response, for users who must see what was sent.

    Created owner-readable only: it holds the brag document's text.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            raise LLMError(f"{path}: cannot open the LLM audit log ({exc.strerror or exc}).") from exc
        self._fh = os.fdopen(fd, "a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(
            {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), **record},
            ensure_ascii=False,
            default=str,
        )
        with self._lock:
            self._fh.write(line + "\n")
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            self._fh.close()


def parse_json_object(content: str | None) -> dict[str, Any]:
    """The JSON object in a model's answer; tolerates a ```json fence or chatter around it."""
    if not content or not content.strip():
        raise LLMBadResponse("the model answered with an empty message")
    text = strip_code_fence(content.strip())
    # strict=False: grammar-constrained servers let raw newlines and tabs into strings.
    try:
        data = json.loads(text, strict=False)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start : end + 1], strict=False) if 0 <= start < end else None
        except json.JSONDecodeError:
            data = None
        if data is None:
            raise LLMBadResponse(f"the model answered with something that is not JSON: {_snip(content)!r}") from None
    if not isinstance(data, dict):
        raise LLMBadResponse(f"the model answered JSON that is not an object: {_snip(content)!r}")
    return data


class LLMClient:
    """Chat requests with JSON output against one endpoint. Thread-safe; share one per process."""

    def __init__(self, config: LLMConfig, *, sdk: Any = None) -> None:
        self.config = config
        self._sdk = sdk or _make_sdk(config)
        self._slots = threading.BoundedSemaphore(config.concurrency)
        self._lock = threading.Lock()
        self._audit = AuditLog(config.log_path) if config.log_path else None
        # "json_schema" until the server refuses it, in "auto" mode.
        self._format = "json_object" if config.response_format == "json_object" else "json_schema"
        self._format_known = config.response_format != "auto"
        self._probe = threading.Lock()
        self._model = config.model
        self._failures = 0
        self._down: str | None = None

    # -- public ----------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The configured model, else the first one the server lists (asked once)."""
        with self._lock:
            if not self._model:
                try:
                    self._model = self._detect_model()
                except LLMError as exc:
                    # Asking again for every unit would only repeat the same failure.
                    self._down = str(exc)
                    raise
            return self._model

    @property
    def known_model(self) -> str | None:
        """The model in use if known yet, without asking the server."""
        return self._model or None

    @property
    def is_down(self) -> bool:
        """True once the circuit breaker has tripped (until `reset`)."""
        return self._down is not None

    @property
    def response_format_mode(self) -> str:
        return self._format

    def reset(self) -> None:
        """Close the circuit breaker: the next request tries the endpoint again."""
        with self._lock:
            self._failures, self._down = 0, None

    def chat_json(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        *,
        name: str,
        max_tokens: int,
        kind: str = "",
        temperature: float | None = None,
    ) -> Reply:
        """Send one chat request whose answer must be a JSON object following `schema`.

        Raises LLMUnavailable, LLMRefused or LLMBadResponse (all LLMError) with a message for users.
        """
        model = self.model if self._down is None else ""
        attempt = 0
        while True:
            if self._down is not None:  # tripped here or by another worker meanwhile
                raise LLMUnavailable(self._down)
            used = self._format
            payload = {
                "model": model,
                "messages": messages,
                "temperature": self.config.temperature if temperature is None else temperature,
                "max_tokens": max_tokens,
                "response_format": self._response_format(used, name, schema),
            }
            try:
                resp = self._send_negotiated(payload, used, kind, attempt)
            except _FormatRefused as exc:
                if not self._downgrade_format(used):
                    raise LLMRefused(
                        f"The LLM endpoint at {self.config.base_url} does not accept JSON-schema "
                        f"output (response_format): {exc}. Use a server with structured output."
                    ) from None
                continue
            except _Retryable as exc:
                if attempt < self.config.max_retries:
                    self._sleep(attempt, exc.retry_after)
                    attempt += 1
                    continue
                raise self._trip(exc.message, immediate=exc.unreachable) from None
            if resp is None:  # another request settled the format meanwhile: resend in that one
                continue
            self._succeeded()
            content, finish = _content_of(resp)
            try:
                data = parse_json_object(content)
            except LLMBadResponse as exc:
                if finish == "length":
                    raise LLMBadResponse(f"{exc} (cut off at max_tokens={max_tokens})") from None
                raise
            return Reply(data, content or "", finish, attempt + 1)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R | LLMError]:
        """fn over items, at most `concurrency` at a time; an LLMError is returned, not raised."""
        if not items:
            return []

        def guarded(item: T) -> R | LLMError:
            try:
                return fn(item)
            except LLMError as exc:
                return exc

        workers = min(self.config.concurrency, len(items))
        if workers == 1:
            return [guarded(x) for x in items]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matcher-llm") as pool:
            return list(pool.map(guarded, items))

    def close(self) -> None:
        if self._audit is not None:
            self._audit.close()
        close = getattr(self._sdk, "close", None)
        if callable(close):
            close()

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _response_format(mode: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        if mode == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
        return {"type": "json_object", "schema": schema}

    def _downgrade_format(self, used: str) -> bool:
        """After `used` was refused: json_object next (auto mode only); False if none is left."""
        if self.config.response_format != "auto" or used != "json_schema":
            return False
        with self._lock:
            if self._format == "json_schema":
                log.info(
                    "%s refused response_format json_schema; using json_object with a schema.",
                    self.config.base_url,
                )
                self._format = "json_object"
        return True

    def _send_negotiated(self, payload: dict[str, Any], used: str, kind: str, attempt: int) -> Any:
        """Send; one at a time until a request has gone through, so a server that refuses
        `json_schema` refuses it once, not once per worker. None: the format changed, resend."""
        if self._format_known:
            return self._send(payload, kind, attempt)
        with self._probe:
            if self._format != used:
                return None
            resp = self._send(payload, kind, attempt)
            self._format_known = True
            return resp

    def _send(self, payload: dict[str, Any], kind: str, attempt: int) -> Any:
        openai = _openai()

        start = time.monotonic()
        record: dict[str, Any] = {"kind": kind, "attempt": attempt + 1, "request": payload}
        try:
            with self._slots, deadline(self.config.timeout):
                resp = self._sdk.chat.completions.create(**payload, timeout=self.config.timeout)
        except ResponseRefused as exc:
            self._audit_write(record, start, error=str(exc))
            raise self._refusal(exc) from None
        except openai.APIStatusError as exc:
            self._audit_write(record, start, error=_status_message(exc), status=exc.status_code)
            body = _snip(_body_text(exc))
            if exc.status_code in (400, 422, 500) and _mentions_format(body):
                raise _FormatRefused(body) from None
            if exc.status_code in RETRY_STATUS:
                raise _Retryable(self._status_text(exc), retry_after=_retry_after(exc)) from None
            raise LLMRefused(self._status_text(exc)) from None
        except openai.APITimeoutError:
            self._audit_write(record, start, error="timeout")
            raise _Retryable(self._timeout_text()) from None
        except openai.APIConnectionError as exc:
            self._audit_write(record, start, error=f"connection error: {_cause(exc)}")
            raise _Retryable(
                f"The LLM endpoint at {self.config.base_url} is unreachable ({_cause(exc)}). "
                f"Check {ENV_BASE_URL} / --llm-base-url and that the server is running.",
                unreachable=True,
            ) from None
        except Exception as exc:  # the SDK choking on a body that is not what it claims to be
            self._audit_write(record, start, error=f"{type(exc).__name__}: {exc}")
            raise LLMBadResponse(f"The LLM endpoint at {self.config.base_url} answered nonsense: {exc}") from None
        self._audit_write(record, start, response=_dump(resp))
        return resp

    def _audit_write(self, record: dict[str, Any], start: float, **fields: Any) -> None:
        if self._audit is not None:
            self._audit.write({**record, **fields, "elapsed_ms": round((time.monotonic() - start) * 1000)})

    def _refusal(self, exc: ResponseRefused) -> LLMError:
        """The error for an answer the transport would not read; a redirect also trips the breaker,
        since every later request would be redirected the same way."""
        url = self.config.base_url
        if isinstance(exc, RedirectRefused):
            if exc.cross_origin:
                message = (
                    f"The LLM endpoint at {url} redirected to another origin ({origin(exc.source)} -> "
                    f"{origin(exc.target)}); nothing was sent there. Set {ENV_BASE_URL} / --llm-base-url "
                    "to the server you mean to use."
                )
            else:
                message = (
                    f"The LLM endpoint at {url} redirected to {exc.target}; redirects are not followed. "
                    f"Set {ENV_BASE_URL} / --llm-base-url to that address."
                )
            with self._lock:
                self._down = message
            return LLMRefused(message)
        if isinstance(exc, ResponseTooLarge):
            return LLMBadResponse(
                f"The LLM endpoint at {url} answered more than {exc.limit:,} bytes; the answer was not read. "
                f"Raise {ENV_MAX_RESPONSE} if the server is yours and its answers are that large."
            )
        return LLMBadResponse(f"The LLM endpoint at {url} answered {exc}.")

    def _timeout_text(self) -> str:
        return (
            f"The LLM endpoint at {self.config.base_url} did not answer within "
            f"{self.config.timeout:g} s (MATCHER_LLM_TIMEOUT / --llm-timeout)."
        )

    def _status_text(self, exc: Any) -> str:
        url = self.config.base_url
        status = exc.status_code
        detail = _snip(_body_text(exc))
        if status in (401, 403):
            return f"The LLM endpoint at {url} refused the API key (HTTP {status}); set {ENV_API_KEY} or --llm-api-key."
        if status == 404:
            return (
                f"The LLM endpoint at {url} answered 404: wrong base URL (it usually ends in /v1) "
                "or "
                f"unknown model {self._model!r} ({ENV_MODEL} / --llm-model). {detail}"
            )
        return f"The LLM endpoint at {url} answered HTTP {status}: {detail}"

    def _sleep(self, attempt: int, retry_after: float | None) -> None:
        delay = min(self.config.max_backoff, self.config.backoff * (2**attempt))
        # Jitter keeps concurrent workers from retrying in lockstep.
        delay *= 0.5 + random.random() / 2
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.config.max_backoff))
        log.debug("LLM request failed; retrying in %.2f s", delay)
        time.sleep(delay)

    def _trip(self, message: str, *, immediate: bool) -> LLMUnavailable:
        with self._lock:
            self._failures += 1
            if immediate or self._failures >= BREAKER_AFTER:
                self._down = message
        return LLMUnavailable(message)

    def _succeeded(self) -> None:
        if self._failures:
            with self._lock:
                self._failures = 0

    def _detect_model(self) -> str:
        openai = _openai()

        start = time.monotonic()
        record = {"kind": "models", "attempt": 1, "request": {"method": "GET", "path": "/models"}}
        try:
            with self._slots, deadline(self.config.timeout):
                models = self._sdk.models.list(timeout=self.config.timeout)
            ids = [m.id for m in getattr(models, "data", None) or [] if getattr(m, "id", None)]
        except ResponseRefused as exc:
            self._audit_write(record, start, error=str(exc))
            raise self._refusal(exc) from None
        except openai.APIStatusError as exc:
            self._audit_write(record, start, error=_status_message(exc), status=exc.status_code)
            raise LLMRefused(f"{self._status_text(exc)} Set {ENV_MODEL} or --llm-model.") from None
        except openai.APITimeoutError:  # before APIConnectionError, its base class
            self._audit_write(record, start, error="timeout")
            raise LLMUnavailable(self._timeout_text()) from None
        except openai.APIConnectionError as exc:
            self._audit_write(record, start, error=f"connection error: {_cause(exc)}")
            msg = (
                f"The LLM endpoint at {self.config.base_url} is unreachable ({_cause(exc)}). "
                f"Check {ENV_BASE_URL} / --llm-base-url and that the server is running."
            )
            raise LLMUnavailable(msg) from None
        except (openai.OpenAIError, TypeError, AttributeError) as exc:
            self._audit_write(record, start, error=str(exc))
            raise LLMBadResponse(
                f"The LLM endpoint at {self.config.base_url} listed no usable models: "
                f"{exc}. Set {ENV_MODEL} or --llm-model."
            ) from None
        self._audit_write(record, start, response={"models": ids})
        if not ids:
            raise LLMRefused(
                f"The LLM endpoint at {self.config.base_url} lists no models; set {ENV_MODEL} or --llm-model."
            )
        return ids[0]


class _Retryable(Exception):
    def __init__(self, message: str, *, retry_after: float | None = None, unreachable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.unreachable = unreachable


class _FormatRefused(Exception):
    pass


def _openai() -> Any:
    try:
        import openai
    except ImportError as exc:
        raise LLMError(
            "LLM assistance needs the `openai` package: pip install 'evidence-matcher[llm]' (or pip install openai)."
        ) from exc
    return openai


def _make_sdk(config: LLMConfig) -> Any:
    openai = _openai()
    # max_retries=0: retries are ours. The key is always passed so the SDK never falls back to
    # OPENAI_API_KEY and sends a hosted-API key to some other endpoint.
    return openai.OpenAI(
        base_url=config.base_url,
        api_key=config.api_key or NO_KEY,
        timeout=config.timeout,
        max_retries=0,
        http_client=guarded_http_client(timeout=config.timeout, max_bytes=config.max_response_bytes),
    )


def _content_of(resp: Any) -> tuple[str | None, str | None]:
    """(content, finish_reason) of the first choice; LLMBadResponse if it is no chat completion."""
    try:
        choice = resp.choices[0]
        content = choice.message.content
        finish = getattr(choice, "finish_reason", None)
    except (AttributeError, IndexError, KeyError, TypeError):
        raise LLMBadResponse(
            f"the endpoint answered something that is not a chat completion: {_snip(str(resp))!r}"
        ) from None
    if content is not None and not isinstance(content, str):
        raise LLMBadResponse(f"the message content is not text: {_snip(str(content))!r}")
    if finish == "length" and content:
        log.debug("LLM answer cut at max_tokens: %s", _snip(content))
    return content, finish


def _dump(resp: Any) -> Any:
    try:
        return resp.model_dump(mode="json", exclude_none=True)
    except Exception:
        return str(resp)


def _body_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if body is None:
        try:
            return exc.response.text
        except Exception:
            return str(exc)
    return body if isinstance(body, str) else json.dumps(body, default=str)


def _status_message(exc: Any) -> str:
    return f"HTTP {exc.status_code}: {_snip(_body_text(exc))}"


def _mentions_format(body: str) -> bool:
    low = body.lower()
    return "response_format" in low or "json_schema" in low


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    text = str(inner) if inner is not None else str(exc)
    return _snip(text or type(exc).__name__, 160)


def _snip(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
