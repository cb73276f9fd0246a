"""A team's reports against one ladder: the statements × people matrix, gaps, per-person coverage.

Plain pandas and Altair (no Streamlit), built only from Reports: no scoring happens here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

import altair as alt
import pandas as pd

from ..report import Report, StatementResult
from .safe import short
from .views import STRENGTHS, closest_unit, evidence, statement_text, strength_scale

# A symbol in each heatmap cell besides its colour, and the text colour that reads on that colour.
STRENGTH_SYMBOLS = {"strong": "●", "partial": "◐", "possible": "◌", "none": "○"}
SYMBOL_COLORS = {"strong": "#ffffff", "partial": "#1b1f24", "possible": "#1b1f24", "none": "#3d4450"}
GAP_MARK = "⚑ "

__all__ = ["Team", "person_names"]

# Pixels for the people columns of the heatmap (the statement labels take about 360 more).
HEATMAP_WIDTH = 520


def person_names(file_names: Sequence[str]) -> list[str]:
    """A person's name from each file name (`alice-h1.md` → `alice-h1`), made unique."""
    seen: dict[str, int] = {}
    out = []
    for raw in file_names:
        name = PurePath(raw.replace("\\", "/")).stem.strip() or "document"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _csv_cell(value: object) -> object:
    # A file name or statement starting with '=' must not run as a spreadsheet formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@dataclass(frozen=True)
class Team:
    """Reports of several people against the same ladder, in upload order."""

    people: tuple[str, ...]
    reports: tuple[Report, ...]

    @property
    def statements(self) -> tuple[StatementResult, ...]:
        return self.reports[0].statements if self.reports else ()

    def _who(self, statement_id: str) -> list[str]:
        return [p for p, r in zip(self.people, self.reports, strict=True) if r.statement(statement_id).covered]

    def matrix(self) -> pd.DataFrame:
        """One row per statement (ladder order), one strength column per person."""
        rows = []
        for s in self.statements:
            row = {"id": s.id, "pillar": s.pillar, "statement": s.text}
            for p, r in zip(self.people, self.reports, strict=True):
                row[p] = r.statement(s.id).strength
            row["people evidencing"] = len(self._who(s.id))
            rows.append(row)
        return pd.DataFrame(rows, columns=["id", "pillar", "statement", *self.people, "people evidencing"])

    def evidence_lines(self, person: str, statement_id: str) -> list[str]:
        """The lines of `person`'s document evidencing a statement (`line N · score · text`)."""
        r = self.reports[self.people.index(person)]
        return [e.plain() for e in evidence(r, r.statement(statement_id))]

    def closest_line(self, person: str, statement_id: str) -> str:
        """The line of `person`'s document nearest a statement it does not evidence ('' if none)."""
        near = closest_unit(self.reports[self.people.index(person)], statement_id)
        return f"line {near.line} · {near.score:.2f} · {near.text}" if near else ""

    def full_matrix(self) -> pd.DataFrame:
        """The matrix with each person's strength, score and evidencing lines (for the CSV)."""
        rows = []
        for s in self.statements:
            row: dict[str, object] = {"id": s.id, "pillar": s.pillar, "statement": statement_text(s)}
            for p, r in zip(self.people, self.reports, strict=True):
                result = r.statement(s.id)
                row[f"{p}: strength"] = result.strength
                row[f"{p}: score"] = f"{result.score:.2f}"
                row[f"{p}: evidence"] = "\n".join(self.evidence_lines(p, s.id))
            row["people evidencing"] = len(self._who(s.id))
            rows.append(row)
        return pd.DataFrame(rows)

    def to_csv(self) -> str:
        """`full_matrix` as CSV, starting with a byte order mark so that Excel reads UTF-8."""
        frame = self.full_matrix()
        buf = io.StringIO()
        buf.write("\ufeff")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([_csv_cell(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            writer.writerow([_csv_cell(v) for v in row])
        return buf.getvalue()

    def statement_rows(self) -> pd.DataFrame:
        """The heatmap's rows in full: label, pillar, statement text and how many people evidence it."""
        labels = self.labels()
        rows = [
            {
                "Row": labels[s.id],
                "Pillar": s.pillar,
                "Statement": statement_text(s),
                "People evidencing": f"{len(self._who(s.id))} of {len(self.people)}",
            }
            for s in self.statements
        ]
        return pd.DataFrame(rows, columns=["Row", "Pillar", "Statement", "People evidencing"])

    def labels(self) -> dict[str, str]:
        """Axis labels: short text, the count of people evidencing it, and a flag on gap rows."""
        out = {}
        for sid, label in _unique_labels(self.statements).items():
            n = len(self._who(sid))
            out[sid] = f"{GAP_MARK if n == 0 else ''}{label} · {n}/{len(self.people)}"
        return out

    def nobody(self) -> pd.DataFrame:
        """Statements no one on the team evidences: the team-level gaps."""
        rows = [{"Pillar": s.pillar, "Statement": statement_text(s)} for s in self.statements if not self._who(s.id)]
        return pd.DataFrame(rows, columns=["Pillar", "Statement"])

    def only_one(self) -> pd.DataFrame:
        """Statements exactly one person evidences: a single point of failure."""
        rows = [
            {"Pillar": s.pillar, "Statement": statement_text(s), "Person": who[0]}
            for s in self.statements
            if len(who := self._who(s.id)) == 1
        ]
        return pd.DataFrame(rows, columns=["Pillar", "Statement", "Person"])

    def coverage(self) -> pd.DataFrame:
        """Per person: statements evidenced (strong or partial), strong ones, and the share (%)."""
        rows = []
        for p, r in zip(self.people, self.reports, strict=True):
            covered = len(r.statements) - len(r.uncovered)
            rows.append(
                {
                    "Person": p,
                    "Evidenced": covered,
                    "Strong": sum(1 for s in r.statements if s.strength == "strong"),
                    "Coverage": 100 * covered / len(r.statements) if r.statements else 0.0,
                    "Lines": len(r.units),
                }
            )
        return pd.DataFrame(rows, columns=["Person", "Evidenced", "Strong", "Coverage", "Lines"])

    def heatmap(self) -> alt.FacetChart:
        """Statements (rows, grouped by pillar) × people (columns): colour and a symbol by strength,
        the full statement on hover; a cell can be selected (`cell`: person and statement id)."""
        labels = self.labels()
        long = pd.DataFrame(
            [
                {
                    "person": p,
                    "id": s.id,
                    "pillar": s.pillar,
                    "label": labels[s.id],
                    "statement": statement_text(s),
                    "strength": r.statement(s.id).strength,
                    "symbol": STRENGTH_SYMBOLS[r.statement(s.id).strength],
                    "ink": SYMBOL_COLORS[r.statement(s.id).strength],
                    "score": round(float(r.statement(s.id).score), 2),
                }
                for s in self.statements
                for p, r in zip(self.people, self.reports, strict=True)
            ]
        )
        pillars = list(dict.fromkeys(s.pillar for s in self.statements))
        cell = alt.selection_point(name="cell", fields=["person", "id"], on="click", clear="dblclick")
        x = alt.X(
            "person:N",
            sort=list(self.people),
            title=None,
            axis=alt.Axis(
                orient="top",
                labelAngle=_label_angle(self.people),
                labelOverlap=False,
                labelLimit=140,
                labelFontSize=12,
                labelColor=AXIS_TEXT,
            ),
        )
        y = alt.Y(
            "label:N",
            sort=[labels[s.id] for s in self.statements],
            title=None,
            axis=alt.Axis(labelLimit=400, labelFontSize=12, labelColor=AXIS_TEXT),
        )
        tooltip = ["person:N", "pillar:N", "statement:N", "strength:N", "score:Q"]
        rect = (
            alt.Chart()
            .mark_rect(stroke="white", strokeWidth=2, cornerRadius=3, cursor="pointer")
            .encode(
                x=x,
                y=y,
                color=alt.Color(
                    "strength:N",
                    scale=strength_scale(),
                    sort=list(STRENGTHS),
                    legend=alt.Legend(orient="bottom", title=None, labelColor=AXIS_TEXT, labelExpr=LEGEND_LABELS),
                ),
                opacity=alt.condition(cell, alt.value(1.0), alt.value(0.55)),
                tooltip=tooltip,
            )
            .add_params(cell)
        )
        text = (
            alt.Chart()
            .mark_text(fontSize=13)
            .encode(
                x=x,
                y=y,
                text="symbol:N",
                color=alt.Color("ink:N", scale=None),  # literal colours: the cells' scale stays their own
                tooltip=tooltip,
            )
        )
        layer = alt.layer(rect, text, data=long).properties(
            width=alt.Step(_column_step(len(self.people))), height=alt.Step(24)
        )
        return (
            layer.facet(
                row=alt.Row(
                    "pillar:N",
                    sort=pillars,
                    title=None,
                    header=alt.Header(
                        labelAngle=0,
                        labelAlign="left",
                        labelAnchor="start",
                        labelOrient="top",
                        labelFontSize=14,
                        labelFontWeight="bold",
                        labelPadding=4,
                        labelColor=AXIS_TEXT,
                    ),
                )
            )
            .resolve_scale(y="independent")
            .configure_facet(spacing=10)
            .configure_axis(labelColor=AXIS_TEXT, titleColor=AXIS_TEXT)
            .configure_legend(labelColor=AXIS_TEXT)
            .properties(description=self.description())
        )

    def description(self) -> str:
        """What the heatmap shows, in words (its accessible name)."""
        nobody = len(self.nobody())
        return (
            f"Heatmap of {len(self.statements)} statements by {len(self.people)} people "
            f"({', '.join(self.people)}): ● strong, ◐ partial, ○ none. {nobody} statements nobody evidences."
        )


# Chart text as dark as body text (WCAG AA on white), and legend labels that name the symbol too.
AXIS_TEXT = "#31333f"
LEGEND_LABELS = "datum.label == 'strong' ? '● strong' : datum.label == 'partial' ? '◐ partial' : '○ none'"


def _column_step(people: int) -> int:
    """Cell width: roomy for a few people, narrower so 20+ still fit beside the statement labels."""
    return max(16, min(90, HEATMAP_WIDTH // max(1, people)))


# Roughly the width of one character of a 12 px axis label.
CHAR_PX = 7


def _label_angle(people: Sequence[str]) -> int:
    """Names level when they fit their column, slanted when they would run into each other."""
    widest = max((len(p) for p in people), default=0) * CHAR_PX
    return 0 if widest <= _column_step(len(people)) - 4 else -50


def _unique_labels(statements: Sequence[StatementResult]) -> dict[str, str]:
    """Short axis labels; a ladder can repeat a statement, so repeats get their id appended."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for s in statements:
        label = short(statement_text(s), 64)
        if label in used:
            label = f"{label} ({s.id})"
        used.add(label)
        out[s.id] = label
    return out
