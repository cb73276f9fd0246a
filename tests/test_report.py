"""The Report's exports on a hand-made report: schema names, CSV rows, LLM additions, escaping."""

from __future__ import annotations

import csv
import io
import json

from matcher.report import Match, PillarCoverage, Report, StatementResult, UnitResult

CORE_KEYS = {"ladder", "units", "statements", "pillars", "uncovered", "unmatched_units"}


def _report(llm: bool = False) -> Report:
    m1 = Match("s1", "I lead incidents.", "Delivery", 0.91)
    m2 = Match("s2", "I coach peers.", "People", 0.2)
    extra_u = (
        {
            "evidence_source": "llm+embedding",
            "judge": {"source": "llm", "evidences": ["s1"], "reason": "ran the incident"},
        }
        if llm
        else {}
    )
    units = (
        UnitResult("u1", "=Ran the March outage review", 3, "Q1", (m1, m2), ("s1",), extra_u),
        UnitResult("u2", "Took two weeks off", 4, "Q1", (m2, m1), ()),
    )
    s1_extra = {"explanation": {"source": "llm", "text": "It shows incident leadership."}} if llm else {}
    s2_extra = {"coaching": {"source": "llm", "text": "Pair with a junior on a feature."}} if llm else {}
    statements = (
        StatementResult("s1", "Delivery", "I lead incidents.", "strong", 0.91, ("u1",), s1_extra),
        StatementResult("s2", "People", "I coach <b>peers</b>.", "none", 0.2, (), s2_extra),
    )
    pillars = (PillarCoverage("Delivery", 1, 1), PillarCoverage("People", 0, 1))
    meta = {"llm": {"capabilities": ["judge"]}} if llm else {}
    return Report({"id": "x", "title": "Lead", "level": "L4"}, units, statements, pillars, meta)


def test_dict_keeps_the_core_schema():
    d = json.loads(_report().to_json())
    assert set(d) >= CORE_KEYS
    assert d["uncovered"] == ["s2"] and d["unmatched_units"] == ["u2"]
    assert d["units"][0]["matches"][0] == {
        "statement_id": "s1",
        "statement": "I lead incidents.",
        "pillar": "Delivery",
        "score": 0.91,
    }
    assert set(d["statements"][0]) == {"id", "pillar", "text", "strength", "score", "evidence", "closest"}
    assert {"end_line", "signals"} <= set(d["units"][0])


def test_csv_has_a_row_per_evidence_and_per_unmatched_unit_and_defuses_formulas():
    rows = list(csv.DictReader(io.StringIO(_report().to_csv())))
    assert [(r["unit_id"], r["statement_id"]) for r in rows] == [("u1", "s1"), ("u2", "")]
    assert rows[0]["unit"] == "'=Ran the March outage review"
    assert "explanation" not in rows[0]


def test_llm_additions_reach_every_export():
    r = _report(llm=True)
    rows = list(csv.DictReader(io.StringIO(r.to_csv())))
    assert rows[0]["evidence_source"] == "llm+embedding"
    assert rows[0]["judge_reason"] == "ran the incident"
    assert rows[0]["explanation"] == "It shows incident leadership."
    assert rows[1]["explanation"] == ""
    md, text = r.to_markdown(), r.to_text()
    assert "It shows incident leadership." in md and "Pair with a junior on a feature." in md
    assert "It shows incident leadership." in text and "Pair with a junior on a feature." in text
    assert json.loads(r.to_json())["statements"][1]["coaching"]["text"] == "Pair with a junior on a feature."


def test_markdown_escapes_user_text():
    md = _report().to_markdown()
    assert "<b>" not in md and "\\<b\\>peers\\</b\\>" in md


def test_frame_matches_csv_rows():
    frame = _report().to_frame()
    assert list(frame["statement_id"]) == ["s1", ""]
