"""Text output of `eval` over one or several dev sets (the JSON form is SetResults.to_dict)."""

from __future__ import annotations

from ..evaluate import EvalSet, Metrics, SetResults
from .common import print_metrics_table

__all__ = ["print_set_results"]

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
