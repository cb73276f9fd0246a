"""Corrections in the engineer view (AppTest, fake model): confirm, reject or move a line, on each
evidencing line and in the annotated document; the report and every download follow at once, and
each correction says who made it and when."""

from __future__ import annotations

import json

from matcher.corrections import Correction
from matcher.ui import engineer
from tests.app_fake import ENGINEER, MANAGER, app, fake_app, no_exception, shown
from tests.helpers import EVAL_DOCS, need_shared

__all__ = ["fake_app", "shown"]


def document() -> str:
    return (need_shared(EVAL_DOCS) / "se-01.md").read_text(encoding="utf-8")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def matched(fake_app, shown, person: str = ""):
    at = app().run()
    if person:
        at.text_input(key="eng_person").input(person).run()
    at.text_area(key="eng_text").input(document()).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at, shown[-1]


def button(at, prefix: str, key_part: str = ""):
    return next(b for b in at.button if b.label.startswith(prefix) and key_part in (b.key or ""))


def learned(fake_matcher, corrections):
    """The library's report for the document from a matcher taught by `corrections`."""
    return fake_matcher("lead-software-engineer").with_corrections(corrections).match(document())


def same_matches(a, b) -> bool:
    return [u.evidences for u in a.units] == [u.evidences for u in b.units] and a.uncovered == b.uncovered


def test_reject_removes_the_match_everywhere_and_says_who_and_when(fake_app, shown, fake_matcher):
    at, before = matched(fake_app, shown, person="Sam Lee")
    s = next(s for s in before.statements if s.evidence)
    unit = before.unit(s.evidence[0])
    button(at, f"Reject line {unit.line}", f"_{s.id}_{unit.id}_no").click().run()
    no_exception(at)
    after = shown[-1]
    assert s.id not in after.unit(unit.id).evidences
    assert unit.id not in after.statement(s.id).evidence
    # The matcher learned from it: the report is the library's taught matcher's.
    expected = learned(fake_matcher, [Correction("reject", unit.text, s.id, before.ladder["id"])])
    assert metrics(at)["Coverage"] == f"{expected.coverage:.0%}"
    assert same_matches(after, expected)
    assert after.meta["learned_from"] == 1
    # The exports are made from the corrected report.
    data = json.loads(engineer.downloads(after, engineer.Handover(), [])[1].data)
    (unit_json,) = [u for u in data["units"] if u["id"] == unit.id]
    assert s.id not in unit_json["evidences"]
    assert unit_json["corrections"][0]["action"] == "reject"
    assert unit_json["corrections"][0]["author"] == "Sam Lee"
    assert data["meta"]["corrections"] == 1
    notes = [m.value for m in at.markdown if "rejected for" in m.value]
    assert notes and all("by Sam Lee" in n and "UTC" in n for n in notes)


def test_move_a_line_to_another_statement(fake_app, shown):
    at, before = matched(fake_app, shown)
    s = next(s for s in before.statements if s.evidence)
    unit = before.unit(s.evidence[0])
    target = next(t for t in before.statements if not t.covered)
    key = f"eng_fix_{s.id}_{unit.id}"
    at.button(key=f"{key}_mv").click().run()
    at.selectbox(key=f"{key}_target").select(target.id).run()
    at.button(key=f"{key}_go").click().run()
    no_exception(at)
    after = shown[-1]
    assert target.id in after.unit(unit.id).evidences and s.id not in after.unit(unit.id).evidences
    assert after.statement(target.id).covered
    assert any("moved to" in m.value and "by You" in m.value for m in at.markdown)


def test_confirm_the_closest_line_of_an_uncovered_statement(fake_app, shown, fake_matcher):
    at, before = matched(fake_app, shown)
    s = next(
        (s for s in before.statements if not s.evidence and s.closest and f"eng_fix_{s.id}_{s.closest}_ok" in keys(at)),
        None,
    )
    assert s is not None, "some uncovered statement offers its closest line to confirm"
    at.button(key=f"eng_fix_{s.id}_{s.closest}_ok").click().run()
    no_exception(at)
    after = shown[-1]
    assert after.statement(s.id).covered and s.closest in after.statement(s.id).evidence
    unit = before.unit(s.closest)
    assert same_matches(after, learned(fake_matcher, [Correction("confirm", unit.text, s.id, before.ladder["id"])]))


def keys(at) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_the_annotated_document_corrects_a_line_and_undo(fake_app, shown):
    at, before = matched(fake_app, shown)
    unit = next(u for u in before.units if not u.evidences)
    target = before.statements[0]
    at.selectbox(key="eng_fix_line").select(unit.id).run()
    at.selectbox(key=f"eng_doc_add_{unit.id}").select(target.id).run()
    at.button(key=f"eng_doc_add_go_{unit.id}").click().run()
    no_exception(at)
    assert target.id in shown[-1].unit(unit.id).evidences
    # Shown in the line's own panel, with its Reject control.
    assert f"eng_doc_{target.id}_{unit.id}_no" in keys(at)
    # The corrections survive a page switch (session state), and an unsaved one can be undone.
    at.switch_page(MANAGER).run()
    at.switch_page(ENGINEER).run()
    no_exception(at)
    assert target.id in shown[-1].unit(unit.id).evidences
    at.button(key="eng_undo_0").click().run()
    no_exception(at)
    assert shown[-1].to_json() == before.to_json()
