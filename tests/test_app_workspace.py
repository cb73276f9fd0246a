"""Saving to a workspace from the engineer view, and the team view over a workspace (AppTest, fake
model, a real SQLite file in a temp folder)."""

from __future__ import annotations

import json

import pytest

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
    return [e.value for e in at.error]


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


def test_nothing_is_written_until_save_then_corrections_go_to_the_workspace(fake_app, ws_path):
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
    # The report shown is the workspace's corrected report.
    assert {m.label: m.value for m in at.metric}["Coverage"] == f"{ws.report(saved.id).corrected.coverage:.0%}"
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
    assert errors(at) and str(ws_path) in errors(at)[0].replace("\\", "")
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
