"""The evidence-matcher command line: a thin layer over the library that owns all output."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .config import Settings
from .errors import DocumentError, DocumentTooLarge, MatcherError
from .text import decode_bytes

__all__ = ["main"]

FORMATS = ("text", "json", "csv", "md")


def read_document(source: str, settings: Settings) -> str:
    """Read a brag document from a path or '-' (stdin), refusing oversize input before reading it all."""
    limit = settings.max_bytes
    if source == "-":
        data = sys.stdin.buffer.read(limit + 1)
        name = "<stdin>"
    else:
        path = Path(source)
        if path.is_dir():
            raise DocumentError(f"{source}: is a folder; give a brag document file (or '-' for stdin).")
        try:
            size = path.stat().st_size
            if size > limit:
                raise DocumentTooLarge(
                    f"{source}: {size:,} bytes is over the {limit:,}-byte limit. "
                    "Split the document, or raise MATCHER_MAX_BYTES."
                )
            with path.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise DocumentError(f"{source}: cannot read it ({exc.strerror or exc}).") from exc
        name = source
    if len(data) > limit:
        raise DocumentTooLarge(
            f"{name}: over the {limit:,}-byte limit. Split the document, or raise MATCHER_MAX_BYTES."
        )
    return decode_bytes(data, name)


def _settings(args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    s = Settings.from_env()
    if getattr(args, "model", None):
        s = replace(s, model=args.model)
    if getattr(args, "backend", None):
        s = replace(s, backend=args.backend)
    if getattr(args, "cache_dir", None):
        s = replace(s, cache_dir=Path(args.cache_dir))
    return s


def _write(text: str, output: str | None) -> None:
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def render(report, fmt: str) -> str:
    if fmt == "json":
        return report.to_json()
    if fmt == "csv":
        return report.to_csv()
    if fmt == "md":
        return report.to_markdown()
    return report.to_text()


# -- commands ------------------------------------------------------------------------------------


def cmd_match(args: argparse.Namespace) -> int:
    from .core import Matcher
    from .ladder import load_ladder

    settings = _settings(args)
    text = read_document(args.document, settings)
    matcher = Matcher(load_ladder(args.ladder), settings=settings)
    _write(render(matcher.match(text), args.format), args.output)
    return 0


def cmd_ladders(args: argparse.Namespace) -> int:
    from .ladder import load_ladders

    ladders = load_ladders(args.path) if args.path else load_ladders()
    if args.json:
        rows = [{"id": lad.id, "level": lad.level, "title": lad.title, "statements": len(lad.statements),
                 "path": str(lad.path or "")} for lad in ladders]
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    width = max((len(lad.id) for lad in ladders), default=2)
    print(f"{'id':<{width}}  level  statements  title")
    for lad in ladders:
        print(f"{lad.id:<{width}}  {lad.level or '-':<5}  {len(lad.statements):>10}  {lad.title}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .core import Matcher
    from .embed import get_embedder
    from .evaluate import bm25_method, cosine_method, evaluate, load_gold, matcher_method

    settings = _settings(args)
    docs = load_gold(args.labels, args.docs)
    methods = {"matcher": matcher_method(lambda lad: Matcher(lad, settings=settings))}
    if not args.no_baselines:
        methods["cosine"] = cosine_method(get_embedder(settings.model, settings.backend, settings.cache_dir))
        methods["bm25"] = bm25_method()
    results = evaluate(docs, methods, gold_units=args.gold_units)
    if args.json:
        sys.stdout.write(json.dumps({k: v.to_dict() for k, v in results.items()}, indent=2) + "\n")
        return 0
    cols = [("unit P", "unit_p"), ("unit R", "unit_r"), ("unit F1", "unit_f1"), ("R@1", "r_at_1"),
            ("R@3", "r_at_3"), ("MRR", "mrr"), ("noise FPR", "noise_fpr"), ("doc P", "doc_p"),
            ("doc R", "doc_r"), ("doc F1", "doc_f1")]
    first = next(iter(results.values()))
    print(f"{len(docs)} documents, {first.units} gold units, {first.aligned} aligned by the splitter, "
          f"{first.extra_units} extra units" + (" (gold units used)" if args.gold_units else ""))
    print(f"{'method':<10}" + "".join(f"{c:>10}" for c, _ in cols))
    for name, m in results.items():
        print(f"{name:<10}" + "".join(f"{getattr(m, f):>10.3f}" for _, f in cols))
    return 0


# -- parser ----------------------------------------------------------------------------------------


def _add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="sentence-transformers model name or path (default: packaged MiniLM; "
                   "env MATCHER_MODEL)")
    p.add_argument("--backend", choices=("auto", "torch", "onnx"), help="encoder backend (env MATCHER_BACKEND)")
    p.add_argument("--cache-dir", help="index cache folder (env MATCHER_CACHE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evidence-matcher",
        description="Match a brag document against a career ladder.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("match", help="match one brag document against a ladder")
    p.add_argument("document", help="brag document (.md/.txt), or - for standard input")
    p.add_argument("--ladder", "-l", required=True, help="corpus ladder id, or a ladder file path")
    p.add_argument("--format", "-f", choices=FORMATS, default="text")
    p.add_argument("--output", "-o", help="write the report to this file instead of standard output")
    _add_model_args(p)
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("ladders", help="list ladders (the corpus, or a file or folder)")
    p.add_argument("path", nargs="?", help="a ladder file or folder (default: the shipped corpus)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ladders)

    p = sub.add_parser("eval", help="measure the matcher on hand-labelled documents")
    p.add_argument("labels", help="labels.jsonl")
    p.add_argument("--docs", required=True, help="folder of the labelled documents (<doc>.md)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--gold-units", action="store_true", help="use the gold units instead of splitting")
    p.add_argument("--no-baselines", action="store_true", help="skip the BM25 and cosine baselines")
    _add_model_args(p)
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except MatcherError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
