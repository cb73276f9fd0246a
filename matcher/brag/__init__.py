"""Split a brag document into accomplishment items (the shared definition: docs/units.md).

A unit is an item: a bullet or numbered item with its wrapped and indented continuation lines
(STAR-style bold-title bullets included; sub-bullets are items of their own, with `parent` set), a
bold-led paragraph, a dated log line, a line of a notes dump, a table body row, or, in a plain
prose paragraph, one sentence. Hard-wrapped prose is joined, never taken for a notes dump.
Headings, labels (bold-only lines, dates, "Highlights:", "yesterday"/"today"), rules, comments,
front matter and code are structure, not units; the nearest heading or label becomes the unit's
`section`.

Each `Unit` carries (see `matcher.models.Unit`): `line`/`end_line` (1-based, inclusive), `raw` (the
exact source text from the first to the last character of the item, list marker excluded),
`section`, `parent` (index of the parent item in the returned list, or None), `sentences`, `form`
(one of `FORMS`: bullet, paragraph, sentence, log, note, row) and `signals`, a frozenset drawn from
`SIGNALS`:

- section kinds, from the nearest enclosing heading or label that names one: ``section:goals``,
  ``section:learning``, ``section:talks``, ``section:personal``, ``section:feedback``,
  ``section:notes`` (vocabulary in `signals.py`);
- the item's own tense and mood, read from the main verb at its start (after a date, a bold title,
  a time phrase, a subject and adverbs), so "Built X that will save Y" is past work:
  ``future`` (will, going to, plan to, want to, next quarter ..., "Goal:"), ``conditional``
  (considering, might, could, thinking about, evaluating whether ...), ``question`` (its first or
  last sentence ends with "?"), ``todo`` (an unchecked "[ ]", a TODO/FIXME/TBD word, "to do:").

The splitter works in two passes over the lines: `_scan_lines` strips what is never content
(front matter, code fences, HTML comments, blockquote markers) and `_Splitter` groups the remaining
lines into drafts, which `_units` turns into `Unit`s. Every step is linear in the input size:
regexes are anchored and bounded, and long lines are only looked at through short prefixes.
"""

from __future__ import annotations

from .sentences import split_sentences
from .signals import SIGNALS, item_signals, section_kinds
from .split import FORMS, split_units

__all__ = ["FORMS", "SIGNALS", "item_signals", "section_kinds", "split_sentences", "split_units"]
