"""20 app sessions saving to one workspace at once lose nothing (issue 13, item 5).

The real server (`streamlit run app.py`, the real model) and 20 real browser sessions (Playwright +
Debian's Chromium): each matches a different person's document, then all 20 press "Save to
workspace" together, so the server's 20 script threads write one SQLite file side by side. After
it, the file holds all 20 reports, each with its own document, and every page says it saved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.workspace import Workspace
from tests.helpers import EVAL_DOCS
from tests.test_browser import ARTIFACTS, LADDER, RESULT_TIMEOUT, WIDTH, run_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SESSIONS = 20
CYCLE = "2026 H2"


def documents() -> list[str]:
    """20 short documents, three dev-set lines each, no two alike (short: the test is about the
    saves, not the matching)."""
    if not EVAL_DOCS.exists():
        pytest.skip(f"{EVAL_DOCS} is not present (the shared/ folder sits beside the project)")
    lines = [
        line.strip()
        for p in sorted(EVAL_DOCS.glob("*.md"))
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip().startswith("- ") and len(line) > 40
    ]
    lines = list(dict.fromkeys(lines))
    assert len(lines) >= 3 * SESSIONS
    return ["## Work\n" + "\n".join(lines[3 * i : 3 * i + 3]) + "\n" for i in range(SESSIONS)]


def test_twenty_sessions_save_to_one_workspace_at_once(browser, tmp_path):
    path = tmp_path / "team.sqlite3"
    texts = documents()
    people = [f"Person {i:02d}" for i in range(SESSIONS)]
    log_path = ARTIFACTS / "workspace-concurrency.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MATCHER_WORKSPACE", str(path))
        with run_app(log_path) as url:
            contexts = [browser.new_context(viewport={"width": WIDTH, "height": 1000}) for _ in texts]
            try:
                pages = [c.new_page() for c in contexts]
                for page, text, person in zip(pages, texts, people, strict=True):
                    page.goto(url)
                    box = page.get_by_role("textbox", name="Brag document")
                    box.wait_for(timeout=120_000)
                    page.get_by_role("textbox", name="Person (optional)").fill(person)
                    box.fill(text)
                    page.get_by_role("button", name="Match evidence").click()
                for page in pages:
                    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
                    page.get_by_text("Save to workspace").first.click()
                    save = page.get_by_role("button", name="Save to workspace")
                    save.wait_for(timeout=60_000)
                    page.wait_for_function("() => !document.querySelector('[data-stale=true]')", timeout=RESULT_TIMEOUT)
                assert not path.exists()  # nothing on disk before the saves
                # All 20 press Save before any is awaited.
                for page in pages:
                    page.get_by_role("button", name="Save to workspace").click()
                for page, person in zip(pages, people, strict=True):
                    page.get_by_text(f"Saved for {person}, {CYCLE}.").wait_for(timeout=RESULT_TIMEOUT)
                    assert page.get_by_test_id("stAlertContentError").count() == 0
            finally:
                for c in contexts:
                    c.close()
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
    ws = Workspace.open(path, create=False)
    team = ws.team(LADDER, CYCLE)
    assert sorted(team) == people
    assert {name: saved.document for name, saved in team.items()} == dict(zip(people, texts, strict=True))
    assert len(ws.reports()) == SESSIONS
    assert oct(Path(path).stat().st_mode & 0o777) == "0o600"
