"""The Streamlit app through AppTest: every page, checked against the library's own results.

The first run loads the real model, so runs get a generous timeout.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from matcher.compare import compare_reports
from matcher.gaps import find_gaps, gaps_csv
from matcher.handover import Handover
from matcher.ladder import load_ladder
from matcher.plain import plain_message
from matcher.text import reduce_markdown
from matcher.ui.engineer import downloads
from matcher.ui.team import Team, person_names
from matcher.ui.widgets import UPLOAD_LADDER

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
DOCS = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "docs"
SE = ROOT.parent / "shared" / "ladders" / "Engineering" / "Software-Engineering"
LADDER = "lead-software-engineer"
TIMEOUT = 300
STATEMENT_COLUMNS = ["Strength", "Statement", "Score", "Best evidencing lines"]

pytestmark = pytest.mark.slow


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared/ folder sits beside the project)")
    return path


def doc(name: str = "se-01.md") -> str:
    return need(DOCS / name).read_text(encoding="utf-8")


def unescape(markdown: str) -> str:
    """The text an escaped Markdown string displays (backslash escapes and word joiners gone)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def tables(at: AppTest, columns: list[str]):
    return [t.value for t in at.table if list(t.value.columns) == columns]


@pytest.fixture(scope="module")
def library(matchers):
    """The library's Matcher for a corpus ladder id or a ladder file, as a fresh process has it.

    The app's sessions do not share the library's per-process line cache (see
    matcher/ui/resources.py), so its results are compared with the model without it.
    """
    from matcher import Matcher

    built: dict[str, Matcher] = {}

    def get(ladder: str | Path) -> Matcher:
        key = str(ladder)
        if key not in built:
            base = matchers(LADDER)
            lad = base.ladder if ladder == LADDER else load_ladder(ladder)
            built[key] = Matcher.from_ladder(lad, embedder=base.embedder.inner, settings=base.settings)
        return built[key]

    return get


@pytest.fixture(scope="module")
def library_report(library):
    return library(LADDER).match(doc())


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("MATCHER_MAX_BYTES", "MATCHER_MAX_UNITS", "MATCHER_LADDERS"):
        monkeypatch.delenv(name, raising=False)


# -- engineer view -------------------------------------------------------------------------


def test_engineer_empty_input_is_a_gentle_info():
    at = app().run()
    no_exception(at)
    assert not at.error
    assert any("Paste a brag document" in i.value for i in at.info)
    assert at.selectbox(key="eng_ladder").value.endswith(f"{LADDER}.md")


def test_engineer_view_matches_the_library(library, library_report):
    report = library_report
    at = app().run()
    at.text_area(key="eng_text").input(doc()).run()
    no_exception(at)
    assert not at.error
    assert not any("does not look like a brag document" in i.value for i in at.info)
    metrics = {m.label: m.value for m in at.metric}
    covered = len(report.statements) - len(report.uncovered)
    assert metrics["Statements evidenced"] == f"{covered} / {len(report.statements)}"
    assert metrics["Coverage"] == f"{report.coverage:.0%}"
    assert metrics["Still uncovered"] == str(len(report.uncovered))
    assert metrics["Lines evidencing nothing"] == f"{len(report.unmatched_units)} / {len(report.units)}"
    # Pillar numbers, in ladder order.
    captions = [c.value for c in at.caption if c.value.endswith("statements evidenced")]
    assert captions == [f"{p.covered} of {p.total} statements evidenced" for p in report.pillars]
    headers = [unescape(h.value) for h in at.subheader]
    assert len(headers) == len(report.pillars)
    assert all(h.endswith(p.name) for h, p in zip(headers, report.pillars, strict=True))
    # The statement table: every statement, grouped by pillar, with its strength, score and lines.
    rows = [row for frame in tables(at, STATEMENT_COLUMNS) for row in frame.itertuples(index=False)]
    assert len(rows) == len(report.statements)
    units = {u.id: u for u in report.units}
    for row, s in zip(rows, report.statements, strict=True):
        assert f"[{s.strength}]" in row.Strength
        assert unescape(row.Statement) == reduce_markdown(s.text)
        assert row.Score == f"{s.score:.2f}"
        for uid in s.evidence[:3]:
            assert f"**line {units[uid].line}**" in row._3
        if not s.evidence:  # at most the closest line, quoted, marked as not enough
            assert "**line" not in row._3 or (row._3.startswith("*closest:*") and "below the 0.50" in row._3)
    # Uncovered statements are called out once per pillar that has any, each as a gap to act on.
    uncovered_pillars = {s.pillar for s in report.statements if not s.covered}
    flagged = [m.value for m in at.markdown if "Not yet evidenced" in m.value]
    assert len(flagged) == len(uncovered_pillars)
    gaps = find_gaps(report, load_ladder(LADDER), library(LADDER).exemplars)
    gap_boxes = [e for e in at.expander if ":material/flag:" in e.label]
    assert len(gap_boxes) == len(report.uncovered) == len(gaps)
    for box, gap in zip(gap_boxes, gaps, strict=True):
        shown = unescape(" ".join(m.value for m in box.markdown))
        assert gap.statement in shown and gap.prompt in shown
        if gap.closest_line:
            assert f"line {gap.closest_line}" in shown and gap.closest_text in shown and gap.why_not in shown
        assert all(e in shown for e in gap.examples)
    # The annotated document and the lines that evidence nothing.
    (annotated,) = tables(at, ["Line", "Section", "Accomplishment", "Evidences"])
    assert [unescape(t) for t in annotated["Accomplishment"]] == [u.text for u in report.units]
    assert list(annotated["Line"]) == [str(u.line) for u in report.units]
    nothing = tables(at, ["Line", "Line of the document", "Closest statement", "Score"])
    expected_nothing = [units[uid].text for uid in report.unmatched_units]
    shown_nothing = [unescape(t) for t in nothing[0]["Line of the document"]] if nothing else []
    assert shown_nothing == expected_nothing
    # The library's warnings (no exemplars) show as st.warning.
    assert [unescape(w.value) for w in at.warning] == report.meta["warnings"]
    # Downloads: the report to hand over, the library's exports (CSV with a BOM for Excel) and the gaps.
    labels = [b.label for b in at.get("download_button")]
    assert labels == [d.label for d in downloads(report, Handover(), gaps)]
    assert labels[1:4] == ["JSON", "CSV", "Markdown"]
    data = {d.label: d for d in downloads(report, Handover(), gaps)}
    assert data["JSON"].data == report.to_json()
    assert data["CSV"].data == "\ufeff" + report.to_csv()
    assert data["Markdown"].data == report.to_markdown()
    assert data["Gaps (CSV)"].data == "\ufeff" + gaps_csv(gaps)


def test_text_that_evidences_nothing_gets_a_hint(library):
    garbage = "asdf qwer zxcv\n\nlorem ipsum dolor sit amet\n\n1234 5678 !!!! ????\n"
    report = library(LADDER).match(garbage)
    assert report.coverage == 0 and len(report.units) > 1
    at = app().run()
    at.text_area(key="eng_text").input(garbage).run()
    no_exception(at)
    (hint,) = [i.value for i in at.info if "does not look like a brag document" in i.value]
    assert f"none of its {len(report.units)} lines evidences any statement" in hint


def test_engineer_second_run_is_served_from_cache(monkeypatch, matchers):
    from matcher.core import Matcher

    matchers(LADDER)  # model and index loaded already
    calls = []
    original = Matcher.match

    def counting(self, text):
        calls.append(text)
        return original(self, text)

    monkeypatch.setattr(Matcher, "match", counting)
    at = app().run()
    at.text_area(key="eng_text").input(doc("se-02.md")).run()
    assert len(calls) == 1
    at.run()
    at.button(key="eng_go").click().run()
    no_exception(at)
    assert len(calls) == 1


def test_an_edited_document_encodes_only_its_new_lines(monkeypatch, matchers):
    """Each session has its own line cache: an edit re-encodes only the new line, and another
    session starts empty (one person's lines never speed up another's)."""
    shared = matchers(LADDER).embedder.inner
    encoded: list[str] = []
    original = type(shared).encode

    def recording(self, texts):
        encoded.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(type(shared), "encode", recording)
    text = doc("se-03.md")
    units = [u.text for u in matchers(LADDER).split(text)]
    new_line = "Ran a week of pairing sessions on the payments codebase for the support engineers"
    at = app().run()
    at.text_area(key="eng_text").input(text).run()
    no_exception(at)
    assert sorted(encoded) == sorted(set(units))
    encoded.clear()
    at.text_area(key="eng_text").input(f"{text.rstrip()}\n- {new_line}\n").run()
    no_exception(at)
    assert encoded == [new_line]
    encoded.clear()
    # Another session with the same document plus a different line encodes all of it again.
    other_line = "Wrote the on-call handbook for the ingestion service with the SRE team"
    other = app().run()
    other.text_area(key="eng_text").input(f"{text.rstrip()}\n- {other_line}\n").run()
    no_exception(other)
    assert sorted(encoded) == sorted({*units, other_line})


def test_engineer_upload_document_and_ladder(library):
    text = doc("de-01.md")
    at = app().run()
    at.selectbox(key="eng_ladder").set_value(UPLOAD_LADDER).run()
    assert any("Upload a ladder file" in i.value for i in at.info)
    ladder_bytes = (ROOT / "corpus" / "lead-data-engineer.md").read_bytes()
    at.file_uploader(key="eng_ladder_file").set_value(("my-ladder.md", ladder_bytes, "text/markdown"))
    at.file_uploader(key="eng_file").set_value(("de-01.md", text.encode(), "text/markdown"))
    at.run()
    no_exception(at)
    assert not at.error
    report = library("lead-data-engineer").match(text)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Statements evidenced"] == f"{len(report.statements) - len(report.uncovered)} / 23"
    assert any("Using the uploaded file" in c.value for c in at.caption)


# -- bad input -----------------------------------------------------------------------------


def test_binary_upload_is_an_error_not_an_exception():
    at = app().run()
    at.file_uploader(key="eng_file").set_value(("photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "text/markdown"))
    at.run()
    no_exception(at)
    assert len(at.error) == 1
    assert "binary" in unescape(at.error[0].value)
    assert not at.metric


def test_over_limit_text_is_an_error(monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "500")
    at = app().run()
    at.text_area(key="eng_text").input(doc()).run()
    no_exception(at)
    assert len(at.error) == 1
    message = unescape(at.error[0].value)
    assert "500-byte limit" in message and "MATCHER_MAX_BYTES" in message
    assert not at.metric


def test_over_limit_upload_and_unit_limit(monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "500")
    at = app().run()
    at.file_uploader(key="eng_file").set_value(("big.md", doc().encode(), "text/markdown")).run()
    no_exception(at)
    assert "500-byte limit" in unescape(at.error[0].value)
    monkeypatch.setenv("MATCHER_MAX_BYTES", "2000000")
    monkeypatch.setenv("MATCHER_MAX_UNITS", "3")
    at = app().run()
    at.text_area(key="eng_text").input(doc()).run()
    no_exception(at)
    assert "3-unit limit" in unescape(at.error[0].value)


def test_bad_setting_and_bad_ladder_are_errors(monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "lots")
    at = app().run()
    no_exception(at)
    assert "MATCHER_MAX_BYTES" in unescape(at.error[0].value)
    monkeypatch.delenv("MATCHER_MAX_BYTES")
    at = app().run()
    at.selectbox(key="eng_ladder").set_value(UPLOAD_LADDER).run()
    at.file_uploader(key="eng_ladder_file").set_value(("notes.md", b"just some notes\n", "text/markdown"))
    at.text_area(key="eng_text").input("- Shipped the thing")
    at.run()
    no_exception(at)
    assert "no title" in unescape(at.error[0].value)


def test_hostile_text_is_escaped():
    hostile = (
        "- <script>alert(1)</script> led the launch\n"
        "- <img src=x onerror=alert(1)> fixed the incident\n"
        "- [x](javascript:alert(1)) mentored Sam\n"
        "- <iframe src=https://evil.example></iframe> wrote the RFC\n"
    )
    at = app().run()
    at.text_area(key="eng_text").input(hostile).run()
    no_exception(at)
    cells = [str(v) for t in at.table for v in t.value.to_numpy().ravel()]
    shown = [*cells, *(m.value for m in at.markdown), *(c.value for c in at.caption)]
    assert any(unescape(v) == "<script>alert(1)</script> led the launch" for v in cells)
    iframe = "<iframe src=https://evil.example></iframe> wrote the RFC"
    assert any(iframe == unescape(v) for v in cells)
    # The splitter reduces a Markdown link to its text; the link itself never reaches the page.
    assert not any("javascript" in v for v in shown)
    for value in shown:
        assert not re.search(r"(?<!\\)<(script|img|iframe)", value), value
        assert "[x](" not in value, value
        assert "https://evil" not in value


# -- manager view --------------------------------------------------------------------------


def test_manager_view_with_two_uploads(library):
    texts = {"alice.md": doc("se-01.md"), "bob.md": doc("se-04.md")}
    at = app()
    at.run()
    at.switch_page("matcher/ui/pages/manager.py").run()
    no_exception(at)
    assert any("Upload the team" in i.value for i in at.info)
    at.file_uploader(key="mgr_files").set_value([(n, t.encode(), "text/markdown") for n, t in texts.items()])
    at.run()
    no_exception(at)
    assert not at.error
    m = library(LADDER)
    team = Team(tuple(person_names(list(texts))), tuple(m.match(t) for t in texts.values()))
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["People"] == "2"
    assert metrics["Nobody evidences"] == str(len(team.nobody()))
    assert metrics["Only one person evidences"] == str(len(team.only_one()))
    nobody_expected = [
        reduce_markdown(s.text) for s in team.statements if all(not r.statement(s.id).covered for r in team.reports)
    ]
    nobody = tables(at, ["Pillar", "Statement"])
    assert ([unescape(t) for t in nobody[0]["Statement"]] if nobody else []) == nobody_expected
    (coverage,) = [d.value for d in at.dataframe if "Coverage" in d.value.columns]
    assert list(coverage["Person"]) == ["alice", "bob"]
    assert list(coverage["Evidenced"]) == [len(r.statements) - len(r.uncovered) for r in team.reports]
    assert at.get("vega_lite_chart")  # the heatmap
    assert [b.label for b in at.get("download_button")] == ["Matrix as CSV (strengths, scores, evidencing lines)"]
    # Drill-down: a person and a statement they evidence; their lines are on screen.
    s = next(s for s in team.statements if team.reports[1].statement(s.id).evidence)
    at.selectbox(key="mgr_cell_person").select("bob").run()
    at.selectbox(key="mgr_cell_statement").select(s.id).run()
    no_exception(at)
    shown = unescape(" ".join(m.value for m in at.markdown))
    lines = team.evidence_lines("bob", s.id)
    assert lines and all(line in shown for line in lines)
    # The side table has every statement in full, with its count; gap rows are flagged.
    (full,) = tables(at, ["Row", "Pillar", "Statement", "People evidencing"])
    assert [unescape(t) for t in full["Statement"]] == [reduce_markdown(x.text) for x in team.statements]
    flagged = [unescape(r) for r in full["Row"] if unescape(r).startswith("⚑")]
    assert len(flagged) == len(team.nobody()) and all(r.endswith("· 0/2") for r in flagged)
    # The matrix CSV: a BOM, then strengths, scores and evidencing lines per person.
    data = team.to_csv()
    assert data.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(data[1:])))
    row = next(r for r in rows if r["id"] == s.id)
    assert row["bob: strength"] == team.reports[1].statement(s.id).strength
    assert row["bob: score"] == f"{team.reports[1].statement(s.id).score:.2f}"
    assert row["bob: evidence"].split("\n") == lines


def test_manager_view_reports_a_bad_file_and_scores_the_rest():
    at = app()
    at.run()
    at.switch_page("matcher/ui/pages/manager.py").run()
    at.file_uploader(key="mgr_files").set_value(
        [
            ("carol.md", doc("se-02.md").encode(), "text/markdown"),
            ("blob.md", b"\x00\x01\x02", "text/markdown"),
        ]
    )
    at.run()
    no_exception(at)
    assert len(at.error) == 1 and "blob.md" in unescape(at.error[0].value)
    assert {x.label: x.value for x in at.metric}["People"] == "1"


def test_team_csv_and_names():
    assert person_names(["alice.md", "bob.txt", "alice.md", "dir/=cmd.md"]) == [
        "alice",
        "bob",
        "alice (2)",
        "=cmd",
    ]


# -- level comparison ----------------------------------------------------------------------


def test_level_comparison_page(library):
    need(SE)
    text = doc()
    at = app()
    at.run()
    at.switch_page("matcher/ui/pages/levels.py").run()
    no_exception(at)
    # Tracks and levels are picked by name: no folder to type, no path on screen.
    assert not at.text_input
    track = at.selectbox(key="lvl_track_0")
    assert track.value == "Engineering / Software Engineering"
    assert "Engineering / Data Engineering" in track.options
    assert not any("/work" in o or "shared" in o for o in track.options)
    current = at.selectbox(key="lvl_current_Engineering / Software Engineering")
    assert "L4 · Lead Software Engineer" in current.options[current.index]
    (nxt,) = [s for s in at.selectbox if s.key and s.key.startswith("lvl_next")]
    assert "L5 · Principal Software Engineer" in nxt.options[nxt.index]
    # The Graduate stub has no statements, so it is not offered.
    assert not any("Graduate" in o for o in current.options)
    at.text_area(key="lvl_text").input(text).run()
    no_exception(at)
    assert not at.error
    c = compare_reports(
        library(SE / "L4-Lead-Software-Engineer.md").match(text),
        library(SE / "L5-Principal-Software-Engineer.md").match(text),
    )
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["L4 evidenced"] == f"{len(c.current.statements) - len(c.current.uncovered)} / 26"
    assert metrics["L5 already evidenced"] == f"{len(c.evidenced)} / 40"
    assert metrics["Readiness for L5"] == f"{c.readiness:.0%}"
    # Ladders without exemplars are matched less accurately: say so.
    assert c.warnings
    assert [unescape(w.value) for w in at.warning] == list(dict.fromkeys(plain_message(w) for w in c.warnings))
    assert not any("evidence-matcher expand" in unescape(w.value) for w in at.warning)
    rows = [r for frame in tables(at, STATEMENT_COLUMNS) for r in frame.itertuples(index=False)]
    shown = [unescape(r.Statement) for r in rows]
    expected = [reduce_markdown(c.next.statement(sid).text) for sid in (*c.evidenced, *c.not_yet)]
    assert sorted(shown) == sorted(expected)
    assert [b.label for b in at.get("download_button")] == ["Markdown", "JSON"]


def test_level_comparison_with_uploaded_ladder_files(tmp_path):
    """Ladder files the user uploads form a track of their own; no folder is typed."""
    need(SE)
    at = app()
    at.run()
    at.switch_page("matcher/ui/pages/levels.py").run()
    files = [
        (p.name, p.read_bytes(), "text/markdown")
        for p in (SE / "L4-Lead-Software-Engineer.md", SE / "L5-Principal-Software-Engineer.md")
    ]
    at.file_uploader(key="lvl_ladder_files").set_value(files).run()
    no_exception(at)
    track = at.selectbox(key="lvl_track_2")
    assert track.value == "Your uploaded ladders"
    current = at.selectbox(key="lvl_current_Your uploaded ladders")
    assert [o.split(" · ")[0] for o in current.options] == ["L4", "L5"]
    at.text_area(key="lvl_text").input(doc()).run()
    no_exception(at)
    assert not at.error
    assert "Readiness for L5" in {m.label for m in at.metric}


def test_plain_messages_for_ladders_without_exemplars_and_llm_errors():
    from types import SimpleNamespace

    from matcher.core import Matcher
    from matcher.exemplars import ExemplarSet

    lad = load_ladder(need(SE / "L5-Principal-Software-Engineer.md"))
    for borrowed in ({lad.statements[0].id: "lead-software-engineer"}, {}):
        stub = SimpleNamespace(ladder=lad, exemplars=ExemplarSet(), borrowed=borrowed)
        (warning,) = Matcher.warnings.fget(stub)[:1]
        assert "evidence-matcher expand" in warning  # the library's note, for command-line users
        plain = plain_message(warning)
        assert "expand" not in plain and "`" not in plain and "exemplars" not in plain
        assert lad.id in plain and "rough" in plain
    url = "http://127.0.0.1:9/v1"
    error = (
        f"The LLM judge could not run, so the embedded result is used: The LLM endpoint at {url} is "
        "unreachable ([Errno 111] Connection refused). Check MATCHER_LLM_BASE_URL / --llm-base-url and "
        "that the server is running."
    )
    assert plain_message(error) == (
        "The LLM judge could not run, so the embedded result is used: Could not reach the LLM at "
        f"{url} (Connection refused): is it running, and is the address right?"
    )


def test_manager_view_scores_twenty_documents():
    lines = [ln for ln in doc("se-02.md").splitlines() if ln.startswith("- ")]
    files = [(f"person-{i:02d}.md", ("\n".join(lines[i % 5 :: 2]) + "\n").encode(), "text/markdown") for i in range(20)]
    at = app()
    at.run()
    at.switch_page("matcher/ui/pages/manager.py").run()
    at.file_uploader(key="mgr_files").set_value(files).run()
    no_exception(at)
    assert not at.error
    assert {x.label: x.value for x in at.metric}["People"] == "20"
    (coverage,) = [d.value for d in at.dataframe if "Coverage" in d.value.columns]
    assert list(coverage["Person"]) == [f"person-{i:02d}" for i in range(20)]


def test_pasted_text_is_not_written_to_disk(monkeypatch, tmp_path):
    import tempfile
    import time
    import uuid

    from matcher.config import Settings
    from matcher.index import EvidenceIndex

    marker = f"zebracorn-{uuid.uuid4().hex[:10]}"  # made up here, so no file holds it already
    saved = []
    monkeypatch.setattr(EvidenceIndex, "_save", lambda self, folder: saved.append(folder))
    start = time.time() - 1
    at = app().run()
    # An uploaded ladder too: its index must stay in memory.
    ladder = (ROOT / "corpus" / "lead-data-engineer.md").read_text(encoding="utf-8")
    ladder = ladder.replace("Lead Data Engineer", f"Lead Data Engineer {marker}", 1)
    at.selectbox(key="eng_ladder").set_value(UPLOAD_LADDER).run()
    at.file_uploader(key="eng_ladder_file").set_value(("mine.md", ladder.encode(), "text/markdown"))
    at.text_area(key="eng_text").input(f"- Led the {marker} migration with three teams\n")
    at.run()
    no_exception(at)
    assert {m.label for m in at.metric} >= {"Coverage"}
    assert saved == []
    for folder in (Settings.from_env().cache_dir, Path(tempfile.gettempdir()), ROOT):
        for path in folder.rglob("*") if folder.exists() else ():
            try:
                if not path.is_file() or path.stat().st_mtime < start or path.stat().st_size > 50e6:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            assert marker.encode() not in data, path
