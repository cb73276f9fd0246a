"""The evidence-matcher command line: a thin layer over the library that owns all output.

One module per command group; each adds its sub-commands with `add_parsers(sub)`.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ..errors import MatcherError
from ..text import printable
from . import batch, compare, core, doctor, llm, workspace
from .common import read_document

__all__ = ["build_parser", "main", "read_document"]

COMMAND_MODULES = (core, compare, llm, batch, doctor, workspace)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evidence-matcher", description="Match a brag document against a career ladder."
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_parsers(sub)
    return parser


class _PrintableFormatter(logging.Formatter):
    """Log lines quote user text (ids, file names, model answers): no control codes to the terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_PrintableFormatter("%(levelname)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    try:
        return args.func(args)
    except MatcherError as exc:
        print(f"Error: {printable(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
