"""The Matcher's own logic over the fake embedder (fast tier): reports, streaming, coverage, the
parts constructor, borrowed exemplars, batch runs. Real-model accuracy: test_metrics.py."""

from __future__ import annotations

import json

import pytest

from matcher import Matcher, load_ladder, parse_ladder
from matcher.batch import run_batch
from matcher.core import STREAM_CHUNK, TOP_MATCHES
from matcher.coverage import STRONG_SCORE, strength, with_coverage
from matcher.errors import DocumentError, DocumentTooLarge, MatcherError
from matcher.exemplars import load_exemplars
from matcher.index import EvidenceIndex, build_entries
from matcher.report import Match, PillarCoverage, Report, StatementResult, UnitResult
from matcher.scoring import Scorer
from tests.helpers import FakeEmbedder

LADDER = "lead-software-engineer"
DOCS = [
    "# H1\n\n- Wrote the team's code review guide and documented best practices for migrations\n"
    "- Paired with a new joiner every week, coaching her until she shipped the search filters alone\n"
    "- Took two weeks off in August\n",
    "- Cut scope to hit the fixed-time cycle and kept the quality bar\n",
    "",
    "- Led the incident review for the March outage\n- Mentored two juniors\n- Fixed a flaky test\n",
]


def test_a_report_is_consistent_with_its_own_scores(fake_matcher):
    m = fake_matcher(LADDER)
    report = m.match(DOCS[0])
    assert [u.line for u in report.units] == [3, 4, 5]
    for u in report.units:
        scores = [x.score for x in u.matches]
        assert len(u.matches) == TOP_MATCHES and scores == sorted(scores, reverse=True)
        assert set(u.evidences) <= {x.statement_id for x in u.matches}
    by_id = {s.id: s for s in report.statements}
    assert [s.id for s in report.statements] == [s.id for s in m.ladder.statements]
    for s in report.statements:  # a statement's score is its best score over the units
        best = max((x.score for u in report.units for x in u.matches if x.statement_id == s.id), default=None)
        if best is not None:
            assert s.score >= best - 1e-6
        assert set(s.evidence) == {u.id for u in report.units if s.id in u.evidences}
    assert sum(p.total for p in report.pillars) == len(by_id)
    assert with_coverage(report) == report  # the one coverage rule made these strengths


def test_match_many_streams_the_same_reports_as_match(fake_matcher, monkeypatch):
    import matcher.core

    m = fake_matcher(LADDER)
    # Compared as the public dicts (scores to 4 places): a matrix product over more rows may
    # differ in the last float bits.
    one_by_one = [m.match(d).to_dict() for d in DOCS]
    assert [r.to_dict() for r in m.match_many(DOCS)] == one_by_one
    monkeypatch.setattr(matcher.core, "STREAM_CHUNK", 2)  # several encoder batches
    assert [r.to_dict() for r in m.match_many(iter(DOCS))] == one_by_one
    assert STREAM_CHUNK >= 256


def test_match_many_yields_a_refused_document_in_its_place(fake_matcher):
    m = replace_limits(fake_matcher(LADDER), max_bytes=200)
    docs = [DOCS[1], "- " + "x" * 300, DOCS[1]]
    got = list(m.match_many(docs, errors="yield"))
    assert isinstance(got[1], DocumentTooLarge) and "200-byte limit" in str(got[1])
    assert got[0].to_dict() == got[2].to_dict() == m.match(DOCS[1]).to_dict()
    with pytest.raises(DocumentTooLarge):
        list(m.match_many(docs))
    with pytest.raises(ValueError, match="errors must be"):
        list(m.match_many(docs, errors="ignore"))


def replace_limits(m: Matcher, **limits: int) -> Matcher:
    return Matcher(
        m.ladder,
        m.embedder,
        m.index,
        m.scorer,
        exemplars=m.exemplars,
        borrowed=m.borrowed,
        settings=m.settings.replace(**limits),
    )


def test_the_parts_constructor_matches_from_ladder(fake_matcher, fake_settings):
    built = fake_matcher(LADDER)
    ladder = load_ladder(LADDER)
    exemplars = load_exemplars(ladder)
    embedder = FakeEmbedder()
    index = EvidenceIndex.build(build_entries(ladder, exemplars), embedder, fake_settings.cache_dir)
    by_hand = Matcher(ladder, embedder, index, Scorer(ladder, index), exemplars=exemplars)
    assert embedder.encoded == 0  # the index came from the cache from_ladder wrote
    assert by_hand.match(DOCS[0]) == built.match(DOCS[0])


def test_a_ladder_without_exemplars_borrows_and_says_so(fake_settings):
    shipped = load_ladder(LADDER)
    twin = shipped.statements[0]
    text = f"# L5: Staff Software Engineer\n\n## Domain expertise\n\n- {twin.text}\n- I water the office plants.\n"
    m = Matcher.from_ladder(parse_ladder(text, source="staff.md"), embedder=FakeEmbedder(), settings=fake_settings)
    assert list(m.borrowed.values()) == [LADDER]
    report = m.match("- Watered the office plants every week\n")
    assert report.meta["exemplars_borrowed"] == 1
    assert any("borrow" in w for w in report.meta["warnings"])


@pytest.mark.parametrize(
    ("evidence", "best", "expected"),
    [
        ((), 0.2, "none"),
        ((), 0.45, "possible"),  # just below the line: shown, not covered
        ((), 0.494, "possible"),
        ((("a", 0.6),), 0.6, "partial"),
        ((("a", STRONG_SCORE),), STRONG_SCORE, "strong"),
        ((("a", 0.55), ("b", 0.51)), 0.55, "strong"),  # two distinct items
        ((("Led the review", 0.55), ("led  the REVIEW", 0.51)), 0.55, "partial"),  # one text pasted twice
    ],
)
def test_the_strength_rule(evidence, best, expected):
    assert strength(evidence, best) == expected


def test_coverage_recomputes_strength_evidence_and_pillars():
    def unit(uid, evidences, **scores):
        matches = tuple(Match(sid, sid, "P", score) for sid, score in scores.items())
        return UnitResult(uid, f"text of {uid}", 1, "", matches, evidences)

    statements = tuple(StatementResult(sid, "P", sid, "none", 0.0, ()) for sid in ("a", "b", "c"))
    base = Report({"id": "x"}, (), statements, (PillarCoverage("P", 0, 3),), {})
    units = [unit("u1", ("a", "b"), a=0.6, b=0.9), unit("u2", ("a",), a=0.7)]
    got = with_coverage(base, units)
    assert [(s.id, s.strength, s.evidence) for s in got.statements] == [
        ("a", "strong", ("u2", "u1")),  # two units; best score first
        ("b", "strong", ("u1",)),  # one unit over STRONG_SCORE
        ("c", "none", ()),
    ]
    assert got.pillars == (PillarCoverage("P", 2, 3),) and got.units == tuple(units)
    partial = with_coverage(base, [unit("u1", ("c",), c=0.55)])
    assert [s.strength for s in partial.statements] == ["none", "none", "partial"]


def test_batch_over_the_fake_matcher_equals_matching_each_document(fake_matcher, tmp_path):
    source = tmp_path / "in.jsonl"
    rows = [{"id": f"d{i}", "text": t} for i, t in enumerate(DOCS)] + [{"id": "bad", "text": 3}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    summary = run_batch(source, tmp_path / "out.jsonl", LADDER, matcher_for=fake_matcher)
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "out.jsonl").read_text().splitlines())}
    assert summary.written == len(rows) and summary.errors == 1 and "error" in records["bad"]
    for i, text in enumerate(DOCS):
        expected = fake_matcher(LADDER).match(text)
        assert {k: v for k, v in records[f"d{i}"].items() if k != "id"} == json.loads(expected.to_json())


def test_settings_problems_are_matcher_errors(fake_matcher):
    with pytest.raises(MatcherError, match="MATCHER_MAX_UNITS"):
        fake_matcher(LADDER).settings.replace(max_units="many")
    assert issubclass(DocumentTooLarge, DocumentError)
