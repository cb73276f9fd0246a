"""The core commands: match, ladders, eval and warm."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import add_model_args, add_workspace_arg, open_workspace, read_document, settings_from, write_output
from .llm import add_llm_args, add_llm_switches, assistant_from, llm_config_from

FORMATS = ("text", "json", "csv", "md")


def render(report, fmt: str) -> str:
    renderers = {"json": report.to_json, "csv": report.to_csv, "md": report.to_markdown}
    return renderers.get(fmt, report.to_text)()


def cmd_match(args: argparse.Namespace) -> int:
    from ..core import Matcher, split_document
    from ..ladder import load_ladder

    # Everything that can be refused is checked before the model loads: the LLM endpoint, the
    # document and its limits, the ladder.
    assistant = assistant_from(args)
    settings = settings_from(args)
    workspace = _workspace_for_match(args)
    text = read_document(args.document, settings)
    units = split_document(text, settings)
    ladder = load_ladder(args.ladder)
    matcher = Matcher.from_ladder(ladder, settings=settings)
    # The report saved is the matcher's own; the one printed has the workspace's corrections for
    # this ladder applied (SavedReport.corrected). A matcher that learned from them
    # (`matcher.with_corrections(workspace.corrections(ladder.id))`, here) would make the saved one.
    report = matcher.match_units(units)
    if assistant is not None:
        with assistant:
            report = assistant.augment(report, ladder)
    if workspace is not None:
        source = "stdin" if args.document == "-" else Path(args.document).name
        saved = workspace.save(args.person, args.cycle, text, report, source=source)
        report = saved.corrected
        print(f"Saved as report {saved.id} in {workspace.path}", file=sys.stderr)
    write_output(render(report, args.format), args.output)
    return 0


def _workspace_for_match(args: argparse.Namespace):  # -> Workspace | None
    """The workspace to save to (checked, and created if missing), or None: nothing is written."""
    from ..errors import MatcherError

    if args.workspace is None:
        if args.person or args.cycle:
            raise MatcherError(
                "--person and --cycle say whom a saved report is for: add --workspace (a PATH, or none for "
                "the default workspace) to save it."
            )
        return None
    if not args.person or not args.cycle:
        raise MatcherError(
            "Saving to a workspace needs whose report it is and for which review cycle: "
            "give --person NAME and --cycle NAME (e.g. --cycle '2026 H2')."
        )
    from ..workspace.store import clean_name

    clean_name(args.person, "person")
    clean_name(args.cycle, "cycle")
    return open_workspace(args.workspace, create=True)


def cmd_ladders(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..ladder import load_ladder, load_ladders

    if args.path and Path(args.path).is_file():
        ladders = [load_ladder(args.path)]
    else:
        ladders = load_ladders(args.path) if args.path else load_ladders()
    if args.json:
        rows = [
            {
                "id": lad.id,
                "level": lad.level,
                "title": lad.title,
                "statements": len(lad.statements),
                "path": str(lad.path or ""),
            }
            for lad in ladders
        ]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    width = max((len(lad.id) for lad in ladders), default=2)
    print(f"{'id':<{width}}  level  statements  title")
    for lad in ladders:
        print(f"{lad.id:<{width}}  {lad.level or '-':<5}  {len(lad.statements):>10}  {lad.title}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from ..core import Matcher
    from ..evaluate import bm25_method, cosine_method, evaluate_sets, load_sets, matcher_method
    from ..models import Ladder
    from ..prepare import get_embedder
    from .evalsets import print_set_results

    settings = settings_from(args)
    sets = load_sets(args.paths, args.docs)
    built: dict[str, Matcher] = {}

    def factory(ladder: Ladder) -> Matcher:
        if ladder.id not in built:
            built[ladder.id] = Matcher.from_ladder(ladder, settings=settings)
        return built[ladder.id]

    if args.learning_curve:
        return _learning_curve(args, sets, factory)
    methods = {"matcher": matcher_method(factory)}
    tally: dict[str, int] = {}
    assistant = None
    if args.judge:
        from ..llm import Assistant
        from ..llm.evaluation import assisted_method

        assistant = Assistant(llm_config_from(args, "eval --judge"), judge=True)
        methods["matcher+llm"] = assisted_method(factory, assistant, tally)
    if not args.no_baselines:
        _require_bm25()
        methods["cosine"] = cosine_method(get_embedder(settings.model, settings.backend, settings.model_cache_dir))
        methods["bm25"] = bm25_method()
    try:
        results = evaluate_sets(sets, methods, gold_units=args.gold_units, per_doc=args.per_doc)
    finally:
        if assistant is not None:
            assistant.close()
    if args.json:
        # One set without --per-doc keeps the original shape ({method: metrics}).
        if len(sets) == 1 and not args.per_doc:
            out = {k: v.to_dict() for k, v in results.union.items()}
        else:
            out = results.to_dict()
        if args.judge:
            out["llm_judge"] = tally
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return 0
    print_set_results(results, sets, gold_units=args.gold_units)
    if args.judge:
        print("LLM judge: " + ", ".join(f"{k} {v}" for k, v in tally.items()))
    return 0


def _learning_curve(args: argparse.Namespace, sets, factory) -> int:
    from ..errors import EvalError
    from ..replay import learning_curve
    from .evalsets import print_learning_curve

    try:
        ks = sorted({int(k) for k in args.ks.split(",") if k.strip()})
    except ValueError:
        raise EvalError(
            f"--ks takes numbers of documents separated by commas (like 0,2,4,8), not {args.ks!r}."
        ) from None
    curve = learning_curve(sets, factory, ks=ks, folds=args.folds)
    if args.json:
        sys.stdout.write(json.dumps(curve.to_dict(), indent=2) + "\n")
    else:
        print_learning_curve(curve, sets)
    return 0


def _require_bm25() -> None:
    import importlib.util

    from ..errors import MatcherError

    if importlib.util.find_spec("rank_bm25") is None:
        raise MatcherError(
            "The BM25 baseline needs rank-bm25 (the 'eval' extra): "
            "pip install 'evidence-matcher[eval]', or pass --no-baselines."
        )


def cmd_warm(args: argparse.Namespace) -> int:
    """Prepare the model (fine-tune, export) and build every shipped ladder's index, so the first
    page view is fast. Progress and the summary go to standard error."""
    from ..core import Matcher
    from ..ladder import load_ladders
    from ..prepare import prepare_model

    settings = settings_from(args)
    embedder = prepare_model(settings)
    for ladder in load_ladders():
        m = Matcher.from_ladder(ladder, settings=settings, embedder=embedder)
        print(
            f"{ladder.id}: {len(m.index.entries)} index entries, model {m.embedder.name} ({m.embedder.backend})",
            file=sys.stderr,
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("match", help="match one brag document against a ladder")
    p.add_argument("document", help="brag document (.md, .txt, .docx, .pdf, .html), or - for standard input")
    p.add_argument("--ladder", "-l", required=True, help="corpus ladder id, or a ladder file path")
    p.add_argument("--format", "-f", choices=FORMATS, default="text")
    p.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    add_workspace_arg(
        p,
        "save the document and its report to this workspace file (no PATH: MATCHER_WORKSPACE, else the "
        "default one in the user data dir); without it nothing is written",
    )
    p.add_argument("--person", help="with --workspace: whose document it is")
    p.add_argument("--cycle", help="with --workspace: the review cycle, e.g. '2026 H2'")
    add_model_args(p)
    add_llm_switches(p)
    add_llm_args(p)
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("ladders", help="list ladders (the corpus, or a file or folder)")
    p.add_argument("path", nargs="?", help="a ladder file or folder (default: the shipped corpus)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ladders)

    p = sub.add_parser("eval", help="measure the matcher on hand-labelled documents")
    p.add_argument(
        "paths",
        nargs="+",
        metavar="DIR",
        help="dev set folders (labels.jsonl + docs/), each reported and then together; or one labels.jsonl with --docs",
    )
    p.add_argument("--docs", help="folder of the labelled documents (<doc>.md), with one labels.jsonl")
    p.add_argument("--per-doc", action="store_true", help="also report each document's figures")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--gold-units", action="store_true", help="use the gold units instead of splitting")
    p.add_argument("--no-baselines", action="store_true", help="skip the BM25 and cosine baselines")
    p.add_argument(
        "--judge", action="store_true", help="also measure the matcher with the LLM judge (needs an LLM endpoint)"
    )
    p.add_argument(
        "--learning-curve",
        action="store_true",
        help="replay the gold labels of a user's first k documents per ladder as corrections and score "
        "the documents held out (README, 'Learning from corrections')",
    )
    p.add_argument("--ks", default="0,2,4,8", help="with --learning-curve: the k values (default 0,2,4,8)")
    p.add_argument(
        "--folds", type=int, default=5, help="with --learning-curve: rotations of held-out documents (default 5)"
    )
    add_model_args(p)
    add_llm_args(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("warm", help="build the model, fine-tuning and indexes once, so later runs start fast")
    add_model_args(p)
    p.set_defaults(func=cmd_warm)
