"""Saving to a workspace from the engineer view, and the team view over a workspace (AppTest, fake
model, a real SQLite file in a temp folder)."""

from __future__ import annotations

import json
import re

import pytest

from matcher.ui.saved_team import change_frame
from matcher.ui.views import escaped
from matcher.workspace import Workspace
from tests.app_fake import ENGINEER, MANAGER, app, fake_app, no_exception
from tests.helpers import EVAL_DOCS, need_shared

__all__ = ["fake_app"]


@pytest.fixture()
def ws_path(tmp_path, monkeypatch):
    path = tmp_path / "team" / "workspace.sqlite3"
    monkeypatch.setenv("MATCHER_WORKSPACE", str(path))
    return path


def document(name: str = "se-01.md") -> str:
    return (need_shared(EVAL_DOCS) / name).read_text(encoding="utf-8")


def errors(at) -> list[str]:
    """The error messages on screen, as read (Markdown escapes removed)."""
    return [re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", e.value).replace("\u2060", "") for e in at.error]


def engineer(text: str, person: str = "Sam Lee"):
    at = app().run()
    at.text_input(key="eng_person").input(person).run()
    at.text_area(key="eng_text").input(text).run()
    no_exception(at)
    assert not errors(at)
    return at


def reject_first(at) -> str:
    """Click the first Reject control; the statement id it was about."""
    b = next(b for b in at.button if (b.key or "").startswith("eng_fix_") and b.key.endswith("_no"))
    b.click().run()
    no_exception(at)
    return b.key


def save(at, cycle: str = "2026 H2", person: str | None = None):
    if person is not None:
        at.text_input(key="eng_save_person").input(person).run()
    at.text_input(key="eng_save_cycle").input(cycle).run()
    at.button(key="eng_save").click().run()
    no_exception(at)
    return at


def test_nothing_is_written_until_save_then_corrections_go_to_the_workspace(fake_app, ws_path, fake_matcher):
    at = engineer(document())
    reject_first(at)
    assert at.text_input(key="eng_save_path").value == str(ws_path)
    assert at.text_input(key="eng_save_person").value == "Sam Lee"
    assert not ws_path.exists() and not ws_path.parent.exists()
    save(at)
    assert not errors(at), errors(at)
    assert any("Saved for Sam Lee, 2026 H2" in s.value for s in at.success)
    ws = Workspace.open(ws_path, create=False)
    (saved,) = ws.reports()
    assert (saved.person, saved.cycle, saved.document) == ("Sam Lee", "2026 H2", document())
    assert [c.action for c in saved.corrections] == ["reject"]
    assert saved.corrections[0].author == "Sam Lee"
    # A later correction goes to the workspace at once.
    reject_first(at)
    assert [c.action for c in Workspace.open(ws_path).report(saved.id).corrections] == ["reject", "reject"]
    # The report shown is the library's, from the matcher taught by the workspace's corrections.
    taught = fake_matcher("lead-software-engineer").with_corrections(ws.corrections("lead-software-engineer"))
    assert {m.label: m.value for m in at.metric}["Coverage"] == f"{taught.match(document()).coverage:.0%}"
    # And it is still connected after a page switch.
    at.switch_page(MANAGER).run()
    at.switch_page(ENGINEER).run()
    no_exception(at)
    assert any("Corrections you make now are saved there too" in c.value for c in at.caption)


@pytest.mark.parametrize("content", [b"not a database at all\n" * 10, b"SQLite format 3\x00" + b"\x01" * 200])
def test_a_corrupt_workspace_is_a_friendly_error_and_is_not_overwritten(fake_app, ws_path, content):
    ws_path.parent.mkdir(parents=True)
    ws_path.write_bytes(content)
    at = save(engineer(document()))
    assert errors(at) and str(ws_path) in errors(at)[0]
    assert ws_path.read_bytes() == content
    assert not any("Saved for" in s.value for s in at.success)


def test_save_needs_a_person_and_a_cycle(fake_app, ws_path):
    at = engineer(document(), person="")
    save(at, cycle="")
    assert any("Enter the person and the review cycle" in e for e in errors(at))
    assert not ws_path.exists()


def test_bundle_is_offered_after_saving(fake_app, ws_path):
    at = save(engineer(document()))
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Signed-off bundle (JSON)" in labels
    assert at.text_input(key="eng_signed_off_by").value == "Sam Lee"


# -- the team view over a workspace -----------------------------------------------------------


@pytest.fixture()
def team_ws(ws_path, fake_matcher):
    """A workspace with two cycles: alice in both (her document grew), bob in the second only,
    and one correction of alice's (a rejected line)."""
    m = fake_matcher("lead-software-engineer")
    full = document("se-01.md")
    half = document("se-02.md")
    ws_path.parent.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(ws_path.parent / "given.sqlite3")
    ws.save("alice", "2026 H1", half, m.match(half))
    alice = ws.save("alice", "2026 H2", full, m.match(full))
    ws.save("bob", "2026 H2", document("se-04.md"), m.match(document("se-04.md")))
    s = next(s for s in alice.report.statements if s.evidence)
    unit = alice.report.unit(s.evidence[0])
    from matcher.corrections import Correction

    ws.correct(
        alice.id, Correction("reject", unit.text, s.id, "lead-software-engineer", author="alice", unit_id=unit.id)
    )
    return ws, (s.id, unit)


def manager(path):
    at = app().run()
    at.switch_page(MANAGER).run()
    at.radio(key="mgr_source").set_value("Workspace").run()
    at.text_input(key="mgr_ws_path").input(str(path)).run()
    no_exception(at)
    return at


def test_team_view_loads_the_latest_corrected_reports_and_the_change(fake_app, team_ws):
    ws, (sid, unit) = team_ws
    at = manager(ws.path)
    assert not errors(at), errors(at)
    assert at.selectbox(key="mgr_ws_cycle").value == "2026 H2"
    team = ws.team("lead-software-engineer", "2026 H2")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["People"] == "2"
    nobody = [
        s.id
        for s in team["alice"].corrected.statements
        if not any(r.corrected.statement(s.id).covered for r in team.values())
    ]
    assert metrics["Nobody evidences"] == str(len(nobody))
    # Change since 2026 H1, per person, from the workspace.
    (changes,) = [t.value for t in at.table if "Newly evidenced" in t.value.columns]
    want = [ws.changes(p, "lead-software-engineer", "2026 H2", "2026 H1") for p in ("alice", "bob")]
    assert want[0].comparable and want[0].newly_covered and not want[1].comparable
    statements = {s.id: s for s in team["alice"].corrected.statements}
    assert changes.equals(escaped(change_frame(want, statements)))
    assert "no report in the previous cycle" in changes.iloc[1, 1]
    # The drill-down (keyboard fallback of the heatmap click) shows the rejected line, who and when.
    at.selectbox(key="mgr_cell_person").select("alice").run()
    at.selectbox(key="mgr_cell_statement").select(sid).run()
    no_exception(at)
    shown = "\n".join(m.value for m in at.markdown)
    assert f"~~line {unit.line}~~" in shown and "rejected for" in shown and "by alice" in shown


def test_no_workspace_yet_is_an_info_and_creates_nothing(fake_app, ws_path):
    at = manager(ws_path)
    assert not errors(at)
    assert any("No workspace at this path yet" in i.value for i in at.info)
    assert not ws_path.exists()


def test_import_a_bundle_twice_adds_it_once(fake_app, team_ws, ws_path):
    ws, _ = team_ws
    (alice,) = [r for r in ws.reports(person="alice", cycle="2026 H2")]
    data = json.dumps(ws.export_bundle(alice.id, signed_off_by="alice")).encode()
    at = manager(ws_path)
    for expected in ("Imported the report of alice, 2026 H2", "already in the workspace"):
        at.file_uploader(key="mgr_bundle").set_value(("alice-bundle.json", data, "application/json")).run()
        at.button(key="mgr_bundle_go").click().run()
        no_exception(at)
        assert any(expected in x.value for x in [*at.success, *at.info]), [x.value for x in [*at.success, *at.info]]
    imported = Workspace.open(ws_path, create=False)
    assert len(imported.reports()) == 1
    assert imported.reports()[0].corrected.to_json() == alice.corrected.to_json()
    assert {m.label: m.value for m in at.metric}["People"] == "1"


def test_a_file_that_is_not_a_bundle_is_refused_on_screen(fake_app, ws_path):
    at = manager(ws_path)
    at.file_uploader(key="mgr_bundle").set_value(("notes.json", b"\xff\xfe not json", "application/json")).run()
    at.button(key="mgr_bundle_go").click().run()
    no_exception(at)
    assert errors(at) and "notes.json" in errors(at)[0]
    assert not ws_path.exists()


def test_a_later_export_of_the_same_report_adds_only_its_new_corrections(fake_app, team_ws, ws_path):
    ws, (_, unit) = team_ws
    (alice,) = ws.reports(person="alice", cycle="2026 H2")
    first = json.dumps(ws.export_bundle(alice.id, signed_off_by="alice")).encode()
    at = manager(ws_path)
    at.file_uploader(key="mgr_bundle").set_value(("first.json", first, "application/json")).run()
    at.button(key="mgr_bundle_go").click().run()
    other = next(u for u in alice.report.units if u.evidences and u.id != unit.id)
    from matcher.corrections import Correction

    fix = Correction("reject", other.text, other.evidences[0], "lead-software-engineer", unit_id=other.id)
    ws.correct(alice.id, fix)
    later = json.dumps(ws.export_bundle(alice.id, signed_off_by="alice")).encode()
    at.file_uploader(key="mgr_bundle").set_value(("later.json", later, "application/json")).run()
    at.button(key="mgr_bundle_go").click().run()
    no_exception(at)
    assert any("added the 1 correction made since" in x.value for x in at.success), [x.value for x in at.success]
    imported = Workspace.open(ws_path, create=False)
    assert len(imported.reports()) == 1 and len(imported.corrections()) == 2


def test_forget_a_person_needs_their_name_typed_and_leaves_nothing_of_theirs(fake_app, team_ws):
    ws, (_, unit) = team_ws
    at = manager(ws.path)
    assert {m.label: m.value for m in at.metric}["People"] == "2"
    at.selectbox(key="mgr_forget_person").select("alice").run()
    assert at.button(key="mgr_forget_go").disabled  # not confirmed yet
    at.text_input(key="mgr_forget_confirm").input("ALICE ").run()
    assert not at.button(key="mgr_forget_go").disabled
    at.button(key="mgr_forget_go").click().run()
    no_exception(at)
    assert any("Forgot alice" in s.value for s in at.success)
    assert {m.label: m.value for m in at.metric}["People"] == "1"
    assert [p.name for p in ws.people()] == ["bob"]
    raw = b"".join(p.read_bytes() for p in ws.path.parent.glob(ws.path.name + "*"))
    assert unit.text.encode() not in raw and document("se-01.md").splitlines()[2].encode() not in raw
