"""Privacy: nothing leaves the machine, and nothing is written outside the documented caches and the
user's own outputs.

The CLI, a library script and the app run as subprocesses in a sandbox: a fresh, empty HOME, TMPDIR
and XDG_* folders, and an environment built from nothing (the test process has already imported
matcher, so inheriting its environment would inherit the very switches under test). Two recorders
log every *attempt* to reach the network, not only what arrived:

- `sitecustomize.py` on PYTHONPATH installs an audit hook (`sys.addaudithook`) that records Python's
  socket.connect / getaddrinfo / gethostbyname / sendto... events;
- `egress.so` (compiled here with cc, LD_PRELOAD) records libc's connect, getaddrinfo, gethostbyname
  and sendto from native code: onnxruntime's uploader is C++ and never passes through Python.

Both refuse what they record, so no test depends on the machine having no network. After each run
the sandbox is walked, and every file outside an allowlist (the index cache under XDG_CACHE_HOME, the
outputs the user asked for) fails the test. The model cache is the already prepared one
(MATCHER_MODEL_CACHE, a documented cache), so nothing is fine-tuned again.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from matcher.config import Settings

ROOT = Path(__file__).resolve().parents[1]
LADDER = "lead-software-engineer"
# Where onnxruntime's Linux wheels (1.29+) put their device id and event queue without the opt-out
# ($XDG_CACHE_HOME, else ~/.cache), and their session file ($TMPDIR).
ORT_FILES = (
    "xdg_cache_home/Microsoft/DeveloperTools/.onnxruntime/deviceid",
    "xdg_cache_home/Microsoft/DeveloperTools/.onnxruntime/onnxruntime.db",
    "tmp/.ses",
)
ORT_COLLECTOR = "mobile.events.data.microsoft.com"

SITECUSTOMIZE = textwrap.dedent(
    """
    # Test recorder: log (and refuse) every non-loopback network attempt made through Python.
    import ipaddress, os, sys

    _LOG = os.environ["EGRESS_LOG"]
    _EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
               "socket.gethostbyaddr", "socket.getnameinfo", "socket.sendto", "socket.sendmsg"}

    def _local(host):
        if host is None or host in ("", "localhost"):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _target(event, args):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            address = args[1] if len(args) > 1 else None
            return address[0] if isinstance(address, tuple) else None  # AF_UNIX paths are local
        if event == "socket.getnameinfo":
            return args[0][0]
        return args[0]

    def _hook(event, args):
        if event not in _EVENTS:
            return
        host = _target(event, args)
        if _local(host):
            return
        with open(_LOG, "a") as fh:
            fh.write(f"python {event} {host!r}\\n")
        raise OSError(101, f"network blocked by the privacy test: {event} {host!r}")

    sys.addaudithook(_hook)
    """
)

EGRESS_C = r"""
/* Test recorder: log (and refuse) every non-loopback lookup and connection made through libc. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void record(const char *what, const char *detail) {
    const char *path = getenv("EGRESS_LOG");
    char line[600];
    int fd, n;
    if (!path) return;
    n = snprintf(line, sizeof line, "native %s %s\n", what, detail ? detail : "(null)");
    if (n < 0 || n >= (int)sizeof line) n = (int)sizeof line - 1;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd < 0) return;
    if (write(fd, line, n) < 0) { /* nothing better to do in a recorder */ }
    close(fd);
}

static int loopback_name(const char *node) {
    struct in_addr a4;
    struct in6_addr a6;
    if (!node || !strcmp(node, "localhost")) return 1;
    if (inet_pton(AF_INET, node, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, node, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static int loopback_addr(const struct sockaddr *addr, char *text, size_t size) {
    if (!addr) return 1;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, text, size);
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127 || in->sin_addr.s_addr == 0;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, text, size);
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr)) return 1;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return 1; /* AF_UNIX, netlink: not the network */
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
    static int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **);
    if (!real) real = dlsym(RTLD_NEXT, "getaddrinfo");
    if (!loopback_name(node)) {
        record("getaddrinfo", node);
        return EAI_FAIL;
    }
    return real(node, service, hints, res);
}

struct hostent *gethostbyname(const char *name) {
    static struct hostent *(*real)(const char *);
    if (!real) real = dlsym(RTLD_NEXT, "gethostbyname");
    if (!loopback_name(name)) {
        record("gethostbyname", name);
        h_errno = HOST_NOT_FOUND;
        return NULL;
    }
    return real(name);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    static int (*real)(int, const struct sockaddr *, socklen_t);
    char text[INET6_ADDRSTRLEN] = "";
    if (!real) real = dlsym(RTLD_NEXT, "connect");
    if (!loopback_addr(addr, text, sizeof text)) {
        record("connect", text);
        errno = ENETUNREACH;
        return -1;
    }
    return real(fd, addr, len);
}

ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len) {
    static ssize_t (*real)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);
    char text[INET6_ADDRSTRLEN] = "";
    if (!real) real = dlsym(RTLD_NEXT, "sendto");
    if (addr && !loopback_addr(addr, text, sizeof text)) {
        record("sendto", text);
        errno = ENETUNREACH;
        return -1;
    }
    return real(fd, buf, n, flags, addr, len);
}
"""


@pytest.fixture(scope="session")
def egress_so(tmp_path_factory) -> Path | None:
    """The native recorder, compiled once; None where there is no C compiler (Python events only)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    folder = tmp_path_factory.mktemp("egress")
    (folder / "egress.c").write_text(EGRESS_C)
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", "egress.so", "egress.c", "-ldl"], cwd=folder, check=True)
    return folder / "egress.so"


@dataclass
class Sandbox:
    """A fresh HOME, TMPDIR and XDG_* under `world`, and the recorders' log beside it."""

    base: Path
    native: Path | None
    outputs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.world = self.base / "world"
        self.home = self.world / "home"
        self.tmp = self.world / "tmp"
        names = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR")
        self.xdg = {name: self.world / name.lower() for name in names}
        for folder in (self.home, self.tmp, *self.xdg.values()):
            folder.mkdir(parents=True)
        self.xdg["XDG_RUNTIME_DIR"].chmod(0o700)
        site = self.base / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
        self.log = self.base / "egress.log"
        self.env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            **{name: str(path) for name, path in self.xdg.items()},
            "LANG": "C.UTF-8",
            "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
            "EGRESS_LOG": str(self.log),
            # The documented model cache, already prepared: nothing is fine-tuned or exported here.
            "MATCHER_MODEL_CACHE": str(Settings.from_env().model_cache_dir),
        }
        if self.native is not None:
            self.env["LD_PRELOAD"] = str(self.native)
        self.before = set(self.files())

    @property
    def index_cache(self) -> Path:
        return self.xdg["XDG_CACHE_HOME"] / "evidence-matcher"

    def user_file(self, relative: str, text: str) -> Path:
        """A file of the user's own, there before any run (so never counted as written by one)."""
        path = self.home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.before.add(path)
        return path

    def output(self, relative: str) -> Path:
        """A path the user asks a command to write to."""
        path = self.home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self.outputs.append(path)
        return path

    def python(self, *args: str, stdin: bytes | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], input=stdin, capture_output=True, cwd=self.home, env=self.env, timeout=timeout
        )

    def files(self) -> Iterator[Path]:
        for folder, _dirs, names in os.walk(self.world):
            for name in names:
                yield Path(folder) / name

    def attempts(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def stray_files(self) -> list[str]:
        """Files written under the sandbox outside the index cache and the user's outputs."""
        allowed = [self.index_cache, *self.outputs]
        return sorted(
            str(path.relative_to(self.world))
            for path in self.files()
            if path not in self.before and not any(path == a or a in path.parents for a in allowed)
        )

    def holding(self, marker: str) -> list[str]:
        """Files written by the runs (outputs excepted) whose bytes contain `marker`."""
        needle = marker.encode()
        return sorted(
            str(p.relative_to(self.world))
            for p in self.files()
            if p not in self.before and p not in self.outputs and needle in p.read_bytes()
        )

    def assert_private(self, marker: str | None = None) -> None:
        assert self.attempts() == [], "network attempts:\n" + "\n".join(self.attempts())
        assert self.stray_files() == [], "files written outside the documented caches and outputs"
        if marker is not None:
            assert self.holding(marker) == [], f"the pasted text reached disk: {self.holding(marker)}"


@pytest.fixture()
def sandbox(tmp_path, egress_so) -> Sandbox:
    return Sandbox(tmp_path, egress_so)


def _marker() -> str:
    return f"QZX{uuid.uuid4().hex}"


def _brag(marker: str) -> str:
    return (
        f"- Led the {marker} billing migration to the new queue, with a rollback plan\n"
        "- Wrote the incident review for the March outage and ran the follow-up actions\n"
    )


# -- the recorders can fail a test ---------------------------------------------------------------


def test_the_recorders_catch_a_deliberate_attempt(sandbox):
    probe = textwrap.dedent(
        """
        import socket
        for attempt in (lambda: socket.socket().connect(("192.0.2.1", 80)),
                        lambda: socket.getaddrinfo("example.com", 443),
                        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("192.0.2.1", 53))):
            try:
                attempt()
            except OSError as exc:
                print("refused:", exc)
        # Loopback is the user's own machine: allowed and not recorded.
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
        socket.create_connection(server.getsockname(), 1).close()
        """
    )
    proc = sandbox.python("-c", probe)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().count("refused:") == 3
    seen = "\n".join(sandbox.attempts())
    assert "python socket.connect '192.0.2.1'" in seen
    assert "python socket.getaddrinfo 'example.com'" in seen
    assert "python socket.sendto '192.0.2.1'" in seen
    assert "127.0.0.1" not in seen
    sandbox.user_file("notes.txt", "mine")
    sandbox.python("-c", "import os; open(os.path.expanduser('~/stray.txt'), 'w').write('x')")
    assert sandbox.stray_files() == ["home/stray.txt"]  # a file outside the allowlist is caught
    with pytest.raises(AssertionError):
        sandbox.assert_private()


def test_the_native_recorder_catches_what_python_cannot_see(sandbox):
    if sandbox.native is None:
        pytest.skip("no C compiler: the native recorder is not built here")
    probe = "import ctypes, ctypes.util; libc = ctypes.CDLL(None); libc.gethostbyname(b'example.org')"
    proc = sandbox.python("-c", probe)
    assert proc.returncode == 0, proc.stderr.decode()
    assert sandbox.attempts() == ["native gethostbyname example.org"]  # the audit hook never saw it


def _ort_probe(first: str) -> str:
    # Waits for onnxruntime's uploader (it looks up its collector about 10 s after import).
    return textwrap.dedent(
        f"""
        import os, time
        {first}
        import onnxruntime
        start = time.monotonic()
        while time.monotonic() - start < float(os.environ["WAIT"]):
            if os.path.exists(os.environ["EGRESS_LOG"]):
                break
            time.sleep(0.2)
        """
    )


def test_onnxruntime_without_the_opt_out_would_fail_the_privacy_tests(tmp_path, egress_so):
    """The control experiment: the same recorders and allowlist catch onnxruntime's telemetry when
    it is imported bare, and see nothing when matcher (its opt-out) is imported first."""
    bare, guarded = Sandbox(tmp_path / "bare", egress_so), Sandbox(tmp_path / "guarded", egress_so)
    runs = []
    for box, first, wait in ((bare, "", 60), (guarded, "import matcher", 25)):
        box.env["WAIT"] = str(wait)
        runs.append(subprocess.Popen([sys.executable, "-c", _ort_probe(first)], cwd=box.home, env=box.env))
    for run in runs:
        assert run.wait(timeout=120) == 0
    stray = bare.stray_files()
    assert set(ORT_FILES) <= set(stray), stray
    if egress_so is not None:
        assert f"native getaddrinfo {ORT_COLLECTOR}" in bare.attempts()
    guarded.assert_private()


HUB_PING = """
{first}
import time
from huggingface_hub.utils import send_telemetry
send_telemetry("evidence-matcher-privacy-test")  # sent from a background thread
time.sleep(2)
"""


@pytest.mark.parametrize(
    ("first", "env", "caught"),
    [
        ("", {}, True),  # the control: huggingface_hub's usage ping is caught
        ("import matcher", {}, False),
        # With the Hub allowed by the user, the telemetry switch alone still holds.
        ("import matcher", {"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"}, False),
    ],
    ids=["bare", "matcher", "matcher-online"],
)
def test_huggingface_hub_telemetry_is_off(sandbox, first, env, caught):
    sandbox.env.update(env)
    proc = sandbox.python("-c", HUB_PING.format(first=first))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert ("python socket.getaddrinfo 'huggingface.co'" in sandbox.attempts()) is caught, sandbox.attempts()
    if not caught:
        sandbox.assert_private()


def test_importing_onnxruntime_before_matcher_warns_what_to_set(sandbox):
    proc = sandbox.python("-c", "import onnxruntime, matcher")
    assert proc.returncode == 0
    assert "ORT_DISABLE_TELEMETRY=1" in proc.stderr.decode()
    proc = sandbox.python("-c", "import matcher, onnxruntime")
    assert proc.returncode == 0 and proc.stderr.decode() == ""


# -- the product: CLI, library, app ------------------------------------------------------------------


def test_cli_sends_nothing_and_writes_only_its_cache_and_outputs(sandbox):
    marker = _marker()
    doc = sandbox.user_file("docs/brag.md", _brag(marker))
    report = sandbox.output("out/report.json")
    proc = sandbox.python("-m", "matcher", "match", str(doc), "--ladder", LADDER, "-f", "json", "-o", str(report))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    units = json.loads(report.read_text())["units"]
    assert len(units) == 2 and marker in units[0]["text"]
    # Standard input, and a batch over a folder, in the same home.
    proc = sandbox.python("-m", "matcher", "match", "-", "--ladder", LADDER, "-f", "csv", stdin=_brag(marker).encode())
    assert proc.returncode == 0 and marker in proc.stdout.decode()
    sandbox.user_file("team/alice.md", _brag(marker))
    results = sandbox.output("out/team.csv")
    team = str(sandbox.home / "team")
    proc = sandbox.python("-m", "matcher", "batch", team, "--ladder", LADDER, "--out", str(results))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert marker in results.read_text()
    proc = sandbox.python("-m", "matcher", "doctor")
    assert proc.returncode == 0 and "ORT_DISABLE_TELEMETRY=1" in proc.stdout.decode()
    assert any(sandbox.index_cache.rglob("*")), "the index cache was written where it is documented"
    sandbox.assert_private(marker)


def test_library_script_sends_nothing_and_writes_only_its_cache(sandbox):
    marker = _marker()
    script = sandbox.user_file(
        "script.py",
        textwrap.dedent(
            f"""
            import json, sys
            from matcher import Matcher
            matcher = Matcher.from_ladder({LADDER!r})
            text = sys.stdin.read()
            report = matcher.match(text)
            many = list(matcher.match_many([text, text]))
            print(json.dumps([report.to_dict()["units"][0]["text"], len(many), len(report.to_frame())]))
            """
        ),
    )
    proc = sandbox.python(str(script), stdin=_brag(marker).encode())
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    first, many, rows = json.loads(proc.stdout)
    assert marker in first and many == 2 and rows >= 2
    sandbox.assert_private(marker)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.read().decode("utf-8", "replace")


@contextmanager
def streamlit_app(sandbox: Sandbox, app: Path = ROOT / "app.py") -> Iterator[str]:
    """`streamlit run app.py` on loopback from the sandbox home, so only the config.toml shipped
    beside app.py applies (no flags, no project folder as the working directory)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = sandbox.base / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=sandbox.home, env=sandbox.env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if _get(f"{url}/_stcore/health")[0] == 200:
                        break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text()[-3000:]


def test_app_sends_nothing_and_writes_nothing_pasted(sandbox, request):
    marker = _marker()
    with streamlit_app(sandbox) as url:
        status, page = _get(url + "/")
        assert status == 200 and "<html" in page.lower()
        status, _ = _get(f"{url}/_stcore/host-config")
        assert status == 200
        requested = _browse(request, url, _brag(marker), marker)
    sandbox.assert_private(marker)
    # The browser asked for nothing but the app itself: Streamlit's usage stats are off for it too.
    assert [r for r in requested if not r.startswith(url)] == []


def test_streamlit_without_the_shipped_config_would_fail_the_privacy_tests(sandbox, request):
    """The control experiment for the app: a bare Streamlit app (no config.toml beside it, no flags)
    started the same way is caught phoning home."""
    app = sandbox.base / "bare" / "app.py"
    app.parent.mkdir()
    app.write_text("import streamlit as st\nst.text_area('Brag document')\nst.write('hello')\n")
    with streamlit_app(sandbox, app) as url:
        assert _get(url + "/")[0] == 200
        requested = _open_page(request, url, "hello")
    # Not headless, the server looks up its external address (checkip.amazonaws.com, 8.8.8.8).
    assert sandbox.attempts(), "a bare Streamlit server made no network attempt"
    if requested is not None:  # a browser ran the page: usage statistics and an installation id
        assert [r for r in requested if not r.startswith(url)], requested
        assert "home/.streamlit/machine_id_v4" in sandbox.stray_files()


def _open_page(request, url: str, text: str) -> list[str] | None:
    """Open `url` in a real browser (None if there is none) until `text` shows; the URLs requested."""
    try:
        browser = request.getfixturevalue("browser")
    except pytest.skip.Exception:
        return None
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(url)
        page.get_by_text(text).first.wait_for(timeout=120_000)
        page.wait_for_timeout(3000)
    finally:
        context.close()
    return requested


def _browse(request, url: str, text: str, marker: str) -> list[str]:
    """Paste `text` into the engineer page in a real browser (if one is installed) and wait for the
    result; every URL the page requested, so an attempt from the browser side is seen as well."""
    try:
        browser = request.getfixturevalue("browser")
    except pytest.skip.Exception:
        return []  # no Chromium here: the HTTP fetches above still ran the server in the sandbox
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(url)
        box = page.locator("textarea").first
        box.wait_for(timeout=120_000)
        box.fill(text)
        box.press("Control+Enter")
        button = page.get_by_role("button", name="Match evidence")
        if button.count():
            button.click()
        page.get_by_text(marker).first.wait_for(timeout=600_000)
        page.wait_for_timeout(2000)
    finally:
        context.close()
    return requested


# -- the switches are forced, and doctor shows them ------------------------------------------------


def test_a_value_that_would_turn_telemetry_on_is_overridden(sandbox):
    sandbox.env.update(ORT_DISABLE_TELEMETRY="0", HF_HUB_DISABLE_TELEMETRY="0", DO_NOT_TRACK="0")
    proc = sandbox.python("-c", "import matcher, onnxruntime")
    assert proc.returncode == 0, proc.stderr.decode()
    proc = sandbox.python("-m", "matcher", "doctor")
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "ORT_DISABLE_TELEMETRY=1" in out and "(your '0' overridden)" in out
    sandbox.assert_private()


def test_doctor_shows_every_switch_and_never_the_api_key(monkeypatch, capsys):
    from matcher import telemetry
    from matcher.cli import main

    monkeypatch.setenv("MATCHER_LLM_BASE_URL", "http://someone:hunter2@127.0.0.1:9/v1")
    monkeypatch.setenv("MATCHER_LLM_API_KEY", "sk-do-not-print-me")
    monkeypatch.setenv("MATCHER_LLM_MAX_RESPONSE_BYTES", "4096")
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert main(["doctor", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for out in (text, json.dumps(info)):
        assert "sk-do-not-print-me" not in out and "hunter2" not in out
    assert "http://127.0.0.1:9/v1" in text and "set (not shown)" in text
    assert {s["variable"] for s in info["switches"]} == {s.variable for s in (*telemetry.TELEMETRY, *telemetry.OFFLINE)}
    assert all(s["quiet"] for s in info["switches"] if s["kind"] == "telemetry")
    assert info["llm"]["max_response_bytes"] == 4096
    assert "ORT_DISABLE_TELEMETRY=1" in text
