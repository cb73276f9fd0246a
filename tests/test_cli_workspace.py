"""The workspace through the real CLI: `match --workspace`, `correct` and `workspace ...`.

In process through `main(argv)` with the fake matcher (everything but the model); the end-to-end
runs of `python -m matcher` with the real model are marked slow.
"""

from __future__ import annotations

import copy
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.corrections import Correction
from matcher.workspace import Workspace
from tests.helpers import ROOT

LADDER = "lead-software-engineer"
BRAG = """\
## Projects

- Led the migration of our payments service to the new queue, planning the cut-over with two teams
- Mentored two new engineers through their first on-call rotation
- Fixed a typo in the README
"""
H2 = """\
- Mentored two new engineers through their first on-call rotation
- Designed the capacity model the platform team now uses for planning
"""


@pytest.fixture()
def env(tmp_path, monkeypatch):
    """A private data dir and workspace location; the CLI's Matcher is the fake one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("MATCHER_WORKSPACE", str(tmp_path / "ws.sqlite3"))
    monkeypatch.delenv("MATCHER_TEST_CRASH_AT", raising=False)
    return tmp_path


@pytest.fixture()
def fake_cli(env, fake_matcher, monkeypatch):
    import matcher.core

    calls: list[str] = []
    shared = fake_matcher(LADDER)  # built before the patch below (it calls from_ladder itself)

    def from_ladder(ladder, *, settings=None, **kwargs):
        assert ladder.id == LADDER and not kwargs
        calls.append(ladder.id)
        m = copy.copy(shared)
        m.settings = settings or m.settings
        return m

    monkeypatch.setattr(matcher.core.Matcher, "from_ladder", from_ladder)
    return calls


@pytest.fixture()
def brag(env) -> Path:
    path = env / "brag.md"
    path.write_text(BRAG, encoding="utf-8")
    return path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _save(capsys, brag: Path, person: str = "Alex Kim", cycle: str = "2026 H1", *extra: str) -> int:
    code, _, err = run(capsys, "match", str(brag), "-l", LADDER, "-w", "--person", person, "--cycle", cycle, *extra)
    assert code == 0, err
    return int(err.split("Saved as report ")[1].split()[0])


# -- match --workspace -----------------------------------------------------------------------------


def test_match_without_workspace_writes_nothing(capsys, fake_cli, brag, env):
    before = _files(env)
    code, out, err = run(capsys, "match", str(brag), "-l", LADDER, "-f", "json")
    assert code == 0, err
    assert json.loads(out)["ladder"]["id"] == LADDER and "Saved" not in err
    assert _files(env) == before


@pytest.mark.parametrize("where", ["bare flag (MATCHER_WORKSPACE)", "bare flag (user data dir)", "explicit path"])
@pytest.mark.parametrize("route", ["file", "stdin"])
def test_match_saves_the_document_and_report(capsys, monkeypatch, fake_cli, brag, env, fake_matcher, where, route):
    if where == "explicit path":
        flag, expected = ["--workspace", str(env / "mine.sqlite3")], env / "mine.sqlite3"
    else:
        flag, expected = ["--workspace"], env / "ws.sqlite3"
        if "data dir" in where:
            monkeypatch.delenv("MATCHER_WORKSPACE")
            expected = env / "data" / "evidence-matcher" / "workspace.sqlite3"
    source = str(brag)
    if route == "stdin":
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BRAG.encode())))
        source = "-"
    code, out, err = run(
        capsys, "match", source, "-l", LADDER, *flag, "--person", "Alex Kim", "--cycle", "2026 H1", "-f", "json"
    )
    assert code == 0, err
    assert f"Saved as report 1 in {expected}" in err
    assert stat.S_IMODE(os.stat(expected).st_mode) == 0o600
    saved = Workspace.open(expected, create=False).report(1)
    assert (saved.person, saved.cycle, saved.document) == ("Alex Kim", "2026 H1", BRAG)
    assert saved.source == ("brag.md" if route == "file" else "stdin")
    assert json.loads(out) == json.loads(saved.corrected.to_json())
    assert saved.report.to_dict() == fake_matcher(LADDER).match(BRAG).to_dict()


def test_match_prints_the_report_with_the_workspaces_corrections(capsys, fake_cli, brag, env):
    rid = _save(capsys, brag)
    ws = Workspace.open(env / "ws.sqlite3")
    first = ws.report(rid).report
    u = next(u for u in first.units if u.text.startswith("Mentored"))
    sid = next(s.id for s in first.statements if not s.covered and s.id not in u.evidences)
    ws.correct(rid, Correction("confirm", u.text, sid, unit_id=u.id))
    h2 = env / "h2.md"
    h2.write_text(H2, encoding="utf-8")
    code, out, err = run(capsys, "match", str(h2), "-l", LADDER, "-w", "--person", "Alex Kim", "--cycle", "2026 H2")
    assert code == 0, err
    printed = out
    later = ws.report(2)
    assert sid in later.covered and not later.report.statement(sid).covered  # saved as matched
    assert printed == later.corrected.to_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-w"], "give --person NAME and --cycle NAME"),
        (["-w", "--person", "Alex"], "give --person NAME and --cycle NAME"),
        (["--person", "Alex", "--cycle", "2026 H1"], "add --workspace"),
        (["-w", "--person", "Al\x1bex", "--cycle", "2026 H1"], "control or invisible"),
        (["-w", "--person", " ", "--cycle", "2026 H1"], "name is empty"),
    ],
)
def test_match_save_options_are_checked_before_the_model_loads(capsys, fake_cli, brag, env, args, message):
    before = _files(env)
    code, _, err = run(capsys, "match", str(brag), "-l", LADDER, *args)
    assert code == 1 and err.startswith("Error: ") and message in err
    assert fake_cli == [] and _files(env) == before


def test_match_refuses_a_file_that_is_not_a_workspace_and_leaves_it(capsys, fake_cli, brag, env):
    notes = env / "notes.txt"
    notes.write_text("my private notes\n")
    before = (notes.read_bytes(), os.stat(notes).st_mtime_ns)
    code, _, err = run(capsys, "match", str(brag), "-l", LADDER, "-w", str(notes), "--person", "A", "--cycle", "C")
    assert code == 1 and f"Error: {notes} is not an evidence-matcher workspace" in err and "untouched" in err
    assert (notes.read_bytes(), os.stat(notes).st_mtime_ns) == before and fake_cli == []


# -- correct ---------------------------------------------------------------------------------------


@pytest.fixture()
def saved(capsys, fake_cli, brag, env):
    rid = _save(capsys, brag)
    return Workspace.open(env / "ws.sqlite3").report(rid)


def _pick(saved):
    u = next(u for u in saved.report.units if u.evidences)
    free = next(s for s in saved.report.statements if not s.covered and s.id not in u.evidences)
    return u, free


@pytest.mark.parametrize("by", ["id", "text"])
@pytest.mark.parametrize("action", ["confirm", "reject", "assign"])
def test_correct_stores_the_correction_and_prints_the_change(capsys, saved, env, action, by):
    u, free = _pick(saved)
    target = u.evidences[0] if action == "reject" else free.id
    statement = target if by == "id" else saved.report.statement(target).text
    code, out, err = run(capsys, "correct", str(saved.id), "--unit", u.id, f"--{action}", statement, "--author", "mgr")
    assert code == 0, err
    (c,) = Workspace.open(env / "ws.sqlite3").corrections()
    assert (c.action, c.statement_id, c.unit_id, c.author) == (action, target, u.id, "mgr")
    assert c.replaces == (u.evidences[0] if action == "assign" and len(u.evidences) == 1 else "")
    verb = {"confirm": "confirmed for", "reject": "rejected for", "assign": "assigned to"}[action]
    assert out.startswith(f"Report {saved.id} (Alex Kim, 2026 H1): {u.id} {verb} {target}")
    assert "Coverage: " in out and "(was " in out
    after = Workspace.open(env / "ws.sqlite3").report(saved.id).corrected
    assert (target in after.unit(u.id).evidences) == (action != "reject")


def test_correct_json_is_the_corrected_report_and_the_flag_order_is_forgiven(capsys, saved, env):
    u, free = _pick(saved)
    code, out, err = run(
        capsys, "correct", "--workspace", str(saved.id), "-u", u.id, "--confirm", free.id, "-f", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert free.id in next(x for x in data["units"] if x["id"] == u.id)["evidences"]
    assert data == json.loads(Workspace.open(env / "ws.sqlite3").report(saved.id).corrected.to_json())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["99", "-u", "u1", "--confirm", "x"], "No report 99 in the workspace"),
        (["1", "-u", "u42", "--confirm", "x"], "No unit 'u42' in report 1; its units: u1 (line 3), u2 (line 4)"),
        (["1", "-u", "u1", "--reject", "not a statement"], "No statement 'not a statement' in ladder"),
        (["1", "-u", "u1", "--confirm", "domain-expertise-1", "--from", "domain-expertise-2"], "use it with --assign"),
        (["-u", "u1", "--confirm", "domain-expertise-1"], "Give the report's id"),
    ],
)
def test_correct_errors_name_the_valid_choices(capsys, saved, env, args, message):
    code, _, err = run(capsys, "correct", *args)
    assert code == 1 and message in err, err
    assert Workspace.open(env / "ws.sqlite3").corrections() == []


def test_correct_on_a_missing_workspace_says_so_and_creates_nothing(capsys, env):
    code, _, err = run(capsys, "correct", "1", "-w", str(env / "nope.sqlite3"), "-u", "u1", "--confirm", "x")
    assert code == 1 and f"No workspace at {env / 'nope.sqlite3'}" in err
    assert not (env / "nope.sqlite3").exists()


# -- workspace ... ---------------------------------------------------------------------------------


def test_people_reports_and_show(capsys, fake_cli, brag, env):
    _save(capsys, brag, "Alex Kim", "2026 H1")
    _save(capsys, brag, "Bo", "2026 H2")
    code, out, _ = run(capsys, "workspace", "people")
    assert code == 0 and out.splitlines() == ["Alex Kim  (1 report, latest 2026 H1)", "Bo  (1 report, latest 2026 H2)"]
    code, out, _ = run(capsys, "workspace", "reports", "--json")
    rows = json.loads(out)
    assert [(r["id"], r["person"], r["cycle"], r["source"]) for r in rows] == [
        (2, "Bo", "2026 H2", "brag.md"),
        (1, "Alex Kim", "2026 H1", "brag.md"),
    ]
    code, out, _ = run(capsys, "workspace", "reports", "--person", "alex kim")
    assert code == 0 and len(out.splitlines()) == 2 and "Alex Kim" in out.splitlines()[1]
    code, out, _ = run(capsys, "workspace", "show", "1")
    assert code == 0 and out.startswith("Report 1: Alex Kim, 2026 H1, saved ")
    assert "Units: u1 line 3, u2 line 4, u3 line 5" in out
    saved = Workspace.open(env / "ws.sqlite3").report(1)
    for fmt in ("json", "csv", "md"):
        code, out, _ = run(capsys, "workspace", "show", "1", "-f", fmt)
        expected = {"json": saved.corrected.to_json, "csv": saved.corrected.to_csv, "md": saved.corrected.to_markdown}
        assert code == 0 and out == expected[fmt]()


def test_export_and_import_a_bundle_between_workspaces(capsys, fake_cli, brag, env, monkeypatch):
    rid = _save(capsys, brag)
    bundle = env / "alex.bundle.json"
    code, _, err = run(capsys, "workspace", "export", str(rid), "--signed-off-by", "Alex Kim", "-o", str(bundle))
    assert code == 0, err
    assert stat.S_IMODE(os.stat(bundle).st_mode) == 0o600
    code, out, _ = run(capsys, "workspace", "export", str(rid), "--signed-off-by", "Alex Kim")
    assert json.loads(out)["format"] == "evidence-matcher-bundle"
    manager = env / "manager.sqlite3"
    code, out, err = run(capsys, "workspace", "import", str(bundle), "-w", str(manager))
    assert code == 0, err
    assert out == "Imported as report 1: Alex Kim, 2026 H1, lead-software-engineer, signed off by Alex Kim.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(bundle.read_bytes())))
    code, out, err = run(capsys, "workspace", "import", "-", "-w", str(manager))
    assert code == 0 and out.startswith("Already imported as report 1"), err
    assert len(Workspace.open(manager).reports()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not match its id: it was changed after it was exported"),
        (b'{"ladder": {}, "units": []}', "is not an evidence-matcher bundle"),
        (b"\x00\x01binary", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"", "not valid JSON"),
    ],
)
def test_import_refuses_what_is_not_an_untouched_bundle(capsys, fake_cli, brag, env, content, message):
    path = env / "in.json"
    if content is None:
        rid = _save(capsys, brag)
        run(capsys, "workspace", "export", str(rid), "--signed-off-by", "Alex", "-o", str(path))
        data = json.loads(path.read_text())
        data["document"] = data["document"].replace("Mentored two", "Mentored twenty")
        path.write_text(json.dumps(data))
    else:
        path.write_bytes(content)
    manager = env / "manager.sqlite3"
    code, _, err = run(capsys, "workspace", "import", str(path), "-w", str(manager))
    assert code == 1 and message in err, err
    assert not manager.exists()  # refused before the workspace is even opened


def test_import_refuses_a_bundle_file_over_the_limit(capsys, env, monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "100")
    path = env / "big.json"
    path.write_text(json.dumps({"format": "evidence-matcher-bundle", "document": "x" * 5000}))
    code, _, err = run(capsys, "workspace", "import", str(path))
    assert code == 1 and "over the 1,000-byte limit" in err and "MATCHER_MAX_BYTES" in err


def test_forget_asks_then_deletes_everything_of_that_person(capsys, fake_cli, brag, env, monkeypatch):
    _save(capsys, brag, "Alex Kim")
    _save(capsys, brag, "Bo")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: no prompt, a refusal
    code, _, err = run(capsys, "workspace", "forget", "alex kim")
    assert code == 1 and "add --yes" in err
    code, _, err = run(capsys, "workspace", "forget", "Zed", "--yes")
    assert code == 1 and "No person 'Zed'" in err and "Alex Kim, Bo" in err
    code, out, err = run(capsys, "workspace", "forget", "alex kim", "--yes")
    assert code == 0 and out.startswith("Forgot Alex Kim: 1 reports"), err
    ws = Workspace.open(env / "ws.sqlite3")
    assert [p.name for p in ws.people()] == ["Bo"] and len(ws.reports()) == 1
    code, out, _ = run(capsys, "workspace", "compact")
    assert code == 0 and out.startswith("Compacted")


def test_team_shows_coverage_and_change_since_the_previous_cycle(capsys, fake_cli, brag, env):
    h1 = _save(capsys, brag, "Alex Kim", "2026 H1")
    _save(capsys, brag, "Bo", "2026 H2")
    h2_doc = env / "h2.md"
    h2_doc.write_text(H2, encoding="utf-8")
    _save(capsys, h2_doc, "Alex Kim", "2026 H2")
    ws = Workspace.open(env / "ws.sqlite3")
    first = ws.report(h1).report
    lead = next(u for u in first.units if u.text.startswith("Led"))
    sid = next(s.id for s in first.statements if not s.covered and s.id not in lead.evidences)
    ws.correct(h1, Correction("confirm", lead.text, sid, unit_id=lead.id))  # covered in H1 only
    code, out, err = run(capsys, "workspace", "team", "-l", LADDER, "--cycle", "2026 H2", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["previous"] == "2026 H1" and [p["person"] for p in data["people"]] == ["Alex Kim", "Bo"]
    alex, bo = data["people"]
    assert sid in alex["newly_lost"] and alex["previous_report_id"] == h1
    assert bo["previous_report_id"] is None and bo["newly_lost"] == []
    code, out, _ = run(capsys, "workspace", "team", "-l", LADDER, "--cycle", "2026 H2")
    assert code == 0 and "change since 2026 H1" in out and f"    - {sid}: " in out
    ladder_file = str(ROOT / "corpus" / f"{LADDER}.md")
    code, out, _ = run(capsys, "workspace", "team", "-l", ladder_file, "--cycle", "2026 H1")
    assert code == 0 and "(no earlier cycle to compare with)" in out and "Alex Kim" in out
    code, _, err = run(capsys, "workspace", "team", "-l", LADDER, "--cycle", "1999")
    assert code == 1 and "No cycle '1999'" in err and "2026 H1, 2026 H2" in err


# -- real processes --------------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "matcher", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=600,
    )


def test_a_real_process_refuses_a_newer_workspace_before_the_model_loads(tmp_path, brag):
    path = tmp_path / "ws.sqlite3"
    Workspace.open(path)
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = _cli("match", str(brag), "-l", LADDER, "-w", str(path), "--person", "A", "--cycle", "C", env=env)
    assert proc.returncode == 1
    assert b"Error: " in proc.stderr and b"newer evidence-matcher" in proc.stderr and b"Upgrade" in proc.stderr
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


@pytest.mark.slow
def test_end_to_end_with_the_real_model(tmp_path, brag):
    path = tmp_path / "ws.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MATCHER_WORKSPACE": str(path)}
    proc = _cli("match", str(brag), "-l", LADDER, "-w", "--person", "Alex", "--cycle", "2026 H1", "-f", "json", env=env)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    printed = json.loads(proc.stdout)
    covered = [s for s in printed["statements"] if s["strength"] in ("strong", "partial")]
    assert covered, "the real model finds evidence in this document"
    sid = covered[0]["id"]
    uid = covered[0]["evidence"][0]
    proc = _cli("correct", "1", "-u", uid, "--reject", sid, "--author", "me", env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = _cli("workspace", "show", "1", "-f", "json", env=env)
    shown = json.loads(proc.stdout)
    assert sid not in next(u for u in shown["units"] if u["id"] == uid)["evidences"]
    # The next document with the same line: the rejected pair is not claimed again.
    proc = _cli(
        "match",
        "-",
        "-l",
        LADDER,
        "-w",
        "--person",
        "Alex",
        "--cycle",
        "2026 H2",
        "-f",
        "json",
        env=env,
        stdin=BRAG.encode(),
    )
    again = json.loads(proc.stdout)
    assert proc.returncode == 0 and sid not in next(u for u in again["units"] if u["id"] == uid)["evidences"]
