"""The evaluation metrics, pinned on tiny hand-made cases (no model)."""

import numpy as np
import pytest

from matcher.evaluate import DocRun, EvalDoc, compute_metrics
from matcher.models import Ladder, Pillar, Statement

LADDER = Ladder(
    id="toy",
    title="Toy",
    pillars=(Pillar("P", statements=tuple(Statement(f"s{i}", f"I do thing {i}.", "P") for i in range(4))),),
)


def doc(gold_units, gold):
    return EvalDoc("d", LADDER, "", tuple(gold_units), tuple(frozenset(g) for g in gold))


def run(units, scores, decisions):
    return DocRun(tuple(units), np.array(scores, dtype=np.float32), tuple(frozenset(d) for d in decisions))


def test_perfect_run():
    d = doc(["a", "b", "noise"], [{"s0"}, {"s1", "s2"}, set()])
    r = run(
        ["a", "b", "noise"],
        [[0.9, 0.1, 0.1, 0.0], [0.1, 0.8, 0.7, 0.0], [0.1, 0.1, 0.1, 0.1]],
        [{"s0"}, {"s1", "s2"}, set()],
    )
    m = compute_metrics([d], [r])
    assert (m.unit_p, m.unit_r, m.unit_f1) == (1.0, 1.0, 1.0)
    assert m.r_at_1 == pytest.approx((1 + 0.5) / 2)  # second unit: 1 of 2 gold in top 1
    assert m.r_at_3 == 1.0 and m.mrr == 1.0
    assert m.noise_fpr == 0.0
    assert (m.doc_p, m.doc_r, m.doc_f1) == (1.0, 1.0, 1.0)


def test_mixed_run_counts_by_hand():
    d = doc(["a", "b", "n1", "n2"], [{"s0"}, {"s1"}, set(), set()])
    # a: wrong first, right second; b: gold ranked 4th; n1 gets a false positive.
    r = run(
        ["a", "b", "n1", "n2"],
        [[0.5, 0.9, 0.1, 0.0], [0.9, 0.0, 0.8, 0.7], [0.9, 0, 0, 0], [0, 0, 0, 0]],
        [{"s1", "s0"}, {"s0"}, {"s0"}, set()],
    )
    m = compute_metrics([d], [r])
    # pairs: tp = a:s0; fp = a:s1, b:s0, n1:s0; fn = b:s1
    assert m.unit_p == pytest.approx(1 / 4)
    assert m.unit_r == pytest.approx(1 / 2)
    assert m.unit_f1 == pytest.approx(2 * 0.25 * 0.5 / 0.75)
    assert m.r_at_1 == pytest.approx(0.0)
    assert m.r_at_3 == pytest.approx(0.5)
    assert m.mrr == pytest.approx((1 / 2 + 1 / 4) / 2)
    assert m.noise_fpr == pytest.approx(0.5)
    # doc: gold {s0,s1}, predicted {s0,s1} -> perfect coverage despite unit errors
    assert m.doc_f1 == 1.0


def test_alignment_by_reduced_text_and_missing_units():
    d = doc(["**Led** the thing", "missing unit"], [{"s0"}, {"s1"}])
    r = run(["Led the thing", "extra unit"], [[0.9, 0, 0, 0], [0, 0.9, 0, 0]], [{"s0"}, {"s1"}])
    m = compute_metrics([d], [r])
    assert m.aligned == 1 and m.extra_units == 1
    # the extra unit's s1 is a false positive; the missing gold unit's s1 is a false negative
    assert m.unit_p == pytest.approx(0.5) and m.unit_r == pytest.approx(0.5)
    assert m.r_at_1 == pytest.approx(0.5) and m.mrr == pytest.approx(0.5)


def test_micro_average_over_documents():
    d1 = doc(["a"], [{"s0"}])
    d2 = doc(["b", "c"], [{"s1"}, {"s2"}])
    r1 = run(["a"], [[0.9, 0, 0, 0]], [{"s0"}])
    r2 = run(["b", "c"], [[0, 0.9, 0, 0], [0, 0, 0, 0.9]], [{"s1"}, {"s3"}])
    m = compute_metrics([d1, d2], [r1, r2])
    assert m.unit_p == pytest.approx(2 / 3) and m.unit_r == pytest.approx(2 / 3)
    assert m.doc_p == pytest.approx(2 / 3) and m.doc_r == pytest.approx(2 / 3)
