"""Pass 2 of the brag splitter: lines into drafts, drafts into Units; the public split_units."""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..models import Unit
from ..text import clean_text
from .classify import (
    _atx_heading,
    _colon_label,
    _date_label,
    _emphasis_label,
    _ends_sentence,
    _first_letter,
    _has_alnum,
    _has_log_prefix,
    _is_chat_header,
    _is_heading_like,
    _is_rule,
    _is_skippable,
    _is_table_separator,
    _is_title,
    _item_offset,
    _looks_wrapped,
    _question_label,
    _row_text,
)
from .lines import (
    _Line,
    _scan_lines,
)
from .sentences import (
    _sentence_spans,
    split_sentences,
)
from .signals import item_signals, section_kinds
from .vocab import (
    _CLOSERS,
    _CONTINUATION_CHARS,
    _CONTINUATION_WORDS,
    _DIGIT,
    _DOC_TITLE,
    _HTML_HEADING,
    _INTERROGATIVES,
    _LABEL_MAX,
    _LOG_LINE_MAX,
    _OPENERS,
    _PERIOD,
    _reduce,
)

log = logging.getLogger(__name__)

FORMS = ("bullet", "paragraph", "sentence", "log", "note", "row")
_LABEL_LEVEL = 7  # labels (bold lines, dates, "Highlights:") nest under every heading level
# Lines of standup notes that head the notes below them (nested under any other label).
_STANDUP_LABELS = frozenset(
    {
        "yesterday",
        "today",
        "tomorrow",
        "blockers",
        "blocked",
        "done",
        "doing",
        "wip",
        "next",
        "last week",
        "this week",
        "next week",
        "next up",
    }
)
_WRAP_LONG = 60  # lines this long throughout a block are a wrapped paragraph's, not notes
_WRAP_MIN = 40  # nobody hard-wraps prose narrower than this: shorter blocks are lists of notes


class _Draft(NamedTuple):
    """Lines that become one unit ("whole", "row") or one unit per sentence ("sentences").

    `form` is the unit form (see `FORMS`), `kinds` the section signals, `parent` the index of the
    draft of the parent item (sub-bullets only) and `unchecked` marks a "[ ]" checkbox item.
    """

    kind: str
    pieces: tuple[_Line, ...]
    section: str
    form: str = "note"
    kinds: frozenset[str] = frozenset()
    parent: int | None = None
    unchecked: bool = False


@dataclass(slots=True)
class _Item:
    pieces: list[_Line]
    indent: int
    quote: int
    section: str
    kinds: frozenset[str]
    parent: int | None
    unchecked: bool
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
            is_entry and (line.indent > group[0].indent or _looks_wrapped(group[-1].text, line.text))
        ):
            group.append(line)  # a plain run goes on, or an entry wraps onto this line
        else:
            if group:
                yield is_entry, group
            group, is_entry = [line], False
    if group:
        yield is_entry, group


def _wraps(prev: str, nxt: str, width: int, lower_wraps: bool = False) -> bool:
    """Whether a plain line break between `prev` and `nxt` is a hard wrap inside prose.

    A line ending in a continuation word or character ("and", "the", ",") is wrapped. Otherwise
    the break is a wrap when the block is wrapped at some width (its longest line, at least
    `_WRAP_MIN`) and the next word would not have fitted on `prev`: that is how editors wrap. A
    lower-case start proves nothing alone (notes dumps are often lower case), only in a block
    whose sentences end mid-line (`lower_wraps`), which notes do not do.
    """
    if lower_wraps and _first_letter(nxt).islower() and not _ends_sentence(prev):
        return True
    tail = prev[-40:].rstrip()
    if tail and (tail[-1] in _CONTINUATION_CHARS or tail.rsplit(None, 1)[-1].lower() in _CONTINUATION_WORDS):
        return True
    if width < _WRAP_MIN:
        return False
    first = nxt[:64].split(None, 1)
    return bool(first) and len(prev) + 1 + len(first[0]) > width


def _note_groups(block: Sequence[_Line]) -> list[list[_Line]] | None:
    """The notes of a block of plain lines (one per line, or per wrapped run of lines), or None
    when the block is one paragraph of prose."""
    if len(block) < 2:
        return None
    texts = [line.text for line in block]
    if all(_ends_sentence(t) for t in texts):
        if all(len(t) <= _LOG_LINE_MAX or len(_sentence_spans(t)) == 1 for t in texts):
            return [[line] for line in block]
        return None
    if any(len(t) > _LOG_LINE_MAX for t in texts):
        return None
    # Editors' wrapping only explains breaks in a block that reads as prose: sentences ending
    # mid-line, a last line closed by a full stop, or every line but the last long. Notes rarely
    # have any of these.
    lower_wraps = any(len(_sentence_spans(t)) > 1 for t in texts)
    prose = (
        lower_wraps
        or (_ends_sentence(texts[-1]) and "?" not in texts[-1][-4:])
        or min(len(t) for t in texts[:-1]) >= _WRAP_LONG
    )
    width = max(len(t) for t in texts) if prose else 0
    groups = [[block[0]]]
    for prev, line in itertools.pairwise(block):
        if _wraps(prev.text, line.text, width, lower_wraps):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups if len(groups) > 1 else None


def _starts_bold(text: str) -> bool:
    return text[:2] in ("**", "__") and text[2:3].strip() != ""


def _bold_groups(block: Sequence[_Line]) -> Iterator[tuple[bool, list[_Line]]]:
    """Split a block at bold-led lines that start a new thought; yields (bold-led, lines)."""
    group: list[_Line] = []
    bold = False
    for line in block:
        if _starts_bold(line.text) and not (group and _wraps(group[-1].text, line.text, 0)):
            if group:
                yield bold, group
            group, bold = [line], True
        else:
            group.append(line)
    if group:
        yield bold, group


def _block_drafts(block: Sequence[_Line], section: str, kinds: frozenset[str], chat: bool) -> list[_Draft]:
    if chat:
        return [_Draft("whole", (line,), section, "note", kinds) for line in block]
    if not any(_has_log_prefix(line.text) for line in block):
        return _plain_drafts(block, section, kinds)
    drafts: list[_Draft] = []
    for is_entry, group in _log_groups(block):
        if is_entry:
            drafts.append(_Draft("whole", tuple(group), section, "log", kinds))
        else:
            drafts.extend(_plain_drafts(group, section, kinds))
    return drafts


def _plain_drafts(block: Sequence[_Line], section: str, kinds: frozenset[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    for bold, group in _bold_groups(block):
        if bold:  # a bold-led paragraph is one item, however many sentences
            drafts.append(_Draft("whole", tuple(group), section, "paragraph", kinds))
            continue
        notes = _note_groups(group)
        if notes is None:
            drafts.append(_Draft("sentences", tuple(group), section, "sentence", kinds))
        else:
            drafts.extend(_Draft("whole", tuple(n), section, "note", kinds) for n in notes)
    return drafts


@dataclass(slots=True)
class _Splitter:
    """Walks the scanned lines once, turning structure into sections and content into drafts."""

    lines: list[_Line]
    section: str = ""
    kinds: frozenset[str] = frozenset()
    drafts: list[_Draft] = field(default_factory=list)
    block: list[_Line] = field(default_factory=list)
    item: _Item | None = None
    chat: bool = False
    next_text: list[int] = field(default_factory=list)
    # (level, section kinds) of the enclosing headings, outermost first; labels are level 7.
    headings: list[tuple[int, frozenset[str]]] = field(default_factory=list)
    # (indent, quote, draft index) of the items a new item may be nested under.
    parents: list[tuple[int, int, int]] = field(default_factory=list)

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
            self.parents.clear()
            return i + 1
        heading = _atx_heading(line)
        if heading is not None:
            self._close_all()
            self._set_section(heading, len(text) - len(text.lstrip("#")))
            return i + 1
        if self._table_starts(i):
            self._close_all()
            self.parents.clear()
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
        self.parents.clear()
        if not self._label(line, i):
            if self.block and self.block[-1].quote != line.quote:
                self._flush_block()
            self.block.append(line)
        return i + 1

    # -- sections and labels --------------------------------------------------------------

    def _set_section(self, text: str, level: int = _LABEL_LEVEL) -> None:
        """Enter section `text`; its signals are those of the nearest enclosing heading or label
        that names a kind ("## Goals" > "**Q1**" keeps "section:goals")."""
        self.section = text
        self.chat = False
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        self.headings.append((level, section_kinds(text)))
        self.kinds = next((k for _, k in reversed(self.headings) if k), frozenset())
        self.parents.clear()

    def _label(self, line: _Line, i: int) -> bool:
        """Handle `line` if it is a label of some kind (it then starts a new section)."""
        text = line.text
        if _is_chat_header(text):
            self._flush_block()
            self.chat = True
            return True
        if len(text) <= 20 and text.rstrip(": ").casefold() in _STANDUP_LABELS:
            self._flush_block()  # "yesterday" / "today:" in standup notes head the lines below
            self._set_section(_reduce(text).rstrip(": "), _LABEL_LEVEL + 1)
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
        return _item_offset(following) is None and (_ends_sentence(following) or len(following.split()) >= 8)

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
        if chars == {"-"} and (len(self.block) > 1 or len(title.text) > 100 or _ends_sentence(title.text)):
            return False  # more likely a rule after a paragraph than a heading
        self.block.pop()
        self._flush_block()
        self._set_section(_reduce(title.text), 1 if "=" in chars else 2)
        return True

    # -- items ----------------------------------------------------------------------------

    def _open_item(self, line: _Line, offset: int, i: int) -> None:
        piece = line.tail(offset)
        parents = self.parents
        while parents and (parents[-1][0] >= line.indent or parents[-1][1] != line.quote):
            parents.pop()
        label = _item_label(piece.text, lambda: self._has_children(line, i))
        if label is not None:
            self._set_section(label)
            return
        pieces = [piece] if piece.text else []
        parent = parents[-1][2] if parents else None
        unchecked = line.text[:offset].rstrip().endswith("[ ]")
        self.item = _Item(pieces, line.indent, line.quote, self.section, self.kinds, parent, unchecked)

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
        # An unindented line straight after an item continues it only when the item was wrapped
        # or is a STAR-style bold-title item (its sentences pasted without indentation), and
        # never when the line is itself a label or a log entry.
        wrapped = _looks_wrapped(item.pieces[-1].text, line.text)
        if not (wrapped or _starts_bold(item.pieces[0].text)) or _has_log_prefix(line.text):
            return None
        if _emphasis_label(line.text) is not None or _is_chat_header(line.text):
            return None
        return item

    def _close_item(self) -> None:
        item = self.item
        if item is not None and item.pieces:
            self.parents.append((item.indent, item.quote, len(self.drafts)))
            self.drafts.append(
                _Draft(
                    "whole",
                    tuple(item.pieces),
                    item.section,
                    "bullet",
                    item.kinds,
                    item.parent,
                    item.unchecked,
                )
            )
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
                self.drafts.append(_Draft("row", (row,), self.section, "row", self.kinds))
            j += 1
        return j

    # -- blocks ---------------------------------------------------------------------------

    def _flush_block(self) -> None:
        if self.block:
            self.drafts.extend(_block_drafts(self.block, self.section, self.kinds, self.chat))
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
    # Date, period and "Title:" parents label their children; any other bold title with
    # children ("- **Billing migration**") is an item of its own (docs/units: the title text).
    maybe = text[0] in "*_" or (len(text) <= 40 and _DIGIT.search(text) and _has_log_prefix(text))
    if not maybe or not has_children():
        return None
    label = _date_label(text)
    if label is not None:
        return label
    label = _emphasis_label(text)
    if label is None:
        return None
    if text.rstrip(_CLOSERS).endswith(":") or _PERIOD.fullmatch(label):
        return label
    return None


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
    unit_of: list[int | None] = []  # draft index -> index of its (first) unit
    for draft in drafts:
        unit_of.append(None)
        parent = unit_of[draft.parent] if draft.parent is not None else None
        for raw, text, first, last in _draft_units(draft, src):
            if not _has_alnum(text):
                continue
            if unit_of[-1] is None:
                unit_of[-1] = len(units)
            sentences = (text,) if draft.kind == "sentences" else tuple(split_sentences(text))
            signals = draft.kinds | item_signals(raw, text, sentences, unchecked=draft.unchecked)
            units.append(
                Unit(
                    id=f"u{len(units) + 1}",
                    text=text,
                    line=first + 1,
                    end_line=last + 1,
                    section=draft.section,
                    raw=raw,
                    parent=parent,
                    sentences=sentences or (text,),
                    signals=signals,
                    form=draft.form,
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
                Unit(
                    id=f"u{len(units) + 1}",
                    text=text,
                    line=no + 1,
                    end_line=no + 1,
                    raw=raw,
                    sentences=(text,),
                )
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
