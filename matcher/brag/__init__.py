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

from .sentences import split_sentences
from .signals import SIGNALS, item_signals, section_kinds
from .split import FORMS, split_units

__all__ = ["FORMS", "SIGNALS", "item_signals", "section_kinds", "split_sentences", "split_units"]
