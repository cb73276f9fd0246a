"""Every regular expression over user text runs in linear time, whatever the input.

For each pattern (and each public entry point that applies it to user text: ladders, brag documents,
exemplar files, LLM answers, text shown in the app), inputs built to make that pattern backtrack or
rescan are timed at n and 2n characters: linear work doubles, quadratic work quadruples. The check
is the growth (2n within 2.5x of n), never an absolute time, so a slow or busy machine does not fail
it; a growth over the line is measured again before it fails, because one noisy sample on a shared
machine can look like anything, while a quadratic pattern fails every time. (Before the fixes, the
ladder cases `_ATX`, `_META`, `_TITLE_TRAILING_LEVEL`, `_MD_LINK`, `_AUTOLINK` and the markdown
`_AUTOLINK` cases grew 3.5-4.5x per doubling.)
"""

from __future__ import annotations

import contextlib
import gc
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import pytest

from matcher.compare import parse_level
from matcher.config import Settings
from matcher.core import split_document
from matcher.errors import LadderError, MatcherError
from matcher.exemplars import parse_exemplars
from matcher.isolate import ISOLATE_CHARS, parse_ladder_isolated, split_isolated
from matcher.ladder import parse_ladder
from matcher.llm.client import parse_json_object
from matcher.llm.guards import clean_line
from matcher.models import Ladder, Pillar, Statement
from matcher.text import clean_text, normalize_key, printable, reduce_markdown, repair_mojibake
from matcher.ui.safe import md_escape, short
from tests.helpers import ROOT

N = 20_000  # characters of adversarial text at the smaller size
GROWTH = 2.5
ATTEMPTS = 6  # a noisy moment of a shared machine passes on a later attempt; quadratic work never does
MIN_WORK = 0.01  # seconds


def _work(fn: Callable[[str], object], text: str, repeats: int = 5) -> float:
    """The least time of `repeats` runs (a run over a second is not repeated: noise is small there)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        with contextlib.suppress(MatcherError):  # refusing is fine; taking quadratic time to is not
            fn(text)
        best = min(best, time.perf_counter() - start)
        if best > 1.0:
            break
    return best


def assert_linear(fn: Callable[[str], object], make: Callable[[int], str], n: int = N) -> None:
    """Work on make(2n) is within GROWTH times the work on make(n), at n or at 2n.

    n first grows (up to 16x) until one run takes MIN_WORK, so timer noise stays small beside what
    is measured. When the first doubling grows too much, a second one is timed, because a string
    that outgrows a CPU cache can cost a one-off step at one of them; quadratic work grows 4x at
    both. Up to ATTEMPTS tries: noise passes on one of them, quadratic growth (4x) on none.
    """
    ratios = []
    gc.disable()
    try:
        while _work(fn, make(n), repeats=1) < MIN_WORK and n < 16 * N:
            n *= 2
        for _ in range(ATTEMPTS):
            t1, t2 = _work(fn, make(n)), _work(fn, make(2 * n))
            ratios.append(t2 / max(t1, 1e-6))
            if ratios[-1] <= GROWTH:
                return
            ratios.append(_work(fn, make(4 * n)) / max(t2, 1e-6))
            if ratios[-1] <= GROWTH:
                return
    finally:
        gc.enable()
    pytest.fail(f"work grew {min(ratios):.1f}x per doubling of {n:,} characters (linear: 2x; limit {GROWTH}x)")


def _rep(unit: str) -> Callable[[int], str]:
    """`unit` repeated to about n characters."""
    return lambda n: unit * max(1, n // len(unit))


def _around(before: str, unit: str, after: str = "") -> Callable[[int], str]:
    return lambda n: before + unit * max(1, n // len(unit)) + after


# -- ladders ----------------------------------------------------------------------------------


def _ladder(text: str) -> object:
    return parse_ladder(text)


PILLAR = "\n\n## Delivery\n\n- I ship things.\n"
LADDER_CASES: dict[str, Callable[[int], str]] = {
    # _ATX: a lazy title followed by an optional closing run rescanned the spaces per character.
    "_ATX title spaces": _around("# L4: Title", " ", "x" + PILLAR),
    "_ATX title tabs": _around("# L4: Title", "\t", "x #" + PILLAR),
    "_ATX pillar heading spaces": _around("# L4: T\n\n## P", " ", "x\n\n- I do.\n"),
    "_ATX hashes and spaces": _around("# L4: T\n\n## P", " #", " x\n\n- I do.\n"),
    # _TITLE_TRAILING_LEVEL: `\s*\(...\)\s*$` searched from every space.
    "_TITLE_TRAILING_LEVEL spaces": _around("# Title", " ", "(L4) x" + PILLAR),
    "_TITLE_TRAILING_LEVEL levels": _around("# Title", " (L4)", " x" + PILLAR),
    "_TITLE_LEVEL digits": _around("# L", "4", "x" + PILLAR),
    "_TITLE_LEVEL spaces": _around("# L4", " ", ":" + PILLAR),
    # _META: a lazy key followed by `\s*` rescanned the spaces per character.
    "_META spaces": _around("# L4: T\n\n- **a", " ", "x" + PILLAR),
    "_META tabs": _around("# L4: T\n\n**a", "\t", "x" + PILLAR),
    "_META words": _around("# L4: T\n\n- **", "a ", PILLAR),
    # _MD_LINK: `[^\]]+` let every unclosed `[` scan the rest of the paragraph.
    "_MD_LINK brackets": _around("# L4: T\n\n", "[", "\n"),
    "_MD_LINK open links": _around("# L4: T\n\n", "[a](", "\n"),
    "_MD_LINK unclosed targets": _around("# L4: T\n\n", "[a](b", "\n"),
    "_MD_LINK nested": _around("# L4: T\n\n", "[[a]", "\n"),
    # text._AUTOLINK through a statement and the preamble.
    "_AUTOLINK statement": _around("# L4: T\n\n## P\n\n- I ", "<http://a", "\n"),
    "_AUTOLINK prose": _around("# L4: T\n\n", "<http://a", "\n"),
    "_HTML_TAG_LINE open tags": _around("# L4: T" + PILLAR + "\n", "<a ", "\n"),
    "_HTML_TAG_LINE tags then text": _around("# L4: T" + PILLAR + "\n", "<a> ", "x\n"),
    "_RULE dashes": _around("# L4: T" + PILLAR + "\n", "- ", "x\n"),
    "_RULE spaces": _around("# L4: T" + PILLAR + "\n-", " ", "x\n"),
    "_ITEM indent": _around("# L4: T" + PILLAR + "\n", " ", "x\n"),
    "_QUOTE spaces": _around("# L4: T\n\n>", " ", "x" + PILLAR),
    "_SHORTCODE": _around("# L4: T\n\n## :", "a", PILLAR),
    "_ENCOMPASS target": _around(
        "# L4: T\n\n## P\n\n- I encompass all the qualities listed in [Leadership](", "a", "\n"
    ),
    "_ENCOMPASS repeated": _around("# L4: T\n\n## P\n\n- I ", "encompass all the ", "\n"),
    "_ITALIC_WRAP": _around("# L4: T\n\n> _", "a_", PILLAR),
    "_DETAILS_CLOSE": _around("# L4: T" + PILLAR + "\n", "</details ", "\n"),
    # Not regexes, but the same promise: text that grows per line, names that repeat.
    "bullet wrapped over many lines": _around("# L4: T\n\n## P\n\n- I do\n", "more\n"),
    "preamble list": _around("# L4: T\n\n", "- item\n", PILLAR),
    "pillars with one name": _around("# L4: T\n\n", "## A\n- I x\n"),
    "emoji-only pillars": _around("# L4: T\n\n", "## 🦉\n- I x\n"),
}


@pytest.mark.parametrize("case", list(LADDER_CASES))
def test_ladder_parser_is_linear(case):
    assert_linear(_ladder, LADDER_CASES[case])


# -- inline markdown (shared by ladders, documents, exemplars and LLM answers) -----------------

MARKDOWN_CASES: dict[str, Callable[[int], str]] = {
    "_AUTOLINK": _rep("<http://a"),
    "_AUTOLINK mailto": _rep("<mailto:a"),
    "_IMAGE open": _rep("!["),
    "_IMAGE target": _rep("![a]("),
    "_IMAGE title": _rep('![a](b "'),
    "_LINK brackets": _rep("["),
    "_LINK target": _rep("[a]("),
    "_LINK nested parens": _rep("[a](("),
    "_LINK title": _rep('[a](b "'),
    "_REF_LINK": _rep("[a]["),
    "_BOLD stars": _rep("**a "),
    "_BOLD underscores": _rep("__a "),
    "_BOLD runs": _rep("**"),
    "_STRIKE": _rep("~~a "),
    "_EM_STAR": _rep("*a"),
    "_EM_STAR spaced": _rep(" *a*a"),
    "_EM_UNDER": _rep("_a"),
    "_EM_UNDER spaced": _rep(" _a_a"),
    "_ESCAPE": _rep("\\"),
    "backticks": _rep("`"),
    "backticks after words": _rep("a`"),
    "backtick runs": _rep("``a`"),
    "placeholders": _rep("\ue0001\ue001"),
    "spaces": _rep(" "),
}


@pytest.mark.parametrize("case", list(MARKDOWN_CASES))
def test_reduce_markdown_is_linear(case):
    assert_linear(reduce_markdown, MARKDOWN_CASES[case])


@pytest.mark.parametrize(
    ("fn", "unit"),
    [
        (clean_text, "\x1b[31m\r\n"),
        (repair_mojibake, "ü¶"),
        (repair_mojibake, "â"),
        (normalize_key, "**a "),
        (printable, "\x1b\x9b"),
    ],
    ids=["clean_text", "mojibake", "mojibake lead", "normalize_key", "printable"],
)
def test_text_helpers_are_linear(fn, unit):
    assert_linear(fn, _rep(unit))


# -- brag documents, at the public entry point ----------------------------------------------

DOCUMENT_CASES: dict[str, Callable[[int], str]] = {
    "autolinks": _rep("<http://a"),
    "autolinks in a bullet": _around("- ", "<http://a"),
    "autolinks in a heading": _around("# ", "<http://a"),
    "autolinks in a table": _around("| a | b |\n|---|---|\n| ", "<http://a|"),
    "brackets": _rep("["),
    "links": _rep("[a]("),
    "bold spaces": _around("**", " "),
    "emphasis": _rep("*a"),
    "backticks": _rep("a`"),
    "table cells": _around("| a | b |\n|---|---|\n| ", "a|"),
    "heading spaces": _around("#", " ", "x #"),
    "log prefixes": _rep("10:42 "),
    "html tags": _rep("<b>"),
    "many bullets": _rep("- x\n"),
    "wrapped prose": _rep("word\n"),
    "sentences": _rep("A. "),
    "abbreviations": _rep("e.g. "),
    "ordered markers": _rep("1. "),
    "quotes": _rep("> "),
    "fences": _rep("```\n"),
    "comments": _rep("<!--"),
}


@pytest.mark.parametrize("case", list(DOCUMENT_CASES))
def test_brag_splitter_is_linear(case):
    # In a fresh process: the splitter builds thousands of small objects per input, and inside the
    # whole suite's large, fragmented heap their allocation alone grew 3.5x per doubling; alone it
    # grows 2x. A fresh interpreter times the splitter, not the state of the test process.
    code = (
        "from matcher.brag import split_units\n"
        "from tests.test_linear_time import DOCUMENT_CASES, assert_linear\n"
        f"assert_linear(split_units, DOCUMENT_CASES[{case!r}])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


# -- exemplar files, LLM answers, text shown in the app -------------------------------------

_EXEMPLAR_LADDER = Ladder(id="t", title="T", pillars=(Pillar("P", statements=(Statement("p-1", "I ship.", "P"),)),))


def _exemplars(text: str) -> object:
    return parse_exemplars(text, _EXEMPLAR_LADDER)


def _distinct_lines(n: int) -> str:
    return "## I ship.\n\n" + "".join(f"- shipped release {i}\n" for i in range(n // 20))


@pytest.mark.parametrize(
    ("fn", "make"),
    [
        (_exemplars, _distinct_lines),
        (_exemplars, _around("## I ship.\n\n- ", "<http://a")),
        (_exemplars, _around("## ", "<http://a")),
        (parse_json_object, _around("```", " ")),
        (parse_json_object, _around("```json", "{")),
        (parse_json_object, _rep("{")),
        (clean_line, _rep("- ")),
        (clean_line, _rep("a_")),
        (clean_line, _rep("#")),
        (md_escape, _rep("http://")),
        (md_escape, _rep("www.")),
        (md_escape, _rep("@")),
        (short, _rep(" ")),
        (parse_level, _rep("l")),
        (parse_level, _rep("L 1")),
    ],
    ids=[
        "exemplar lines",
        "exemplar autolinks",
        "exemplar heading",
        "json fence",
        "json fence braces",
        "json braces",
        "clean_line bullets",
        "clean_line snake",
        "clean_line hashes",
        "md_escape urls",
        "md_escape www",
        "md_escape at",
        "short spaces",
        "level letters",
        "level words",
    ],
)
def test_other_user_text_is_linear(fn, make):
    assert_linear(fn, make)


# -- one user's upload and the app's other sessions -----------------------------------------


def _longest_stall(fn: Callable[[], object]) -> tuple[object, float]:
    """fn's result, and the longest this interpreter stopped running other threads meanwhile."""
    gaps = [0.0]
    done = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    try:
        result = fn()
    finally:
        done.set()
        ticker.join()
    return result, max(gaps)


def test_a_big_upload_is_parsed_off_the_apps_interpreter():
    """App sessions share one interpreter lock, held through every regex call: a big ladder or
    document (what the app's uploads go through) is parsed in a child process, so the app's other
    threads keep running, and the result (or the error) is the one parsing in process gives."""
    body = "".join(f"- I do *thing* {i} with [care](http://a/{i}) <http://a\n" for i in range(6000))
    text = "# L4: Big\n\n## Pillar\n\n" + body + "\n## 🦉\n\n" + body
    assert len(text) > ISOLATE_CHARS
    ladder, stall = _longest_stall(lambda: parse_ladder_isolated(text, "upload.md"))
    assert ladder == parse_ladder(text, source="upload.md")
    assert stall < 1.0, f"the interpreter stalled {stall:.2f} s"
    with pytest.raises(LadderError, match=r"^upload\.md:1: no title"):
        parse_ladder_isolated("x" * (ISOLATE_CHARS + 1), "upload.md")
    doc = "".join(f"- Shipped *release* {i} <http://a\n" for i in range(4000)) + "<http://a" * 20_000
    settings = Settings.from_env()
    units, stall = _longest_stall(lambda: split_isolated(doc, settings))
    assert units == split_document(doc, settings) and stall < 1.0
