"""Level comparison: level parsing, finding the next level of a track, the comparison, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.compare import (
    LevelComparison,
    compare_levels,
    compare_reports,
    level_of,
    next_level,
    parse_level,
)
from matcher.errors import LadderError
from matcher.ladder import load_ladder, load_ladders, parse_ladder
from matcher.report import Match, PillarCoverage, Report, StatementResult, UnitResult
from tests.helpers import LADDERS, SHARED

SE = LADDERS / "Engineering" / "Software-Engineering"
DOC = SHARED / "eval" / "docs" / "se-01.md"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared/ folder sits beside the project)")
    return path


def ladder_text(title: str, *statements: str, pillar: str = "Delivery") -> str:
    bullets = "\n".join(f"- {s}" for s in statements)
    return f"# {title}\n\n## {pillar}\n\n{bullets}\n"


def write(folder: Path, name: str, title: str, *statements: str) -> Path:
    path = folder / name
    path.write_text(ladder_text(title, *statements), encoding="utf-8")
    return path


# -- levels --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("L4", 4.0),
        ("L1.0", 1.0),
        ("l5", 5.0),
        ("IC3", 3.0),
        ("L4 - Lead Cloud Engineer", 4.0),
        ("l6-senior-principal-software-engineer", 6.0),
        ("L10", 10.0),
        ("lead-software-engineer", None),
        ("html5-expert", None),
        ("", None),
    ],
)
def test_parse_level(value, level):
    assert parse_level(value) == level


def test_level_of_prefers_the_level_then_id_then_file_name(tmp_path):
    assert level_of(parse_ladder(ladder_text("L3: Senior Engineer", "I ship"))) == 3.0
    no_level = parse_ladder(ladder_text("Engineer", "I ship"))
    assert level_of(no_level) is None
    path = write(tmp_path, "L2-Engineer.md", "Engineer", "I ship")
    assert level_of(load_ladder(path)) == 2.0


def test_next_level_in_a_folder(tmp_path):
    paths = [
        write(tmp_path, "L2-Engineer.md", "L2: Engineer", "I ship small things"),
        write(tmp_path, "L3-Senior-Engineer.md", "L3: Senior Engineer", "I ship features"),
        write(tmp_path, "L4-Lead-Engineer.md", "L4: Lead Engineer", "I lead projects"),
    ]
    ladders = load_ladders(tmp_path)
    by_path = {lad.path: lad for lad in ladders}
    l2, l3, l4 = (by_path[p] for p in paths)
    assert next_level(l2, ladders) == l3
    assert next_level(l3, ladders) == l4
    assert next_level(l4, ladders) is None
    # Order of the candidates does not matter, and the ladder itself is never its own next level.
    assert next_level(l2, list(reversed(ladders))) == l3


def test_next_level_stays_in_the_folder_and_track(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    l2 = load_ladder(write(tmp_path / "a", "L2-Engineer.md", "L2: Engineer", "I ship"))
    other = load_ladder(write(tmp_path / "b", "L3-Senior-Engineer.md", "L3: Senior Engineer", "I x"))
    assert next_level(l2, [l2, other]) is None
    # Two tracks at the next level in one folder: the title that shares the track words wins.
    eng = load_ladder(write(tmp_path / "a", "L4-Lead-Support-Engineer.md", "L4: Lead Support Engineer", "I a"))
    mgr = load_ladder(write(tmp_path / "a", "L4-Support-Manager.md", "L4: Support Manager", "I b"))
    pe = load_ladder(
        write(
            tmp_path / "a",
            "L5-Principal-Support-Engineer.md",
            "L5: Principal Support Engineer",
            "I c",
        )
    )
    sm = load_ladder(write(tmp_path / "a", "L5-Senior-Support-Manager.md", "L5: Senior Support Manager", "I d"))
    pool = [eng, mgr, pe, sm]
    assert next_level(eng, pool) == pe
    assert next_level(mgr, pool) == sm


def test_next_level_without_a_path_uses_every_candidate():
    current = parse_ladder(ladder_text("L2: Engineer", "I ship"))
    nxt = parse_ladder(ladder_text("L3: Senior Engineer", "I ship features"))
    assert next_level(current, [current, nxt]) == nxt
    assert next_level(parse_ladder(ladder_text("Engineer", "I ship")), [nxt]) is None


def test_next_level_in_the_shared_tracks():
    need(LADDERS)
    se = load_ladders(SE)
    by_stem = {lad.path.stem: lad for lad in se}
    assert next_level(by_stem["L1-Junior-Software-Engineer"], se).path.stem == "L2-Software-Engineer"
    # The Graduate file is a stub pointing at the Junior ladder: never a next level, and its own
    # next level is the next one with statements.
    graduate = by_stem["L1.0-Graduate-Software-Engineer"]
    assert not graduate.statements
    assert next_level(graduate, se).path.stem == "L2-Software-Engineer"
    assert next_level(by_stem["L4-Lead-Software-Engineer"], se).path.stem == "L5-Principal-Software-Engineer"
    assert next_level(by_stem["L6-Senior-Principal-Software-Engineer"], se) is None
    support = load_ladders(LADDERS / "Support")
    by_stem = {lad.path.stem: lad for lad in support}
    assert next_level(by_stem["L4-Lead-DevOps-Support-Engineer"], support).path.stem == (
        "L5-Principal-DevOps-Support-Engineer"
    )
    assert next_level(by_stem["L4-Support-Manager"], support).path.stem == "L5-Senior-Support-Manager"
    mgmt = load_ladders(LADDERS / "Engineering" / "Engineering-Management")
    by_stem = {lad.path.stem: lad for lad in mgmt}
    # The track is renamed at L6 (Director): with no like-named candidate, the next level wins.
    assert next_level(by_stem["L5-Senior-Engineering-Manager"], mgmt).path.stem == "L6-Director-of-Engineering"


# -- the comparison, from hand-made reports ------------------------------------------------


def _report(ladder_id: str, level: str, statements: list[tuple[str, str, str]], warnings=()) -> Report:
    """statements: (id, text, strength); one unit evidences every non-none statement."""
    evidenced = tuple(sid for sid, _, strength in statements if strength != "none")
    unit = UnitResult(
        "u1",
        "Led <b>the</b> [launch](javascript:alert(1)) | *fast*",
        3,
        "Projects",
        tuple(Match(sid, text, "Delivery", 0.9) for sid, text, _ in statements[:5]),
        evidenced,
    )
    results = tuple(
        StatementResult(
            sid,
            "Delivery",
            text,
            strength,
            0.9 if strength != "none" else 0.3,
            ("u1",) if strength != "none" else (),
        )
        for sid, text, strength in statements
    )
    covered = sum(1 for r in results if r.strength != "none")
    return Report(
        {"id": ladder_id, "title": ladder_id.title(), "level": level},
        (unit,),
        results,
        (PillarCoverage("Delivery", covered, len(results)),),
        {"warnings": list(warnings)},
    )


@pytest.fixture()
def comparison() -> LevelComparison:
    current = _report(
        "lead",
        "L4",
        [("d-1", "I ship.", "strong"), ("d-2", "I plan", "none")],
        warnings=["lead has no exemplars"],
    )
    nxt = _report(
        "principal",
        "L5",
        [
            ("d-1", "I ship", "strong"),
            ("d-2", "I set direction", "partial"),
            ("d-3", "I hire", "none"),
        ],
        warnings=["principal has no exemplars", "lead has no exemplars"],
    )
    return compare_reports(current, nxt)


def test_compare_reports_splits_the_next_level(comparison):
    assert comparison.evidenced == ("d-1", "d-2")
    assert comparison.not_yet == ("d-3",)
    # "I ship" is the current level's "I ship." (case and a final full stop do not count).
    assert comparison.new == ("d-2", "d-3")
    assert comparison.new_evidenced == ("d-2",)
    assert comparison.readiness == pytest.approx(2 / 3)
    assert comparison.warnings == ("lead has no exemplars", "principal has no exemplars")


def test_comparison_is_frozen(comparison):
    with pytest.raises(AttributeError):
        comparison.evidenced = ()  # type: ignore[misc]


def test_comparison_to_dict_and_json(comparison):
    data = comparison.to_dict()
    assert data["current"]["ladder"]["level"] == "L4" and data["next"]["covered"] == 2
    assert [s["id"] for s in data["evidenced"]] == ["d-1", "d-2"]
    assert data["evidenced"][1]["new"] is True and data["evidenced"][0]["new"] is False
    assert data["evidenced"][0]["lines"][0] == {
        "unit_id": "u1",
        "line": 3,
        "score": 0.9,
        "text": comparison.next.units[0].text,
    }
    assert [s["id"] for s in data["not_yet"]] == ["d-3"]
    assert data["warnings"] == list(comparison.warnings)
    assert data["next_report"] == comparison.next.to_dict()
    assert json.loads(comparison.to_json()) == json.loads(json.dumps(data))


def test_comparison_markdown_escapes_document_text(comparison):
    md = comparison.to_markdown()
    assert md.startswith("# Ready for L5 Principal?")
    assert "> **Note:** principal has no exemplars" in md
    assert "| Delivery | 1/2 | 2/3 |" in md
    assert "Led \\<b\\>the\\</b\\> \\[launch\\](javascript:alert(1)) \\| \\*fast\\*" in md
    assert "<b>" not in md and "[launch]" not in md
    assert "I set direction *(new at L5)*" in md
    assert "## Not yet evidenced at L5 (1)" in md


def test_new_marks_only_when_levels_share_statements(comparison):
    assert comparison.shares_statements
    fresh = compare_reports(
        _report("lead", "L4", [("d-1", "I ship", "strong")]),
        _report("principal", "L5", [("d-1", "I set direction", "strong"), ("d-2", "I hire", "none")]),
    )
    assert fresh.new == ("d-1", "d-2") and not fresh.shares_statements
    assert "new at" not in fresh.to_markdown() and "[new]" not in fresh.to_text()
    assert fresh.to_dict()["new"] == ["d-1", "d-2"]


def test_comparison_text(comparison):
    text = comparison.to_text()
    assert "Next level, L5 Principal: 2/3 already evidenced (67%)" in text
    assert "Note: lead has no exemplars" in text
    assert "I hire [new]" in text


# -- with the real model -------------------------------------------------------------------


@pytest.mark.slow
def test_compare_levels_agrees_with_the_matcher(matchers):
    need(SE)
    from matcher import Matcher

    text = need(DOC).read_text(encoding="utf-8")
    current = load_ladder(SE / "L4-Lead-Software-Engineer.md")
    nxt = load_ladder(SE / "L5-Principal-Software-Engineer.md")
    c = compare_levels(text, current, nxt)
    expected = Matcher.from_ladder(nxt).match(text)
    assert c.evidenced == tuple(s.id for s in expected.statements if s.covered)
    assert c.not_yet == expected.uncovered
    assert c.next.to_dict() == expected.to_dict()
    assert set(c.evidenced) | set(c.not_yet) == {s.id for s in nxt.statements}
    # A ladder matched without exemplars says so, and the comparison carries it.
    for w in [*c.current.meta["warnings"], *c.next.meta["warnings"]]:
        assert w in c.warnings
        assert w in c.to_text()
        assert w in c.to_markdown().replace("\\", "")


def test_compare_levels_refuses_a_stub():
    need(SE)
    graduate = load_ladder(SE / "L1.0-Graduate-Software-Engineer.md")
    junior = load_ladder(SE / "L1-Junior-Software-Engineer.md")
    with pytest.raises(LadderError, match="no statements"):
        compare_levels("- Shipped a thing", graduate, junior)


# -- CLI -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_compare_finds_the_next_level(capsys):
    need(SE)
    doc = str(need(DOC))
    code = main(["compare", doc, "--ladder", str(SE / "L4-Lead-Software-Engineer.md")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("Ready for L5 Principal Software Engineer?")
    code = main(["compare", doc, "-l", str(SE / "L4-Lead-Software-Engineer.md"), "--format", "json"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["current"]["ladder"]["id"] == "lead-software-engineer"
    assert data["next"]["ladder"]["id"] == "principal-software-engineer"
    assert data["warnings"]  # the shared L5 ladder has no exemplars
    code = main(
        [
            "compare",
            doc,
            "-l",
            str(SE / "L2-Software-Engineer.md"),
            "--next",
            str(SE / "L4-Lead-Software-Engineer.md"),
            "-f",
            "md",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("# Ready for L4 Lead Software Engineer?")


def test_cli_compare_top_level_is_a_friendly_error(capsys, tmp_path):
    need(SE)
    doc = tmp_path / "brag.md"
    doc.write_text("- Shipped the thing\n", encoding="utf-8")
    code = main(["compare", str(doc), "--ladder", str(SE / "L6-Senior-Principal-Software-Engineer.md")])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.startswith("Error: No level above L6 Senior Principal Software Engineer")
    assert "--next" in err and "Traceback" not in err
