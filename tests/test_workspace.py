"""The workspace store: a real SQLite file in tmp_path, real processes for crashes and concurrency."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from matcher.corrections import Correction
from matcher.errors import WorkspaceCorrupt, WorkspaceError, WorkspaceNotFound
from matcher.report import Report
from matcher.workspace import APPLICATION_ID, SCHEMA_VERSION, Workspace, read_bundle
from tests.helpers import ROOT

H1 = """\
- Led the migration of our payments service to the new queue, planning the cut-over with two teams
- Mentored two new engineers through their first on-call rotation
- Fixed a typo in the README
"""
H2 = """\
- Mentored two new engineers through their first on-call rotation
- Designed the zanzibar-widget capacity model the platform team now uses for planning
"""


@pytest.fixture(scope="module")
def reports(fake_matcher) -> dict[str, Report]:
    m = fake_matcher()
    return {"H1": m.match(H1), "H2": m.match(H2)}


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace.open(tmp_path / "ws.sqlite3")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _fingerprint(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


def _raw(path: Path, sql: str):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _unit(report: Report, startswith: str):
    return next(u for u in report.units if u.text.startswith(startswith))


def _free_statement(report: Report, unit) -> str:
    return next(s.id for s in report.statements if s.id not in unit.evidences and not s.covered)


# -- the file --------------------------------------------------------------------------------------


def test_a_new_workspace_is_a_private_wal_file_marked_as_ours(tmp_path, reports):
    path = tmp_path / "ws.sqlite3"
    old = os.umask(0)  # even a permissive umask gives a private file
    try:
        ws = Workspace.open(path)
        ws.save("Alex Kim", "2026 H1", H1, reports["H1"])
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _raw(path, "PRAGMA journal_mode") == [("wal",)]
    assert _raw(path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert _raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _raw(path, "PRAGMA integrity_check") == [("ok",)]
    # A reader holding the file open keeps the -wal and -shm files: they are private too.
    con = sqlite3.connect(path)
    con.execute("BEGIN")
    con.execute("SELECT count(*) FROM reports").fetchall()
    Workspace.open(path).save("Bo", "2026 H1", H1, reports["H1"])
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        assert side.exists() and _mode(side) == 0o600, suffix
    con.close()


def test_the_default_path_is_in_the_user_data_dir_in_a_private_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MATCHER_WORKSPACE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    ws = Workspace.open()
    assert ws.path == tmp_path / "data" / "evidence-matcher" / "workspace.sqlite3"
    assert _mode(ws.path) == 0o600 and _mode(ws.path.parent) == 0o700
    monkeypatch.setenv("MATCHER_WORKSPACE", str(tmp_path / "team.sqlite3"))
    assert Workspace.open(None).path == tmp_path / "team.sqlite3"


def test_opening_without_create_finds_nothing_and_writes_nothing(tmp_path):
    with pytest.raises(WorkspaceNotFound, match=str(tmp_path / "none.sqlite3")):
        Workspace.open(tmp_path / "none.sqlite3", create=False)
    with pytest.raises(WorkspaceError, match="folder does not exist"):
        Workspace.open(tmp_path / "missing" / "ws.sqlite3")
    with pytest.raises(WorkspaceError, match="is a folder"):
        Workspace.open(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_empty_file_becomes_a_new_private_workspace(tmp_path, reports):
    path = tmp_path / "touched.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    ws = Workspace.open(path, create=False)
    assert ws.save("Alex", "2026 H1", H1, reports["H1"]).id == 1
    assert _mode(path) == 0o600


def _foreign_sqlite(path: Path, wal: bool = False) -> None:
    con = sqlite3.connect(path)
    if wal:
        con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    con.execute("INSERT INTO invoices (amount) VALUES (12.5)")
    con.commit()
    con.close()


def _newer(path: Path) -> None:
    Workspace.open(path)
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()


REFUSED = {
    "text file": (lambda p: p.write_text("# my notes\n- not a database\n"), "not an SQLite database"),
    "random bytes": (lambda p: p.write_bytes(os.urandom(8192)), "not an SQLite database"),
    "truncated header": (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x00" * 20), "not an SQLite database"),
    "another program's database": (_foreign_sqlite, "another program's SQLite database"),
    "another program's WAL database": (lambda p: _foreign_sqlite(p, wal=True), "another program's SQLite database"),
    "a newer workspace": (_newer, f"version {SCHEMA_VERSION + 1} workspace"),
}


@pytest.mark.parametrize("kind", REFUSED)
@pytest.mark.parametrize("create", [True, False])
def test_a_file_that_is_not_ours_is_refused_and_left_untouched(tmp_path, kind, create):
    path = tmp_path / f"{kind.replace(' ', '-')}.sqlite3"
    make, message = REFUSED[kind]
    make(path)
    before = _fingerprint(path)
    files = sorted(tmp_path.iterdir())
    with pytest.raises(WorkspaceCorrupt, match=message) as err:
        Workspace.open(path, create=create)
    assert str(path) in str(err.value) and "untouched" in str(err.value)
    assert _fingerprint(path) == before
    assert sorted(tmp_path.iterdir()) == files


def test_a_newer_workspace_is_refused_by_a_fresh_process_too(tmp_path):
    path = tmp_path / "ws.sqlite3"
    _newer(path)
    before = _fingerprint(path)
    code = "import sys; from matcher.workspace import Workspace; Workspace.open(sys.argv[1])"
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "WorkspaceCorrupt" in proc.stderr and "newer evidence-matcher" in proc.stderr
    assert _fingerprint(path) == before


def test_an_older_schema_is_migrated(tmp_path, reports):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)  # ours, but from before the first migration ran (version 0)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("CREATE TABLE placeholder (x)")
    con.commit()
    con.close()
    ws = Workspace.open(path)
    assert _raw(path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert ws.save("Alex", "2026 H1", H1, reports["H1"]).person == "Alex"


def test_a_damaged_workspace_gives_a_clear_error(tmp_path, reports):
    path = tmp_path / "ws.sqlite3"
    Workspace.open(path).save("Alex", "2026 H1", H1, reports["H1"])
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, header kept
    path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceCorrupt, match="damaged"):
        Workspace.open(path).reports()


# -- saving and reading ----------------------------------------------------------------------------


def test_save_keeps_the_document_and_report_and_reads_them_back(ws, reports):
    saved = ws.save("  Alex   Kim ", " 2026 H1", H1, reports["H1"], source="brag.md", author="alex")
    assert (saved.person, saved.cycle, saved.ladder_id, saved.source) == (
        "Alex Kim",
        "2026 H1",
        "lead-software-engineer",
        "brag.md",
    )
    assert saved.document == H1 and saved.author == "alex"
    assert saved.report.to_dict() == reports["H1"].to_dict()
    assert saved.corrected.to_dict() == reports["H1"].to_dict()  # no corrections yet
    assert ws.report(saved.id) == saved
    assert [p.name for p in ws.people()] == ["Alex Kim"]
    assert [c.name for c in ws.cycles()] == ["2026 H1"]


def test_names_are_unique_case_insensitively_and_listed_newest_first(ws, reports):
    a = ws.save("Alex Kim", "2026 H1", H1, reports["H1"])
    b = ws.save("alex kim", "2026 h1", H2, reports["H2"])
    c = ws.save("Bo", "2026 H2", H2, reports["H2"])
    assert ws.add_person("ALEX KIM").name == "Alex Kim"
    assert [p.name for p in ws.people()] == ["Alex Kim", "Bo"]
    assert [x.name for x in ws.cycles()] == ["2026 H1", "2026 H2"]
    assert [r.id for r in ws.reports()] == [c.id, b.id, a.id]
    assert [r.id for r in ws.reports(person="ALEX kim")] == [b.id, a.id]
    assert [r.id for r in ws.reports(cycle="2026 H2")] == [c.id]
    assert ws.reports(ladder_id="other-ladder") == [] and ws.reports(person="nobody") == []
    assert ws.latest("alex kim", "lead-software-engineer").id == b.id
    assert ws.latest("Alex Kim", "lead-software-engineer", "2026 H2") is None
    assert list(ws.team("lead-software-engineer", "2026 H1")) == ["Alex Kim"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "name is empty"),
        ("   ", "name is empty"),
        ("x" * 201, "over the 200-character limit"),
        ("Al\x1bex", "control or invisible"),
        ("Al\u202eex", "control or invisible"),
        (7, "must be text"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_saved(ws, reports, name, message):
    with pytest.raises(WorkspaceError, match=message):
        ws.save(name, "2026 H1", H1, reports["H1"])
    with pytest.raises(WorkspaceError, match=message):
        ws.save("Alex", name, H1, reports["H1"])
    assert ws.reports() == [] and ws.people() == []


def test_an_unknown_report_lists_the_latest_ids(ws, reports):
    saved = ws.save("Alex", "2026 H1", H1, reports["H1"])
    with pytest.raises(WorkspaceError, match=rf"No report 99 .* the latest are: {saved.id}"):
        ws.report(99)
    with pytest.raises(WorkspaceError, match="whole number"):
        ws.report("abc")


def test_hostile_text_is_stored_and_read_back_exactly(ws, reports):
    text = "- Ran '); DROP TABLE reports; -- the \x00-free 🚀 migration \u202e\n" + "x" * 200_000
    saved = ws.save("Robert'); DROP TABLE people;--", "2026 H1", text, reports["H1"], source="../../etc/passwd")
    again = ws.report(saved.id)
    assert again.document == text and again.source == "../../etc/passwd"
    assert again.person == "Robert'); DROP TABLE people;--"


# -- corrections -----------------------------------------------------------------------------------


def test_a_correction_is_stored_with_author_and_time_and_changes_the_report(ws, reports):
    saved = ws.save("Alex", "2026 H1", H1, reports["H1"])
    u = _unit(saved.report, "Mentored")
    sid = _free_statement(saved.report, u)
    assert not saved.corrected.statement(sid).covered
    out = ws.correct(saved.id, Correction("confirm", u.text, sid, unit_id=u.id, author="manager"))
    (c,) = out.corrections
    assert (c.action, c.statement_id, c.author, c.unit_id, c.ladder_id) == (
        "confirm",
        sid,
        "manager",
        u.id,
        "lead-software-engineer",
    )
    assert c.at.endswith("+00:00")
    assert out.corrected.statement(sid).covered and sid in out.covered
    assert out.report.to_dict() == saved.report.to_dict()  # the saved report itself is unchanged
    assert ws.corrections() == [c] and ws.corrections("lead-software-engineer") == [c]
    assert ws.corrections("other") == []


def test_corrections_stick_to_the_text_across_reports_and_people(ws, reports):
    first = ws.save("Alex", "2026 H1", H1, reports["H1"])
    u = _unit(first.report, "Mentored")
    sid = _free_statement(first.report, u)
    ws.correct(first.id, Correction("confirm", u.text, sid, unit_id=u.id))
    later = ws.save("Bo", "2026 H2", H2, reports["H2"])  # has the same line
    assert sid in later.covered and later.corrections == ()
    assert later.corrected.unit(_unit(later.report, "Mentored").id).extra["corrections"][0]["action"] == "confirm"
    # The latest correction of a pair wins: rejecting it again uncovers it everywhere.
    ws.correct(later.id, Correction("reject", u.text, sid))
    assert sid not in ws.report(first.id).covered and sid not in ws.report(later.id).covered


def test_corrections_are_checked_against_their_report(ws, reports):
    saved = ws.save("Alex", "2026 H1", H1, reports["H1"])
    u = saved.report.units[0]
    other = saved.report.units[1]
    sid = saved.report.statements[0].id
    with pytest.raises(WorkspaceError, match="Statement 'nope' is not in ladder 'lead-software-engineer'; its"):
        ws.correct(saved.id, Correction("confirm", u.text, "nope"))
    with pytest.raises(WorkspaceError, match="Unit 'u99' is not in report 1; its units: u1, u2, u3"):
        ws.correct(saved.id, Correction("confirm", u.text, sid, unit_id="u99"))
    with pytest.raises(WorkspaceError, match="not the text of unit"):
        ws.correct(saved.id, Correction("confirm", other.text, sid, unit_id=u.id))
    with pytest.raises(WorkspaceError, match="for ladder 'x'"):
        ws.correct(saved.id, Correction("confirm", u.text, sid, ladder_id="x"))
    with pytest.raises(WorkspaceError, match="not an ISO 8601 time"):
        ws.correct(saved.id, Correction("confirm", u.text, sid, at="yesterday"))
    with pytest.raises(WorkspaceError, match="No report 5"):
        ws.correct(5, Correction("confirm", u.text, sid))
    assert ws.corrections() == []


# -- managers --------------------------------------------------------------------------------------


def test_changes_between_cycles_compare_the_corrected_reports(ws, reports):
    ladder = "lead-software-engineer"
    h1 = ws.save("Alex", "2026 H1", H1, reports["H1"])
    lead, mentor = _unit(h1.report, "Led the migration"), _unit(h1.report, "Mentored")
    free = [s.id for s in h1.report.statements if not s.covered and not h1.report.unit(lead.id).evidences]
    lost, kept, gained = free[0], free[1], free[2]
    ws.correct(h1.id, Correction("confirm", lead.text, lost, unit_id=lead.id))  # only in H1
    ws.correct(h1.id, Correction("confirm", mentor.text, kept, unit_id=mentor.id))  # in both
    h2 = ws.save("Alex", "2026 H2", H2, reports["H2"])
    design = _unit(h2.report, "Designed")
    ws.correct(h2.id, Correction("confirm", design.text, gained, unit_id=design.id))
    change = ws.changes("alex", ladder, "2026 H2", "2026 H1")
    assert (change.report_id, change.previous_report_id) == (h2.id, h1.id)
    assert gained in change.newly_covered and lost in change.newly_lost and kept in change.still_covered
    assert lost not in change.covered and {gained, kept} <= set(change.covered)
    assert set(change.newly_covered).isdisjoint(change.still_covered)
    assert ws.changes("Alex", ladder, "2026 H2") == change  # the previous cycle by default
    first = ws.changes("Alex", ladder, "2026 H1")
    assert first.previous is None and not first.comparable and first.newly_covered == first.newly_lost == ()
    assert json.loads(json.dumps(change.to_dict()))["newly_lost"] == list(change.newly_lost)
    with pytest.raises(WorkspaceError, match=r"No cycle .2030. .* it has: 2026 H1, 2026 H2"):
        ws.changes("Alex", ladder, "2030")
    with pytest.raises(WorkspaceError, match="No person 'Zed'"):
        ws.changes("Zed", ladder, "2026 H2")


def test_team_is_the_latest_report_of_each_person_in_a_cycle(ws, reports):
    ladder = "lead-software-engineer"
    ws.save("Bo", "2026 H2", H1, reports["H1"])
    old = ws.save("alex", "2026 H2", H1, reports["H1"])
    new = ws.save("Alex", "2026 H2", H2, reports["H2"])
    ws.save("Cy", "2026 H1", H1, reports["H1"])
    team = ws.team(ladder, "2026 h2")
    assert list(team) == ["alex", "Bo"] and team["alex"].id == new.id != old.id
    assert ws.team(ladder, "2027") == {} and ws.team("other", "2026 H2") == {}


# -- bundles ---------------------------------------------------------------------------------------


def _corrected_pair(ws, reports):
    saved = ws.save("Alex", "2026 H1", H1, reports["H1"], source="brag.md")
    u = _unit(saved.report, "Mentored")
    ws.correct(saved.id, Correction("confirm", u.text, _free_statement(saved.report, u), unit_id=u.id, author="al"))
    return ws.report(saved.id)


def test_a_bundle_carries_a_signed_off_report_to_another_workspace_once(tmp_path, ws, reports):
    saved = _corrected_pair(ws, reports)
    bundle = json.loads(json.dumps(ws.export_bundle(saved.id, signed_off_by="Alex")))
    assert bundle["format"] == "evidence-matcher-bundle" and bundle["version"] == 1 and len(bundle["id"]) == 64
    assert bundle["document"] == H1 and bundle["signed_off_by"] == "Alex" and len(bundle["corrections"]) == 1
    manager = Workspace.open(tmp_path / "manager.sqlite3")
    imported = manager.import_bundle(bundle)
    assert (imported.person, imported.cycle, imported.source, imported.document) == ("Alex", "2026 H1", "brag.md", H1)
    assert imported.signed_off_by == "Alex" and imported.bundle_id == bundle["id"]
    assert imported.corrected.to_dict() == saved.corrected.to_dict()
    assert manager.import_bundle(bundle).id == imported.id
    assert len(manager.reports()) == 1 and len(manager.corrections()) == 1 and len(manager.people()) == 1


def test_the_same_report_exported_again_imports_as_one_with_the_new_corrections(tmp_path, ws, reports):
    saved = _corrected_pair(ws, reports)
    manager = Workspace.open(tmp_path / "manager.sqlite3")
    first = manager.import_bundle(ws.export_bundle(saved.id, signed_off_by="Alex"))
    u = _unit(saved.report, "Mentored")
    sid = next(x for x in u.evidences) if u.evidences else _free_statement(saved.report, u)
    ws.correct(saved.id, Correction("reject", u.text, sid, unit_id=u.id, author="al"))
    again = ws.export_bundle(saved.id, signed_off_by="Alex")  # another sign-off time: another bundle id
    assert again["id"] != first.bundle_id
    second = manager.import_bundle(again)
    assert second.id == first.id and len(manager.reports()) == 1
    assert len(manager.corrections()) == 2  # the first one once, the new one added
    assert second.corrected.to_dict() == ws.report(saved.id).corrected.to_dict()
    assert manager.import_bundle(again).id == first.id and len(manager.corrections()) == 2


def test_a_bundle_carries_corrections_made_on_earlier_reports_of_the_same_lines(tmp_path, ws, reports):
    first = _corrected_pair(ws, reports)
    later = ws.save("Alex", "2026 H2", H2, reports["H2"])
    bundle = ws.export_bundle(later.id, signed_off_by="Alex")
    (c,) = bundle["corrections"]
    # Made on the H1 report's unit, carried as the H2 report's unit with the same line.
    assert c["unit_id"] == _unit(later.report, "Mentored").id != first.corrections[0].unit_id
    imported = Workspace.open(tmp_path / "m.sqlite3").import_bundle(bundle)
    assert imported.corrected.to_dict() == ws.report(later.id).corrected.to_dict()


def _tamper(field: str):
    def edit(b: dict) -> None:
        if field == "report":
            b["report"]["statements"][0]["strength"] = "strong"
        elif field == "corrections":
            b["corrections"][0]["action"] = "reject"
        else:
            b[field] = b[field] + " (edited)"

    return edit


@pytest.mark.parametrize("field", ["document", "person", "signed_off_by", "report", "corrections"])
def test_a_bundle_changed_after_export_is_refused(tmp_path, ws, reports, field):
    saved = _corrected_pair(ws, reports)
    bundle = ws.export_bundle(saved.id, signed_off_by="Alex")
    _tamper(field)(bundle)
    manager = Workspace.open(tmp_path / "manager.sqlite3")
    with pytest.raises(WorkspaceError, match="does not match its id: it was changed after it was exported"):
        manager.import_bundle(bundle)
    assert manager.reports() == [] and manager.people() == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"units": []}, "not an evidence-matcher bundle"),
        ([1, 2], "not an evidence-matcher bundle"),
        ({"format": "evidence-matcher-bundle", "version": 9}, "version 9 bundle, newer"),
        ({"format": "evidence-matcher-bundle", "version": "1"}, "not a bundle version"),
        ({"format": "evidence-matcher-bundle", "version": 1, "person": 3}, "'person' is not text"),
    ],
)
def test_what_is_not_a_bundle_is_refused(ws, data, message):
    with pytest.raises(WorkspaceError, match=message):
        ws.import_bundle(data)
    assert ws.reports() == []


def test_a_rehashed_bundle_with_a_broken_report_is_refused(tmp_path, ws, reports):
    from matcher.workspace import bundle_id

    bundle = ws.export_bundle(_corrected_pair(ws, reports).id, signed_off_by="Alex")
    bundle["report"] = {"ladder": {"id": "lead-software-engineer"}}
    bundle["id"] = bundle_id(bundle)
    with pytest.raises(WorkspaceError, match="is not an evidence-matcher report"):
        Workspace.open(tmp_path / "m.sqlite3").import_bundle(bundle)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b"[1, 2]", "not a bundle"),
        (b"x" * 2_001, "over the 2,000-byte limit"),
    ],
)
def test_bundle_files_are_read_with_a_limit_and_refused_clearly(tmp_path, content, message):
    path = tmp_path / "bundle.json"
    path.write_bytes(content)
    with pytest.raises(WorkspaceError, match=message):
        read_bundle(path, max_bytes=200 if len(content) == 2_001 else 1_000_000)


# -- forgetting a person ---------------------------------------------------------------------------


def _disk_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_forgetting_a_person_leaves_no_text_of_theirs_in_the_file(tmp_path, reports):
    path = tmp_path / "ws.sqlite3"
    ws = Workspace.open(path)
    doc = H1 + "- Negotiated the quokka-umbrella vendor contract\n"
    report = replace(reports["H1"], meta={**reports["H1"].meta, "note": "report-only-marmalade-7"})
    mine = ws.save("Persephone Quill", "2026 H1", doc, report, source="persephone-brag.md")
    u = _unit(mine.report, "Mentored")
    ws.correct(mine.id, Correction("reject", u.text, mine.report.statements[0].id, author="corrector-wombat-3"))
    other = ws.save("Bo", "2026 H1", H2, reports["H2"], source="bo-brag.md")
    ws.correct(other.id, Correction("confirm", _unit(other.report, "Designed").text, other.report.statements[1].id))
    secrets = [b"quokka-umbrella", b"report-only-marmalade-7", b"corrector-wombat-3", b"Persephone", b"persephone-brag"]
    assert all(s in _disk_bytes(path) for s in secrets)
    # Another session has the file open (idle, as the app's sessions are between clicks): its
    # -wal file stays, and must be clean too.
    session = sqlite3.connect(path)
    session.execute("SELECT count(*) FROM people").fetchall()
    ws.forget_person("persephone quill")
    assert Path(f"{path}-wal").exists()
    data = _disk_bytes(path)
    session.close()
    assert [s for s in secrets if s in data] == []
    assert b"zanzibar-widget" in data  # Bo's document is still there
    assert [p.name for p in ws.people()] == ["Bo"]
    assert [r.id for r in ws.reports()] == [other.id] and ws.report(other.id).document == H2
    assert len(ws.corrections()) == 1
    assert _raw(path, "PRAGMA integrity_check") == [("ok",)]
    with pytest.raises(WorkspaceError, match=r"No person .Persephone Quill. .* it has: Bo"):
        ws.forget_person("Persephone Quill")


# -- crashes and concurrency: real processes -------------------------------------------------------

CRASH_SCRIPT = """
import json, sys
from matcher.corrections import Correction
from matcher.report import Report
from matcher.workspace import Workspace
path, point, report_file, bundle_file = sys.argv[1:5]
ws = Workspace.open(path)
report = Report.from_dict(json.load(open(report_file)))
if point == "save":
    ws.save("Alex", "2026 H2", "- the half-saved-kiwi line", report)
elif point == "correct":
    u = report.units[0]
    ws.correct(1, Correction("reject", u.text, report.statements[0].id, author="half-correction-fig"))
elif point == "import":
    ws.import_bundle(json.load(open(bundle_file)))
elif point == "forget":
    ws.forget_person("Alex")
print("not killed")
"""


@pytest.mark.parametrize("point", ["save", "correct", "import", "forget"])
def test_a_process_killed_mid_write_leaves_the_last_good_state(tmp_path, reports, point):
    path = tmp_path / "ws.sqlite3"
    ws = Workspace.open(path)
    first = ws.save("Alex", "2026 H1", H1, reports["H1"])
    second = ws.save("Bo", "2026 H1", H2, reports["H2"])
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps(reports["H1"].to_dict()))
    other = Workspace.open(tmp_path / "other.sqlite3")
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_text(
        json.dumps(other.export_bundle(other.save("Cy", "2026 H2", H2, reports["H2"]).id, signed_off_by="Cy"))
    )
    env = {**os.environ, "MATCHER_TEST_CRASH_AT": f"workspace-{point}"}
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(path), point, str(report_file), str(bundle_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 86, proc.stdout + proc.stderr  # killed at the hook, not failing before it
    again = Workspace.open(path)
    assert [r.id for r in again.reports()] == [second.id, first.id]
    assert again.report(first.id).document == H1 and again.report(second.id).report == second.report
    assert [p.name for p in again.people()] == ["Alex", "Bo"]
    assert again.corrections() == []
    assert _raw(path, "PRAGMA integrity_check") == [("ok",)]
    assert _raw(path, "PRAGMA foreign_key_check") == []
    assert again.save("Dee", "2026 H2", H1, reports["H1"]).id == second.id + 1  # and it still takes writes


WRITER_SCRIPT = """
import json, sys, time
from pathlib import Path
from matcher.corrections import Correction
from matcher.report import Report
from matcher.workspace import Workspace
path, n, report_file, go, saves = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), int(sys.argv[5])
report = Report.from_dict(json.loads(Path(report_file).read_text()))
while not go.exists():
    time.sleep(0.01)
ws = Workspace.open(path)
u = report.units[0]
for i in range(saves):
    saved = ws.save(f"person {n}", f"cycle {i % 2}", f"- writer {n} save {i}", report, source=f"w{n}-{i}")
    ws.correct(saved.id, Correction("confirm", u.text, report.statements[n % 5].id, author=f"w{n}-{i}"))
print("done")
"""


def test_twenty_processes_saving_at_once_lose_nothing(tmp_path, reports):
    path = tmp_path / "ws.sqlite3"
    report_file = tmp_path / "report.json"
    report_file.write_text(json.dumps(reports["H1"].to_dict()))
    go = tmp_path / "go"
    writers, saves = 20, 5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_SCRIPT, str(path), str(n), str(report_file), str(go), str(saves)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    go.touch()  # every writer opens the (new) workspace and writes at the same moment
    results = [p.communicate(timeout=600) for p in procs]
    failed = [(p.returncode, err[-1500:]) for p, (_, err) in zip(procs, results, strict=True) if p.returncode != 0]
    assert failed == []
    assert not any("locked" in err for _, err in results)
    ws = Workspace.open(path)
    got = {r.source for r in ws.reports()}
    assert got == {f"w{n}-{i}" for n in range(writers) for i in range(saves)}
    assert len(ws.people()) == writers and len(ws.cycles()) == 2
    assert sorted(c.author for c in ws.corrections()) == sorted(got)
    assert _raw(path, "PRAGMA integrity_check") == [("ok",)]


def test_threads_opening_and_saving_at_once_share_the_file(tmp_path, reports):
    path = tmp_path / "ws.sqlite3"
    errors: list[BaseException] = []

    def session(n: int) -> None:
        try:
            ws = Workspace.open(path)
            for i in range(5):
                ws.save(f"p{n}", "2026 H1", f"- thread {n} save {i}", reports["H1"])
                ws.reports(person=f"p{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=session, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(Workspace.open(path).reports()) == 40
    assert _raw(path, "PRAGMA integrity_check") == [("ok",)]
