"""The CLI through every input route and format, in process and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.cli import main
from tests.helpers import ROOT

BRAG = """# H1 brag doc

## Projects

- Led the checkout rewrite from pitch to GA with three engineers and a designer; shipped on the date
- Paired with Sam every week on the payments service until he ran its on-call rota alone
- Took two weeks off in August

Wrote the incident review for the March outage. Moved desks to the third floor.
"""


@pytest.fixture()
def brag_file(tmp_path: Path) -> Path:
    p = tmp_path / "brag.md"
    p.write_text(BRAG, encoding="utf-8")
    return p


def _run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "md"])
def test_match_file_every_format(capsys, brag_file, matchers, fmt):
    matchers("lead-software-engineer")  # build once, shared
    code, out, err = _run_cli(capsys, "match", str(brag_file), "--ladder", "lead-software-engineer", "--format", fmt)
    assert code == 0, err
    report = matchers("lead-software-engineer").match(BRAG)
    expected = {"json": report.to_json(), "csv": report.to_csv(), "md": report.to_markdown(), "text": report.to_text()}[
        fmt
    ]
    assert out == expected
    if fmt == "json":
        data = json.loads(out)
        assert data["ladder"]["id"] == "lead-software-engineer"
        assert len(data["units"]) == 5
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {r["unit_id"] for r in rows} == {f"u{i}" for i in range(1, 6)}


def test_match_stdin_and_output_file(capsys, monkeypatch, tmp_path, matchers):
    matchers("lead-software-engineer")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BRAG.encode())))
    out_file = tmp_path / "r.json"
    code, out, err = _run_cli(capsys, "match", "-", "-l", "lead-software-engineer", "-f", "json", "-o", str(out_file))
    assert code == 0, err
    assert out == ""
    assert json.loads(out_file.read_text())["units"][0]["line"] == 5


@pytest.mark.slow
def test_match_ladder_by_path(capsys, brag_file):
    path = ROOT / "corpus" / "lead-data-engineer.md"
    code, out, err = _run_cli(capsys, "match", str(brag_file), "--ladder", str(path), "-f", "json")
    assert code == 0, err
    assert json.loads(out)["ladder"]["id"] == "lead-data-engineer"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "nope.md", "-l", "lead-software-engineer"], "nope.md: cannot be read"),
        (["match", "{brag}", "-l", "no-such-ladder"], "no-such-ladder"),
        (["match", "{tmp}", "-l", "lead-software-engineer"], "is a folder"),
        (["match", "{binary}", "-l", "lead-software-engineer"], "binary"),
        (["match", "{latin1}", "-l", "lead-software-engineer"], "not valid UTF-8"),
    ],
)
def test_errors_are_friendly(capsys, tmp_path, brag_file, args, message):
    (tmp_path / "bin.dat").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "latin1.md").write_bytes("- Led the caf\xe9 rewrite".encode("latin-1"))
    subs = {
        "{brag}": str(brag_file),
        "{tmp}": str(tmp_path),
        "{binary}": str(tmp_path / "bin.dat"),
        "{latin1}": str(tmp_path / "latin1.md"),
    }
    code, _out, err = _run_cli(capsys, *[subs.get(a, a) for a in args])
    assert code == 1
    assert err.startswith("Error: ") and message in err
    assert "Traceback" not in err


def test_size_limit_names_the_setting(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHER_MAX_BYTES", "1000")
    big = tmp_path / "big.md"
    big.write_text("- did a thing\n" * 200)
    code, _, err = _run_cli(capsys, "match", str(big), "-l", "lead-software-engineer")
    assert code == 1 and "1,000-byte limit" in err and "MATCHER_MAX_BYTES" in err


def test_ladders_lists_corpus_and_folder(capsys):
    code, out, _ = _run_cli(capsys, "ladders")
    assert code == 0
    assert "lead-software-engineer" in out and "lead-data-engineer" in out and "26" in out
    code, out, _ = _run_cli(capsys, "ladders", "--json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["lead-data-engineer"]["statements"] == 23 and rows["lead-data-engineer"]["level"] == "L4"


def test_python_dash_m_with_stdin_and_an_empty_index_cache_prints_only_json(tmp_path, matchers):
    """A first run (no index cache yet) must leave standard output a valid JSON document."""
    env = {k: v for k, v in os.environ.items() if k != "MATCHER_MAX_BYTES"}
    # conftest pins MATCHER_MODEL_CACHE to the real model cache, so only the index cache is cold.
    env["MATCHER_CACHE"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-m", "matcher", "match", "-", "--ladder", "lead-software-engineer", "--format", "json"],
        input=BRAG.encode(),
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    data = json.loads(proc.stdout)
    assert [u["line"] for u in data["units"]] == [5, 6, 7, 9, 9]
    assert set(data) >= {"ladder", "units", "statements", "pillars", "uncovered", "unmatched_units"}
    assert data == json.loads(matchers("lead-software-engineer").match(BRAG).to_json())
    assert any((tmp_path / "cache" / "index").iterdir())  # the index was built from cold
