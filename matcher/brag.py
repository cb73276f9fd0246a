"""Split a brag document into accomplishment units.

A unit is one bullet or numbered item (with its continuation lines), one table body row, one
log-style line (dated, timestamped or chat), or one sentence of a prose paragraph. Headings, label
lines, rules, comments, front matter and code are structure, not units; the nearest heading or label
becomes the unit's `section`.

The splitter works in two passes over the lines: `_scan_lines` strips what is never content
(front matter, code fences, HTML comments, blockquote markers) and `_Splitter` groups the remaining
lines into drafts, which `_draft_units` turns into `Unit`s. Every step is linear in the input size:
regexes are anchored and bounded, and long lines are only looked at through short prefixes.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .models import Unit
from .text import clean_text, collapse_ws, reduce_markdown

__all__ = ["split_sentences", "split_units"]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------

# Markdown and quote characters that may wrap the start or end of a word.
_OPENERS = "*_[(`~\"'“‘«"
_CLOSERS = "*_])`~\"'”’»"
_QUOTES = "\"'“‘«"
_TERMINAL = ".!?"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations whose full stop never ends a sentence.
_ABBREVIATIONS = _words(
    "e.g. i.e. vs. v. approx. appr. cf. viz. ca. incl. excl. esp. resp. dr. mr. mrs. ms. mx. "
    "prof. st. ph.d. w.r.t. a.k.a."
)
# Abbreviations that do not end a sentence when a number follows ("No. 5", "approx. 30%").
_BEFORE_NUMBER = _words(
    "no. nos. nr. p. pp. fig. figs. vol. ch. sec. art. ver. rev. est. min. max. avg. c. op. wk. "
    "jan. feb. mar. apr. jun. jul. aug. sep. sept. oct. nov. dec."
)
_DOTTED = re.compile(r"(?:[a-z]\.){2,}")  # u.s., a.m., e.g. written without a known spelling

# A line ending in one of these words (or characters) is wrapped: the next line continues it.
_CONTINUATION_WORDS = _words(
    "a an the and or but nor so to of in on at by for from with without into onto over under "
    "about as than that which who whose whom where when while because since after before until "
    "via per i we my our their his her its is are was were be been has have had will would could "
    "should can then both each every all this these those also not more most very w/"
)
_CONTINUATION_CHARS = ",;:-–—/(&+"

# First words of review-tool prompts ("Describe your biggest accomplishment.").
_PROMPT_WORDS = _words(
    "describe list share explain summarize summarise outline reflect provide tell please give "
    "identify"
)
# Past-tense verbs that start accomplishments, so a short line starting with one is not a title.
_PAST_VERBS = _words(
    "led built ran wrote made took set cut got won drove gave grew hired sold began broke brought "
    "caught chose did found held kept met put read saw sent spent taught told went"
)
_INTERROGATIVES = _words(
    "what how which where when why who whom whose did do does have has had is are was were can "
    "could would should will"
)

_BULLET_CHARS = frozenset("•‣⁃◦·∙▪▫●○◆◇■□►▸▹▻➤➢➔→⇒✓✔✗✘☐☑☒–—")
_EMOJI_JOINERS = frozenset("\ufe0f\ufe0e\u200d\u20e3")

# Limits that keep label checks cheap: a label is a short line.
_LABEL_MAX = 300
_PREFIX_WINDOW = 80
# A line of a non-bulleted block this long with several sentences is prose, not a log entry.
_LOG_LINE_MAX = 250

# ---------------------------------------------------------------------------------------------
# Regexes (all anchored or bounded, so none can backtrack catastrophically)
# ---------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?"
_DATE = (
    rf"(?:{_WEEKDAY},?\s+)?"
    rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}"
    rf"|{_MONTH}\s{_DAY}(?:,?\s\d{{4}})?|{_DAY}\s{_MONTH}(?:,?\s\d{{4}})?)"
    rf"(?:(?:T|\s|,\s)[\[(]?{_TIME}[\])]?)?"
)
# Short forms that only count as a prefix when a separator follows ("Monday: ...", "10/12 - ...").
_WEAK_DATE = rf"(?:{_WEEKDAY}|\d{{1,2}}/\d{{1,2}}|(?:w|wk|week)\s?\d{{1,2}}|day\s?\d{{1,3}})"
_EMPH = r"(?:\*\*|__|\*|_)?"
_NAME = r"[^\W\d_][\w.'’\-]{0,30}(?: [^\W\d_][\w.'’\-]{0,30}){0,3}"
_SPEAKER = r"[^\W\d_][\w.'’\-]{0,30}(?: [^\W\d_][\w.'’\-]{0,30})?"
_LOG_PREFIX = re.compile(
    rf"{_EMPH}[\[(]?(?:"
    rf"(?:{_DATE}|{_TIME})[\])]?{_EMPH}(?=[\s:\-–—|,.)\]]|$)"
    rf"|{_WEAK_DATE}[\])]?{_EMPH}(?=\s*[:\-–—|])"
    rf"|<[\w.\-]{{1,30}}>(?=\s)"  # IRC: <alice> shipped it
    rf"|{_SPEAKER}\s?[\[(]{_TIME}[\])]"  # alice [10:42]: shipped it
    rf")",
    re.IGNORECASE,
)
_CLOCK = rf"(?:(?:today|yesterday)\sat\s|\d{{1,2}}/\d{{1,2}}/\d{{2,4}},?\s)?{_TIME}"
# A chat export's speaker line: "alice  10:42 AM", "Alice Smith — Today at 10:42", "[10:42 AM]",
# "[10:42 AM] Alice Smith" (Teams), "alice 10:42 AM".
_CHAT_HEADER = re.compile(
    rf"(?:{_NAME}(?:\s{{2,}}|\s*[—–\-·|,]\s*|\s*(?=[\[(])|\s(?=(?:today|yesterday)\s)))?"
    rf"[\[(]?{_CLOCK}[\])]?\s*:?"
    rf"|[\[(]{_CLOCK}[\])]\s{_SPEAKER}:?"
    rf"|{_SPEAKER}\s\d{{1,2}}:\d{{2}}\s?[ap]\.?m\.?",
    re.IGNORECASE,
)
# Words that mark a document's first line as its title ("Self review — H1 2026", "Work log 2025").
_DOC_TITLE = re.compile(
    r"\b(?:brag|review|log|journal|diary|accomplishments?|achievements?|highlights|wins|notes|summary"
    r"|self[- ]?(?:review|assessment|evaluation|appraisal)|performance|promotion|impact"
    r"|h[12]|fy\s?\d{2,4}|q[1-4]|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_ORDERED = re.compile(r"(?:\d{1,3}[.)]|\(\d{1,3}\)|[a-z]\))(?=\s|$)")
_CHECKBOX = re.compile(r"\[[ xX✓✔\-~/]\](?=\s|$)")
_TABLE_SEP_CELL = re.compile(r":?-+:?")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_HTML_TAG_LINE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_HTML_HEADING = re.compile(r"<(h[1-6]|summary|strong|b)(?:\s[^<>]*)?>(.*?)</\1>", re.IGNORECASE)
_LINK_DEFINITION = re.compile(r"\[[^\]^][^\]]*\]:\s*\S+(?:\s.*)?")
_IMAGE_ONLY = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_YAML_LINE = re.compile(r"[\w\"'-][^:]*:(?:\s|$)|-\s|#|[\w.-]+\s*=")
_TOKEN = re.compile(r"\S+")
_ALNUM = re.compile(r"[^\W_]")  # what str.isalnum() accepts
_DIGIT = re.compile(r"\d")
# Every rule of reduce_markdown needs one of these: text without them only needs its whitespace
# collapsed. The private-use pair is reduce_markdown's code placeholder; it cannot take it as input.
_MARKDOWN_CHARS = re.compile(r"[`\\\[<*_~" + "\ue000\ue001]")
_BACKTICKS = re.compile(r"`+")
_FENCE = re.compile(r"(`{3,}|~{3,})(.*)")


# ---------------------------------------------------------------------------------------------
# Pass 1: lines as seen through their containers
# ---------------------------------------------------------------------------------------------


class _Line(NamedTuple):  # a tuple: there is one per source line, so it must be cheap to make
    """The content of one source line: `text` is `src[no][start:end]` (empty for a blank line)."""

    no: int  # 0-based source line index
    start: int
    end: int
    indent: int  # visual indentation of the content inside its blockquote, tabs expanded
    quote: int  # blockquote depth
    text: str

    def tail(self, offset: int) -> _Line:
        return _Line(
            self.no, self.start + offset, self.end, self.indent, self.quote, self.text[offset:]
        )


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


def _comment_window(
    s: str, lo: int, hi: int, in_comment: bool, closes_later: bool
) -> tuple[int, int, bool]:
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


# ---------------------------------------------------------------------------------------------
# Line classification
# ---------------------------------------------------------------------------------------------


def _has_alnum(text: str) -> bool:
    return _ALNUM.search(text) is not None


def _ends_sentence(text: str) -> bool:
    core = text[-64:].rstrip(_CLOSERS + " \t")
    while core and not core[-1].isascii() and unicodedata.category(core[-1]) in ("So", "Sk", "Mn"):
        core = core[:-1].rstrip()  # "Shipped it! 🎉" still ends a sentence
    return bool(core) and core[-1] in _TERMINAL + "…"


def _first_letter(text: str) -> str:
    """The first character after markdown openers and quotes ("" if none)."""
    return text[:64].lstrip(_OPENERS)[:1]


def _looks_wrapped(prev: str, nxt: str) -> bool:
    """Whether `nxt` reads as the continuation of a hard-wrapped `prev`."""
    if _first_letter(nxt).islower():
        return True
    tail = prev[-40:].rstrip()
    if not tail:
        return False
    if tail[-1] in _CONTINUATION_CHARS:
        return True
    return tail.rsplit(None, 1)[-1].lower() in _CONTINUATION_WORDS


def _has_log_prefix(text: str) -> bool:
    return _LOG_PREFIX.match(text[:_PREFIX_WINDOW]) is not None


def _is_rule(text: str) -> bool:
    """Horizontal rules, setext-like underlines and other lines with no words at all."""
    return not _has_alnum(text)


def _is_skippable(text: str) -> bool:
    """Structural lines that carry no text: bare HTML tags, link definitions, lone images."""
    if text[0] not in "<[!" or len(text) > _LABEL_MAX:
        return False
    return bool(
        _HTML_TAG_LINE.fullmatch(text)
        or _LINK_DEFINITION.fullmatch(text)
        or _IMAGE_ONLY.fullmatch(text)
    )


def _atx_heading(line: _Line) -> str | None:
    text = line.text
    if line.indent > 3 or not text.startswith("#"):
        return None
    level = len(text) - len(text.lstrip("#"))
    if level > 6 or (level < len(text) and text[level] not in " \t"):
        return None  # "#hashtag", "#1 priority"
    body = text[level:].strip()
    closed = body.rstrip("#")
    if closed != body and (not closed or closed[-1] in " \t"):
        body = closed.strip()
    return _reduce(body)


def _emphasis_label(text: str) -> str | None:
    """A line that is only bold or italic text (`**Projects**`, `__Q3__`, `**Impact:**`)."""
    if len(text) > _LABEL_MAX:
        return None
    t = text.rstrip(": \t")
    for mark in ("**", "__", "*", "_"):
        if len(t) <= 2 * len(mark) or not (t.startswith(mark) and t.endswith(mark)):
            continue
        inner = t[len(mark) : -len(mark)]
        if mark in inner or inner != inner.strip() or not _has_alnum(inner):
            return None
        words = len(inner.split())
        # A whole emphasised sentence is an accomplishment someone highlighted, not a title.
        if _ends_sentence(inner) and inner.rstrip(_CLOSERS)[-1:] != "?" and words > 4:
            return None
        if len(mark) == 1 and words > 8:
            return None
        return _reduce(inner).rstrip(": ")
    return None


def _colon_label(text: str) -> str | None:
    """A title-only line ending with ':' ("Highlights:", "Key results this half:")."""
    if not text.endswith(":") or len(text) > 100:
        return None
    body = text[:-1].strip()
    if not 1 <= len(body.split()) <= 8 or _first_letter(body).islower():
        return None
    if len(_sentence_spans(body)) > 1:
        return None
    return _reduce(body)


def _question_label(text: str) -> str | None:
    """A review-tool question ("What were your biggest accomplishments?") or prompt line."""
    if len(text) > _LABEL_MAX or len(text.split()) > 40:
        return None
    first = _first_letter(text)
    if not (first.isupper() or first.isdigit()):
        return None
    is_question = text.rstrip(_CLOSERS + " ").endswith("?")
    first_word = text.lstrip(_OPENERS).split(None, 1)[0].lower() if text.strip(_OPENERS) else ""
    if not is_question and first_word not in _PROMPT_WORDS:
        return None
    if len(_sentence_spans(text)) > 1:
        return None
    return _reduce(text)


def _date_label(text: str) -> str | None:
    """A line that is only a date or time ("2025-07-07", "Mon 3 March:")."""
    m = _LOG_PREFIX.match(text[:_PREFIX_WINDOW])
    if m is None or text[m.end() :].strip(" \t:-–—|*_.,)]"):
        return None
    return _reduce(text).rstrip(":-–— ")


def _is_heading_like(text: str, max_words: int = 6) -> bool:
    """A short capitalised line without punctuation that does not start like an accomplishment
    ("Areas for growth"; not "Shipped billing v2", "Reduced p95")."""
    if len(text) > 60 or _ends_sentence(text) or text[-1:] in ",;:|" or "|" in text:
        return False
    words = text.strip(_OPENERS + _CLOSERS).split()
    if not 1 <= len(words) <= max_words:
        return False
    first = words[0].strip(_OPENERS + _CLOSERS)
    if not first[:1].isupper() and not first[:1].isdigit():
        return False
    lowered = first.lower()
    if lowered in _PAST_VERBS or (lowered.endswith("ed") and len(lowered) > 4):
        return False
    return not any(w[-1] in _TERMINAL for w in words[:-1])  # one phrase, not "Did X. Then"


def _is_title(text: str) -> bool:
    """A short Title Case or ALL CAPS line without punctuation ("Key Achievements", "Q3 2025")."""
    if not _is_heading_like(text, max_words=5):
        return False
    words = text.strip(_OPENERS + _CLOSERS).split()
    for word in words[1:]:
        core = word.strip(_OPENERS + _CLOSERS + ".,()&")
        if len(core) >= 4 and core[0].isalpha() and not core[0].isupper():
            return False
    return _has_alnum(text)


def _is_chat_header(text: str) -> bool:
    return len(text) <= _PREFIX_WINDOW and _CHAT_HEADER.fullmatch(text) is not None


def _symbol_marker_end(text: str) -> int:
    """Length of a leading emoji or symbol bullet ("•", "✅", "👩‍💻", "1️⃣"), or 0."""
    if text[:1].isdigit() and text[1:2] in ("\ufe0f", "\u20e3"):
        j = 1
        while j < len(text) and text[j] in _EMOJI_JOINERS:
            j += 1
        return j
    j = 0
    while j < len(text) and j < 8:
        ch = text[j]
        symbol = ch in _BULLET_CHARS or (
            not ch.isascii() and unicodedata.category(ch) in ("So", "Sm", "Sk")
        )
        joiner = j > 0 and (ch in _EMOJI_JOINERS or unicodedata.category(ch) in ("Mn", "Me"))
        if not (symbol or joiner):
            break
        j += 1
    return j


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _item_offset(text: str) -> int | None:
    """Where an item's own text starts (after marker, spacing and checkbox); None if not an item."""
    if text[0] in "-*+":
        end = 1
    elif m := _ORDERED.match(text):
        end = m.end()
    else:
        end = _symbol_marker_end(text)
    if end == 0:
        m = _CHECKBOX.match(text)  # "[x] done" without a list marker
        return _skip_blanks(text, m.end()) if m else None
    if end < len(text) and not text[end].isspace():
        return None  # "-5%", "**bold**", "1.5x"
    start = _skip_blanks(text, end)
    if m := _CHECKBOX.match(text, start):
        start = _skip_blanks(text, m.end())
    return start


def _is_table_separator(text: str) -> bool:
    s = text.strip()
    if "|" not in s or "-" not in s:
        return False
    s = s.removeprefix("|").removesuffix("|")
    return all(_TABLE_SEP_CELL.fullmatch(cell.strip()) for cell in s.split("|"))


def _row_text(text: str) -> str:
    """A table row's cells, markdown reduced, joined by " — " (empty cells dropped)."""
    s = text.strip().removeprefix("|")
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    cells = (_reduce(c.replace("\\|", "|")) for c in _CELL_SPLIT.split(s))
    return " — ".join(c for c in cells if c)


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Inline code spans: a backtick run closes at the next run of the same length."""
    runs = [m.span() for m in _BACKTICKS.finditer(text)]
    next_same = [-1] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        size = runs[k][1] - runs[k][0]
        next_same[k] = last.get(size, -1)
        last[size] = k
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(runs):
        j = next_same[k]
        if j < 0:
            k += 1
        else:
            spans.append((runs[k][0], runs[j][1]))
            k = j + 1
    return spans


def _is_abbreviation(word: str, next_start: str) -> bool:
    w = word.lstrip(_OPENERS).lower()
    if w in _ABBREVIATIONS or (len(w) <= 12 and _DOTTED.fullmatch(w)):
        return True
    return next_start[:1].isdigit() and w in _BEFORE_NUMBER


def _is_boundary(token: str, nxt: str) -> bool:
    """Whether a sentence ends after `token` when `nxt` is the next word."""
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in _TERMINAL:
        return False
    start = nxt.lstrip("*_[(`~")
    if not (
        nxt[0] in _QUOTES or start[:1] in _QUOTES or start[:1].isupper() or start[:1].isdigit()
    ):
        return False
    return core[-1] != "." or not _is_abbreviation(core, start)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trimmed of surrounding whitespace."""
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    if not tokens:
        return []
    code = _code_spans(text) if "`" in text else []
    spans: list[tuple[int, int]] = []
    start, ci = tokens[0][0], 0
    for k in range(len(tokens) - 1):
        a, b = tokens[k]
        na, nb = tokens[k + 1]
        # Only the ends of the two words matter, so long tokens are never copied whole.
        token, nxt = text[max(a, b - 24) : b], text[na : min(nb, na + 24)]
        if not _is_boundary(token, nxt):
            continue
        stop = a + len(text[a:b].rstrip(_CLOSERS)) - 1  # the terminal punctuation mark
        while ci < len(code) and code[ci][1] <= stop:
            ci += 1
        if ci < len(code) and code[ci][0] <= stop:
            continue  # "ends" inside inline code
        spans.append((start, b))
        start = na
    spans.append((start, tokens[-1][1]))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences (the rule prose paragraphs of a brag document are split by)."""
    return [text[a:b] for a, b in _sentence_spans(text)]


# ---------------------------------------------------------------------------------------------
# Pass 2: lines into drafts
# ---------------------------------------------------------------------------------------------


class _Draft(NamedTuple):
    """Lines that become one unit ("whole", "row") or one unit per sentence ("sentences")."""

    kind: str
    pieces: tuple[_Line, ...]
    section: str


@dataclass(slots=True)
class _Item:
    pieces: list[_Line]
    indent: int
    quote: int
    section: str
    blank_seen: bool = False


def _log_groups(block: Sequence[_Line]) -> Iterator[tuple[bool, list[_Line]]]:
    """Split a block into log entries (a prefixed line plus its wrapped continuation) and the
    plain runs between them; yields (is_entry, lines)."""
    group: list[_Line] = []
    is_entry = False
    for line in block:
        if _has_log_prefix(line.text):
            if group:
                yield is_entry, group
            group, is_entry = [line], True
        elif (group and not is_entry) or (
            is_entry
            and (line.indent > group[0].indent or _looks_wrapped(group[-1].text, line.text))
        ):
            group.append(line)  # a plain run goes on, or an entry wraps onto this line
        else:
            if group:
                yield is_entry, group
            group, is_entry = [line], False
    if group:
        yield is_entry, group


def _is_per_line(block: Sequence[_Line]) -> bool:
    """Whether a block of plain lines is a list of short entries rather than wrapped prose."""
    if len(block) < 2:
        return False
    texts = [line.text for line in block]
    if all(_ends_sentence(t) for t in texts):
        return all(len(t) <= _LOG_LINE_MAX or len(_sentence_spans(t)) == 1 for t in texts)
    if any(len(t) > _LOG_LINE_MAX for t in texts):
        return False
    if any(_looks_wrapped(prev, nxt) for prev, nxt in itertools.pairwise(texts)):
        return False
    return all(len(_sentence_spans(t)) == 1 for t in texts)  # prose has sentences ending mid-line


def _block_drafts(block: Sequence[_Line], section: str, chat: bool) -> list[_Draft]:
    if chat:
        return [_Draft("whole", (line,), section) for line in block]
    if not any(_has_log_prefix(line.text) for line in block):
        return _plain_drafts(block, section)
    drafts: list[_Draft] = []
    for is_entry, group in _log_groups(block):
        if is_entry:
            drafts.append(_Draft("whole", tuple(group), section))
        else:
            drafts.extend(_plain_drafts(group, section))
    return drafts


def _plain_drafts(block: Sequence[_Line], section: str) -> list[_Draft]:
    if _is_per_line(block):
        return [_Draft("whole", (line,), section) for line in block]
    return [_Draft("sentences", tuple(block), section)]


@dataclass(slots=True)
class _Splitter:
    """Walks the scanned lines once, turning structure into sections and content into drafts."""

    lines: list[_Line]
    section: str = ""
    drafts: list[_Draft] = field(default_factory=list)
    block: list[_Line] = field(default_factory=list)
    item: _Item | None = None
    chat: bool = False
    next_text: list[int] = field(default_factory=list)

    def run(self) -> list[_Draft]:
        n = len(self.lines)
        self.next_text = [n] * n
        following = n
        for i in range(n - 1, -1, -1):
            self.next_text[i] = following
            if self.lines[i].text:
                following = i
        i = 0
        while i < n:
            i = self._step(i)
        self._close_all()
        return self.drafts

    def _step(self, i: int) -> int:
        """Handle line `i`; returns the index of the next line to handle.

        The order matters: an underline must be seen before it reads as a rule or a bullet, a
        rule ("* * *") before it reads as a bullet, and structure before continuation, so that a
        heading or a new bullet always ends the item above it.
        """
        line = self.lines[i]
        text = line.text
        if not text:
            self._flush_block()
            if self.item is not None:
                self.item.blank_seen = True
            return i + 1
        if self._setext(line):
            return i + 1
        if _is_rule(text) or _is_skippable(text):
            self._close_all()
            return i + 1
        heading = _atx_heading(line)
        if heading is not None:
            self._close_all()
            self._set_section(heading)
            return i + 1
        if self._table_starts(i):
            self._close_all()
            return self._table(i)
        offset = _item_offset(text)
        if offset is not None:
            self._close_all()
            self._open_item(line, offset, i)
            return i + 1
        item = self._continued_item(line)
        if item is not None:
            item.pieces.append(line)
            return i + 1
        self._close_item()
        if not self._label(line, i):
            if self.block and self.block[-1].quote != line.quote:
                self._flush_block()
            self.block.append(line)
        return i + 1

    # -- sections and labels --------------------------------------------------------------

    def _set_section(self, text: str) -> None:
        self.section = text
        self.chat = False

    def _label(self, line: _Line, i: int) -> bool:
        """Handle `line` if it is a label of some kind (it then starts a new section)."""
        text = line.text
        if _is_chat_header(text):
            self._flush_block()
            self.chat = True
            return True
        label = _emphasis_label(text) or _html_heading(text)
        if label is None and not self.chat:
            label = self._plain_label(line, i)
        if label is None:
            return False
        self._flush_block()
        self._set_section(label)
        return True

    def _plain_label(self, line: _Line, i: int) -> str | None:
        text = line.text
        if len(text) > _LABEL_MAX:
            return None
        if self.block and not _ends_sentence(self.block[-1].text):
            return None  # mid-paragraph: a wrapped line, whatever it looks like
        label = _date_label(text)
        if label is not None or _has_log_prefix(text):
            return label
        label = _colon_label(text) or _question_label(text)
        if label is None and self._is_document_title(text):
            label = _reduce(text)
        if label is None and not self.block and self._heads_following(text, i):
            label = _reduce(text)
        return label

    def _heads_following(self, text: str, i: int) -> bool:
        """A title line ("Key Achievements") over anything but another title, or a heading-like
        line ("Areas for growth") over prose; a line in a list of such lines is a unit."""
        nxt = self.next_text[i]
        if nxt >= len(self.lines):
            return False
        following = self.lines[nxt].text
        if _is_title(text):
            return not _is_title(following)
        if not _is_heading_like(text) or _is_heading_like(following):
            return False
        if nxt == i + 1 and _looks_wrapped(text, following):
            return False
        return _item_offset(following) is None and (
            _ends_sentence(following) or len(following.split()) >= 8
        )

    def _is_document_title(self, text: str) -> bool:
        """The first line of a document without markdown headings is usually its title."""
        if self.drafts or self.block or self.section or self.item is not None:
            return False
        if len(text) > 100 or len(text.split()) > 12 or _ends_sentence(text):
            return False
        return _DOC_TITLE.search(text) is not None

    def _setext(self, line: _Line) -> bool:
        """A `===`/`---` underline turns the line above into a heading."""
        if line.text[0] not in "=-" or not self.block:
            return False
        chars = set(line.text.replace(" ", ""))
        if line.indent > 3 or chars not in ({"="}, {"-"}):
            return False
        title = self.block[-1]
        if title.quote != line.quote:
            return False
        if chars == {"-"} and (
            len(self.block) > 1 or len(title.text) > 100 or _ends_sentence(title.text)
        ):
            return False  # more likely a rule after a paragraph than a heading
        self.block.pop()
        self._flush_block()
        self._set_section(_reduce(title.text))
        return True

    # -- items ----------------------------------------------------------------------------

    def _open_item(self, line: _Line, offset: int, i: int) -> None:
        piece = line.tail(offset)
        label = _item_label(piece.text, lambda: self._has_children(line, i))
        if label is not None:
            self._set_section(label)
            return
        pieces = [piece] if piece.text else []
        self.item = _Item(pieces, line.indent, line.quote, self.section)

    def _has_children(self, line: _Line, i: int) -> bool:
        """Whether the next non-blank line is an item nested under the item on `line`."""
        nxt = self.next_text[i]
        if nxt >= len(self.lines):
            return False
        following = self.lines[nxt]
        return (
            following.indent > line.indent
            and following.quote == line.quote
            and _item_offset(following.text) is not None
        )

    def _continued_item(self, line: _Line) -> _Item | None:
        """The open item if `line` continues it, else None."""
        item = self.item
        if item is None or line.quote != item.quote:
            return None
        if line.indent > item.indent:
            return item
        if item.blank_seen or not item.pieces:
            return None
        # An unindented line straight after an item continues it only when the item was wrapped,
        # and never when the line is itself a label or a log entry.
        if not _looks_wrapped(item.pieces[-1].text, line.text) or _has_log_prefix(line.text):
            return None
        if _emphasis_label(line.text) is not None or _is_chat_header(line.text):
            return None
        return item

    def _close_item(self) -> None:
        if self.item is not None and self.item.pieces:
            self.drafts.append(_Draft("whole", tuple(self.item.pieces), self.item.section))
        self.item = None

    # -- tables ---------------------------------------------------------------------------

    def _table_starts(self, i: int) -> bool:
        text = self.lines[i].text
        if "|" not in text:
            return False
        nxt = self.lines[i + 1] if i + 1 < len(self.lines) else None
        if nxt is not None and nxt.quote == self.lines[i].quote and _is_table_separator(nxt.text):
            return True
        return text.startswith("|") and text.count("|") >= 2

    def _table(self, i: int) -> int:
        """Emit one draft per body row; returns the index after the table."""
        quote = self.lines[i].quote
        j = i + 2 if i + 1 < len(self.lines) and _is_table_separator(self.lines[i + 1].text) else i
        while j < len(self.lines):
            row = self.lines[j]
            if not row.text or "|" not in row.text or row.quote != quote:
                break
            if not _is_table_separator(row.text):
                self.drafts.append(_Draft("row", (row,), self.section))
            j += 1
        return j

    # -- blocks ---------------------------------------------------------------------------

    def _flush_block(self) -> None:
        if self.block:
            self.drafts.extend(_block_drafts(self.block, self.section, self.chat))
            self.block = []
            self.chat = False

    def _close_all(self) -> None:
        self._close_item()
        self._flush_block()


def _html_heading(text: str) -> str | None:
    if len(text) > _LABEL_MAX:
        return None
    m = _HTML_HEADING.fullmatch(text)
    return _reduce(m.group(2)) if m else None


def _item_label(text: str, has_children: Callable[[], bool]) -> str | None:
    """An item that titles a group rather than stating an accomplishment, else None."""
    if not text or len(text) > _LABEL_MAX:
        return None
    if text.rstrip(_CLOSERS + " ").endswith("?"):
        words = text.lstrip(_OPENERS).split(None, 1)
        return _reduce(text) if words and words[0].lower() in _INTERROGATIVES else None
    if text.endswith(":"):  # "- Highlights:" announces what follows, with or without nesting
        return _colon_label(text)
    # Bold or date-only parents are titles only when they have children to title.
    maybe = text[0] in "*_" or (len(text) <= 40 and _DIGIT.search(text) and _has_log_prefix(text))
    if not maybe or not has_children():
        return None
    return _emphasis_label(text) or _date_label(text)


# ---------------------------------------------------------------------------------------------
# Drafts into units
# ---------------------------------------------------------------------------------------------


def _strip_comments(text: str) -> str:
    out: list[str] = []
    i = 0
    while True:
        j = text.find("<!--", i)
        k = text.find("-->", j + 4) if j >= 0 else -1
        if k < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        i = k + 3


def _display(content: str) -> str:
    """The unit text: `reduce_markdown` of the content, without HTML comments."""
    return _reduce(_strip_comments(content) if "<!--" in content else content)


def _reduce(content: str) -> str:
    """`reduce_markdown`, made cheap for plain text and safe for its placeholder characters."""
    if _MARKDOWN_CHARS.search(content) is None:
        return collapse_ws(content)  # what reduce_markdown returns, without its dozen passes
    return reduce_markdown(content.replace("\ue000", "").replace("\ue001", ""))


def _source_text(src: Sequence[str], first: tuple[int, int], last: tuple[int, int]) -> str:
    """The exact source text from (line, column) `first` to `last` (end exclusive)."""
    (l0, c0), (l1, c1) = first, last
    if l0 == l1:
        return src[l0][c0:c1]
    return "\n".join([src[l0][c0:], *src[l0 + 1 : l1], src[l1][:c1]])


def _draft_units(draft: _Draft, src: Sequence[str]) -> Iterator[tuple[str, str, int, int]]:
    """(raw, text, first line index, last line index) of each unit of a draft."""
    pieces = draft.pieces
    if draft.kind == "row":
        row = pieces[0]
        yield row.text, _row_text(row.text), row.no, row.no
        return
    first, last = pieces[0], pieces[-1]
    if len(pieces) == 1 and draft.kind == "whole":
        yield first.text, _display(first.text), first.no, first.no  # a piece is its source text
        return
    content = "\n".join(p.text for p in pieces)
    if draft.kind == "whole":
        raw = _source_text(src, (first.no, first.start), (last.no, last.end))
        yield raw, _display(content), first.no, last.no
        return
    offsets = []
    pos = 0
    for p in pieces:
        offsets.append(pos)
        pos += len(p.text) + 1

    def locate(pos: int) -> tuple[int, int]:
        k = bisect.bisect_right(offsets, pos) - 1
        return pieces[k].no, pieces[k].start + pos - offsets[k]

    for a, b in _sentence_spans(content):
        start, end = locate(a), locate(b - 1)
        raw = _source_text(src, start, (end[0], end[1] + 1))
        yield raw, _display(content[a:b]), start[0], end[0]


def _units(drafts: Sequence[_Draft], src: Sequence[str]) -> list[Unit]:
    units: list[Unit] = []
    for draft in drafts:
        for raw, text, first, last in _draft_units(draft, src):
            if not _has_alnum(text):
                continue
            units.append(
                Unit(
                    id=f"u{len(units) + 1}",
                    text=text,
                    line=first + 1,
                    end_line=last + 1,
                    section=draft.section,
                    raw=raw,
                )
            )
    return units


def _fallback_units(src: Sequence[str]) -> list[Unit]:
    """One unit per non-blank line: the degraded split used if the real one hits a bug."""
    units: list[Unit] = []
    for no, line in enumerate(src):
        raw = line.strip()
        text = _reduce(raw)
        if _has_alnum(text):
            units.append(
                Unit(id=f"u{len(units) + 1}", text=text, line=no + 1, end_line=no + 1, raw=raw)
            )
    return units


def _split(src: list[str]) -> list[Unit]:
    """The splitter proper, over the cleaned source lines (no safety net: tests call it)."""
    return _units(_Splitter(_scan_lines(src)).run(), src)


def split_units(text: str) -> list[Unit]:
    """Split a brag document into accomplishment units, in document order (ids u1, u2, ...).

    Line numbers are 1-based and refer to the document after `clean_text` (which keeps line
    breaks: CRLF and CR count as one line break each). Never raises for a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"split_units() takes a str, not {type(text).__name__}")
    src = clean_text(text).removeprefix("\ufeff").split("\n")
    try:
        units = _split(src)
    except Exception:  # a splitter bug must not lose the document: degrade to one unit per line
        log.exception("brag splitter failed; falling back to one unit per line")
        units = _fallback_units(src)
    log.debug("split %d lines into %d units", len(src), len(units))
    return units
