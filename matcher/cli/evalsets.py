"""Text output of `eval` over one or several dev sets (the JSON form is SetResults.to_dict)."""

from __future__ import annotations

from ..evaluate import EvalSet, Metrics, SetResults
from ..replay import LearningCurve
from .common import print_metrics_table

__all__ = ["print_learning_curve", "print_set_results"]

# Per-document columns: the figures that mean something on one document.
_DOC_COLUMNS = [
    ("unit P", "unit_p"),
    ("unit R", "unit_r"),
    ("unit F1", "unit_f1"),
    ("noise FPR", "noise_fpr"),
    ("doc P", "doc_p"),
    ("doc R", "doc_r"),
    ("doc F1", "doc_f1"),
]


def _counts(n_docs: int, m: Metrics, gold_units: bool) -> str:
    return (
        f"{n_docs} documents, {m.units} gold units, {m.aligned} aligned by the splitter, "
        f"{m.extra_units} extra units" + (" (gold units used)" if gold_units else "")
    )


def print_set_results(results: SetResults, sets: list[EvalSet], *, gold_units: bool) -> None:
    """One block per set, then the union when there are several; then the per-document table."""
    blocks = [(s.name, len(s.docs), results.sets[s.name]) for s in sets]
    if len(sets) > 1:
        blocks.append(("all", sum(len(s.docs) for s in sets), results.union))
    for k, (name, n_docs, by_method) in enumerate(blocks):
        first = next(iter(by_method.values()))
        prefix = f"{name}: " if len(sets) > 1 else ""
        if k:
            print()
        print(prefix + _counts(n_docs, first, gold_units))
        print_metrics_table(by_method, width=12)
        if (m := by_method.get("matcher")) is not None and m.levels:
            print(
                "matcher strength levels, share the gold labels cover: "
                + ", ".join(
                    f"{lvl} {right / n:.2f} ({right}/{n})"
                    for lvl in ("strong", "partial", "possible", "none")
                    if (n := m.levels.get(lvl, [0, 0])[0])
                    for right in [m.levels[lvl][1]]
                )
            )
    if results.per_doc:
        width = max(len(d) for d in results.per_doc) + 2
        print()
        print(
            f"{'document':<{width}}{'method':<12}"
            + "".join(f"{c:>10}" for c, _ in _DOC_COLUMNS)
            + f"{'aligned':>10}{'extra':>8}"
        )
        for doc, by_method in results.per_doc.items():
            for name, m in by_method.items():
                print(
                    f"{doc:<{width}}{name:<12}"
                    + "".join(f"{getattr(m, f):>10.3f}" for _, f in _DOC_COLUMNS)
                    + f"{m.aligned:>5}/{m.units:<4}{m.extra_units:>8}"
                )


_CURVE_COLUMNS = [
    ("unit P", "unit_p"),
    ("unit R", "unit_r"),
    ("unit F1", "unit_f1"),
    ("noise FPR", "noise_fpr"),
    ("doc F1", "doc_f1"),
]


def print_learning_curve(curve: LearningCurve, sets: list[EvalSet]) -> None:
    """One row per k and dev set (then all of them): the held-out figures and the corrections made."""
    first = curve.points[0]
    ladders = len({f.ladder for f in curve.folds})
    folds = len({f.index for f in curve.folds})
    print(
        f"learning curve: {first.users} simulated users ({ladders} ladders x {folds} folds), each correcting "
        f"its first k documents; every document held out once per k ({first.union.units} gold units)"
    )
    names = [s.name for s in sets if s.name in first.sets] + ["all"]
    width = max(len(n) for n in names) + 2
    print(
        f"{'k':>3}  {'corrections per user (conf/rej/assign)':<40}{'set':<{width}}"
        + "".join(f"{c:>10}" for c, _ in _CURVE_COLUMNS)
    )
    for p in curve.points:
        made = p.corrections
        per_user = {a: made.get(a, 0) / p.users for a in ("confirm", "reject", "assign")} if p.users else {}
        label = f"{p.corrections_per_user:.1f} ({'/'.join(f'{v:.1f}' for v in per_user.values())})"
        for i, name in enumerate(names):
            m = p.union if name == "all" else p.sets[name]
            lead = f"{p.k:>3}  {label:<40}" if i == 0 else " " * 45
            print(lead + f"{name:<{width}}" + "".join(f"{getattr(m, f):>10.3f}" for _, f in _CURVE_COLUMNS))
    refits = sorted(x for p in curve.points for x in p.refit_seconds)
    if refits:
        print(f"with_corrections refit: median {refits[len(refits) // 2]:.2f} s, max {refits[-1]:.2f} s")
