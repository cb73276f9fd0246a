"""The default path (packaged model, no LLM) opens no network socket at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
        capture_output=True, cwd=ROOT, env=env, timeout=900,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err[-3000:]
    sockets = json.loads(err.rsplit("SOCKETS=", 1)[1])
    assert sockets == []
    assert len(json.loads(proc.stdout)["units"]) == 2
