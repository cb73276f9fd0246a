"""Line classification for the brag splitter: headings, labels, rules, titles, log prefixes."""

from __future__ import annotations

import unicodedata

from .lines import (
    _Line,
)
from .sentences import (
    _sentence_spans,
)
from .vocab import (
    _ALNUM,
    _BULLET_CHARS,
    _CELL_SPLIT,
    _CHAT_HEADER,
    _CHECKBOX,
    _CLOSERS,
    _CONTINUATION_CHARS,
    _CONTINUATION_WORDS,
    _EMOJI_JOINERS,
    _HTML_TAG_LINE,
    _IMAGE_ONLY,
    _LABEL_MAX,
    _LINK_DEFINITION,
    _LOG_PREFIX,
    _OPENERS,
    _ORDERED,
    _PAST_VERBS,
    _PREFIX_WINDOW,
    _PROMPT_WORDS,
    _TABLE_SEP_CELL,
    _TERMINAL,
    _reduce,
)


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
    return bool(_HTML_TAG_LINE.fullmatch(text) or _LINK_DEFINITION.fullmatch(text) or _IMAGE_ONLY.fullmatch(text))


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
        symbol = ch in _BULLET_CHARS or (not ch.isascii() and unicodedata.category(ch) in ("So", "Sm", "Sk"))
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
