"""Parsing big inputs in a child process, so one user's upload cannot hold the app's interpreter.

Every parser is linear in its input, but a 5 MB ladder or a 2 MB document is still seconds of
Python, and the app's sessions share one interpreter lock, held through each regex call. Inputs
over ISOLATE_CHARS are parsed in a fresh child process (spawned: it inherits nothing of the app)
under a time budget, while the app's other sessions run on; smaller inputs (every real ladder and
brag document) are parsed in process, where a child would only add its start-up time.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import TypeVar

from .config import Settings
from .errors import DocumentError, LadderError, MatcherError
from .models import Ladder, Unit

__all__ = ["ISOLATE_CHARS", "TIME_BUDGET", "parse_ladder_isolated", "split_isolated"]

ISOLATE_CHARS = 256_000
TIME_BUDGET = 120.0  # seconds; linear parsing of the largest accepted input takes a fraction of it

T = TypeVar("T")


def _in_child(fn: Callable[..., T], args: tuple, error: type[MatcherError], what: str) -> T:
    with multiprocessing.get_context("spawn").Pool(1) as pool:  # leaving the block kills the child
        try:
            return pool.apply_async(fn, args).get(timeout=TIME_BUDGET)
        except multiprocessing.TimeoutError:
            raise error(f"{what}: reading it took over {TIME_BUDGET:.0f} s; it was stopped.") from None


def parse_ladder_isolated(text: str, source: str) -> Ladder:
    """`parse_ladder(text, source=source)`, in a child process when the text is big."""
    from .ladder import parse_ladder

    if len(text) <= ISOLATE_CHARS:
        return parse_ladder(text, source=source)
    return _in_child(_parse_ladder, (text, source), LadderError, source)


def split_isolated(text: str, settings: Settings) -> list[Unit]:
    """`split_document(text, settings)` (limits checked), in a child process when the text is big."""
    from .core import split_document

    if len(text) <= ISOLATE_CHARS:
        return split_document(text, settings)
    return _in_child(split_document, (text, settings), DocumentError, "the document")


def _parse_ladder(text: str, source: str) -> Ladder:
    from .ladder import parse_ladder

    return parse_ladder(text, source=source)
