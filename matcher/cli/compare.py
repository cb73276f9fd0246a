"""The compare command: the current level against the next one."""

from __future__ import annotations

import argparse

from ..models import Ladder
from .common import add_model_args, read_document, settings_from, write_output

COMPARE_FORMATS = ("text", "json", "md")


def find_next_ladder(current: Ladder, spec: str | None) -> Ladder:
    """The --next ladder, or the next level found among the ladders beside the --ladder file."""
    from ..compare import next_level
    from ..errors import LadderNotFound
    from ..ladder import corpus_dir, load_ladder, load_ladders

    if spec:
        return load_ladder(spec)
    folder = current.path.parent if current.path is not None else corpus_dir()
    found = next_level(current, load_ladders(folder, recursive=False))
    if found is None:
        name = f"{current.level} {current.title}".strip()
        raise LadderNotFound(
            f"No level above {name} in {folder}. Give the ladder to compare with as --next PATH_OR_ID."
        )
    return found


def cmd_compare(args: argparse.Namespace) -> int:
    from ..compare import compare_levels
    from ..ladder import load_ladder

    settings = settings_from(args)
    text = read_document(args.document, settings)
    current = load_ladder(args.ladder)
    nxt = find_next_ladder(current, args.next)
    comparison = compare_levels(text, current, nxt, settings=settings)
    renderers = {"json": comparison.to_json, "md": comparison.to_markdown}
    write_output(renderers.get(args.format, comparison.to_text)(), args.output)
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="how much of the next level a document already evidences")
    p.add_argument("document", help="brag document (.md/.txt), or - for standard input")
    p.add_argument("--ladder", "-l", required=True, help="current level: corpus id or ladder file")
    p.add_argument(
        "--next",
        "-n",
        help="the level to compare with (default: the next level among the ladders in the same folder as --ladder)",
    )
    p.add_argument("--format", "-f", choices=COMPARE_FORMATS, default="text")
    p.add_argument("--output", "-o", help="write the comparison to this file, not standard output")
    add_model_args(p)
    p.set_defaults(func=cmd_compare)
