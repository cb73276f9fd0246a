"""Read career-ladder markdown files (the OctopusDeploy/People format) into `Ladder` objects.

The format, with the variations the parser accepts::

    # L4: Lead Software Engineer            title; also `# L4 Lead ...` or a bold first line
    > _I am a well-rounded developer ..._   blurb: one or more `>` lines, italic or not
    - **Planning horizon**: 6-12 months     meta (also `**Planning horizon:** 6-12 months`)
    ## 🦉 Domain expertise                  pillar; the emoji may be a `:shortcode:` or missing
    - I am ...                              statement (`-`, `*`, `+` or `1.` bullets)
    - Within my group:                      a bullet ending in ':' with nested bullets is a label:
        - I maintain ...                    its children are the statements, the label is not
    <details><summary>Examples</summary>    examples of the pillar, until `</details>`; a line
    - I led ...                             `**Examples:**` (or an `Examples` heading) starts
    </details>                              examples that run to the next heading

Other decisions:

- Multi-role files (`Product.md`, `Leadership.md`, `Solutions.md`, ...) hold several roles, each a
  `## Role` heading with only a blockquote under it, followed by sub-headings (`###` or whole-line
  bold) that carry the bullets. Each role becomes one pillar named after the role; the bullets of
  all its sub-headings are its statements, in order. The sub-headings themselves and the role's
  blockquote are not kept (`Pillar` has no field for them). A `##` sub-heading that follows a role
  at the same level (as in `Solutions.md`) still belongs to that role.
- In single-role files, pillars are the shallowest headings that carry bullets; deeper headings
  inside a pillar only group its bullets. Headings with no bullets (and no role below them) are
  dropped, as are blockquotes under pillars.
- A pillar headed `What success looks like` (or `Examples`) holds examples only.
- Text between the title and the first pillar that is neither the blurb nor meta (for example
  "This role builds upon ...") goes to `Ladder.note`. A file with no pillars that links to another
  ladder file (the L1.0 Graduate stub) loads as a ladder with no statements and a note naming the
  file it points to; any other file without statements is an error.
- A statement "I encompass all of the qualities listed in [Leadership](...)" gets the bullets of a
  `Leadership.md` in the ladder's folder or a parent folder as extra examples of its pillar. They
  are `InheritedExample` instances (an `Example` that records its source file), so
  `own_examples()` can leave them out.
- Duplicate statements within one pillar are kept and logged as a warning (the same statement in
  two roles of a multi-role file is expected and is not warned about).
- Statement ids are `<pillar-slug>-<n>`, n counting from 1 within the pillar; a pillar whose slug
  repeats an earlier one gets `-2`, `-3`, ... appended to its slug.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from .errors import DocumentError, LadderError, LadderNotFound
from .models import Example, Ladder, Pillar, Statement
from .safeio import Budget, read_limited, within
from .text import clean_text, decode_bytes, normalize_key, reduce_markdown

__all__ = [
    "MAX_LADDER_BYTES",
    "InheritedExample",
    "corpus_dir",
    "load_ladder",
    "load_ladders",
    "own_examples",
    "parse_ladder",
    "resolve_ladders",
]

logger = logging.getLogger(__name__)

MAX_LADDER_BYTES = 5 * 1024 * 1024
"""Ladder files are a few kilobytes; anything this big is a mistake, not a ladder."""


@dataclass(frozen=True)
class InheritedExample(Example):
    """An example a ladder takes from another file (the qualities of `Leadership.md`)."""

    source: str = ""


def own_examples(of: Ladder | Pillar) -> tuple[Example, ...]:
    """The examples written in the ladder itself, without those inherited from `Leadership.md`."""
    return tuple(e for e in of.examples if not isinstance(e, InheritedExample))


# --------------------------------------------------------------------------------------------
# Line patterns
#
# Every pattern runs in time linear in the line: a lazy body followed by an optional run (`.*?`
# then `[ \t]+#+`) or a search that starts with `\s*` rescans the rest of the line for each
# character, which a ladder of long lines turns into minutes. Those cases are string code instead.

_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])[ \t]+(.*)$")
# The key ends on a non-space character, so the `\s*` after it is tried once per word, not once
# per character.
_META = re.compile(r"^\s*(?:[-*+]\s+)?\*\*([^*:]*[^*:\s])\s*(?::\*\*|\*\*\s*:)\s*(\S.*)$")
_QUOTE = re.compile(r"^ {0,3}>[ ]?(.*)$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_HTML_TAG_LINE = re.compile(r"^\s*(?:<[^>]+>\s*)+$")
_DETAILS_OPEN = re.compile(r"<details\b", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
_SHORTCODE = re.compile(r"^:([a-z0-9_+\-]+):(?=\s|$)", re.I)
_TITLE_LEVEL = re.compile(r"^((?:L|IC)\d+(?:\.\d+)?)(?:\s*[:\-–—]\s*|\s+)(\S.*)$", re.I)
_TITLE_TRAILING_LEVEL = re.compile(r"\(((?:L|IC)\d+(?:\.\d+)?)\)$", re.I)  # on rstripped text
_FILE_LEVEL = re.compile(r"^(L\d+(?:\.\d+)?)(?=[-_ .]|$)", re.I)
# Neither part may hold a bracket, so an unclosed `[` or `(` stops at the next opener.
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\(([^()\[\]\s]+)\)")
_ENCOMPASS = re.compile(
    r"encompass(?:es)?\s+all\s+(?:of\s+)?the\s+qualities\s+listed\s+in\s+"
    r"(?:the\s+)?\[?leadership\b(?:\]\(([^)\s]*)\))?",
    re.I,
)
_EXAMPLES_HEADINGS = {"example", "examples", "what success looks like"}
_EXEMPLARS_MARKER = "<!-- evidence-matcher exemplars"


# --------------------------------------------------------------------------------------------
# Scanning: lines → preamble and sections


@dataclass
class _Item:
    indent: int
    first: str
    example: bool
    # Wrapped continuation lines, joined only when the text is read: re-joining the text for
    # every line of a bullet wrapped over many lines would copy it once per line.
    more: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join([self.first, *self.more]) if self.more else self.first


@dataclass
class _Section:
    level: int  # 1-6 for `#` headings, 7 for whole-line bold pseudo-headings
    heading: str
    items: list[_Item] = field(default_factory=list)


@dataclass
class _Preamble:
    """What lies between the title and the first heading."""

    quote: list[list[str]] = field(default_factory=list)  # blockquote paragraphs, as lines
    meta: list[tuple[str, str]] = field(default_factory=list)
    prose: list[list[str] | _Item] = field(default_factory=list)  # paragraphs as lines, or list items


def _atx(line: str) -> tuple[int, str] | None:
    """(level, text) of an ATX heading (`## Text ##`), or None: up to 3 spaces, 1-6 `#`, a space
    or tab, the text; a closing run of `#` after a space or tab is not part of the text."""
    start = len(line) - len(line.lstrip(" "))
    if start > 3:
        return None
    end = start
    while end < len(line) and end - start <= 6 and line[end] == "#":
        end += 1
    level = end - start
    if not 1 <= level <= 6 or end == len(line) or line[end] not in " \t":
        return None
    text = line[end:].strip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and unclosed[-1:] in (" ", "\t"):
        text = unclosed.rstrip(" \t")
    return level, text.strip()


def _heading_of(line: str) -> tuple[int, str] | None:
    """(level, text) of a heading line, or None. Whole-line bold (`**X**`, `***X`) is level 7."""
    atx = _atx(line)
    if atx is not None:
        return atx
    stripped = line.strip()
    if not stripped.startswith("**") or _META.match(line):
        return None
    inner = stripped.lstrip("*").rstrip("*").strip()
    # `**Planning horizon:** 6-12 months` keeps a `**` inside: that is bold text, not a heading.
    if not inner or "**" in inner:
        return None
    return 7, inner


def _is_examples_label(text: str) -> bool:
    """`Examples`, `**Examples:**`, `### Examples`: what starts a list of examples."""
    return reduce_markdown(text).rstrip(":").strip().lower() == "examples"


class _Scanner:
    """A single pass over the body lines, tracking the state that spans lines."""

    def __init__(self) -> None:
        self.preamble = _Preamble()
        self.sections: list[_Section] = []
        self.in_details = False
        self.examples = False  # after `**Examples:**` until the next heading
        self.in_fence = False
        self.in_comment = False
        self.last_item: _Item | None = None
        self.blank_after_item = False
        self.prose_open = False
        self.quote_open = False

    def feed(self, line: str) -> None:
        if self._skip_verbatim(line):
            return
        if not line.strip():
            self._blank()
            return
        heading = _heading_of(line)
        if heading is not None:
            self._heading(*heading)
        elif _DETAILS_OPEN.search(line) or _DETAILS_CLOSE.search(line):
            self._details(line)
        elif _HTML_TAG_LINE.match(line) or _RULE.match(line):
            self._end_blocks()
        elif not _ITEM.match(line) and _is_examples_label(line):
            self._end_blocks()
            self.examples = bool(self.sections)
        elif (quote := _QUOTE.match(line)) is not None:
            self._quote(quote.group(1))
        elif not self.sections and (meta := _META.match(line)) is not None:
            self._end_blocks()
            self.preamble.meta.append((meta.group(1).strip(), meta.group(2).strip()))
        elif (item := _ITEM.match(line)) is not None:
            self._item(item)
        else:
            self._text(line)

    def _skip_verbatim(self, line: str) -> bool:
        """Skip fenced code and HTML comments: neither holds ladder content."""
        if self.in_comment:
            self.in_comment = "-->" not in line
            return True
        if _FENCE.match(line):
            self.in_fence = not self.in_fence
            return True
        if self.in_fence:
            return True
        if line.lstrip().startswith("<!--"):
            self.in_comment = "-->" not in line
            return True
        return False

    def _blank(self) -> None:
        self.blank_after_item = self.last_item is not None
        self.prose_open = False
        self.quote_open = False

    def _end_blocks(self) -> None:
        self.last_item = None
        self.prose_open = False
        self.quote_open = False

    def _heading(self, level: int, text: str) -> None:
        self._end_blocks()
        self.in_details = False
        if self.sections and _is_examples_label(text):
            self.examples = True  # `**Examples:**` or an `### Examples` heading inside a pillar
            return
        self.examples = False
        self.sections.append(_Section(level, text))

    def _details(self, line: str) -> None:
        self._end_blocks()
        if _DETAILS_CLOSE.search(line):
            self.in_details = False
        elif _DETAILS_OPEN.search(line):
            self.in_details = True

    def _quote(self, text: str) -> None:
        self.last_item = None
        self.prose_open = False
        if self.sections:
            return  # a pillar's or role's own blurb: no place for it in Pillar
        if not text.strip():
            self.quote_open = False
        elif self.quote_open:
            self.preamble.quote[-1].append(text.strip())
        else:
            self.preamble.quote.append([text.strip()])
            self.quote_open = True

    def _item(self, m: re.Match[str]) -> None:
        indent = len(m.group(1).expandtabs(4))
        item = _Item(indent, m.group(2).strip(), self.in_details or self.examples)
        self.prose_open = False
        self.quote_open = False
        if self.sections:
            self.sections[-1].items.append(item)
        else:
            self.preamble.prose.append(item)
        self.last_item = item
        self.blank_after_item = False

    def _text(self, line: str) -> None:
        item = self.last_item
        # A wrapped bullet: the next line, or an indented paragraph after a blank line.
        if item is not None and (not self.blank_after_item or _indent(line) >= 2):
            item.more.append(line.strip())
            self.blank_after_item = False
            return
        self.last_item = None
        self.quote_open = False
        if self.sections:
            return  # prose under a pillar ("Success at this level includes ...")
        if self.prose_open:
            para = self.preamble.prose[-1]
            assert isinstance(para, list)  # prose_open is cleared by every list item
            para.append(line.strip())
        else:
            self.preamble.prose.append([line.strip()])
            self.prose_open = True


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


# --------------------------------------------------------------------------------------------
# Title, level and id


def _slug(text: str, max_len: int = 0) -> str:
    """A lowercase ASCII slug; long slugs are cut at a word boundary to stay readable."""
    plain = reduce_markdown(text).replace("'", "").replace("’", "")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    if max_len and len(slug) > max_len:
        slug = slug[: max_len + 1].rsplit("-", 1)[0] or slug[:max_len]
    return slug


def _content_start(lines: list[str]) -> int:
    """Index of the first line after blank lines, YAML front matter and HTML comments."""
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((j for j in range(1, len(lines)) if lines[j].strip() in ("---", "...")), None)
        if end is not None:
            i = end + 1
    while i < len(lines):
        stripped = lines[i].strip()
        if not stripped:
            i += 1
        elif stripped.startswith("<!--"):
            while i < len(lines) and "-->" not in lines[i]:
                i += 1
            i += 1
        else:
            break
    return i


def _find_title(lines: list[str]) -> tuple[int, str] | None:
    """(index, text) of the title: a `# ` heading, or a bold first line as in the CSM ladders.

    A `# ` heading may follow some prose (a badge, a note) but no bullet or other heading.
    """
    start = _content_start(lines)
    if start >= len(lines):
        return None
    heading = _heading_of(lines[start])
    if heading is not None and heading[0] in (1, 7):
        return start, heading[1]
    for i in range(start, len(lines)):
        atx = _atx(lines[i])
        if atx is not None:
            return (i, atx[1]) if atx[0] == 1 else None
        if _ITEM.match(lines[i]) or _heading_of(lines[i]):
            return None
    return None


def _split_title(raw: str, path: Path | None) -> tuple[str, str]:
    """(level, title): the level comes from the title, else the file name, else `(IC4)`."""
    title = reduce_markdown(raw.strip().strip("*_").strip())
    level = ""
    m = _TITLE_LEVEL.match(title)
    if m:
        level, title = m.group(1), m.group(2).strip()
    title = title.rstrip()
    trailing = _TITLE_TRAILING_LEVEL.search(title)
    if trailing:
        title = title[: trailing.start()].strip()
    if not level and path is not None and (fm := _FILE_LEVEL.match(path.stem)):
        level = fm.group(1)
    if not level and trailing:
        level = trailing.group(1)
    return level.upper(), title


# --------------------------------------------------------------------------------------------
# Sections → pillars


def _group_sections(sections: list[_Section]) -> list[list[_Section]]:
    """Group sections into pillars: one group per pillar, its head first (see module docstring)."""
    roles = {s.level for s, nxt in pairwise(sections) if not s.items and nxt.level > s.level}
    groups: list[list[_Section]] = []
    if roles:
        role_level = min(roles)
        for s in sections:
            starts = s.level < role_level or (s.level == role_level and not s.items)
            if starts or not groups:
                groups.append([s])
            else:
                groups[-1].append(s)
        return groups
    with_items = [s.level for s in sections if s.items]
    if not with_items:
        return []
    pillar_level = min(with_items)
    for s in sections:
        if s.level <= pillar_level or not groups:
            groups.append([s])
        else:
            groups[-1].append(s)
    return groups


def _split_emoji(heading: str) -> tuple[str, str]:
    """(emoji, name) of a pillar heading: `🦉 Domain expertise`, `:owl: Domain expertise`."""
    heading = heading.strip()
    m = _SHORTCODE.match(heading)
    if m:
        return m.group(0), heading[m.end() :].strip()
    end = 0
    while end < len(heading) and _is_emoji_char(heading[end]):
        end += 1
    if end and (end == len(heading) or heading[end].isspace()):
        return heading[:end], heading[end:].strip()
    return "", heading


def _is_emoji_char(ch: str) -> bool:
    # Emoji are symbols (So); sequences add joiners, variation selectors and skin tones.
    return ord(ch) > 0x7F and unicodedata.category(ch) in {"So", "Sk", "Mn", "Me", "Cf"}


def _statement_items(items: list[_Item]) -> list[_Item]:
    """Drop group labels: a bullet ending in ':' whose next bullet is nested under it."""
    kept = []
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        is_label = (
            reduce_markdown(item.text).endswith(":")
            and nxt is not None
            and nxt.indent > item.indent
            and nxt.example == item.example
        )
        if not is_label:
            kept.append(item)
    return kept


_WORD_CHAR = re.compile(r"[^\W_]")


def _has_words(text: str) -> bool:
    return _WORD_CHAR.search(reduce_markdown(text)) is not None


def _unique_slug(base: str, taken: dict[str, int]) -> str:
    """`base`, else `base-2`, `base-3`, ...; `taken` remembers where each base's count stopped, so
    many pillars with one name cost one step each, not one per earlier pillar."""
    slug, n = base, taken.get(base, 1)
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken[base] = n
    taken.setdefault(slug, 1)
    return slug


def _pillar_slug(name: str, index: int) -> str:
    # "Run the System: I ensure that ..." reads best as `run-the-system`.
    head = name.split(":", 1)[0] if ":" in name else name
    return _slug(head, max_len=40) or _slug(name, max_len=40) or f"pillar-{index}"


def _emoji_words(emoji: str) -> str:
    """A readable name for a pillar emoji: `:owl:` → `Owl`, 🦉 → `Owl`, '' when there is none."""
    if emoji.startswith(":"):
        words = emoji.strip(":").replace("_", " ").replace("-", " ")
    else:
        words = " ".join(unicodedata.name(ch, "") for ch in emoji if unicodedata.category(ch) == "So")
    words = " ".join(words.split()).lower()
    return words[:1].upper() + words[1:]


def _pillar_name(name: str, emoji: str, index: int, used: dict[str, int]) -> str:
    """A name no earlier pillar has and never empty, because reports, exports and the app group
    statements by pillar name: an emoji-only heading is named after its emoji (else `Pillar n`),
    and a repeated name gets ` (2)`, ` (3)`, ...."""
    base = name or _emoji_words(emoji) or f"Pillar {index}"
    unique, n = base, used.get(base.casefold(), 1)
    while unique.casefold() in used:
        n += 1
        unique = f"{base} ({n})"
    used[base.casefold()] = n
    used.setdefault(unique.casefold(), 1)
    return unique


def _build_pillars(groups: list[list[_Section]]) -> list[Pillar]:
    pillars: list[Pillar] = []
    taken: dict[str, int] = {}
    names: dict[str, int] = {}
    for group in groups:
        emoji, raw_name = _split_emoji(group[0].heading)
        name = reduce_markdown(raw_name)
        # A bullet with no words (`- `, `- **`, `- 🦉`) is no statement or example.
        items = _statement_items([it for s in group for it in s.items if _has_words(it.text)])
        examples_only = name.rstrip(":").lower() in _EXAMPLES_HEADINGS
        statement_items = [] if examples_only else [it for it in items if not it.example]
        example_items = items if examples_only else [it for it in items if it.example]
        if not items:
            continue
        # The slug comes from the heading as written, so statement ids do not change with the
        # display name chosen below.
        slug = _unique_slug(_pillar_slug(name, len(pillars) + 1), taken)
        name = _pillar_name(name, emoji, len(pillars) + 1, names)
        statements = tuple(
            Statement(id=f"{slug}-{n}", text=it.text, pillar=name) for n, it in enumerate(statement_items, start=1)
        )
        examples = tuple(Example(text=it.text) for it in example_items)
        pillars.append(Pillar(name=name, emoji=emoji, statements=statements, examples=examples))
    return pillars


def _warn_duplicates(pillars: list[Pillar], source: str) -> None:
    for p in pillars:
        counts = Counter(normalize_key(s.text) for s in p.statements)
        for s in p.statements:
            if counts.pop(normalize_key(s.text), 0) > 1:
                logger.warning(
                    "%s: statement %r appears more than once in pillar %r; all copies are kept.",
                    source,
                    s.text,
                    p.name,
                )


# --------------------------------------------------------------------------------------------
# Preamble: blurb, meta, note


_ITALIC_WRAP = re.compile(r"^([_*])(?!\1)(.+)\1([.!?]?)$", re.S)


def _unwrap_italic(text: str) -> str:
    m = _ITALIC_WRAP.match(text)
    if m and m.group(1) not in m.group(2):
        return m.group(2).strip() + m.group(3)
    return text


def _blurb(pre: _Preamble) -> str:
    return "\n\n".join(_unwrap_italic(" ".join(p)) for p in pre.quote)


def _prose_texts(pre: _Preamble) -> list[str]:
    """Each preamble paragraph as one line of text; a list item as `- text`."""
    return [f"- {para.text}" if isinstance(para, _Item) else " ".join(para) for para in pre.prose]


def _note(pre: _Preamble) -> str:
    """Preamble prose as paragraphs; consecutive list items stay together as one list."""
    blocks: list[list[str]] = []
    for text in _prose_texts(pre):
        if blocks and text.startswith("- ") and blocks[-1][-1].startswith("- "):
            blocks[-1].append(text)
        else:
            blocks.append([text])
    return "\n\n".join("\n".join(block) for block in blocks)


def _stub_target(pre: _Preamble) -> tuple[str, str] | None:
    """(label, target) of the first link to another markdown file, for pointer stubs."""
    for text in _prose_texts(pre):
        for label, target in _MD_LINK.findall(text):
            if "://" not in target and target.split("#")[0].lower().endswith(".md"):
                return label, target.split("#")[0]
    return None


# --------------------------------------------------------------------------------------------
# Leadership qualities


def _find_leadership(path: Path, link: str | None) -> Path | None:
    """The Leadership file a statement refers to: its relative link, else by name upwards."""
    folder = path.resolve().parent
    if link and "://" not in link:
        target = (folder / link.split("#")[0]).resolve()
        if target.is_file():
            return target
    linked_name = Path(link.split("#")[0]).name if link else ""
    name = linked_name if linked_name.lower().endswith(".md") else "Leadership.md"
    for parent in (folder, *folder.parents):
        found = parent / name
        if found.is_file() and found.resolve() != path.resolve():
            return found
    return None


def _leadership_qualities(leadership: Path) -> tuple[InheritedExample, ...]:
    ladder = _parse(_read_text(leadership), source=str(leadership), path=leadership, inherit=False)
    return tuple(InheritedExample(text=s.text, source=str(leadership)) for s in ladder.statements)


def _attach_leadership(pillars: list[Pillar], path: Path) -> list[Pillar]:
    out = []
    for p in pillars:
        links = [m for s in p.statements if (m := _ENCOMPASS.search(s.text))]
        leadership = _find_leadership(path, links[0].group(1)) if links else None
        if leadership is not None:
            qualities = _leadership_qualities(leadership)
            p = Pillar(p.name, p.emoji, p.statements, p.examples + qualities)
            logger.debug("%s: %d Leadership qualities from %s", path, len(qualities), leadership)
        out.append(p)
    return out


# --------------------------------------------------------------------------------------------
# Parsing


def parse_ladder(text: str, *, source: str = "<string>", path: Path | None = None) -> Ladder:
    """Parse one ladder document. `path` (when known) gives the level from the file name and
    the folder in which to look for `Leadership.md`; `source` names the text in errors.

    Raises LadderError, naming the source and line, when the text is not a ladder.
    """
    if path is not None and source == "<string>":
        source = str(path)
    if len(text) > MAX_LADDER_BYTES:
        raise LadderError(f"{source}: is {len(text):,} characters; ladders over 5 MB are refused.")
    return _parse(clean_text(text), source=source, path=path, inherit=True)


def _parse(text: str, *, source: str, path: Path | None, inherit: bool) -> Ladder:
    """Parse text that `clean_text` has already been through."""
    if not text.strip():
        raise LadderError(f"{source}: is empty; a ladder needs a `# ` title and pillars.")
    if text.lstrip().startswith(_EXEMPLARS_MARKER):
        raise LadderError(f"{source}: is an exemplars file, not a ladder.")
    lines = text.split("\n")
    found = _find_title(lines)
    if found is None:
        line = _content_start(lines) + 1
        # Not a ladder, so possibly not the user's to show (`--ladder /etc/passwd`): name the
        # file and the line, never quote it.
        raise LadderError(
            f"{source}:{line}: no title, so not a ladder: a ladder starts with a `# L4: Title` "
            "heading followed by `## Pillar` headings."
        )
    title_index, raw_title = found
    scanner = _Scanner()
    for line_text in lines[title_index + 1 :]:
        scanner.feed(line_text)
    level, title = _split_title(raw_title, path)
    pillars = _build_pillars(_group_sections(scanner.sections))
    pre = scanner.preamble
    if any(p.statements for p in pillars):
        note = _note(pre)
        _warn_duplicates(pillars, source)
        if inherit and path is not None:
            pillars = _attach_leadership(pillars, path)
    else:
        note = _stub_note(pre, title, f"{source}:{title_index + 1}", bool(pillars))
    return Ladder(
        id=_slug(title) or (_slug(path.stem) if path else "") or "ladder",
        title=title,
        level=level,
        pillars=tuple(pillars),
        blurb=_blurb(pre),
        meta=tuple(pre.meta),
        path=path,
        note=note,
    )


def _stub_note(pre: _Preamble, title: str, where: str, has_pillars: bool) -> str:
    """A ladder without statements is only valid as a pointer to another ladder file."""
    target = _stub_target(pre)
    if has_pillars or target is None:
        what = "pillars but no statements" if has_pillars else "no pillars or statements"
        raise LadderError(
            f"{where}: the ladder {title!r} has {what}. Expected `## Pillar` headings "
            "with `- I ...` bullets (or a link to the ladder this level points to)."
        )
    label, link = target
    return f"No statements of its own: points to {label} ({link})."


# --------------------------------------------------------------------------------------------
# Files and folders


def corpus_dir() -> Path:
    """The shipped ladders: `$MATCHER_CORPUS` if set, else `corpus/` next to the package."""
    from .config import Settings

    configured = Settings.one("corpus_dir")
    return configured if configured is not None else Path(__file__).resolve().parent.parent / "corpus"


_LADDER_BUDGET = Budget(
    MAX_LADDER_BYTES, "ladder files over 5 MB are refused.", error=LadderError, too_large=LadderError, regular_only=True
)


def _read_bytes(path: Path) -> bytes:
    """At most 5 MB of a regular file, whatever its size claims (`/dev/zero` claims 0)."""
    return read_limited(path, _LADDER_BUDGET)


def _file_text(path: Path) -> str:
    """Read, decode and clean a file. DocumentError for binary or non-UTF-8 files."""
    return clean_text(decode_bytes(_read_bytes(path), str(path)))


def _read_text(path: Path) -> str:
    try:
        return _file_text(path)
    except DocumentError as exc:
        raise LadderError(str(exc)) from exc


def _parse_file(path: Path) -> Ladder:
    if path.name.lower().endswith(".exemplars.md"):
        raise LadderError(f"{path}: is an exemplars file, not a ladder.")
    return _parse(_read_text(path), source=str(path), path=path, inherit=True)


_COMPANION = re.compile(
    r"^(readme|license|licence|copying|notice|changelog|contributing|code_of_conduct|authors)"
    r"(\..*)?$",
    re.I,
)
_TEXT_SUFFIXES = {".md", ".markdown", ".mdown", ".txt"}


def _is_candidate(path: Path) -> bool:
    """Files worth opening: markdown, text, and names without an extension (the CSM ladders)."""
    suffix = path.suffix.lower()
    # `L1.0-Graduate` has a "suffix" that is really part of the name.
    return suffix in _TEXT_SUFFIXES or not re.fullmatch(r"\.[a-z0-9]{1,8}", suffix)


def _ladder_files(folder: Path, recursive: bool) -> list[Path]:
    """Candidate files under `folder`, sorted; each real folder is visited once (symlink loops), and
    a symlink that leads out of `folder` is skipped: reading a folder never reads anything else."""
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            st = current.stat()
            if (st.st_dev, st.st_ino) in seen:
                logger.warning("%s: skipped, a symlink back to a folder already read.", current)
                continue
            seen.add((st.st_dev, st.st_ino))
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except OSError as exc:
            raise LadderError(f"{current}: cannot list folder ({exc.strerror or exc}).") from exc
        for entry in entries:
            if entry.name.startswith((".", "__")):
                continue
            path = Path(entry.path)
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file()
                is_link = entry.is_symlink()
            except OSError as exc:
                logger.warning("%s: skipped (%s).", path, exc.strerror or exc)
                continue
            if is_link and (is_dir or is_file) and not within(path, folder):
                logger.warning("%s: skipped, a symlink to %s, outside %s.", path, _link_target(path), folder)
                continue
            if is_dir and recursive:
                pending.append(path)
            elif is_file and _is_candidate(path):
                found.append(path)
            elif not is_dir and not is_file:
                logger.warning("%s: skipped, a broken symlink or not a regular file.", path)
    return sorted(found)


def _link_target(path: Path) -> str:
    try:
        return str(path.resolve(strict=True))
    except (OSError, RuntimeError):
        return "?"


def _load_candidate(path: Path) -> Ladder | None:
    """Load a file found in a folder; None (with a warning) when it is clearly not a ladder."""
    if path.name.lower().endswith(".exemplars.md") or _COMPANION.match(path.name):
        # Exemplar files and companions (Leadership.md) sit beside ladders by design.
        logger.debug("%s: skipped, not a ladder file.", path)
        return None
    try:
        text = _file_text(path)
    except DocumentError as exc:
        logger.warning("%s: skipped, not a text file (%s).", path, exc)
        return None
    if _find_title(text.split("\n")) is None:
        logger.warning("%s: skipped, no `# ` title, so not a ladder.", path)
        return None
    return _parse(text, source=str(path), path=path, inherit=True)


def load_ladders(folder: str | Path | None = None, *, recursive: bool = True) -> list[Ladder]:
    """Every ladder in `folder` (default: the corpus), sorted by path.

    Companions that sit beside ladders by design (README, LICENSE, `*.exemplars.md`) are skipped
    quietly, other files that are clearly not ladders (no title, binary) with a warning; files
    that look like ladders but cannot be parsed raise LadderError.
    """
    root = corpus_dir() if folder is None else Path(folder).expanduser()
    if not root.exists():
        raise LadderNotFound(f"{root}: no such folder.")
    if not root.is_dir():
        raise LadderError(f"{root}: is a file; use load_ladder() for one file.")
    ladders = [ladder for p in _ladder_files(root, recursive) if (ladder := _load_candidate(p))]
    if not ladders:
        logger.warning("%s: no ladder files found.", root)
    ids = Counter(ladder.id for ladder in ladders)
    for ladder_id, n in ids.items():
        if n > 1:
            logger.warning("%s: %d ladders share the id %r.", root, n, ladder_id)
    return ladders


def _loadable(paths: list[Path]) -> Iterator[Ladder]:
    """The ladders among `paths`, passing over (with a warning) files that are broken."""
    for path in paths:
        try:
            ladder = _load_candidate(path)
        except LadderError as exc:
            logger.warning("%s", exc)
            continue
        if ladder is not None:
            yield ladder


def _load_by_id(spec: str) -> Ladder:
    """A corpus ladder by id, file stem or `<level>-<id>` (`L4-Lead-Software-Engineer`)."""
    key = _slug(spec)
    folder = corpus_dir()
    files = _ladder_files(folder, recursive=True) if key and folder.is_dir() else []
    for path in files:
        # The file the id names: its own errors are a better answer than "not found".
        if _slug(path.stem) == key and (ladder := _load_candidate(path)) is not None:
            return ladder
    ladders = list(_loadable(files))
    for ladder in ladders:
        if key in (ladder.id, _slug(f"{ladder.level}-{ladder.id}")):
            return ladder
    ids = sorted({ladder.id for ladder in ladders})
    listed = ", ".join(ids) if ids else f"none (the corpus folder {folder} has no ladders)"
    raise LadderNotFound(f"No ladder with id {spec!r}. Available ids: {listed}. A path to a ladder file works too.")


def _as_path(spec: str | Path) -> Path | None:
    """A path when `spec` names an existing file or folder or looks like a path; else None."""
    if isinstance(spec, Path):
        return spec.expanduser()
    if not spec.strip():
        return None  # Path("") is the current folder, which is not what an empty id means
    path = Path(spec).expanduser()
    looks_like_path = "/" in spec or os.sep in spec or path.suffix.lower() in {".md", ".markdown"}
    return path if path.exists() or looks_like_path else None


def load_ladder(id_or_path: str | Path) -> Ladder:
    """One ladder: a corpus id (`lead-software-engineer`) or the path of a ladder file.

    Raises LadderNotFound for an unknown id or a missing file, LadderError for a folder that does
    not hold exactly one ladder, or a file that is not a ladder.
    """
    path = _as_path(id_or_path)
    if path is None:
        return _load_by_id(str(id_or_path))
    if not path.exists():
        if path.is_symlink():  # exists() follows links: a loop or a dangling link lands here
            try:
                path.stat()
            except OSError as exc:
                raise LadderError(
                    f"{path}: cannot be read, a symlink that leads nowhere ({exc.strerror or exc})."
                ) from exc
        raise LadderNotFound(f"{path}: no such file.")
    if path.is_dir():
        return _single_ladder_in(path)
    return _parse_file(path)


def _single_ladder_in(folder: Path) -> Ladder:
    ladders = load_ladders(folder)
    if len(ladders) == 1:
        return ladders[0]
    names = ", ".join(str(ladder.path) for ladder in ladders[:5]) or "none"
    raise LadderError(
        f"{folder}: is a folder with {len(ladders)} ladders ({names}); "
        "name one file, or use load_ladders() for all of them."
    )


def resolve_ladders(spec: str | Path) -> list[Ladder]:
    """The ladders `spec` names: a corpus id, a ladder file, or a folder of ladders."""
    path = _as_path(spec)
    if path is not None and path.is_dir():
        ladders = load_ladders(path)
        if not ladders:
            raise LadderNotFound(f"{path}: holds no ladder files.")
        return ladders
    return [load_ladder(spec)]
