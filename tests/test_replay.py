"""The learning-curve protocol (matcher.replay) over the fake embedder: folds, the simulated user's
corrections, and that k = 0 is the plain eval. Whether the real matcher learns: test_learning_curve.py."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from matcher.cli import main
from matcher.core import Matcher
from matcher.errors import EvalError
from matcher.evaluate import evaluate_sets, load_sets, matcher_method
from matcher.replay import _run, corrections_for, learning_curve, plan_folds
from tests.helpers import EVAL, ROOT, FakeEmbedder, need_shared

REALISTIC = ROOT / "eval" / "realistic"


@pytest.fixture(scope="module")
def sets():
    need_shared(EVAL)
    return load_sets([EVAL, REALISTIC])


@pytest.fixture(scope="module")
def factory(fake_matcher):
    return lambda ladder: fake_matcher(ladder.id)


def _named(sets):
    return [replace(d, doc=f"{s.name}/{d.doc}") for s in sets for d in s.docs]


def test_every_document_is_held_out_once_and_users_start_from_both_sets(sets):
    docs = _named(sets)
    plan = plan_folds(docs, sets, 5)
    assert len(plan) == 10  # 2 ladders x 5 folds
    for ladder in ("lead-data-engineer", "lead-software-engineer"):
        mine = sorted(d.doc for d in docs if d.ladder.id == ladder)
        folds = [f for f in plan if f.ladder == ladder]
        assert sorted(name for f in folds for name in f.held_out) == mine
        for f in folds:
            assert not set(f.train) & set(f.held_out) and len(f.train) == 8
            assert sorted([*f.train, *f.held_out]) == mine
            assert {name.split("/")[0] for name in f.train[:2]} == {"eval", "realistic"}
        assert len({f.train[:2] for f in folds}) == 5  # each user starts from other documents


def test_the_users_corrections_make_the_report_the_gold_labels(sets, fake_matcher):
    doc = next(d for s in sets for d in s.docs if s.name == "realistic")
    base = fake_matcher(doc.ladder.id)
    before = _run(base, doc).decisions
    made = corrections_for(base, doc)
    right = sum(len(p & g) for p, g in zip(before, doc.gold, strict=True))
    wrong = sum(len(p - g) for p, g in zip(before, doc.gold, strict=True))
    missed = sum(len(g - p) for p, g in zip(before, doc.gold, strict=True))
    assert wrong and missed  # the fake model makes both kinds of mistake here
    assert sum(c.action == "confirm" for c in made) == right
    assert sum(c.action == "assign" for c in made) == missed
    assert sum(c.action == "reject" for c in made) + sum(bool(c.replaces) for c in made) == wrong
    assert all(c.ladder_id == doc.ladder.id for c in made)
    after = _run(base.with_corrections(made), doc).decisions
    assert list(after) == list(doc.gold)


def test_k0_is_the_plain_eval(sets, factory):
    (k0,) = learning_curve(sets, factory, ks=(0,)).points
    plain = evaluate_sets(sets, {"matcher": matcher_method(factory)}, gold_units=True)
    assert k0.union == plain.union["matcher"]
    assert k0.sets == {s: r["matcher"] for s, r in plain.sets.items()}
    assert k0.union.units == sum(len(d.gold_units) for s in sets for d in s.docs)
    assert sum(k0.corrections.values()) == 0 and k0.refit_seconds == [] and k0.users == 10


def test_every_k_scores_the_same_documents_and_counts_the_corrections(sets, factory):
    k0, k1, k2 = learning_curve(sets, factory, ks=(0, 1, 2), max_folds=1).points
    assert k0.users == k2.users == 2 and len(k2.refit_seconds) == 2
    assert k0.union.units == k1.union.units == k2.union.units  # the same held-out documents at every k
    assert 0 < sum(k1.corrections.values()) < sum(k2.corrections.values())


def test_too_few_documents_for_k_is_an_error(sets, factory):
    with pytest.raises(EvalError, match=r"fewer than k = 9"):
        learning_curve(sets, factory, ks=(0, 9))
    with pytest.raises(EvalError, match="at least 2 folds"):
        learning_curve(sets, factory, folds=1)


def test_cli_prints_the_curve(fake_settings, monkeypatch, capsys):
    need_shared(EVAL)
    real = Matcher.from_ladder
    built: dict[str, Matcher] = {}

    def fake(ladder, **_):
        key = getattr(ladder, "id", str(ladder))
        if key not in built:
            built[key] = real(ladder, embedder=FakeEmbedder(), settings=fake_settings)
        return built[key]

    monkeypatch.setattr(Matcher, "from_ladder", staticmethod(fake))
    dirs = [str(EVAL), str(REALISTIC)]
    assert main(["eval", *dirs, "--learning-curve", "--ks", "1,0", "--folds", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [p["k"] for p in out["points"]] == [0, 1]
    assert len(out["folds"]) == 4 and set(out["points"][0]["sets"]) == {"eval", "realistic"}
    assert main(["eval", *dirs, "--learning-curve", "--ks", "0,1", "--folds", "2"]) == 0
    text = capsys.readouterr().out
    assert "learning curve" in text and "with_corrections refit" in text
    for k in (0, 1):
        assert any(line.split()[:1] == [str(k)] for line in text.splitlines())
    assert main(["eval", str(EVAL), "--learning-curve", "--folds", "1"]) == 1
    assert "at least 2 folds" in capsys.readouterr().err
    assert main(["eval", str(EVAL), "--learning-curve", "--ks", "two"]) == 1
    assert "--ks takes numbers" in capsys.readouterr().err
