"""The decision rule (issue 12): one line everywhere, units that are not work done held below it,
the second-stage check, and what a report says about a statement just below the line."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.check import PairCheck, _training_set, fit_check, pair_features
from matcher.coverage import DECIDE, POSSIBLE
from matcher.scoring import BELOW_LINE, MAX_EVIDENCES, NOT_WORK_DONE

LADDER = "lead-software-engineer"
DOC = """# H2

## Projects
- Led the incident review for the March outage and drove every follow-up to done
- Mentored two juniors until they ran the release on their own
- Wrote the team's code review guide and a CI check for migrations

## Goals for next year
- Led the incident review for the March outage and drove every follow-up to done
"""


def _all_scores(report):
    return [(u, m.statement_id, m.score) for u in report.units for m in u.matches]


def test_one_decision_line(fake_matcher):
    report = fake_matcher(LADDER).match(DOC)
    for u, sid, score in _all_scores(report):
        assert (score >= DECIDE) == (sid in u.evidences), (u.text, sid, score)
        assert not BELOW_LINE < score < DECIDE  # nothing below the line displays as 0.50
        assert f"{score:.2f}" != "0.50" or sid in u.evidences
    assert all(len(u.evidences) <= MAX_EVIDENCES for u in report.units)


def test_a_goal_is_held_below_the_line_however_close_its_text(fake_matcher):
    m = fake_matcher(LADDER)
    units = m.split(DOC)
    done, goal = units[0], units[-1]
    assert done.text == goal.text and not done.signals and "section:goals" in goal.signals
    scored = m.score([done.text, goal.text], [done.signals, goal.signals])
    assert scored.scores[1].max() < POSSIBLE  # held: never even "possible"
    assert not scored.decisions[1]
    # Without the signals the two are the same text and score the same.
    same = m.score([done.text, goal.text])
    np.testing.assert_array_equal(same.scores[0], same.scores[1])


@pytest.mark.parametrize("signal", sorted(NOT_WORK_DONE))
def test_every_not_work_done_signal_holds_a_unit(fake_matcher, signal):
    m = fake_matcher(LADDER)
    text = "Led the incident review for the March outage and drove every follow-up to done"
    scored = m.score([text], [frozenset({signal})])
    assert not scored.decisions[0] and scored.scores.max() < POSSIBLE


def test_learning_is_not_held(fake_matcher):
    m = fake_matcher(LADDER)
    text = "Read the OpenTelemetry migration guide and moved our services to the stable conventions"
    np.testing.assert_array_equal(m.score([text], [frozenset({"section:learning"})]).scores, m.score([text]).scores)


def test_the_check_separates_what_it_was_fitted_on(fake_matcher, tmp_path):
    m = fake_matcher(LADDER)
    index = m.index
    ids = [s.id for s in m.ladder.statements]
    rows = [
        next(j for j, e in enumerate(index.entries) if e.kind == "statement" and e.statement_id == sid) for sid in ids
    ]
    stmt = index.vectors[rows]
    check = fit_check(index, ids, stmt, tmp_path)
    assert isinstance(check, PairCheck)
    # Fitted on exemplars (positives) against the nearest statements of no-evidence lines and the
    # neighbouring statement of each exemplar: it must get most of its own training pairs right.
    x, y, _ = _training_set(index, ids, stmt)
    p = 1 / (1 + np.exp(-(x @ check.coef + check.intercept)))
    assert 0.2 < y.mean() < 0.6
    assert np.mean((p >= 0.5) == (y == 1)) > 0.8
    # Cached beside the head: a second fit reads the same weights back.
    again = fit_check(index, ids, stmt, tmp_path)
    np.testing.assert_allclose(again.coef, check.coef)
    assert pair_features(stmt[:2], stmt[:2]).shape == (2, 2 * stmt.shape[1] + 1)


def test_a_statement_just_below_the_line_is_possible_with_its_line(fake_matcher):
    report = fake_matcher(LADDER).match(DOC)
    units = {u.id: u for u in report.units}
    for s in report.statements:
        assert s.closest in units
        if s.strength == "possible":
            assert POSSIBLE <= s.score < DECIDE and not s.evidence and not s.covered
            assert s.id not in units[s.closest].evidences
        assert s.covered == (s.strength in ("strong", "partial"))
        assert (s.id in report.uncovered) == (not s.covered)


def test_the_annotated_document_shows_whole_items_and_why_one_is_held(fake_matcher):
    from matcher.ui.views import units_table

    text = (
        "## Projects\n- Moved the billing export to the new queue,\n  wrapped onto a second line\n\n"
        "## Goals\n- Lead the Q3 migration\n"
    )
    table = units_table(fake_matcher(LADDER).match(text))
    assert list(table["Line"]) == ["2–3", "6"]
    assert table["Evidences"].iloc[1] == "*— nothing (a goal or plan: not counted)*"


def test_a_units_scores_do_not_depend_on_what_it_is_scored_with(fake_matcher):
    m = fake_matcher(LADDER)
    texts = [u.text for u in m.split(DOC)] + [f"Closed ticket {i} about the billing export" for i in range(300)]
    alone = m.score(texts[:3]).scores
    together = m.score(texts).scores[:3]
    np.testing.assert_array_equal(alone, together)  # bit for bit: match() and match_many() agree
