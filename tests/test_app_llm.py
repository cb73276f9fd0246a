"""The engineer page's LLM switches through AppTest, without an LLM server.

Off by default (no endpoint: the switches are disabled and the report is the library's), and an
endpoint that is down falls back to the embedded result with a warning, never an exception.
The LLM's own answers are covered against a real server in tests/test_llm_server.py.
"""

from __future__ import annotations

import json
import re
import socket
from dataclasses import replace

import pytest

from matcher.handover import Handover
from matcher.ui import engineer
from matcher.ui.views import judge_table, llm_notes_table, llm_summary
from tests.app_fake import shown
from tests.test_app import LADDER, app, doc, library, library_report, no_exception, unescape

__all__ = ["library", "library_report", "shown"]  # fixtures shared with tests/test_app.py and app_fake

pytestmark = pytest.mark.slow

SWITCHES = ("judge", "explain", "coach")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("MATCHER_MAX_BYTES", "MATCHER_MAX_UNITS", "MATCHER_LADDERS"):
        monkeypatch.delenv(name, raising=False)
    for name in ("BASE_URL", "MODEL", "API_KEY", "TIMEOUT", "RETRIES", "CONCURRENCY", "LOG"):
        monkeypatch.delenv(f"MATCHER_LLM_{name}", raising=False)


def same_report(shown_report, library_report) -> bool:
    """The same report, but for `meta.model`: the app names the model, the library gives its path."""
    a, b = json.loads(shown_report.to_json()), json.loads(library_report.to_json())
    a["meta"].pop("model"), b["meta"].pop("model")
    return a == b


def dead_port() -> int:
    """A loopback port nothing listens on: bound, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_without_an_endpoint_the_switches_are_off_and_the_report_is_the_librarys(library_report, shown):
    at = app().run()
    no_exception(at)
    for name in SWITCHES:
        box = at.checkbox(key=f"eng_llm_{name}")
        assert box.disabled and not box.value
    assert any("No LLM is set up" in i.value and "MATCHER_" not in i.value for i in at.info)
    at.text_area(key="eng_text").input(doc()).run()
    no_exception(at)
    assert not at.error
    (report,) = shown
    assert "llm" not in report.meta
    assert same_report(report, library_report)
    assert [unescape(w.value) for w in at.warning] == library_report.meta["warnings"]
    assert not any(c.value.startswith("LLM assistance") for c in at.caption)


def test_a_dead_endpoint_falls_back_to_the_embedded_results(library_report, shown):
    url = f"http://127.0.0.1:{dead_port()}/v1"
    at = app().run()
    at.text_input(key="eng_llm_base_url").input(url).run()
    no_exception(at)
    assert not at.error
    assert any(f"127.0.0.1:{url.split(':')[2]}" in unescape(c.value) for c in at.caption)
    judge = at.checkbox(key="eng_llm_judge")
    assert not judge.disabled
    judge.check().run()
    at.text_area(key="eng_text").input(doc()).run()
    no_exception(at)
    assert not at.error
    report = shown[-1]
    info = report.meta["llm"]
    assert info["capabilities"] == ["judge"] and info["judge"]["fallback"]
    assert info["judge"]["succeeded"] == 0
    # The fallback is said once, after the library's own warnings.
    warnings = [unescape(w.value) for w in at.warning]
    assert warnings[: len(library_report.meta["warnings"])] == library_report.meta["warnings"]
    (fallback,) = warnings[len(library_report.meta["warnings"]) :]
    # In plain language: where the LLM was expected, no socket error number, no setting names.
    assert fallback.startswith("The LLM judge") and f"Could not reach the LLM at {url}" in fallback
    assert "is it running" in fallback and "Errno" not in fallback and "MATCHER_" not in fallback
    # The embedded decision stands, marked as such, and the page shows it.
    assert [u.evidences for u in report.units] == [u.evidences for u in library_report.units]
    assert {u.extra["evidence_source"] for u in report.units} == {"embedding"}
    assert all("judge" not in u.extra for u in report.units)
    covered = len(report.statements) - len(report.uncovered)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Statements evidenced"] == f"{covered} / {len(report.statements)}"
    assert metrics["Coverage"] == f"{library_report.coverage:.0%}"
    # The downloads are the augmented report's exports.
    data = json.loads(next(d.data for d in engineer.downloads(report, Handover(), []) if d.label == "JSON"))
    assert data["meta"]["llm"]["judge"]["fallback"] is True
    assert "fallback" not in library_report.to_json()
    assert any("0 of" in unescape(c.value) and "lines judged" in c.value for c in at.caption)


def test_llm_text_is_shown_as_plain_text(library_report):
    """Explanations, coaching and judge reasons are model output: escaped like document text."""
    hostile = "<script>alert(1)</script> see [x](javascript:alert(1)) **now**"
    r = library_report
    evidenced = next(s for s in r.statements if s.evidence)
    uncovered = next(s for s in r.statements if not s.evidence)
    statements = tuple(
        replace(s, extra={"explanation": {"source": "llm", "text": hostile}})
        if s.id == evidenced.id
        else replace(s, extra={"coaching": {"source": "llm", "text": hostile}})
        if s.id == uncovered.id
        else s
        for s in r.statements
    )
    unit = r.units[0]
    judged = replace(unit, extra={"judge": {"source": "llm", "evidences": [evidenced.id], "reason": hostile}})
    r = replace(r, statements=statements, units=(judged, *r.units[1:]))
    (why,) = [t for t in llm_notes_table(r, evidenced.pillar)["Why it counts (LLM)"] if t]
    (collect,) = [t for t in llm_notes_table(r, uncovered.pillar)["Evidence to collect (LLM)"] if t]
    (row,) = judge_table(r).itertuples(index=False)
    assert row.Line == str(unit.line) and unescape(row.Accomplishment) == unit.text
    for cell in (why, collect, row._3):
        assert unescape(cell) == hostile
        # No unescaped markup is left: no tag, link or emphasis can render.
        assert not re.search(r"(?<!\\)(<script|\]\(|\*\*)", cell), cell
    assert llm_summary({"llm": {"endpoint": "http://h/v1", "capabilities": [], "model": None}}).startswith("LLM")
    assert llm_summary(r.meta) == "" and LADDER in r.ladder.get("id", "")
