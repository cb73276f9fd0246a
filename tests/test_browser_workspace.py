"""Issue 13 in a real browser (Playwright + Debian's Chromium, `streamlit run app.py`, the real model):
inputs kept across pages, a correction clicked on an evidencing line, Save to workspace and the
bundle, the team view over the workspace opened from a heatmap cell, and axe-core's rules on the
new controls. The workspace is a real SQLite file in a temp folder (MATCHER_WORKSPACE).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.text import reduce_markdown
from matcher.workspace import Workspace
from tests.test_browser import ARTIFACTS, LADDER, RESULT_TIMEOUT, download, need_doc, run_app, screenshot
from tests.test_browser_daily import axe_violations, pick

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def ws_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace") / "team.sqlite3"


@pytest.fixture(scope="module")
def server(ws_file) -> Iterator[str]:
    log_path = ARTIFACTS / "streamlit-workspace.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_WORKSPACE", str(ws_file))
        with run_app(log_path) as url:
            yield url
    assert "Traceback" not in log_path.read_text(encoding="utf-8", errors="replace")


def settled(page) -> None:
    page.wait_for_function(
        "!document.querySelector('[data-stale=true]') && !document.querySelector('[data-testid=stStatusWidget]')",
        timeout=RESULT_TIMEOUT,
    )
    page.wait_for_timeout(500)


def matched(page, url: str, text: str, person: str = "") -> None:
    page.goto(url)
    box = page.get_by_role("textbox", name="Brag document")
    box.wait_for(timeout=120_000)
    if person:
        page.get_by_role("textbox", name="Person (optional)").fill(person)
    box.fill(text)
    page.get_by_role("button", name="Match evidence").click()
    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
    settled(page)


def nav(page, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name).click()
    settled(page)


def test_inputs_survive_switching_pages(server, page):
    text = need_doc("se-02.md")
    matched(page, server, text, person="Robin Ash")
    nav(page, "Team view")
    page.get_by_text("Team evidence").first.wait_for()
    nav(page, "My evidence")
    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
    assert page.get_by_role("textbox", name="Brag document").input_value() == text
    assert page.get_by_role("textbox", name="Person (optional)").input_value() == "Robin Ash"
    nav(page, "Next level")
    page.get_by_text("Readiness for", exact=False).first.wait_for(timeout=RESULT_TIMEOUT)
    assert page.get_by_role("textbox", name="Brag document").input_value() == text


def test_reject_a_line_then_save_and_export_the_bundle(server, page, ws_file, matchers):
    text = need_doc("se-01.md")
    matched(page, server, text, person="Sam Lee")
    before = json.loads(Path(download(page, "JSON").path()).read_text(encoding="utf-8"))
    # The first pillar's matches: reject the first evidencing line.
    page.get_by_text("Check these matches").first.click()
    reject = page.get_by_role("button", name="Reject line").first
    reject.wait_for()
    line = int(reject.inner_text().split("Reject line")[-1].strip())
    reject.click()
    note = page.get_by_text("rejected for").filter(visible=True).first
    try:
        note.wait_for(timeout=120_000)
    finally:
        screenshot(page, "correction-rejected.png")
    assert "by Sam Lee" in note.inner_text()
    settled(page)
    after = json.loads(Path(download(page, "JSON").path()).read_text(encoding="utf-8"))
    (unit,) = [u for u in after["units"] if u["line"] == line and u.get("corrections")]
    (made,) = unit["corrections"]
    assert made["action"] == "reject" and made["author"] == "Sam Lee"
    assert made["statement_id"] not in unit["evidences"]
    old = next(u for u in before["units"] if u["id"] == unit["id"])
    assert made["statement_id"] in old["evidences"]
    assert not ws_file.exists()  # nothing on disk before Save
    # Save to workspace (the expander opens with the default file, from MATCHER_WORKSPACE).
    page.get_by_text("Save to workspace").first.click()
    assert page.get_by_role("textbox", name="Workspace file").input_value() == str(ws_file)
    page.get_by_role("textbox", name="Review cycle").fill("2026 H2")
    page.get_by_role("button", name="Save to workspace").click()
    page.get_by_text("Saved for Sam Lee, 2026 H2.").wait_for(timeout=RESULT_TIMEOUT)
    settled(page)
    ws = Workspace.open(ws_file, create=False)
    (saved,) = ws.reports(person="Sam Lee")
    assert saved.document == text and [c.action for c in saved.corrections] == ["reject"]
    assert oct(ws_file.stat().st_mode & 0o777) == "0o600"
    bundle = json.loads(Path(download(page, "Signed-off bundle (JSON)").path()).read_text(encoding="utf-8"))
    assert bundle["format"] == "evidence-matcher-bundle" and bundle["signed_off_by"] == "Sam Lee"
    assert bundle["person"] == "Sam Lee" and bundle["corrections"][0]["action"] == "reject"
    assert axe_violations(page) == []
    screenshot(page, "workspace-saved.png")


def heatmap_cell(page, person: str, statement: str):
    """The heatmap's cell for (person, statement): Vega draws the chart as SVG, each cell a mark
    whose accessible name lists its fields."""
    cells = page.locator("[data-testid=stVegaLiteChart] path[aria-roledescription='rect mark']")
    cells.first.wait_for(timeout=60_000)
    wanted = f"person: {person};"
    for i in range(cells.count()):
        label = cells.nth(i).get_attribute("aria-label") or ""
        if label.startswith(wanted) and f"; statement: {statement};" in label:
            return cells.nth(i)
    raise AssertionError(f"no heatmap cell for {person} and {statement!r}")


def test_team_view_from_the_workspace_opens_a_cell(server, page, ws_file, matchers):
    m = matchers(LADDER)
    ws = Workspace.open(ws_file)
    ws.save("Bob", "2026 H2", need_doc("se-04.md"), m.match(need_doc("se-04.md")))
    bob = ws.save("Bob", "2027 H1", need_doc("se-03.md"), m.match(need_doc("se-03.md")))
    ws.save("Alice", "2027 H1", need_doc("se-02.md"), m.match(need_doc("se-02.md")))
    page.goto(server + "/manager")
    radio = page.get_by_test_id("stRadio").get_by_text("Workspace", exact=True)
    radio.wait_for(timeout=120_000)
    radio.click()
    page.get_by_text("Who evidences what").wait_for(timeout=RESULT_TIMEOUT)
    settled(page)
    page.get_by_text("Change since the previous cycle").wait_for()
    s = next(s for s in bob.corrected.statements if s.evidence)
    # A click in the middle of Bob's cell (where its symbol is) selects it: the drill-down shows
    # Bob and that statement.
    cell = heatmap_cell(page, "Bob", reduce_markdown(s.text))
    cell.scroll_into_view_if_needed()
    box = cell.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    person = page.get_by_test_id("stSelectbox").filter(has_text="Person").locator("input").first
    statement = page.get_by_test_id("stSelectbox").filter(has_text="Statement").locator("input").first
    page.wait_for_function("([el, want]) => el.value === want", arg=[person.element_handle(), "Bob"], timeout=60_000)
    settled(page)
    assert statement.input_value() == reduce_markdown(s.text)
    unit = bob.corrected.unit(s.evidence[0])
    page.get_by_text(unit.text[:50]).filter(visible=True).first.wait_for(timeout=30_000)
    # The keyboard way: the pickers.
    pick(page, "Person", page.get_by_role("option", name="Alice", exact=True))
    settled(page)
    assert person.input_value() == "Alice"  # the earlier click does not take it back
    assert axe_violations(page) == []
    screenshot(page, "workspace-team.png")
