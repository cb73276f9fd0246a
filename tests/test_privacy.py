"""Privacy: the default path (packaged model, no LLM) opens no network socket at all; with every
outbound non-loopback connection blocked the CLI, the library and the app still work; and nothing
the user pastes is written to disk."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

GUARD = textwrap.dedent(
    """
    import socket, sys, json
    opened = []
    _orig_init = socket.socket.__init__
    def guarded_init(self, family=-1, type=-1, proto=-1, fileno=None):
        fam = socket.AF_INET if family == -1 else family
        if fam in (socket.AF_INET, socket.AF_INET6) and fileno is None:
            opened.append(str(fam))
            raise OSError("network socket blocked by test")
        return _orig_init(self, family, type, proto, fileno)
    socket.socket.__init__ = guarded_init
    def blocked(*a, **k):
        opened.append("getaddrinfo " + repr(a[:2]))
        raise OSError("name lookup blocked by test")
    socket.getaddrinfo = blocked
    from matcher.cli import main
    code = main(sys.argv[1:])
    sys.stderr.write("\\nSOCKETS=" + json.dumps(opened) + "\\n")
    raise SystemExit(code)
    """
)


def test_match_opens_no_socket(tmp_path):
    doc = tmp_path / "brag.md"
    doc.write_text("- Led the migration of billing to the new queue, with a rollback plan\n- Took leave\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    proc = subprocess.run(
        [sys.executable, "-c", GUARD, "match", str(doc), "--ladder", "lead-software-engineer", "-f", "json"],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=900,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err[-3000:]
    sockets = json.loads(err.rsplit("SOCKETS=", 1)[1])
    assert sockets == []
    assert len(json.loads(proc.stdout)["units"]) == 2


# -- every non-loopback connection blocked: the CLI, the library and the app still work ---------
# -- and nothing the user pastes is written to disk ----------------------------------------------

LADDER = "lead-software-engineer"

# Loaded as `sitecustomize` by a subprocess (PYTHONPATH), so the block is in place before anything
# is imported; every attempt is appended to $EGRESS_LOG.
SITECUSTOMIZE = textwrap.dedent(
    """
    import ipaddress, os, socket

    _LOG = os.environ["EGRESS_LOG"]

    def _loopback(address):
        if not isinstance(address, tuple):
            return True  # AF_UNIX path
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            return False

    def _blocked(what):
        with open(_LOG, "a") as fh:
            fh.write(what + "\\n")
        return OSError(101, "outbound network blocked by test: " + what)

    _connect, _connect_ex, _create, _getaddrinfo = (socket.socket.connect, socket.socket.connect_ex,
                                                    socket.create_connection, socket.getaddrinfo)

    def connect(self, address):
        if not _loopback(address):
            raise _blocked("connect " + repr(address))
        return _connect(self, address)

    def connect_ex(self, address):
        if not _loopback(address):
            raise _blocked("connect_ex " + repr(address))
        return _connect_ex(self, address)

    def create_connection(address, *a, **k):
        if not _loopback(address):
            raise _blocked("create_connection " + repr(address))
        return _create(address, *a, **k)

    def getaddrinfo(host, *a, **k):
        if not _loopback((host,)):
            raise _blocked("getaddrinfo " + repr(host))
        return _getaddrinfo(host, *a, **k)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo
    """
)


def _loopback(address) -> bool:
    import ipaddress

    if not isinstance(address, tuple):
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture()
def no_egress(monkeypatch):
    """In-process: every outbound non-loopback connection (and name lookup) raises; attempts are kept."""
    import socket

    attempts: list[str] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_getaddrinfo = socket.create_connection, socket.getaddrinfo

    def guard(what, address, real, *args, **kwargs):
        if not _loopback(address):
            attempts.append(f"{what} {address!r}")
            raise OSError(101, f"outbound network blocked by test: {address!r}")
        return real(*args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", lambda self, a: guard("connect", a, real_connect, self, a))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, a: guard("connect_ex", a, real_connect_ex, self, a))
    monkeypatch.setattr(
        socket, "create_connection", lambda a, *r, **k: guard("create_connection", a, real_create, a, *r, **k)
    )
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda h, *r, **k: guard("getaddrinfo", (h,), real_getaddrinfo, h, *r, **k)
    )
    return attempts


def _marker() -> str:
    return f"QZX{uuid.uuid4().hex}"


def _brag(marker: str) -> str:
    return (
        f"- Led the {marker} billing migration to the new queue, with a rollback plan\n"
        "- Wrote the incident review for the March outage\n"
    )


def _files_holding(marker: str, roots: list[Path], since: float, skip: set[Path] = frozenset()) -> list[Path]:
    """Files under `roots` changed since `since` whose bytes contain `marker` (symlinks not followed)."""
    needle = marker.encode()
    found = []
    for root in roots:
        if not root.exists():
            continue
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                try:
                    st = path.lstat()
                    if path.is_symlink() or path in skip or st.st_mtime < since or st.st_size > 200_000_000:
                        continue
                    if needle in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue  # vanished or unreadable: another process's temp file
    return found


def _linked_cache(tmp_path: Path) -> Path:
    """A fresh MATCHER_CACHE for the index, reusing the fine-tuned model and its ONNX export."""
    from matcher.config import Settings

    real = Settings().cache_dir
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("tuned", "onnx"):
        (real / name).mkdir(parents=True, exist_ok=True)
        (cache / name).symlink_to(real / name, target_is_directory=True)
    return cache


def test_cli_in_a_real_process_works_offline_and_writes_nothing_pasted(tmp_path):
    marker = _marker()
    since = time.time() - 1
    doc = tmp_path / "brag.md"
    doc.write_text(_brag(marker))
    site, tmpdir, log = tmp_path / "site", tmp_path / "tmpdir", tmp_path / "egress.log"
    site.mkdir()
    tmpdir.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    cache = _linked_cache(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "MATCHER_"))}
    env.update(PYTHONPATH=str(site), EGRESS_LOG=str(log), MATCHER_CACHE=str(cache), TMPDIR=str(tmpdir))
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", "match", "-", "--ladder", LADDER, "-f", "json"],
        input=doc.read_bytes(),
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert not log.exists(), log.read_text()
    units = json.loads(proc.stdout)["units"]
    assert len(units) == 2 and marker in units[0]["text"]
    # The guard is live in that process (not vacuous): a connection out is refused and logged.
    check = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 1)"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert check.returncode != 0 and "blocked by test" in check.stderr.decode()
    assert log.read_text().startswith("create_connection ('192.0.2.1', 80)")
    # It wrote its index cache, and nothing of the document, anywhere we can see.
    assert list((cache / "index").iterdir())
    from matcher.config import Settings

    roots = [cache, tmpdir, Settings().cache_dir, Path(tempfile.gettempdir()), Path.home() / ".streamlit"]
    assert _files_holding(marker, roots, since, skip={doc}) == []
    assert _files_holding(marker, [tmp_path], since) == [doc]  # the search does find what is there


def test_library_and_cli_in_process_work_offline(no_egress, matchers, tmp_path, capsys):
    from matcher import Matcher
    from matcher.cli import main

    matchers(LADDER)  # the model is loaded; the Matcher below is built under the block
    marker = _marker()
    since = time.time() - 1
    report = Matcher.from_ladder(LADDER).match(_brag(marker))
    assert len(report.units) == 2 and marker in report.units[0].text
    doc = tmp_path / "brag.md"
    doc.write_text(_brag(marker))
    assert main(["match", str(doc), "--ladder", LADDER, "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["units"][0]["text"] == report.units[0].text
    assert no_egress == []
    from matcher.config import Settings

    assert _files_holding(marker, [Settings().cache_dir, Path(tempfile.gettempdir())], since, skip={doc}) == []


def test_app_works_offline_and_keeps_pasted_text_in_memory(no_egress, matchers, monkeypatch):
    from streamlit.testing.v1 import AppTest

    for name in ("MATCHER_MAX_BYTES", "MATCHER_MAX_UNITS", "MATCHER_LADDERS"):
        monkeypatch.delenv(name, raising=False)
    matchers(LADDER)
    marker = _marker()
    since = time.time() - 1
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300).run()
    at.text_area(key="eng_text").input(_brag(marker)).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = [t.value for t in at.table if "Accomplishment" in t.value.columns]
    assert shown and any(marker in str(v) for v in shown[0]["Accomplishment"])
    assert no_egress == []
    from matcher.config import Settings

    roots = [Settings().cache_dir, Path(tempfile.gettempdir()), Path.home() / ".streamlit"]
    assert _files_holding(marker, roots, since) == []
