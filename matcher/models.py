"""Frozen data classes for ladders and brag-document units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .text import reduce_markdown

__all__ = ["Example", "Ladder", "Pillar", "Statement", "Unit"]


@dataclass(frozen=True)
class Statement:
    """One "I ..." competency statement. `text` is the bullet exactly as written (links kept)."""

    id: str
    text: str
    pillar: str = ""

    @property
    def display(self) -> str:
        """The statement without markdown, for showing to people and for embedding."""
        return reduce_markdown(self.text)


@dataclass(frozen=True)
class Example:
    """One example bullet from a pillar's `<details>` block (or `**Examples:**` list)."""

    text: str

    @property
    def display(self) -> str:
        return reduce_markdown(self.text)


@dataclass(frozen=True)
class Pillar:
    """A `## 🦉 Domain expertise` section: its statements and examples."""

    name: str
    emoji: str = ""
    statements: tuple[Statement, ...] = ()
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class Ladder:
    """One career-ladder document (one level of one track)."""

    id: str
    title: str
    level: str = ""
    pillars: tuple[Pillar, ...] = ()
    blurb: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    path: Path | None = None
    note: str = ""

    @property
    def statements(self) -> tuple[Statement, ...]:
        return tuple(s for p in self.pillars for s in p.statements)

    @property
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for p in self.pillars for e in p.examples)

    def statement(self, statement_id: str) -> Statement:
        for s in self.statements:
            if s.id == statement_id:
                return s
        raise KeyError(statement_id)

    def pillar_of(self, statement_id: str) -> Pillar:
        for p in self.pillars:
            if any(s.id == statement_id for s in p.statements):
                return p
        raise KeyError(statement_id)


@dataclass(frozen=True)
class Unit:
    """One accomplishment unit (item) of a brag document; see docs in `matcher.brag`.

    `text` is the unit with markdown reduced; `raw` is the exact source text it came from (list
    marker excluded), which lies on lines `line`..`end_line` (1-based, inclusive) of the document.
    `section` is the nearest heading or label. `parent` is the index (in the split's list) of the
    item a sub-bullet sits under, else None. `sentences` are the unit's sentences (reduced text,
    `(text,)` for a one-sentence unit). `signals` are drawn from `matcher.brag.SIGNALS` (section
    kind, future / conditional / question / todo). `form` is one of `matcher.brag.FORMS`
    ("" when unknown, e.g. units made by hand).
    """

    id: str
    text: str
    line: int
    end_line: int
    section: str = ""
    raw: str = field(default="", repr=False)
    parent: int | None = None
    sentences: tuple[str, ...] = field(default=(), repr=False)
    signals: frozenset[str] = frozenset()
    form: str = ""
