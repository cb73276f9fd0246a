"""Corrections applied to a report: confirm, reject, assign; coverage and exports follow."""

from __future__ import annotations

import json

import pytest

from matcher.corrections import Correction, apply_corrections, text_key, verdicts
from matcher.report import Report

DOC = """\
- Led the migration of our payments service to the new queue, planning the cut-over with two teams
- Mentored two new engineers through their first on-call rotation
- Fixed a typo in the README
"""


@pytest.fixture()
def report(fake_matcher) -> Report:
    return fake_matcher().match(DOC)


def _first_evidenced(report: Report):
    return next(u for u in report.units if u.evidences)


def test_report_round_trips_through_its_dict(report):
    again = Report.from_dict(json.loads(report.to_json()))
    assert again.to_dict() == report.to_dict()


def test_reject_removes_the_pair_and_coverage_follows(report):
    u = _first_evidenced(report)
    sid = u.evidences[0]
    out = apply_corrections(report, [Correction("reject", u.text, sid, author="ann", at="2026-12-03T10:00:00Z")])
    assert sid not in out.unit(u.id).evidences
    assert u.id not in out.statement(sid).evidence
    assert out.unit(u.id).extra["corrections"][0] == {
        "action": "reject",
        "statement_id": sid,
        "replaces": "",
        "author": "ann",
        "at": "2026-12-03T10:00:00Z",
    }
    assert out.meta["corrections"] == 1
    assert "corrections" in json.loads(out.to_json())["units"][[x.id for x in out.units].index(u.id)]


def test_confirm_adds_a_held_pair_as_evidence(report):
    u = report.units[-1]
    sid = next(s.id for s in report.statements if s.id not in u.evidences)
    out = apply_corrections(report, [Correction("confirm", u.text, sid)])
    assert sid in out.unit(u.id).evidences
    assert out.statement(sid).covered


def test_assign_moves_the_item_to_another_statement(report):
    u = _first_evidenced(report)
    old = u.evidences[0]
    new = next(s.id for s in report.statements if s.id not in u.evidences)
    out = apply_corrections(report, [Correction("assign", u.text, new, replaces=old)])
    assert new in out.unit(u.id).evidences and old not in out.unit(u.id).evidences
    assert u.id in out.statement(new).evidence


def test_corrections_stick_to_the_text_not_the_unit_id(fake_matcher, report):
    u = _first_evidenced(report)
    sid = u.evidences[0]
    fix = Correction("reject", "  " + u.text.upper() + " ", sid)
    later = fake_matcher().match("- Something else entirely happened\n- " + u.text + "\n")
    out = apply_corrections(later, [fix])
    assert all(sid not in x.evidences for x in out.units if text_key(x.text) == text_key(u.text))


def test_the_latest_correction_wins():
    a = Correction("reject", "x", "s1", at="1")
    b = Correction("confirm", "x", "s1", at="2")
    assert verdicts([a, b]) == {("x", "s1"): True}
    assert verdicts([b, a]) == {("x", "s1"): False}


def test_another_ladders_corrections_are_ignored(report):
    u = _first_evidenced(report)
    out = apply_corrections(report, [Correction("reject", u.text, u.evidences[0], ladder_id="other-ladder")])
    assert out is report


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "delete", "text": "x", "statement_id": "s"},
        {"action": "reject", "text": "x", "statement_id": ""},
        {"action": "reject", "text": "   ", "statement_id": "s"},
        {"action": "confirm", "text": "x", "statement_id": "s", "replaces": "t"},
    ],
)
def test_malformed_corrections_are_refused(kwargs):
    with pytest.raises(ValueError):
        Correction(**kwargs)
