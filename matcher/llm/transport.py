"""The HTTP transport under the LLM client: what may come back from an endpoint, and for how long.

Three guarantees the `openai` SDK does not give on its own:

- **No redirects.** Any 3xx answer is refused before anything is sent to its `Location`; the
  document goes to the configured origin or nowhere. (A same-origin redirect is refused too, with
  the address to configure instead: following it would only hide a wrong base URL.)
- **A size cap.** A body larger than `max_bytes` (by `Content-Length`, or counted as it streams) is
  refused after at most `max_bytes` plus one read; it is never read whole. Bodies are requested
  uncompressed (`Accept-Encoding: identity`) and a compressed one is refused, so the cap is on what
  is held in memory, not on what a decompressor may grow it to.
- **A total deadline.** Every socket operation of a request (connect, TLS, writes, the header and
  body reads) waits at most until the deadline set by `deadline()` in the calling thread, so a
  server that drips one byte a second ends at the deadline, not at one read timeout per byte.

The SDK's `X-Stainless-*` platform headers (OS, CPU, Python version) are not sent.
Environment proxies (HTTP(S)_PROXY) are not used: the document goes only to the configured host.
Certificate settings (SSL_CERT_FILE) still are.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import httpx2

__all__ = ["RedirectRefused", "ResponseRefused", "ResponseTooLarge", "deadline", "guarded_http_client", "origin"]

_local = threading.local()


class ResponseRefused(Exception):
    """The endpoint answered in a form the client will not read."""


class RedirectRefused(ResponseRefused):
    """The endpoint answered a redirect; nothing was sent to its target."""

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        super().__init__(f"redirect from {source} to {target}")

    @property
    def cross_origin(self) -> bool:
        return origin(self.source) != origin(self.target)


class ResponseTooLarge(ResponseRefused):
    """The body is over the size cap."""

    def __init__(self, limit: int, seen: int) -> None:
        self.limit, self.seen = limit, seen
        super().__init__(f"response body over {limit:,} bytes ({seen:,} or more)")


def origin(url: str) -> str:
    """scheme://host:port, with the default port made explicit, as browsers compare origins."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every request made by this thread inside the block ends within `seconds` from now."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        _local.deadline = previous


def guarded_http_client(*, timeout: float, max_bytes: int) -> httpx2.Client:
    """An httpx2 client for the SDK: no redirects, no environment proxies, capped and deadlined."""
    return httpx2.Client(
        transport=_GuardedTransport(max_bytes),
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
    )


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` shortened to what is left before this thread's deadline; `error` once it passed."""
    end = getattr(_local, "deadline", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> Any:
        inner = self._inner.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore2.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = _bounded(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_tcp(host, port, timeout, **kwargs))

    def connect_unix_socket(self, path: str, timeout: float | None = None, **kwargs: Any) -> Any:
        timeout = _bounded(timeout, httpcore2.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, timeout, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _CappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                raise ResponseTooLarge(self._limit, seen)
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _GuardedTransport(httpx2.HTTPTransport):
    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        # The same pool httpx2 builds, with the deadline-aware network backend: HTTPTransport takes
        # no backend argument, and the pool is the one thing its handle_request uses.
        self._pool = httpcore2.ConnectionPool(
            ssl_context=httpx2.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Accept-Encoding"] = "identity"
        # The SDK's platform headers (OS, CPU, Python version) serve its vendor's analytics only.
        for name in [n for n in request.headers if n.lower().startswith("x-stainless-")]:
            del request.headers[name]
        response = super().handle_request(request)
        try:
            self._check(request, response)
        except ResponseRefused:
            response.close()
            raise
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CappedStream(response.stream, self.max_bytes),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def _check(self, request: httpx2.Request, response: httpx2.Response) -> None:
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location", "")
            raise RedirectRefused(str(request.url), str(request.url.join(location)) if location else "(no Location)")
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            raise ResponseRefused(f"a {encoding}-compressed body although an uncompressed one was asked for")
        length = response.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.max_bytes:
            raise ResponseTooLarge(self.max_bytes, int(length))
