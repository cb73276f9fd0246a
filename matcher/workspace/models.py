"""What a workspace hands out: people, review cycles, saved reports and the change between cycles.

Frozen values read from the file in one go; nothing here touches the file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..corrections import Correction, apply_corrections
from ..report import Report

__all__ = ["Change", "Cycle", "Person", "SavedReport"]


@dataclass(frozen=True)
class Person:
    """Someone whose documents a workspace keeps (names are unique case-insensitively)."""

    id: int
    name: str
    created_at: str


@dataclass(frozen=True)
class Cycle:
    """A review cycle, e.g. "2026 H2"; cycles are ordered by when the workspace first saw them."""

    id: int
    name: str
    created_at: str


@dataclass(frozen=True)
class SavedReport:
    """A report as saved (`report`, the matcher's own) with the document it was made from.

    `corrections` are the ones made on this report; `applied` are the workspace's corrections for
    its ladder, in the order they were made, which `corrected` applies: a correction sticks to the
    item's text, so one made on another report (an earlier cycle, a teammate) counts here too.
    """

    id: int
    person: str
    cycle: str
    ladder_id: str
    created_at: str
    source: str
    document: str
    report: Report
    corrections: tuple[Correction, ...] = ()
    applied: tuple[Correction, ...] = field(default=(), repr=False, compare=False)
    author: str = ""
    bundle_id: str = ""
    signed_off_by: str = ""
    signed_off_at: str = ""

    @cached_property
    def corrected(self) -> Report:
        """The report with the workspace's corrections for its ladder applied."""
        return apply_corrections(self.report, self.applied)

    @property
    def covered(self) -> tuple[str, ...]:
        """Ids of the statements the corrected report covers (strong or partial), in ladder order."""
        return tuple(s.id for s in self.corrected.statements if s.covered)


@dataclass(frozen=True)
class Change:
    """What a person's latest (corrected) report in `cycle` covers, against their latest in `previous`.

    `previous` is None when the workspace has no earlier cycle; `previous_report_id` is None when the
    person has no report for the ladder in it, and then nothing counts as newly covered or lost.
    Statement ids are in ladder order.
    """

    person: str
    ladder_id: str
    cycle: str
    previous: str | None
    report_id: int | None
    previous_report_id: int | None
    covered: tuple[str, ...] = ()
    newly_covered: tuple[str, ...] = ()
    newly_lost: tuple[str, ...] = ()
    still_covered: tuple[str, ...] = ()

    @property
    def comparable(self) -> bool:
        """Whether there are two reports to compare."""
        return self.report_id is not None and self.previous_report_id is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "person": self.person,
            "ladder_id": self.ladder_id,
            "cycle": self.cycle,
            "previous": self.previous,
            "report_id": self.report_id,
            "previous_report_id": self.previous_report_id,
            "covered": list(self.covered),
            "newly_covered": list(self.newly_covered),
            "newly_lost": list(self.newly_lost),
            "still_covered": list(self.still_covered),
        }
