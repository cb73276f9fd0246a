"""What an LLM endpoint may do to the client, against real HTTP servers on 127.0.0.1: a redirect never
takes the document to another origin, a huge answer is never read whole, and a server that drips
bytes cannot outlive the timeout. Each failure falls back to the embedded result with a warning."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import tracemalloc
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from matcher.llm import Assistant
from matcher.llm.client import LLMBadResponse, LLMClient, LLMRefused, LLMUnavailable
from matcher.llm.config import LLMConfig
from matcher.llm.transport import origin
from tests.test_llm import ask, completion, config, small_report

MB = 1_000_000


class Server:
    """A loopback HTTP server whose `answer(handler)` writes each POST's raw response itself."""

    def __init__(self, answer: Callable[[BaseHTTPRequestHandler], None], host: str = "127.0.0.1") -> None:
        self.answer = answer
        self.posts: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.sent = 0  # body bytes the answer managed to write
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.posts.append(json.loads(raw or b"{}"))
                server.headers.append(dict(self.headers))
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answer(self)
                self.close_connection = True

            do_GET = do_POST

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def write(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        self.sent += len(data)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(answer: Callable[[BaseHTTPRequestHandler], None], host: str = "127.0.0.1") -> Server:
        servers.append(Server(answer, host))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.end_headers()


def good_answer(handler: BaseHTTPRequestHandler) -> None:
    body = completion(json.dumps({"text": "fine"}))
    head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
    handler.wfile.write(body)


def fallback_warnings(url: str, **kw: Any) -> tuple[list[str], float]:
    """Run judge + explain over a small report against `url`; the warnings and the time it took."""
    assistant = Assistant(config(url, **kw), judge=True, explain=True)
    before = small_report()
    start = time.monotonic()
    after = assistant.augment(before)
    elapsed = time.monotonic() - start
    assert [u.evidences for u in after.units] == [u.evidences for u in before.units]
    assert all(u.extra["evidence_source"] == "embedding" for u in after.units)
    assert after.meta["llm"]["judge"]["fallback"] is True
    return after.meta["warnings"], elapsed


# -- redirects -----------------------------------------------------------------------------------


def test_a_redirect_to_another_origin_is_refused_and_names_both(serve):
    other = serve(good_answer)
    # "localhost" and "127.0.0.1" on another port: a different origin on the same machine.
    target = f"http://localhost:{other.port}/v1/chat/completions"
    endpoint = serve(lambda h: head(h, 307, {"Location": target, "Content-Length": "0"}))
    client = LLMClient(config(endpoint.url))
    with pytest.raises(LLMRefused) as caught:
        ask(client)
    message = str(caught.value)
    assert f"http://127.0.0.1:{endpoint.port}" in message and f"http://localhost:{other.port}" in message
    assert "another origin" in message
    assert other.posts == [] and len(endpoint.posts) == 1  # no retry, nothing reached the other host
    with pytest.raises(LLMUnavailable):  # the breaker is open: no second POST to a redirecting server
        ask(client)
    assert len(endpoint.posts) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_same_origin_redirect_is_refused_with_the_address_to_configure(serve, status):
    endpoint = serve(lambda h: head(h, status, {"Location": "/v2/chat/completions", "Content-Length": "0"}))
    with pytest.raises(LLMRefused, match=r"redirected to http://127\.0\.0\.1:\d+/v2/chat/completions"):
        ask(LLMClient(config(endpoint.url)))
    assert len(endpoint.posts) == 1


def test_a_redirecting_endpoint_falls_back_with_a_warning(serve):
    other = serve(good_answer)
    endpoint = serve(lambda h: head(h, 307, {"Location": other.url + "/chat/completions", "Content-Length": "0"}))
    warnings, _ = fallback_warnings(endpoint.url)
    assert any("redirect" in w for w in warnings), warnings
    assert other.posts == []


def test_origin_compares_scheme_host_and_port():
    assert origin("http://a:80/x") == origin("http://A/y")
    assert origin("https://a/x") != origin("http://a/x")
    assert origin("http://a:8080/") != origin("http://a/")


# -- size ----------------------------------------------------------------------------------------


def endless(server_ref: list[Server], declared: bool) -> Callable[[BaseHTTPRequestHandler], None]:
    """300 MB of JSON-looking bytes, with or without a Content-Length saying so."""

    def answer(handler: BaseHTTPRequestHandler) -> None:
        total = 300 * MB
        headers = {"Content-Type": "application/json"}
        if declared:
            headers["Content-Length"] = str(total)
        else:
            headers["Connection"] = "close"
        head(handler, 200, headers)
        chunk = b" " * 65536
        server_ref[0].write(handler, b'{"choices": [{"message": {"content": "')
        while server_ref[0].sent < total:
            server_ref[0].write(handler, chunk)

    return answer


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_huge_answer_is_never_read_whole(serve, declared):
    ref: list[Server] = []
    ref.append(serve(endless(ref, declared)))
    client = LLMClient(config(ref[0].url, max_response_bytes=MB))
    tracemalloc.start()
    try:
        start = time.monotonic()
        with pytest.raises(LLMBadResponse, match=r"more than 1,000,000 bytes.*MATCHER_LLM_MAX_RESPONSE_BYTES"):
            ask(client)
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * MB, peak
    assert elapsed < 10
    time.sleep(0.2)  # let the server notice the closed connection
    assert ref[0].sent < 40 * MB  # the client stopped reading; only socket buffers filled
    assert len(ref[0].posts) == 1  # not retried: the same server would answer the same


def test_a_huge_answer_falls_back_with_a_warning(serve):
    ref: list[Server] = []
    ref.append(serve(endless(ref, declared=False)))
    warnings, _ = fallback_warnings(ref[0].url, max_response_bytes=MB)
    assert any("more than 1,000,000 bytes" in w for w in warnings), warnings


def test_answers_are_asked_uncompressed_and_a_compressed_one_is_refused(serve):
    def gzipped(handler: BaseHTTPRequestHandler) -> None:
        import gzip

        body = gzip.compress(completion(json.dumps({"text": "x" * 1000})))
        head(handler, 200, {"Content-Encoding": "gzip", "Content-Length": str(len(body))})
        handler.wfile.write(body)

    endpoint = serve(gzipped)
    with pytest.raises(LLMBadResponse, match="gzip-compressed"):
        ask(LLMClient(config(endpoint.url)))
    assert endpoint.headers[0]["Accept-Encoding"] == "identity"
    # Nor does the request carry the SDK's platform headers (OS, CPU, Python version).
    assert not [h for h in endpoint.headers[0] if h.lower().startswith("x-stainless")], endpoint.headers[0]


def test_the_size_cap_is_a_setting(monkeypatch, serve):
    monkeypatch.setenv("MATCHER_LLM_MAX_RESPONSE_BYTES", "2048")
    cfg = LLMConfig.from_env(base_url="http://127.0.0.1:9/v1")
    assert cfg is not None and cfg.max_response_bytes == 2048
    endpoint = serve(good_answer)
    assert ask(LLMClient(config(endpoint.url, max_response_bytes=2048))).data == {"text": "fine"}
    big = completion(json.dumps({"text": "y" * 3000}))
    endpoint.answer = lambda h: (
        head(h, 200, {"Content-Type": "application/json", "Content-Length": str(len(big))}),
        h.wfile.write(big),
    )
    with pytest.raises(LLMBadResponse, match="more than 2,048 bytes"):
        ask(LLMClient(config(endpoint.url, max_response_bytes=2048)))


# -- the total deadline --------------------------------------------------------------------------


def drip_body(handler: BaseHTTPRequestHandler) -> None:
    body = completion(json.dumps({"text": "slow"}))
    head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
    for i in range(len(body)):
        handler.wfile.write(body[i : i + 1])
        handler.wfile.flush()
        time.sleep(0.5)


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: " + b"a" * 200:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.5)


@pytest.mark.parametrize("answer", [drip_body, drip_headers], ids=["body", "headers"])
def test_a_dripping_server_cannot_outlive_the_timeout(serve, answer):
    endpoint = serve(answer)
    client = LLMClient(config(endpoint.url, timeout=2.0, max_retries=0))
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not answer within 2 s"):
        ask(client)
    elapsed = time.monotonic() - start
    # Each read waits at most 0.5 s, so a per-read timeout alone would let the drip run for minutes.
    assert 1.9 < elapsed < 3.0, elapsed


def test_each_retry_gets_its_own_deadline(serve):
    endpoint = serve(drip_body)
    client = LLMClient(config(endpoint.url, timeout=1.0, max_retries=1))
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not answer within 1 s"):
        ask(client)
    assert 1.9 < time.monotonic() - start < 3.0
    assert len(endpoint.posts) == 2


def test_a_dripping_server_falls_back_within_the_timeout(serve):
    endpoint = serve(drip_body)
    warnings, elapsed = fallback_warnings(endpoint.url, timeout=1.5, max_retries=0)
    assert any("did not answer within 1.5 s" in w for w in warnings), warnings
    # Requests are sent one at a time until the response format is known, and the breaker stops the
    # rest after two failures: a few requests, each cut at 1.5 s (a drip would take 2 minutes each).
    assert 1 <= len(endpoint.posts) <= 3
    assert elapsed < len(endpoint.posts) * 1.5 + 1.0, (elapsed, len(endpoint.posts))


def test_a_normal_answer_still_works_through_the_guards(serve):
    endpoint = serve(good_answer)
    reply = ask(LLMClient(config(endpoint.url, timeout=2.0)))
    assert reply.data == {"text": "fine"}
