"""Hostile documents and ladder files, through the library and the CLI alike.

Every case ends in a clear error naming the input (and the setting, for a limit) or in a safe
result; never a traceback or a hang. The CLI runs in process (shared model) and, where the input is
refused before the model loads, as a real subprocess too.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import random
import subprocess
import sys
import time
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


# -- what one input can do (issue 15) -------------------------------------------------------------
#
# Each case runs through every route that reads the input: the library, the CLI (a real process
# where the input is refused before any model loads) and a batch (a JSONL row names the ladder).

PASSWD_LINE = "root:x:0:0:root:/root:/bin/bash"


def _cli_process(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_") or k == "MATCHER_MODEL_CACHE"}
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args], capture_output=True, cwd=ROOT, env=env, timeout=timeout
    )


def _secret_file(folder: Path) -> Path:
    """A file that is not a ladder and is not ours to show (a stand-in for /etc/passwd)."""
    path = folder / "passwd"
    path.write_text(PASSWD_LINE + "\nbin:x:1:1:bin:/bin:/sbin/nologin\n")
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "ladder.md"
    os.mkfifo(path)
    return path


def _huge(folder: Path) -> Path:
    path = folder / "huge.md"
    with path.open("wb") as fh:
        fh.write(GOOD.encode())
        fh.truncate(60 * MB)  # sparse: no disk used, but a 60 MB file to whoever reads it
    return path


# name -> (make the ladder path, a fragment the error must hold)
BAD_LADDER_PATHS = {
    "60 MB": (_huge, "ladder files over 5 MB are refused"),
    "/dev/zero": (lambda folder: Path("/dev/zero"), "not a regular file"),
    "a FIFO nobody writes to": (_fifo, "not a regular file"),
    "/etc/passwd": (_secret_file, "no title, so not a ladder"),
}


def _batch_error(ladder: str, tmp_path: Path, matchers) -> tuple[str, list[dict]]:
    """The error row a batch writes for a document whose JSONL row names `ladder`, and all records."""
    from matcher.batch import run_batch
    from matcher.ladder import load_ladder as real_load

    def factory(ladder_id: str):
        loaded = real_load(ladder_id)  # the real reading and parsing of the row's ladder
        assert loaded.id == LADDER
        return matchers(LADDER)

    source = tmp_path / "in.jsonl"
    rows = [{"id": "before", "text": DOC}, {"id": "bad", "text": DOC, "ladder": ladder}, {"id": "after", "text": DOC}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    summary = run_batch(source, out, LADDER, matcher_for=factory)
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert summary.written == 3 and summary.errors == 1
    return next(r["error"] for r in records if r["id"] == "bad"), records


@pytest.mark.parametrize("route", ["library", "cli-process", "batch"])
@pytest.mark.parametrize("case", list(BAD_LADDER_PATHS))
def test_a_ladder_that_is_no_file_or_not_ours_fails_fast_and_shows_nothing(case, route, tmp_path, matchers):
    make, fragment = BAD_LADDER_PATHS[case]
    path = make(tmp_path)
    started = time.monotonic()
    if route == "library":
        with pytest.raises(MatcherError) as info:
            load_ladder(path)
        message = str(info.value)
    elif route == "cli-process":
        doc = tmp_path / "brag.md"
        doc.write_text(DOC)
        proc = _cli_process("match", str(doc), "--ladder", str(path))
        assert proc.returncode == 1 and proc.stdout == b""
        message = proc.stderr.decode()
        assert message.startswith("Error: ") and "Traceback" not in message
    else:
        message, records = _batch_error(str(path), tmp_path, matchers)
        assert [r["id"] for r in records] == ["before", "bad", "after"]  # the batch goes on
        assert all("error" not in r for r in records if r["id"] != "bad")
    assert time.monotonic() - started < 60  # /dev/zero once grew to 10 GB; a FIFO used to hang
    assert str(path) in message and fragment in message, message
    assert "root:x" not in message and "/bin/bash" not in message


@pytest.mark.parametrize("route", ["library", "cli-process"])
def test_a_document_from_a_device_is_read_within_the_byte_limit(route, monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "100000")
    if route == "library":
        from matcher.cli.common import read_document, settings_from

        with pytest.raises(MatcherError, match="over the 100,000-byte limit"):
            read_document("/dev/zero", settings_from(argparse.Namespace()))
        return
    env_args = ("match", "/dev/zero", "--ladder", LADDER)
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", *env_args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "MATCHER_MAX_BYTES": "100000"},
        timeout=120,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "/dev/zero" in err and "100,000-byte limit" in err and "Traceback" not in err


def test_a_ladder_folder_never_leaves_itself(tmp_path, caplog):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "other.md").write_text(GOOD.replace("Good Engineer", "Other Engineer"))
    _secret_file(outside)
    folder = tmp_path / "ladders"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.md").write_text(GOOD)
    (folder / "linked.md").symlink_to(outside / "other.md")
    (folder / "passwd.md").symlink_to(outside / "passwd")
    (folder / "elsewhere").symlink_to(outside, target_is_directory=True)
    (folder / "sub" / "inside.md").symlink_to(folder / "good.md")  # a link that stays inside is read
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        ladders = load_ladders(folder)
    assert sorted(str(lad.path.relative_to(folder)) for lad in ladders) == ["good.md", "sub/inside.md"]
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    for name in ("linked.md", "passwd.md", "elsewhere"):
        assert f"{folder / name}: skipped, a symlink to" in warnings
    assert "root:x" not in warnings
    proc = _cli_process("ladders", str(folder))
    assert proc.returncode == 0 and "other-engineer" not in proc.stdout.decode()


# -- pillars: keyed by position, never by a name that may be empty or repeated ------------------


def _pillar_ladder(matchers) -> str:
    """Four pillars, two of them emoji-only and two with one name, each with a shipped statement."""
    shipped = matchers(LADDER).ladder
    texts = [
        shipped.statement(sid).text
        for sid in (
            "teaching-and-mentoring-1",
            "customer-success-3",
            "culture-and-leadership-3",
            "teaching-and-mentoring-4",
        )
    ]
    headings = ["## 🦉", "## :owl:", "## Same", "## Same"]
    body = "".join(f"{h}\n\n- {t}\n\n" for h, t in zip(headings, texts, strict=True))
    return f"# L4: Pillar Test\n\n{body}"


PILLAR_DOC = (
    "- Wrote the team's code review guide and added a CI check for migrations; review turnaround dropped\n"
    "- Cut the reporting dashboard's scope to hit the cycle deadline, keeping the test suite intact\n"
    "- Took over the orphaned billing exporter after its author left and fixed the duplicate-invoice bug\n"
    "- Paired with a new joiner every morning for three weeks until she shipped on her own\n"
)


@pytest.fixture(scope="module")
def pillar_matcher(tmp_path_factory, matchers):
    from matcher.core import Matcher

    path = tmp_path_factory.mktemp("pillars") / "pillars.md"
    path.write_text(_pillar_ladder(matchers))
    return Matcher.from_ladder(load_ladder(path))


@pytest.mark.parametrize("route", ["library", "cli"])
def test_pillars_with_one_name_or_no_name_keep_their_own_counts(route, pillar_matcher, tmp_path, capsys, monkeypatch):
    if route == "library":
        data = pillar_matcher.match(PILLAR_DOC).to_dict()
    else:
        import matcher.core

        monkeypatch.setattr(matcher.core.Matcher, "from_ladder", staticmethod(lambda *a, **kw: pillar_matcher))
        doc = tmp_path / "brag.md"
        doc.write_text(PILLAR_DOC)
        assert main(["match", str(doc), "--ladder", str(pillar_matcher.ladder.path), "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in data["pillars"]] == ["Owl", "Owl (2)", "Same", "Same (2)"]
    assert [p["total"] for p in data["pillars"]] == [1, 1, 1, 1]
    covered = {s["id"] for s in data["statements"] if s["strength"] in ("strong", "partial")}
    assert covered, "the document should evidence some of these statements"
    ladder = pillar_matcher.ladder
    assert [p["covered"] for p in data["pillars"]] == [
        sum(s.id in covered for s in p.statements) for p in ladder.pillars
    ]
    assert {s["pillar"] for s in data["statements"]} == {"Owl", "Owl (2)", "Same", "Same (2)"}


# -- control codes never reach a terminal ----------------------------------------------------

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\u009b31m\r\x7f"


def _has_controls(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_batch_ids_in_warnings_carry_no_control_codes(tmp_path):
    """A document id is user text: in the warning of its error row it must not drive the terminal."""
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": f"evil{ESCAPES}id", "text": DOC}) + "\n")
    out = tmp_path / "out.csv"
    proc = _cli_process("batch", str(source), "--out", str(out))  # no ladder: an error row, no model
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "evil[2J]0;pwned31mid" in err, err
    assert not _has_controls(err)
    assert not _has_controls(out.read_text())


def _llm_report(matchers):
    """A real report with what an LLM adds (judge reason, explanation, coaching, a warning), each
    holding terminal escapes as a hostile or broken model might answer."""
    from dataclasses import replace

    report = matchers(LADDER).match(PILLAR_DOC)
    assert report.uncovered and len(report.uncovered) < len(report.statements)
    units = tuple(
        replace(
            u,
            extra={
                "judge": {"source": "llm", "evidences": list(u.evidences), "reason": f"judged{ESCAPES}"},
                "evidence_source": "llm+embedding",
            },
        )
        for u in report.units
    )
    statements = []
    for s in report.statements:
        key = "coaching" if not s.covered else "explanation"
        statements.append(replace(s, extra={key: {"source": "llm", "text": f"{key} says{ESCAPES}\nmore"}}))
    meta = {**report.meta, "llm": {"endpoint": "http://127.0.0.1:1/v1"}, "warnings": [f"warned{ESCAPES}"]}
    return replace(report, units=units, statements=tuple(statements), meta=meta)


@pytest.mark.parametrize("fmt", ["text", "md", "csv", "json"])
def test_llm_text_reaches_every_export_without_control_codes(fmt, matchers):
    report = _llm_report(matchers)
    out = {"text": report.to_text, "md": report.to_markdown, "csv": report.to_csv, "json": report.to_json}[fmt]()
    assert not _has_controls(out), fmt
    assert "coaching says" in out and "explanation says" in out  # every export carries both
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {"evidence_source", "judge_reason", "explanation", "coaching"} <= set(rows[0])
        coached = [r for r in rows if r["coaching"]]
        assert {r["statement_id"] for r in coached} == set(report.uncovered)
        assert all(r["coaching"].startswith("coaching says[2J]0;pwned31m") for r in coached)
    if fmt == "json":
        data = json.loads(out)  # escaped, not lost: the values are the model's own
        assert data["units"][0]["judge"]["reason"] == f"judged{ESCAPES}"


# -- bad outputs: a clear error or a working run, never a traceback ---------------------------


def test_batch_into_a_folder_named_like_a_file_is_a_clear_error(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": DOC}) + "\n")
    (tmp_path / "a-folder.csv").mkdir()
    proc = _cli_process("batch", str(source), "--ladder", LADDER, "--out", str(tmp_path / "a-folder.csv"))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("Error: ") and "Traceback" not in err
    assert "a-folder.csv: is a folder" in err


def test_batch_into_a_pipe_works(tmp_path):
    """`--out /dev/stdout | cat`: a stream cannot be resumed or seeked, so it is written straight."""
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": DOC}) + "\n" for i in ("a", "=b")))
    proc = subprocess.run(
        f"{sys.executable} -m matcher batch {source} --ladder {LADDER} --out /dev/stdout "
        "--format csv --progress never | cat",
        shell=True,
        capture_output=True,
        cwd=ROOT,
        timeout=600,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "Traceback" not in err, err
    rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
    assert list(dict.fromkeys(r["document"] for r in rows)) == ["a", "'=b"]
    assert "2 documents written to /dev/stdout" in err
