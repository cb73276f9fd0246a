"""The batch command: a folder or JSONL file of brag documents into one CSV or JSONL file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_model_args, settings_from


def cmd_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..batch import check_output, count_documents, run_batch

    settings = settings_from(args)
    check_output(Path(args.out), args.format)  # a bad --out fails before the model loads
    total = count_documents(args.source)
    disable = None if args.progress == "auto" else args.progress == "never"
    with tqdm(total=total, unit="doc", file=sys.stderr, disable=disable, dynamic_ncols=True) as bar:
        try:
            summary = run_batch(
                args.source, args.out, args.ladder or "", fmt=args.format, settings=settings, progress=bar.update
            )
        except KeyboardInterrupt:
            bar.close()
            print(f"Interrupted: rerun the same command to resume; {args.out} keeps what was done.", file=sys.stderr)
            raise
    parts = [f"{summary.written} documents written to {summary.output}"]
    if summary.errors:
        parts.append(f"{summary.errors} of them error rows")
    if summary.skipped:
        parts.append(f"{summary.skipped} already done (skipped)")
    if summary.duplicates:
        parts.append(f"{summary.duplicates} duplicate ids ignored")
    if summary.repaired:
        parts.append("an interrupted last document was redone")
    print("; ".join(parts) + ".", file=sys.stderr)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="match a folder or JSONL file of brag documents into one CSV/JSONL file",
        description="Match many brag documents. SOURCE is a folder (every .md, .markdown, "
        ".txt, .docx, .pdf, .html or .htm file below it) or a JSONL file "
        '(one {"id", "text", "ladder"?} object a line). '
        "Rerunning the same command resumes an interrupted batch.",
    )
    p.add_argument("source", help="folder of brag documents, or a .jsonl file")
    p.add_argument("--ladder", "-l", help="ladder id or file for documents that do not name their own")
    p.add_argument("--out", "-o", required=True, help="output file: .csv or .jsonl")
    p.add_argument("--format", "-f", choices=("csv", "jsonl"), help="output format (default: from --out)")
    p.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on standard error (auto: when it is a terminal)",
    )
    add_model_args(p)
    p.set_defaults(func=cmd_batch)
