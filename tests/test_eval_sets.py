"""`eval` over several dev sets: loading, per-set and union figures, per-document figures.

The method here is a keyword stub (this file tests the bookkeeping, not the model); the documents
and labels are written for this test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matcher.brag import split_units
from matcher.cli import main
from matcher.errors import EvalError
from matcher.evaluate import DocRun, EvalDoc, compute_metrics, evaluate_sets, load_sets

LADDER = "lead-software-engineer"
EXPERT = "I am an expert in my team's domain."
SOLVER = "I am a well-rounded developer, architect and problem solver."


def write_set(root: Path, docs: dict[str, tuple[str, list[tuple[str, list[str]]]]]) -> Path:
    """A dev set folder in shared/eval's layout: labels.jsonl + docs/<doc>.md."""
    (root / "docs").mkdir(parents=True)
    rows = []
    for doc, (text, units) in docs.items():
        (root / "docs" / f"{doc}.md").write_text(text, encoding="utf-8")
        rows += [{"doc": doc, "ladder": LADDER, "unit": u, "evidences": ev} for u, ev in units]
    (root / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return root


@pytest.fixture
def two_sets(tmp_path: Path) -> tuple[Path, Path]:
    a = write_set(
        tmp_path / "eval",
        {
            "d1": (
                "## Projects\n- **Billing migration.** Moved invoices to the new service,\n"
                "  owning the domain end to end.\n- Took a week off\n",
                [
                    (
                        "**Billing migration.** Moved invoices to the new service, owning the domain end to end.",
                        [EXPERT],
                    ),
                    ("Took a week off", []),
                ],
            ),
        },
    )
    b = write_set(
        tmp_path / "realistic",
        {
            "d1": (
                "fixed the flaky login test\nsolved the cache problem\n",
                [("fixed the flaky login test", []), ("solved the cache problem", [SOLVER])],
            ),
            "d2": ("- Solved a domain puzzle\n", [("Solved a domain puzzle", [SOLVER, EXPERT])]),
        },
    )
    return a, b


def keyword_method(doc: EvalDoc, units: list[str]) -> DocRun:
    """Evidence by keyword: "domain" -> expert, "solved" -> problem solver."""
    ids = [s.id for s in doc.ladder.statements]
    words = {0: "solved", 1: "domain"}  # statement index -> keyword
    scores = np.zeros((len(units), len(ids)), dtype=np.float32)
    for i, u in enumerate(units):
        for j, w in words.items():
            scores[i, j] = float(w in u.casefold())
    decisions = tuple(frozenset(ids[j] for j in np.flatnonzero(row)) for row in scores)
    return DocRun(tuple(units), scores, decisions)


def test_load_sets_from_folders_and_labels_file(two_sets: tuple[Path, Path]) -> None:
    a, b = two_sets
    sets = load_sets([a, b])
    assert [(s.name, [d.doc for d in s.docs]) for s in sets] == [
        ("eval", ["d1"]),
        ("realistic", ["d1", "d2"]),
    ]
    (old,) = load_sets([a / "labels.jsonl"], a / "docs")  # the original one-set form
    assert old.docs == sets[0].docs


def test_load_sets_refuses_bad_paths(two_sets: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = two_sets
    with pytest.raises(EvalError, match="--docs goes with one labels file"):
        load_sets([a, b], a / "docs")
    with pytest.raises(EvalError, match=r"no labels\.jsonl"):
        load_sets([tmp_path / "nowhere"])
    with pytest.raises(EvalError, match="at least one"):
        load_sets([])


def test_same_folder_name_twice_gets_two_names(two_sets: tuple[Path, Path]) -> None:
    a, _ = two_sets
    assert [s.name for s in load_sets([a, a])] == ["eval", "eval-2"]


def test_sets_union_and_per_doc(two_sets: tuple[Path, Path]) -> None:
    sets = load_sets(list(two_sets))
    results = evaluate_sets(sets, {"kw": keyword_method}, per_doc=True)
    ev, real = results.sets["eval"]["kw"], results.sets["realistic"]["kw"]
    # eval/d1: the item is one unit (bold-led STAR bullet) and evidences EXPERT; the week off nothing.
    assert (ev.units, ev.aligned, ev.extra_units) == (2, 2, 0)
    assert (ev.unit_p, ev.unit_r, ev.noise_fpr) == (1.0, 1.0, 0.0)
    # realistic: notes lines are units; d2 gets SOLVER and EXPERT right; d1's second line SOLVER.
    assert (real.units, real.aligned) == (3, 3)
    assert real.unit_p == 1.0 and real.unit_r == 1.0
    union = results.union["kw"]
    assert union.units == ev.units + real.units
    # The union is the micro-average over every document, not a mean of the sets.
    all_docs = [d for s in sets for d in s.docs]
    runs = [keyword_method(d, [u.text for u in split_units(d.text)]) for d in all_docs]
    assert union.to_dict() | {"per_doc": {}} == compute_metrics(all_docs, runs).to_dict() | {"per_doc": {}}
    assert list(results.per_doc) == ["eval/d1", "realistic/d1", "realistic/d2"]
    assert results.per_doc["realistic/d2"]["kw"].doc_f1 == 1.0
    payload = results.to_dict()
    assert set(payload) == {"sets", "union", "per_doc"}
    assert payload["sets"]["realistic"]["kw"]["units"] == 3


def test_cli_refuses_docs_with_several_sets(two_sets: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_sets
    assert main(["eval", str(a), str(b), "--docs", str(a / "docs"), "--no-baselines"]) == 1
    assert "--docs goes with one labels file" in capsys.readouterr().err
