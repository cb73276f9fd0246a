"""Hostile documents and ladder files, through the library and the CLI alike.

Every case ends in a clear error naming the input (and the setting, for a limit) or in a safe
result; never a traceback or a hang. The CLI runs in process (shared model) and, where the input is
refused before the model loads, as a real subprocess too.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.errors import MatcherError
from matcher.ladder import load_ladder, load_ladders
from matcher.text import decode_bytes

ROOT = Path(__file__).resolve().parents[1]
LADDER = "lead-software-engineer"
MB = 1_000_000

pytestmark = pytest.mark.slow

DOC = "- Led the billing migration to the new queue\n- Wrote the on-call runbook\n"
DOC_TEXTS = ["Led the billing migration to the new queue", "Wrote the on-call runbook"]


def _binary() -> bytes:
    rng = random.Random(7)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4096))


# name -> (document bytes, expected): a list of unit texts for a safe result, or
# ("error", [fragments the message must contain]).
DOCUMENTS: dict[str, tuple[bytes, object]] = {
    "empty": (b"", []),
    "whitespace only": ("  \n\t\n \r\n\u00a0\u3000\n\x0b\x0c\n".encode(), []),
    "only headings": (b"# Brag\n\n## H1\n\n### Projects\n\nTeam\n===\n", []),
    "a single 1 MB line": (("Led " + "x" * MB).encode(), ["Led " + "x" * MB]),
    "10 MB of text": (
        b"- Shipped a thing\n" * (10 * MB // 18),
        ("error", ["2,000,000-byte limit", "MATCHER_MAX_BYTES"]),
    ),
    "binary": (_binary(), ("error", ["binary"])),
    "invalid UTF-8": ("- Led the café launch\n".encode("latin-1"), ("error", ["not valid UTF-8"])),
    "UTF-16 with BOM": (DOC.encode("utf-16"), DOC_TEXTS),
    "UTF-16-LE without BOM": (DOC.encode("utf-16-le"), DOC_TEXTS),
    "UTF-16-BE without BOM": (DOC.encode("utf-16-be"), DOC_TEXTS),
    "NUL bytes": (DOC.encode().replace(b"queue", b"qu\x00eue"), ("error", ["NUL"])),
    "control characters": (
        "- Led the \x1b[31mbilling\x1b[0m migration\x07\n- Wrote the \u009b2Jon-call\x7f runbook\n".encode(),
        ["Led the [31mbilling[0m migration", "Wrote the 2Jon-call runbook"],
    ),
    "right-to-left and zero-width": (
        "- قمت بقيادة ترحيل نظام الفواتير\n- \u200b\u200c\u200d\u2060\n- \u202eLed the migration\u202c\n".encode(),
        ["قمت بقيادة ترحيل نظام الفواتير", "\u202eLed the migration\u202c"],
    ),
    "emoji-only lines": ("🚀🚀🚀\n🎉\n- 👩\u200d💻👩\u200d💻\n✅ 🔥\n".encode(), []),
    "100,000 one-character lines": (
        b"X\n" * 100_000,
        ("error", ["100,000 units", "5,000-unit limit", "MATCHER_MAX_UNITS"]),
    ),
}
ROUTES = ["library", "cli-file", "cli-stdin"]


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch):
    for name in ("MATCHER_MAX_BYTES", "MATCHER_MAX_UNITS", "MATCHER_CACHE", "MATCHER_TEST_CRASH_AT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture()
def shared_matcher(matchers, monkeypatch):
    """The session's Matcher, handed to the in-process CLI with the CLI's own settings.

    Building a Matcher refits the scoring head (seconds); these tests are about the input routes
    (reading, decoding, limits, rendering, exit codes), so the CLI reuses the real one.
    """
    import copy

    import matcher.core

    shared = matchers(LADDER)

    def from_ladder(ladder, *, settings=None, **kwargs):
        assert ladder.id == LADDER and not kwargs
        m = copy.copy(shared)
        m.settings = settings or shared.settings
        return m

    monkeypatch.setattr(matcher.core.Matcher, "from_ladder", from_ladder)
    return shared


def _through(route: str, data: bytes, matcher, tmp_path: Path, capsys, monkeypatch) -> tuple[str, object]:
    """("ok", unit texts) or ("error", message) for one document through one input route."""
    if route == "library":
        try:
            report = matcher.match(decode_bytes(data, "brag.md"))
        except MatcherError as exc:
            return "error", str(exc)
        return "ok", [u.text for u in report.units]
    if route == "cli-file":
        path = tmp_path / "brag.md"
        path.write_bytes(data)
        source = str(path)
    else:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        source = "-"
    code = main(["match", source, "--ladder", LADDER, "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 0:
        return "ok", [u["text"] for u in json.loads(out)["units"]]
    assert code == 1 and err.startswith("Error: ") and out == "", (code, err[-500:])
    return "error", err


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", list(DOCUMENTS))
def test_hostile_document(case, route, shared_matcher, tmp_path, capsys, monkeypatch):
    data, expected = DOCUMENTS[case]
    kind, got = _through(route, data, shared_matcher, tmp_path, capsys, monkeypatch)
    if isinstance(expected, tuple):
        assert kind == "error", got if kind == "ok" and len(got) < 20 else (kind, len(got))
        for fragment in expected[1]:
            assert fragment in got
        if route != "library":  # the CLI names the input it refuses
            assert ("brag.md" if route == "cli-file" else "<stdin>") in got or "units" in got
    else:
        assert (kind, got) == ("ok", expected)


def test_control_characters_never_reach_the_terminal(shared_matcher, tmp_path, capsys):
    path = tmp_path / "brag.md"
    path.write_bytes(DOCUMENTS["control characters"][0])
    for fmt in ("text", "md", "csv", "json"):
        assert main(["match", str(path), "--ladder", LADDER, "--format", fmt]) == 0
        out, _ = capsys.readouterr()
        assert not any(c in out for c in "\x1b\x07\x7f\u009b"), fmt


@pytest.mark.parametrize(
    ("case", "fragments"),
    [
        ("10 MB of text", ["brag.md", "2,000,000-byte limit", "MATCHER_MAX_BYTES"]),
        ("binary", ["brag.md", "binary"]),
    ],
)
def test_refused_document_as_a_real_process(case, fragments, tmp_path):
    """Refused before the model loads, so a real subprocess is cheap here."""
    path = tmp_path / "brag.md"
    path.write_bytes(DOCUMENTS[case][0])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", "match", str(path), "--ladder", LADDER],
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and proc.stdout == b""
    assert err.startswith("Error: ") and "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_byte_limit_is_a_setting(tmp_path, capsys, monkeypatch, matchers):
    matchers(LADDER)
    path = tmp_path / "brag.md"
    path.write_bytes(DOCUMENTS["10 MB of text"][0])
    monkeypatch.setenv("MATCHER_MAX_BYTES", "11_000_000")
    monkeypatch.setenv("MATCHER_MAX_UNITS", "1_000_000")
    from matcher.cli.common import read_document, settings_from

    text = read_document(str(path), settings_from(argparse.Namespace()))  # under the raised limit
    assert len(text) == len(DOCUMENTS["10 MB of text"][0])
    monkeypatch.setenv("MATCHER_MAX_BYTES", "ten megabytes")
    assert main(["match", str(path), "--ladder", LADDER]) == 1
    err = capsys.readouterr().err
    assert "MATCHER_MAX_BYTES='ten megabytes' is not a whole number" in err and "Traceback" not in err


# -- ladder files ---------------------------------------------------------------------------

GOOD = "# L3: Good Engineer\n\n## Delivery\n\n- I ship things.\n- I test things.\n"


def _make_ladder(case: str, folder: Path) -> Path:
    path = folder / "bad.md"
    if case == "empty":
        path.write_bytes(b"")
    elif case == "no pillars":
        path.write_text("# L3: Bad Engineer\n\nJust some prose about the role.\n")
    elif case == "no statements":
        path.write_text("# L3: Bad Engineer\n\n## Delivery\n\n- \n- **\n\n<details>\n\n- I did.\n\n</details>\n")
    elif case == "50 MB":
        with path.open("wb") as fh:
            fh.write(GOOD.encode())
            line = b"- I repeat myself at length.\n"
            fh.write(line * (50 * 1_048_576 // len(line)))
    elif case == "a directory":
        path.mkdir()
    elif case == "a symlink loop":
        path.symlink_to(folder / "bad2.md")
        (folder / "bad2.md").symlink_to(path)
    elif case == "binary":
        path.write_bytes(_binary())
    elif case == "not markdown":
        path.write_text("import os\n\nprint(os.getcwd())\n")
    return path


LADDER_CASES = {
    "empty": "is empty",
    "no pillars": "has no pillars or statements",
    "no statements": "has pillars but no statements",
    "50 MB": "ladder files over 5 MB are refused",
    "a directory": "is a folder with 0 ladders",
    "a symlink loop": "Too many levels of symbolic links",
    "binary": "looks like a binary file",
    "not markdown": "no title",
}


@pytest.mark.parametrize("route", ["library", "cli-match", "cli-process"])
@pytest.mark.parametrize("case", list(LADDER_CASES))
def test_hostile_ladder_file(case, route, tmp_path, capsys):
    path = _make_ladder(case, tmp_path)
    doc = tmp_path / "brag.md"
    doc.write_text(DOC)
    if route == "library":
        with pytest.raises(MatcherError) as info:
            load_ladder(path)
        message = str(info.value)
    elif route == "cli-match":
        assert main(["match", str(doc), "--ladder", str(path)]) == 1
        message = capsys.readouterr().err
    else:  # the ladder is read before the model loads: a real process is cheap
        proc = subprocess.run(
            [sys.executable, "-m", "matcher", "match", str(doc), "--ladder", str(path)],
            capture_output=True,
            cwd=ROOT,
            timeout=300,
        )
        assert proc.returncode == 1 and proc.stdout == b""
        message = proc.stderr.decode()
    assert "Traceback" not in message
    assert str(path) in message and LADDER_CASES[case] in message, message


@pytest.mark.parametrize("case", list(LADDER_CASES))
def test_hostile_ladder_in_a_folder(case, tmp_path, caplog):
    """A folder of ladders: a hostile file is skipped with a warning or refused, naming it."""
    (tmp_path / "good.md").write_text(GOOD)
    path = _make_ladder(case, tmp_path)
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        try:
            ladders = load_ladders(tmp_path)
        except MatcherError as exc:
            assert str(path) in str(exc)
            return
    assert [lad.id for lad in ladders] == ["good-engineer"]
    assert any(str(path) in r.getMessage() for r in caplog.records) or case == "a directory"


def test_duplicate_statements_are_kept_with_a_warning_naming_the_file(tmp_path, caplog):
    path = tmp_path / "dup.md"
    path.write_text(GOOD + "- I ship things.\n- I **ship** things\n")
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        ladder = load_ladder(path)
    assert [s.text for s in ladder.statements] == [
        "I ship things.",
        "I test things.",
        "I ship things.",
        "I **ship** things",
    ]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"{path}: statement 'I ship things.' appears more than once")
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", "ladders", str(tmp_path)], capture_output=True, cwd=ROOT, timeout=300
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "good-engineer" in proc.stdout.decode()
    assert f"WARNING: {path}: statement 'I ship things.' appears more than once" in err
