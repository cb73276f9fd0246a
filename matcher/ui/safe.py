"""Showing user text safely: nothing a user pastes or uploads may become markup, links or HTML."""

from __future__ import annotations

import re
import string

__all__ = ["md_escape", "short"]

_PUNCT = re.compile("([" + re.escape(string.punctuation) + "])")
_WS = re.compile(r"\s+")
# GFM turns bare URLs and e-mail addresses into links *after* escapes are resolved, so escaping
# cannot stop it; an invisible word joiner inside the trigger (`://`, `www.`, `@`) does.
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(\.)|(@)", re.I)
_JOINER = "\u2060"


def md_escape(text: str) -> str:
    """`text` as one line of Markdown that renders as exactly that text, never as markup.

    CommonMark lets any ASCII punctuation be backslash-escaped, so escaping all of it disarms
    emphasis, links, HTML, tables and headings, and also Streamlit's own extensions
    (`:red[...]` directives, `:emoji:` shortcodes, `$math$`). Whitespace is collapsed because a
    newline or a leading indent would start a new block.
    """
    line = _WS.sub(" ", text).strip()
    line = _AUTOLINK.sub(lambda m: _JOINER + m.group(0), line)
    return _PUNCT.sub(r"\\\1", line)


def short(text: str, width: int = 80) -> str:
    """One line, cut to `width` characters with an ellipsis."""
    # Only a bounded head is read: whatever the text's size, a label costs the same.
    rest = text.lstrip()
    head = rest[: max(8 * width, 1024)]
    line = _WS.sub(" ", head).strip()
    if len(line) <= width and len(head) == len(rest):
        return line
    return line[: width - 1].rstrip() + "…"
