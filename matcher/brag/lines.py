"""Pass 1 of the brag splitter: source lines as seen through their containers (fences, comments, quotes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .vocab import (
    _FENCE,
    _YAML_LINE,
)


class _Line(NamedTuple):  # a tuple: there is one per source line, so it must be cheap to make
    """The content of one source line: `text` is `src[no][start:end]` (empty for a blank line)."""

    no: int  # 0-based source line index
    start: int
    end: int
    indent: int  # visual indentation of the content inside its blockquote, tabs expanded
    quote: int  # blockquote depth
    text: str

    def tail(self, offset: int) -> _Line:
        return _Line(self.no, self.start + offset, self.end, self.indent, self.quote, self.text[offset:])


def _blank(no: int) -> _Line:
    return _Line(no, 0, 0, 0, 0, "")


def _strip_quotes(s: str) -> tuple[int, int]:
    """Column after any `>` blockquote markers, and the quote depth."""
    if not s[:4].lstrip(" ").startswith(">"):
        return 0, 0  # the common case, decided without a Python-level loop
    i = depth = 0
    while True:
        j = i
        while j < len(s) and j - i < 3 and s[j] == " ":
            j += 1
        if j >= len(s) or s[j] != ">":
            return i, depth
        j += 1
        if j < len(s) and s[j] in " \t":
            j += 1
        i, depth = j, depth + 1


def _indentation(s: str, i: int) -> tuple[int, int]:
    """Column of the first non-blank character from `i`, and its visual width (tab stops of 4)."""
    rest = s[i:]
    blanks = len(rest) - len(rest.lstrip(" \t"))
    return i + blanks, len(rest[:blanks].expandtabs(4))


def _fence_of(body: str) -> tuple[str, int, bool] | None:
    """(fence char, length, bare) when `body` is a code fence line; bare fences can close."""
    m = _FENCE.match(body.lstrip(" \t"))
    if m is None:
        return None
    info = m.group(2).strip()
    if m.group(1)[0] == "`" and "`" in info:
        return None  # an inline code span, not a fence
    return m.group(1)[0], len(m.group(1)), not info


class _Fences:
    """Knows, for each line, the longest bare fence of each kind further down.

    An opening fence without a matching close is treated as a stray line rather than swallowing
    the rest of the document: losing every later unit to one typo is worse than being strict.
    """

    def __init__(self, bodies: Sequence[str]) -> None:
        self.fences = [_fence_of(b) if "``" in b or "~~" in b else None for b in bodies]
        self.longest_after: list[tuple[int, int]] = [(0, 0)] * len(bodies)
        best = {"`": 0, "~": 0}
        for no in range(len(bodies) - 1, -1, -1):
            self.longest_after[no] = (best["`"], best["~"])
            fence = self.fences[no]
            if fence is not None and fence[2]:
                best[fence[0]] = max(best[fence[0]], fence[1])

    def closes_later(self, no: int, fence: tuple[str, int, bool]) -> bool:
        ticks, tildes = self.longest_after[no]
        return (ticks if fence[0] == "`" else tildes) >= fence[1]


def _front_matter_end(src: Sequence[str]) -> int:
    """Number of leading lines that are YAML/TOML front matter (0 when there is none)."""
    if not src or src[0].strip() not in ("---", "+++"):
        return 0
    closers = ("---", "...") if src[0].strip() == "---" else ("+++",)
    for no in range(1, len(src)):
        line = src[no]
        stripped = line.strip()
        if stripped in closers:
            return no + 1
        if stripped and line[0] not in " \t" and not _YAML_LINE.match(stripped):
            return 0
    return 0


def _comment_window(s: str, lo: int, hi: int, in_comment: bool, closes_later: bool) -> tuple[int, int, bool]:
    """Narrow `s[lo:hi]` to the part outside HTML comments that start or end on this line.

    Comments wholly inside the window stay; `_display` drops them from the unit text. Like a
    fence, a `<!--` that nothing closes (`closes_later` false, none on this line) is literal text.
    """
    spans: list[tuple[int, int]] = []
    i = lo
    while i < hi:
        if in_comment:
            j = s.find("-->", i, hi)
            if j < 0:
                break
            i, in_comment = j + 3, False
        else:
            j = s.find("<!--", i, hi)
            if j < 0 or (not closes_later and s.find("-->", j + 4, hi) < 0):
                spans.append((i, hi))
                break
            spans.append((i, j))
            i, in_comment = j + 4, True
    spans = [(a, b) for a, b in spans if s[a:b].strip()]
    if not spans:
        return 0, 0, in_comment
    a, b = spans[0][0], spans[-1][1]
    a += len(s[a:b]) - len(s[a:b].lstrip())
    b -= len(s[a:b]) - len(s[a:b].rstrip())
    return a, b, in_comment


def _scan_lines(src: Sequence[str]) -> list[_Line]:
    """Each source line's content, with front matter, fenced code and comments blanked out."""
    starts = [_strip_quotes(s) for s in src]
    fences = _Fences([s[col:] for s, (col, _) in zip(src, starts, strict=True)])
    skip = _front_matter_end(src)
    out: list[_Line] = []
    last_close = max((no for no, s in enumerate(src) if "-->" in s), default=-1)
    open_fence: tuple[str, int, bool] | None = None
    in_comment = False
    for no, s in enumerate(src):
        col, depth = starts[no]
        fence = fences.fences[no]
        if no < skip:
            out.append(_blank(no))
            continue
        if open_fence is not None:
            if fence and fence[0] == open_fence[0] and fence[1] >= open_fence[1] and fence[2]:
                open_fence = None
            out.append(_blank(no))
            continue
        if fence is not None and not in_comment:
            if fences.closes_later(no, fence):
                open_fence = fence
            out.append(_blank(no))
            continue
        lo, indent = _indentation(s, col)
        while lo < len(s) and s[lo].isspace():  # NBSP, NEL and friends: blank, but not indentation
            lo += 1
        hi = len(s.rstrip())
        if in_comment or "<!--" in s:
            lo, hi, in_comment = _comment_window(s, lo, hi, in_comment, no < last_close)
        out.append(_Line(no, lo, hi, indent, depth, s[lo:hi]) if hi > lo else _blank(no))
    return out
