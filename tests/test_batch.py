"""`evidence-matcher batch` and matcher.batch with the real model: folder and JSONL input, CSV and
JSONL output, resuming after an interruption, and bad documents that must not stop the batch."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from matcher.batch import CSV_FIELDS, count_documents, run_batch
from matcher.cli import main
from matcher.errors import DocumentError

pytestmark = pytest.mark.slow

LADDER = "lead-software-engineer"
DOCS = {
    "alice": "# H1\n\n- Led the checkout rewrite from pitch to GA with three engineers\n"
    "- Mentored two junior engineers through their first on-call rotations\n- Took two weeks off\n",
    "bob": "- Wrote the postmortem for the March outage and drove the follow-ups to done\n",
    "carol": "## Wins\n\n- Cut CI time from 25 to 7 minutes by caching Docker layers\n"
    "- Explained the Kafka vs SQS trade-offs to leadership in plain language\n",
    "dave": "- Designed the schema for multi-tenant analytics with row-level security\n"
    '- =HYPERLINK("http://evil") ran the quarterly planning for the platform squad\n',
    "erin": "- Organised a reading group on distributed systems for the backend guild\n",
    "frank": "- Hired and onboarded three engineers; all passed probation\n- Fixed a flaky test\n",
}


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture()
def jsonl_input(tmp_path: Path) -> Path:
    rows = [{"id": doc_id, "text": text} for doc_id, text in DOCS.items()]
    rows.insert(2, {"id": "huge", "text": "- " + "x" * 2_100_000})  # over the 2 MB default limit
    rows.insert(4, {"id": "other", "text": "- Built the dbt model finance uses", "ladder": "lead-data-engineer"})
    rows.append({"id": "lost", "text": "- hi", "ladder": "no-such-ladder"})
    path = _jsonl(tmp_path / "in.jsonl", rows)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{not json\n\n")
    return path


def test_jsonl_to_jsonl(jsonl_input: Path, tmp_path: Path, matchers) -> None:
    out = tmp_path / "out.jsonl"
    ticks: list[int] = []
    summary = run_batch(jsonl_input, out, LADDER, matcher_for=matchers, progress=ticks.append)
    records = _records(out)
    ids = [r["id"] for r in records]
    assert ids == ["alice", "bob", "huge", "carol", "other", "dave", "erin", "frank", "lost", "line-10"]
    assert summary.written == 10 and summary.errors == 3 and sum(ticks) == 10
    by_id = {r["id"]: r for r in records}
    assert "limit" in by_id["huge"]["error"]
    assert "no-such-ladder" in by_id["lost"]["error"]
    assert "JSON" in by_id["line-10"]["error"]
    assert by_id["other"]["ladder"]["id"] == "lead-data-engineer"
    # Each record is the core report plus its id, the same as matching the document alone.
    expected = matchers(LADDER).match(DOCS["alice"]).to_dict()
    assert {k: v for k, v in by_id["alice"].items() if k != "id"} == json.loads(json.dumps(expected))


def test_folder_to_csv_through_the_cli(tmp_path: Path, capsys, matchers) -> None:
    folder = tmp_path / "docs"
    (folder / "team").mkdir(parents=True)
    (folder / "alice.md").write_text(DOCS["alice"], encoding="utf-8")
    (folder / "team" / "dave.txt").write_text(DOCS["dave"], encoding="utf-8")
    (folder / "empty.md").write_text("\n\n", encoding="utf-8")
    (folder / "latin1.md").write_bytes("- Led the caf\xe9 migration\n".encode("latin-1"))  # not UTF-8
    (folder / ".hidden.md").write_text(DOCS["bob"], encoding="utf-8")
    (folder / "notes.xlsx").write_bytes(b"PK\x03\x04")  # not a document type: skipped
    matchers(LADDER)
    out = tmp_path / "out.csv"
    code = main(["batch", str(folder), "--ladder", LADDER, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "4 documents written" in err and "1 of them error rows" in err
    rows = _csv_rows(out)
    assert list(rows[0]) == list(CSV_FIELDS)
    assert [r["document"] for r in rows if r["unit_id"] == "u1"][:1] == ["alice.md"]
    assert list(dict.fromkeys(r["document"] for r in rows)) == ["alice.md", "empty.md", "latin1.md", "team/dave.txt"]
    report = matchers(LADDER).match(DOCS["alice"])
    alice = [
        {k: v for k, v in r.items() if k not in ("document", "error", "rows")}
        for r in rows
        if r["document"] == "alice.md"
    ]
    assert alice == _csv_rows_of(report)
    (empty,) = [r for r in rows if r["document"] == "empty.md"]
    assert not any(v for k, v in empty.items() if k not in ("document", "rows")) and empty["rows"] == "1"
    (bad,) = [r for r in rows if r["document"] == "latin1.md"]
    assert "UTF-8" in bad["error"]
    # Spreadsheet formulas in user text are neutralised.
    assert all(not r["unit"].startswith("=") for r in rows)


def _csv_rows_of(report) -> list[dict]:
    return list(csv.DictReader(io.StringIO(report.to_csv())))


def _interrupt_after(n: int):
    done = [0]

    def progress(k: int) -> None:
        done[0] += k
        if done[0] >= n:
            raise KeyboardInterrupt

    return progress


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_after_an_interruption(jsonl_input: Path, tmp_path: Path, matchers, fmt: str) -> None:
    full = tmp_path / f"full.{fmt}"
    run_batch(jsonl_input, full, LADDER, matcher_for=matchers)
    out = tmp_path / f"out.{fmt}"
    with pytest.raises(KeyboardInterrupt):
        run_batch(jsonl_input, out, LADDER, matcher_for=matchers, progress=_interrupt_after(6))
    # As if killed in the middle of writing the next document: half of its first line is there.
    data = out.read_bytes()
    tail = full.read_bytes()[len(data) :]
    assert tail, "the interrupted run should not have finished"
    out.write_bytes(data + tail[: tail.index(b"\n") // 2])
    summary = run_batch(jsonl_input, out, LADDER, matcher_for=matchers)
    assert summary.repaired
    assert summary.skipped == 6 and summary.written == 4
    if fmt == "jsonl":
        assert _records(out) == _records(full)
    else:
        assert _csv_rows(out) == _csv_rows(full)
    # A third run finds everything done and changes nothing.
    before = out.read_bytes()
    again = run_batch(jsonl_input, out, LADDER, matcher_for=matchers)
    assert again.written == 0 and again.skipped == 10 and not again.repaired
    assert out.read_bytes() == before


def test_duplicate_ids_and_bad_outputs(tmp_path: Path, matchers) -> None:
    src = _jsonl(
        tmp_path / "in.jsonl",
        [{"id": "a", "text": DOCS["bob"]}, {"id": "a", "text": DOCS["erin"]}, {"id": 7, "text": DOCS["erin"]}],
    )
    assert count_documents(src) == 3
    out = tmp_path / "out.jsonl"
    summary = run_batch(src, out, LADDER, matcher_for=matchers)
    assert summary.duplicates == 1
    assert [r["id"] for r in _records(out)] == ["a", "7"]
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("name,age\nx,1\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="other columns"):
        run_batch(src, foreign, LADDER, matcher_for=matchers)
    assert foreign.read_text(encoding="utf-8") == "name,age\nx,1\n"
    with pytest.raises(DocumentError, match=r"\.csv or \.jsonl"):
        run_batch(src, tmp_path / "out.txt", LADDER, matcher_for=matchers)
    with pytest.raises(DocumentError, match="no such file"):
        run_batch(tmp_path / "missing", out, LADDER, matcher_for=matchers)


# -- exact resume: any id, any cut -------------------------------------------------------------

# Ids a spreadsheet would read as formulas (written defused, `'=...`), one that starts with the
# defusing quote itself, numbers, and control characters (written without them).
RESUME_IDS = ["=SUM(A1)", "+1", "-x", "@me", "'quoted", "plain", 7, "tab\there", "e\x1b[31mvil"]
RESUME_TEXTS = [
    "- Wrote the on-call runbook\n- Led the incident review for the March outage\n- Took a week off\n",
    "- Cut CI time from 25 to 7 minutes\n",
    "",
    "- Mentored a new joiner until she shipped on her own\n- Fixed a flaky test\n",
]


class _Remembered:
    """A real Matcher whose report for each text is computed once: the resume test reruns a batch
    at every byte of its output, and the matching is not what it tests."""

    def __init__(self, matcher) -> None:
        self.matcher = matcher
        self.memo: dict[str, object] = {}

    def match_many(self, texts, *, errors="raise"):
        for text in texts:
            if text not in self.memo:
                self.memo[text] = next(self.matcher.match_many([text], errors="yield"))
            yield self.memo[text]


@pytest.fixture()
def resume_input(tmp_path: Path) -> Path:
    rows = [{"id": doc_id, "text": RESUME_TEXTS[i % len(RESUME_TEXTS)]} for i, doc_id in enumerate(RESUME_IDS)]
    rows.insert(3, {"id": "no-ladder", "text": "- hi", "ladder": "no-such-ladder"})  # an error row
    return _jsonl(tmp_path / "in.jsonl", rows)


@pytest.fixture()
def remembered(matchers):
    real = _Remembered(matchers(LADDER))

    def factory(ladder_id: str):
        if ladder_id != LADDER:
            raise DocumentError(f"No ladder with id {ladder_id!r}.")
        return real

    return factory


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_resume_after_a_cut_at_every_byte(resume_input: Path, tmp_path: Path, remembered, fmt: str) -> None:
    """Whatever an interruption left (any prefix of the output: mid-line, between the rows of one
    document, inside a quoted field, inside the header), a rerun gives the uninterrupted output."""
    full_path = tmp_path / f"full.{fmt}"
    first = run_batch(resume_input, full_path, LADDER, matcher_for=remembered)
    full = full_path.read_bytes()
    documents = len(RESUME_IDS) + 1
    assert first.written == documents and first.errors == 1
    out = tmp_path / f"out.{fmt}"
    # A JSONL document is one long line, so what matters is where a cut falls against the line
    # breaks: every byte near one, and a sample of the bytes between.
    step = 1 if fmt == "csv" else 101
    breaks = [i for i, b in enumerate(full) if b == ord("\n")]
    cuts = sorted(
        {*range(0, len(full) + 1, step), *(b + d for b in breaks for d in (-2, -1, 0, 1, 2))} & {*range(len(full) + 1)}
    )
    for cut in cuts:
        out.write_bytes(full[:cut])
        summary = run_batch(resume_input, out, LADDER, matcher_for=remembered)
        assert out.read_bytes() == full, f"cut at byte {cut}"
        assert summary.written + summary.skipped == documents and summary.duplicates == 0, cut


def test_ids_are_written_so_they_resume(resume_input: Path, tmp_path: Path, remembered) -> None:
    out = tmp_path / "out.csv"
    run_batch(resume_input, out, LADDER, matcher_for=remembered)
    cells = list(dict.fromkeys(r["document"] for r in _csv_rows(out)))
    assert cells == ["'=SUM(A1)", "'+1", "'-x", "no-ladder", "'@me", "''quoted", "plain", "7", "tab here", "e[31mvil"]
    again = run_batch(resume_input, out, LADDER, matcher_for=remembered)
    assert again.written == 0 and again.skipped == len(cells)
    jsonl = tmp_path / "out.jsonl"
    run_batch(resume_input, jsonl, LADDER, matcher_for=remembered)
    assert [r["id"] for r in _records(jsonl)][:6] == ["=SUM(A1)", "+1", "-x", "no-ladder", "@me", "'quoted"]
    assert run_batch(resume_input, jsonl, LADDER, matcher_for=remembered).written == 0


def test_every_row_of_a_document_says_how_many_rows_it_has(resume_input: Path, tmp_path: Path, remembered):
    out = tmp_path / "out.csv"
    run_batch(resume_input, out, LADDER, matcher_for=remembered)
    rows = _csv_rows(out)
    for doc in dict.fromkeys(r["document"] for r in rows):
        mine = [r for r in rows if r["document"] == doc]
        assert {r["rows"] for r in mine} == {str(len(mine))}
