"""Evaluation against hand-labelled brag documents, with BM25 and plain-cosine baselines.

Metrics (see README "Evaluation"):
- unit P/R/F1: micro over (unit, statement) pairs of the decided evidences;
- R@k: mean over units with gold statements of |gold ∩ top-k| / |gold|; MRR: mean of 1/rank of the
  first gold statement (0 if absent);
- noise FPR: share of units with no gold statement that get any evidence;
- document P/R/F1: micro over (document, statement) pairs, covered when any unit evidences it.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .coverage import strength
from .errors import EvalError
from .ladder import load_ladder
from .models import Ladder, Unit
from .scoring import MAX_EVIDENCES
from .text import collapse_ws, decode_bytes, normalize_key, reduce_markdown

__all__ = [
    "EvalDoc",
    "EvalSet",
    "Metrics",
    "SetResults",
    "compute_metrics",
    "evaluate",
    "evaluate_sets",
    "gold_unit_texts",
    "load_gold",
    "load_sets",
    "signals_of",
]

log = logging.getLogger(__name__)

# Thresholds of the baselines, tuned on the dev set to their best unit F1 (as the baselines were).
# Swept on the dev set in steps of 0.01 (cosine) and 0.5 / 0.1 (BM25); see README "Evaluation".
COSINE_THRESHOLD = 0.20
BM25_THRESHOLD = 0.30  # on BM25 scores divided by each unit's best score, plus an absolute floor below
BM25_FLOOR = 0.0


@dataclass(frozen=True)
class EvalDoc:
    """One labelled document: its ladder, text and gold units with their statement ids."""

    doc: str
    ladder: Ladder
    text: str
    gold_units: tuple[str, ...]
    gold: tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Metrics:
    unit_p: float
    unit_r: float
    unit_f1: float
    r_at_1: float
    r_at_3: float
    mrr: float
    noise_fpr: float
    doc_p: float
    doc_r: float
    doc_f1: float
    units: int
    aligned: int
    extra_units: int
    per_doc: dict[str, dict[str, float]] = field(default_factory=dict)
    # Strength level -> [statements at that level over all documents, of which gold covers]:
    # how often each level is right (meaningful for the matcher's calibrated scores only).
    levels: dict[str, list[int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _unit_key(text: str) -> str:
    return collapse_ws(reduce_markdown(text)).casefold()


def load_gold(labels: str | Path, docs_dir: str | Path) -> list[EvalDoc]:
    """Read labels.jsonl and the documents it names; statement texts become statement ids."""
    labels, docs_dir = Path(labels), Path(docs_dir)
    if not labels.is_file():
        raise EvalError(f"{labels}: no such labels file.")
    if not docs_dir.is_dir():
        raise EvalError(f"{docs_dir}: no such documents folder.")
    rows: dict[str, list[dict]] = defaultdict(list)
    ladders: dict[str, str] = {}
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows[row["doc"]].append(row)
            ladders[row["doc"]] = row["ladder"]
        except (ValueError, KeyError, TypeError) as exc:
            raise EvalError(f"{labels}:{n}: not a label row ({exc}).") from exc
    out = []
    cache: dict[str, Ladder] = {}
    for doc in sorted(rows):
        ladder = cache.setdefault(ladders[doc], load_ladder(ladders[doc]))
        keys = {normalize_key(s.text): s.id for s in ladder.statements}
        path = docs_dir / f"{doc}.md"
        if not path.is_file():
            raise EvalError(f"{path}: labelled document is missing.")
        gold = []
        for r in rows[doc]:
            ids = set()
            for ev in r["evidences"]:
                if normalize_key(ev) not in keys:
                    raise EvalError(f"{labels}: doc {doc}: {ev!r} is not a statement of {ladder.id}.")
                ids.add(keys[normalize_key(ev)])
            gold.append(frozenset(ids))
        text = decode_bytes(path.read_bytes(), str(path))
        out.append(EvalDoc(doc, ladder, text, tuple(r["unit"] for r in rows[doc]), tuple(gold)))
    return out


def _align(units: Sequence[str], gold_units: Sequence[str]) -> list[int | None]:
    """For each gold unit, the index of the produced unit with the same reduced text (or None)."""
    free: dict[str, list[int]] = defaultdict(list)
    for i, u in enumerate(units):
        free[_unit_key(u)].append(i)
    out: list[int | None] = []
    for g in gold_units:
        slots = free.get(_unit_key(g))
        out.append(slots.pop(0) if slots else None)
    return out


@dataclass(frozen=True)
class DocRun:
    """What a method said about one document's units: scores (units x statements) and decisions."""

    units: tuple[str, ...]
    scores: np.ndarray
    decisions: tuple[frozenset[str], ...]


def compute_metrics(docs: Sequence[EvalDoc], runs: Sequence[DocRun]) -> Metrics:
    """The metrics for runs aligned with docs (pure: pinned by tests on hand-made cases)."""
    tp = fp = fn = 0
    r1: list[float] = []
    r3: list[float] = []
    rr: list[float] = []
    noise_total = noise_fp = 0
    dtp = dfp = dfn = 0
    aligned = extra = n_units = 0
    per_doc = {}
    levels: dict[str, list[int]] = {}
    for doc, run in zip(docs, runs, strict=True):
        ids = [s.id for s in doc.ladder.statements]
        align = _align(run.units, doc.gold_units)
        used = {i for i in align if i is not None}
        extra += len(run.units) - len(used)
        n_units += len(doc.gold_units)
        dtp_doc = 0
        for gold, idx in zip(doc.gold, align, strict=True):
            pred = run.decisions[idx] if idx is not None else frozenset()
            aligned += idx is not None
            tp += len(gold & pred)
            fp += len(pred - gold)
            fn += len(gold - pred)
            if gold:
                if idx is None:
                    r1.append(0.0)
                    r3.append(0.0)
                    rr.append(0.0)
                    continue
                order = [ids[j] for j in np.argsort(-run.scores[idx], kind="stable")]
                r1.append(len(gold & set(order[:1])) / len(gold))
                r3.append(len(gold & set(order[:3])) / len(gold))
                rank = next((k for k, sid in enumerate(order, 1) if sid in gold), None)
                rr.append(1.0 / rank if rank else 0.0)
            else:
                noise_total += 1
                noise_fp += bool(pred)
        # Units the splitter made that match no gold unit: whatever they evidence is a false positive.
        for i, dec in enumerate(run.decisions):
            if i not in used:
                fp += len(dec)
        gold_cov = set().union(*doc.gold) if doc.gold else set()
        pred_cov = set().union(*run.decisions) if run.decisions else set()
        dtp_doc = len(gold_cov & pred_cov)
        dtp += dtp_doc
        dfp += len(pred_cov - gold_cov)
        dfn += len(gold_cov - pred_cov)
        _tally_levels(levels, doc, run, ids, gold_cov)
        per_doc[doc.doc] = {"covered_gold": len(gold_cov), "covered_pred": len(pred_cov), "covered_both": dtp_doc}
    p, r, f = _prf(tp, fp, fn)
    dp, dr, df = _prf(dtp, dfp, dfn)
    return Metrics(
        p,
        r,
        f,
        _mean(r1),
        _mean(r3),
        _mean(rr),
        noise_fp / noise_total if noise_total else 0.0,
        dp,
        dr,
        df,
        n_units,
        aligned,
        extra,
        per_doc,
        levels,
    )


def _tally_levels(levels: dict[str, list[int]], doc: EvalDoc, run: DocRun, ids: list[str], gold: set[str]) -> None:
    """Per strength level: [statements at that level, of which the document's gold covers]."""
    if not len(run.units):
        return
    for j, sid in enumerate(ids):
        ev = [(run.units[i], float(run.scores[i][j])) for i, dec in enumerate(run.decisions) if sid in dec]
        level = strength(ev, float(run.scores[:, j].max()))
        tally = levels.setdefault(level, [0, 0])
        tally[0] += 1
        tally[1] += sid in gold


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _mean(xs: list[float]) -> float:
    return float(np.mean(xs)) if xs else 0.0


# -- methods -----------------------------------------------------------------------------------

Method = Callable[[EvalDoc, list[str]], DocRun]


def _threshold_decisions(ids: list[str], scores: np.ndarray, keep: np.ndarray) -> tuple[frozenset[str], ...]:
    out = []
    for row, ok in zip(scores, keep, strict=True):
        order = [j for j in np.argsort(-row, kind="stable")[:MAX_EVIDENCES] if ok[j]]
        out.append(frozenset(ids[j] for j in order))
    return tuple(out)


def cosine_method(embedder) -> Method:
    """Naive baseline: cosine between a unit and the statement text, one threshold."""

    def run(doc: EvalDoc, units: list[str]) -> DocRun:
        ids = [s.id for s in doc.ladder.statements]
        sv = embedder.encode([s.display for s in doc.ladder.statements])
        uv = embedder.encode(units)
        scores = uv @ sv.T if len(units) else np.zeros((0, len(ids)), np.float32)
        return DocRun(tuple(units), scores, _threshold_decisions(ids, scores, scores >= COSINE_THRESHOLD))

    return run


_TOKEN = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "my",
        "our",
        "i",
        "we",
        "is",
        "are",
        "be",
        "as",
        "at",
        "by",
        "it",
        "this",
        "that",
        "from",
    ]
)


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.casefold()) if t not in _STOP]


def bm25_method() -> Method:
    """Lexical baseline: BM25 of each unit against the statement texts."""
    from rank_bm25 import BM25Okapi

    def run(doc: EvalDoc, units: list[str]) -> DocRun:
        ids = [s.id for s in doc.ladder.statements]
        bm = BM25Okapi([_tokens(s.display) for s in doc.ladder.statements])
        scores = np.array([bm.get_scores(_tokens(u)) for u in units], dtype=np.float32).reshape(len(units), len(ids))
        best = np.maximum(scores.max(axis=1, keepdims=True), 1e-9) if len(units) else scores
        keep = (scores >= BM25_FLOOR) & (scores / best >= BM25_THRESHOLD)
        return DocRun(tuple(units), scores, _threshold_decisions(ids, scores, keep))

    return run


def signals_of(doc: EvalDoc, units: Sequence[str]) -> list[frozenset[str]]:
    """The splitter's signals for unit texts of `doc` (matched by text, so gold units get them too)."""
    from .brag import split_units

    by_key = {_unit_key(u.text): u.signals for u in split_units(doc.text)}
    return [by_key.get(_unit_key(u), frozenset()) for u in units]


def gold_unit_texts(doc: EvalDoc) -> list[str]:
    """The document's gold units as the methods see them (markdown reduced)."""
    return [reduce_markdown(u) for u in doc.gold_units]


def matcher_method(factory: Callable[[Ladder], object]) -> Method:
    """The product matcher (a Matcher per ladder, built once)."""
    built: dict[str, object] = {}

    def run(doc: EvalDoc, units: list[str]) -> DocRun:
        m = built.get(doc.ladder.id)
        if m is None:
            m = built[doc.ladder.id] = factory(doc.ladder)
        ids = [s.id for s in doc.ladder.statements]
        scored = m.score(units, signals=signals_of(doc, units))
        decisions = tuple(frozenset(ids[j] for j in row) for row in scored.decisions)
        return DocRun(tuple(units), scored.scores, decisions)

    return run


def _run_all(
    docs: Sequence[EvalDoc],
    methods: dict[str, Method],
    gold_units: bool,
    splitter: Callable[[str], list[Unit]] | None,
) -> dict[str, list[DocRun]]:
    """Each method's run on each doc (own split, or the gold units)."""

    def split(text: str) -> list[Unit]:
        from .brag import split_units

        return (splitter or split_units)(text)

    unit_texts = [gold_unit_texts(d) if gold_units else [reduce_markdown(u.text) for u in split(d.text)] for d in docs]
    return {
        name: [method(d, units) for d, units in zip(docs, unit_texts, strict=True)] for name, method in methods.items()
    }


def evaluate(
    docs: Sequence[EvalDoc],
    methods: dict[str, Method],
    *,
    gold_units: bool = False,
    splitter: Callable[[str], list[Unit]] | None = None,
) -> dict[str, Metrics]:
    """Run each method over the docs (own split, or the gold units) and compute its metrics."""
    runs = _run_all(docs, methods, gold_units, splitter)
    return {name: compute_metrics(docs, r) for name, r in runs.items()}


# -- several dev sets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalSet:
    """One labelled dev set: a name (its folder's) and its documents."""

    name: str
    docs: tuple[EvalDoc, ...]


def load_sets(paths: Sequence[str | Path], docs_dir: str | Path | None = None) -> list[EvalSet]:
    """Dev sets from folders holding labels.jsonl + docs/ (shared/eval's layout), or from a
    labels file with its documents in `docs_dir` (the one-set form `eval LABELS --docs DIR`)."""
    if not paths:
        raise EvalError("eval: give at least one dev set folder (holding labels.jsonl and docs/).")
    if docs_dir is not None:
        if len(paths) != 1:
            raise EvalError(
                f"eval: --docs goes with one labels file, not {len(paths)} paths; "
                "give dev set folders (labels.jsonl + docs/) instead."
            )
        labels = Path(paths[0])
        return [EvalSet(_set_name(labels.parent if labels.is_file() else labels), tuple(load_gold(labels, docs_dir)))]
    sets: list[EvalSet] = []
    names: set[str] = set()
    for raw in paths:
        path = Path(raw)
        folder = path.parent if path.is_file() else path
        labels = path if path.is_file() else path / "labels.jsonl"
        if not labels.is_file():
            raise EvalError(f"{path}: no labels.jsonl there; give a dev set folder (labels.jsonl + docs/).")
        name = base = _set_name(folder)
        k = 2
        while name in names:  # two sets in folders of the same name
            name, k = f"{base}-{k}", k + 1
        names.add(name)
        sets.append(EvalSet(name, tuple(load_gold(labels, folder / "docs"))))
    return sets


def _set_name(folder: Path) -> str:
    return folder.resolve().name or "eval"


@dataclass(frozen=True)
class SetResults:
    """Metrics per dev set and over their union (method -> Metrics), and per document if asked
    ("set/doc" -> method -> Metrics)."""

    sets: dict[str, dict[str, Metrics]]
    union: dict[str, Metrics]
    per_doc: dict[str, dict[str, Metrics]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict = {
            "sets": {s: {k: m.to_dict() for k, m in r.items()} for s, r in self.sets.items()},
            "union": {k: m.to_dict() for k, m in self.union.items()},
        }
        if self.per_doc:
            out["per_doc"] = {d: {k: m.to_dict() for k, m in r.items()} for d, r in self.per_doc.items()}
        return out


def evaluate_sets(
    sets: Sequence[EvalSet],
    methods: dict[str, Method],
    *,
    gold_units: bool = False,
    splitter: Callable[[str], list[Unit]] | None = None,
    per_doc: bool = False,
) -> SetResults:
    """Run each method once over every document, then compute metrics per set, over the union
    (documents renamed "set/doc" so equal names in two sets stay apart) and per document."""
    docs = [replace(d, doc=f"{s.name}/{d.doc}") for s in sets for d in s.docs]
    runs = _run_all(docs, methods, gold_units, splitter)
    spans: dict[str, range] = {}
    start = 0
    for s in sets:
        spans[s.name] = range(start, start + len(s.docs))
        start += len(s.docs)
    by_set = {
        s.name: {
            name: compute_metrics([docs[i] for i in spans[s.name]], [r[i] for i in spans[s.name]])
            for name, r in runs.items()
        }
        for s in sets
    }
    union = {name: compute_metrics(docs, r) for name, r in runs.items()}
    docs_out = (
        {d.doc: {name: compute_metrics([d], [r[i]]) for name, r in runs.items()} for i, d in enumerate(docs)}
        if per_doc
        else {}
    )
    return SetResults(by_set, union, docs_out)
