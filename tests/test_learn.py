"""Learning from corrections (Matcher.with_corrections, matcher.learn) over the fake embedder: the
mechanics. Whether learning helps on the dev sets is tests/test_learning_curve.py (real model)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.check import _training_set
from matcher.corrections import Correction
from matcher.index import Entry, EvidenceIndex, entries_key
from matcher.learn import DEFAULT_WEIGHTS, learned_entries
from matcher.scoring import head_training_set

LADDER = "lead-software-engineer"
POS, NEG = DEFAULT_WEIGHTS.confirmed, DEFAULT_WEIGHTS.rejected
DOC = """\
## Projects
- Led the migration of our payments service to the new queue, planning the cut-over with two teams
- Mentored two new engineers through their first on-call rotation
- Wrote the design doc for the search rewrite and ran its review with three teams
- Fixed a typo in the README
"""


def other_doc(line: str) -> str:
    """Another document holding `line` with its case and spacing changed."""
    return f"# Later\n- Set up the quarterly planning board\n- {line.upper().replace(' ', '   ')}\n"


@pytest.fixture(scope="module")
def base(fake_matcher):
    return fake_matcher(LADDER)


def _evidenced(report):
    return next(u for u in report.units if u.evidences)


def test_no_corrections_behave_exactly_as_the_original(base):
    same = base.with_corrections([])
    assert same.index is base.index and same.scorer is base.scorer
    assert same.match(DOC).to_dict() == base.match(DOC).to_dict()
    other = other_doc("Fixed a typo in the README")
    assert [r.to_dict() for r in same.match_many([DOC, other])] == [r.to_dict() for r in base.match_many([DOC, other])]
    np.testing.assert_array_equal(same.score(["Fixed a typo"]).scores, base.score(["Fixed a typo"]).scores)


def test_corrections_for_another_ladder_are_ignored(base):
    u = _evidenced(base.match(DOC))
    other = base.with_corrections([Correction("reject", u.text, u.evidences[0], ladder_id="lead-data-engineer")])
    assert other.index is base.index and other.corrections == ()
    assert other.match(DOC).to_dict() == base.match(DOC).to_dict()


def test_a_rejected_pair_is_never_claimed_again_for_the_same_text(base):
    u = _evidenced(base.match(DOC))
    sid = u.evidences[0]
    learned = base.with_corrections([Correction("reject", u.text, sid, ladder_id=LADDER)])
    assert learned.index is not base.index
    other = other_doc(u.text)
    assert sid in base.match(other).units[-1].evidences  # claimed before the correction
    for report in [learned.match(DOC), learned.match(other), *learned.match_many([DOC, other])]:
        same_text = [x for x in report.units if x.text.casefold().split() == u.text.casefold().split()]
        assert same_text
        assert all(sid not in x.evidences for x in same_text)
        assert all(x.id not in report.statement(sid).evidence for x in same_text)
    units = learned.split(DOC)
    assert sid not in learned.match_units(units).unit(u.id).evidences


def test_a_confirmed_pair_is_always_claimed(base):
    report = base.match(DOC)
    u = report.units[-1]  # the typo fix: evidence of nothing
    sid = next(s.id for s in report.statements if s.id not in u.evidences)
    learned = base.with_corrections([Correction("confirm", u.text, sid)])
    for r in [learned.match(DOC), *learned.match_many([DOC]), learned.match_units(learned.split(DOC))]:
        assert sid in r.unit(u.id).evidences
        assert r.statement(sid).covered
        assert r.meta["learned_from"] == 1


def test_the_latest_verdict_on_a_pair_wins(base):
    u = _evidenced(base.match(DOC))
    sid = u.evidences[0]
    flip = [Correction("reject", u.text, sid), Correction("confirm", u.text, sid)]
    assert sid in base.with_corrections(flip).match(DOC).unit(u.id).evidences
    assert [e.kind for e in learned_entries(base.ladder, flip)] == ["confirmed"]


def test_corrections_replace_those_a_matcher_had(base):
    u = _evidenced(base.match(DOC))
    learned = base.with_corrections([Correction("reject", u.text, u.evidences[0])])
    again = learned.with_corrections([])
    assert again.index is base.index and again.match(DOC).to_dict() == base.match(DOC).to_dict()


def _learned(base):
    report = base.match(DOC)
    u = _evidenced(report)
    rejected = u.evidences[0]
    typo = report.units[-1]
    assigned = next(s.id for s in base.ladder.statements if s.id not in u.evidences)
    corrections = [
        Correction("reject", typo.text, rejected),
        Correction("assign", u.text, assigned, replaces=rejected),
    ]
    return base.with_corrections(corrections), u, typo, rejected, assigned


def test_the_index_holds_the_pairs_as_exemplars_and_hard_negatives(base):
    learned, u, typo, rejected, assigned = _learned(base)
    extra = learned.index.entries[len(base.index.entries) :]
    assert learned.index.entries[: len(base.index.entries)] == base.index.entries
    assert sorted((e.kind, e.text, e.statement_id) for e in extra) == sorted(
        [("negative", typo.text, rejected), ("confirmed", u.text, assigned), ("negative", u.text, rejected)]
    )
    assert all(e.weight == (POS if e.kind == "confirmed" else NEG) for e in extra)
    # The base vectors are reused, the new lines encoded as the embedder encodes them.
    np.testing.assert_array_equal(learned.index.vectors[: len(base.index.vectors)], base.index.vectors)
    np.testing.assert_allclose(learned.index.vectors[-1], base.embedder.encode([extra[-1].text])[0], atol=1e-6)


def test_negatives_reach_the_checks_training_set(base):
    learned, u, typo, rejected, assigned = _learned(base)
    ids = [s.id for s in base.ladder.statements]
    stmt = learned.index.vectors[learned.scorer._stmt_rows]
    x0, y0, w0 = _training_set(base.index, ids, stmt)
    x, y, w = _training_set(learned.index, ids, stmt)
    new = slice(len(y0), None)
    from matcher.check import pair_features

    vec = dict(zip([e.text for e in learned.index.entries], learned.index.vectors, strict=False))
    pos = {sid: i for i, sid in enumerate(ids)}

    def row(text, sid):
        return pair_features(vec[text][None], stmt[[pos[sid]]])[0]

    added = list(zip(x[new], y[new], w[new], strict=True))
    assert any(np.allclose(f, row(typo.text, rejected)) and lab == 0 and wt == NEG for f, lab, wt in added)
    assert any(np.allclose(f, row(u.text, rejected)) and lab == 0 for f, lab, _ in added)
    assert any(np.allclose(f, row(u.text, assigned)) and lab == 1 and wt == POS for f, lab, wt in added)
    np.testing.assert_array_equal(x[: len(y0)], x0)
    assert (w0 == 1).all()


def test_negatives_reach_the_heads_training_set_as_no_evidence_unless_confirmed(base):
    learned, u, typo, _, assigned = _learned(base)
    ids = [s.id for s in base.ladder.statements]
    pos = {sid: i for i, sid in enumerate(ids)}
    _, y0, _ = head_training_set(base.index, pos)
    x, y, w = head_training_set(learned.index, pos)
    added = list(zip(x[len(y0) :], y[len(y0) :], w[len(y0) :], strict=True))
    typo_vec = base.embedder.encode([typo.text])[0]
    u_vec = base.embedder.encode([u.text])[0]
    # The typo line, rejected and confirmed for nothing, is a no-evidence sample (once).
    assert sum(np.allclose(v, typo_vec, atol=1e-6) and lab == len(ids) for v, lab, _ in added) == 1
    # The reassigned line is a sample of its new statement, never of no evidence.
    assert any(np.allclose(v, u_vec, atol=1e-6) and lab == pos[assigned] for v, lab, _ in added)
    assert not any(np.allclose(v, u_vec, atol=1e-6) and lab == len(ids) for v, lab, _ in added)
    assert {float(wt) for _, _, wt in added} == {POS, NEG}


def test_learning_moves_scores_of_similar_lines_not_only_the_corrected_one(base):
    """The head and check are refitted: a reworded line the user never corrected moves too."""
    text = "Mentored two new engineers through their first on-call rotation"
    reworded = "Mentored three new engineers through their first on-call rotation and the handbook"
    scores = base.score([text, reworded]).scores
    sid = base.ladder.statements[int(np.argmin(scores[0]))].id  # the statement it is least like
    j = [s.id for s in base.ladder.statements].index(sid)
    learned = base.with_corrections([Correction("confirm", text, sid)])
    after = learned.score([text, reworded]).scores
    assert after[0, j] > scores[0, j] and after[1, j] > scores[1, j]


def test_the_learned_index_has_its_own_key_and_nothing_is_written(base, tmp_path):
    cache = base.settings.cache_dir
    before = sorted(p for p in cache.rglob("*")) if cache else []
    learned, *_ = _learned(base)
    after = sorted(p for p in cache.rglob("*")) if cache else []
    assert after == before  # the user's lines never reach the cache
    assert learned.index.key != base.index.key
    # An entry of weight 1 keys as before weights existed; a weight changes the key.
    e = Entry("exemplar", "a line", "s1")
    assert e.fields() == ["exemplar", "a line", "s1", ""]
    assert entries_key([e], base.embedder) != entries_key(
        [Entry("exemplar", "a line", "s1", weight=2.0)], base.embedder
    )
    assert isinstance(learned.index, EvidenceIndex)


def test_a_ladder_matched_on_text_alone_still_applies_its_corrections(fake_settings):
    from matcher import Matcher
    from matcher.exemplars import ExemplarSet
    from tests.helpers import FakeEmbedder

    bare = Matcher.from_ladder(LADDER, embedder=FakeEmbedder(), settings=fake_settings, exemplars=ExemplarSet())
    u = bare.match(DOC).units[-1]
    sid = bare.ladder.statements[0].id
    learned = bare.with_corrections([Correction("confirm", u.text, sid)])
    assert not learned.scorer.has_exemplars  # no head to refit: scored on statement text as before
    assert sid in learned.match(DOC).unit(u.id).evidences
