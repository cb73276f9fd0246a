"""Chart text the browser test's axe-core run cannot see (Vega draws on a canvas): WCAG AA contrast of
every colour the charts use for text, and a description (the accessible name) on every chart."""

from __future__ import annotations

import pytest

from matcher.ui.team import AXIS_TEXT, STRENGTH_SYMBOLS, SYMBOL_COLORS, Team
from matcher.ui.views import CHART_TEXT, STRENGTH_COLORS, coverage_chart
from tests.test_handover import LADDER, make_report


def luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WebAIM: just below AA
    assert contrast("#808495", "#ffffff") < 4.5  # Streamlit's chart grey (3.7:1)


@pytest.mark.parametrize("colour", [CHART_TEXT, AXIS_TEXT])
def test_chart_text_is_aa_on_white(colour):
    assert contrast(colour, "#ffffff") >= 4.5


@pytest.mark.parametrize("strength", list(STRENGTH_SYMBOLS))
def test_heatmap_symbols_are_aa_on_their_cell(strength):
    assert contrast(SYMBOL_COLORS[strength], STRENGTH_COLORS[strength]) >= 4.5


@pytest.fixture(scope="module")
def ladder():
    from matcher.ladder import load_ladder

    return load_ladder(LADDER)


def test_charts_carry_dark_text_and_a_description(ladder):
    s = ladder.statements
    report = make_report(ladder, evidenced=s[0].id, near=s[1].id)
    spec = coverage_chart(report).to_dict()
    assert spec["config"]["axis"]["labelColor"] == CHART_TEXT
    assert spec["description"].startswith("Bar chart") and "1 of 26" in spec["description"]
    team = Team(("alice", "bob"), (report, make_report(ladder, evidenced=s[2].id, near=s[3].id)))
    heat = team.heatmap().to_dict()
    assert heat["config"]["axis"]["labelColor"] == AXIS_TEXT
    assert heat["description"].startswith("Heatmap of 26 statements by 2 people (alice, bob)")
    # Each cell carries a symbol besides its colour.
    layers = heat["spec"]["layer"]
    assert any(layer["mark"]["type"] == "text" and layer["encoding"]["text"]["field"] == "symbol" for layer in layers)
