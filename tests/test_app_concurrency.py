"""Many people at once: app sessions share one model and one index, and each gets its own report.

- In process (AppTest): later sessions build no model and no Matcher, and one session's earlier
  documents never change another session's numbers.
- The real server: 20 browser sessions with different (overlapping) documents are submitted at
  once; each one's JSON download is the library's report for its own text, byte for byte, and the
  server's log shows the model and the index loaded once.

AppTest instances cannot run in threads of one process (each run swaps Streamlit's global
Runtime), so simultaneity is tested against the real server, which runs each session's script in
its own thread.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import EVAL_DOCS as DOCS
from tests.helpers import ROOT
from tests.test_browser import ARTIFACTS, WIDTH, download, run_app, screenshot, uncached

APP = str(ROOT / "app.py")
LADDER = "lead-software-engineer"
SESSIONS = 20
TIMEOUT = 300
RESULT_TIMEOUT = 600_000  # ms: a cold server loads (and may fine-tune) the model first

pytestmark = pytest.mark.slow


def dev_docs() -> list[str]:
    if not DOCS.exists():
        pytest.skip(f"{DOCS} is not present (the shared/ folder sits beside the project)")
    return [p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))]


def twenty_documents() -> list[str]:
    """Every dev document whole, its first half, and every other line of four: 20 different
    texts that share many lines, so one session's lines are another's."""
    docs = dev_docs()
    out = list(docs)
    out += ["\n".join(d.splitlines()[: len(d.splitlines()) // 2]) + "\n" for d in docs]
    out += ["\n".join(d.splitlines()[::2]) + "\n" for d in docs[:4]]
    assert len(out) == SESSIONS and len(set(out)) == SESSIONS
    return out


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def engineer_session(text: str) -> AppTest:
    at = app().run()
    at.text_area(key="eng_text").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def unescape(markdown: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def shown_scores(at: AppTest) -> dict[str, str]:
    """Statement text → the score shown in the statement tables."""
    cols = ["Strength", "Statement", "Score", "Best evidencing lines"]
    return {
        unescape(row.Statement): row.Score
        for t in at.table
        if list(t.value.columns) == cols
        for row in t.value.itertuples(index=False)
    }


def expected_scores(report) -> dict[str, str]:
    from matcher.text import reduce_markdown

    return {reduce_markdown(s.text): f"{s.score:.2f}" for s in report.statements}


# -- in process ------------------------------------------------------------------------------


def test_sessions_share_the_model_and_the_matcher(monkeypatch, matchers):
    from matcher import prepare
    from matcher.core import Matcher

    texts = twenty_documents()
    engineer_session(texts[0])  # the first session of this process may load them
    built, loaded = [], []
    init, load = Matcher.__init__, prepare.load_embedder

    def counting_init(self, *args, **kwargs):
        built.append(args)
        init(self, *args, **kwargs)

    def counting_load(*args, **kwargs):
        loaded.append(args)
        return load(*args, **kwargs)

    monkeypatch.setattr(Matcher, "__init__", counting_init)
    monkeypatch.setattr(prepare, "load_embedder", counting_load)
    for text in texts[1:4]:
        engineer_session(text)
    assert built == [] and loaded == []


def test_one_sessions_text_does_not_change_anothers_numbers(matchers):
    """Half of a document matched first (in another session) must not shift the scores of the
    whole document: the report is the library's report for that text alone."""
    docs = dev_docs()
    full = docs[4]  # se-01
    first = engineer_session("\n".join(full.splitlines()[1::2]) + "\n")
    second = engineer_session(full)
    fresh = uncached(matchers(LADDER))
    assert shown_scores(first) == expected_scores(fresh.match("\n".join(full.splitlines()[1::2]) + "\n"))
    assert shown_scores(second) == expected_scores(fresh.match(full))


# -- the real server, 20 sessions at once ----------------------------------------------------


@pytest.mark.browser
def test_twenty_simultaneous_sessions_each_get_their_own_report(browser, matchers):
    texts = twenty_documents()
    fresh = uncached(matchers(LADDER))
    from dataclasses import replace

    from matcher.ui.resources import model_label

    # The app names the model in its exports (the library gives its cache folder's path).
    named = {"model": model_label(fresh.settings)}
    expected = [(lambda r: replace(r, meta={**r.meta, **named}))(fresh.match(t)).to_json() for t in texts]
    log_path = ARTIFACTS / "concurrency.log"
    dialogs: list[str] = []
    with run_app(log_path) as url:
        contexts = [
            browser.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True) for _ in texts
        ]
        try:
            pages = [c.new_page() for c in contexts]
            for page, text in zip(pages, texts, strict=True):
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(url)
                box = page.get_by_role("textbox", name="Brag document")
                box.wait_for(timeout=120_000)
                box.fill(text)
            # Submit every session before waiting for any: the server matches them side by side.
            for page in pages:
                page.get_by_role("button", name="Match evidence").click()
            for i, (page, want) in enumerate(zip(pages, expected, strict=True)):
                page.get_by_text("Statements evidenced", exact=True).wait_for(timeout=RESULT_TIMEOUT)
                got = Path(download(page, "JSON").path()).read_bytes()
                assert got == want.encode("utf-8"), f"session {i} got another report"
            screenshot(pages[-1], "concurrency-last-session.png")
        finally:
            for c in contexts:
                c.close()
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log
    assert dialogs == []
    # One model and one evidence index for all twenty sessions.
    assert log.count("loading embedding model") == 1, log[-3000:]
    index_loads = log.count("index loaded from cache") + len(re.findall(r"embedding \d+ index entries", log))
    assert index_loads == 1, log[-3000:]
