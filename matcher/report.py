"""The match report and its exports (dict/JSON, Markdown, CSV, pandas, plain text).

The JSON field names are a public contract: later versions add fields, never rename them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .text import printable

__all__ = ["Match", "PillarCoverage", "Report", "StatementResult", "UnitResult", "json_line"]

STRENGTHS = ("strong", "partial", "possible", "none")
# Unit signals (matcher.brag) that say an item is not work done, and how a report says so. The
# scorer holds such items below the line (matcher.scoring.NOT_WORK_DONE).
HELD_REASONS = {
    "section:goals": "a goal or plan",
    "section:talks": "a talk, course or reading",
    "section:personal": "outside work",
    "section:feedback": "feedback received",
    "future": "future tense",
    "conditional": "not decided yet",
    "question": "a question",
    "todo": "a to-do",
}


def held_reason(signals: tuple[str, ...] | frozenset[str]) -> str:
    """Why an item is not counted as evidence of work done ("" when it is not held)."""
    return ", ".join(HELD_REASONS[s] for s in sorted(signals) if s in HELD_REASONS)


@dataclass(frozen=True)
class Match:
    """One ranked candidate statement for a unit."""

    statement_id: str
    statement: str
    pillar: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "statement_id": self.statement_id,
            "statement": self.statement,
            "pillar": self.pillar,
            "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class UnitResult:
    """An accomplishment unit, its top candidate statements and the statements it evidences."""

    id: str
    text: str
    line: int
    section: str
    matches: tuple[Match, ...]
    evidences: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # The item's last source line (an item may span wrapped and continuation lines), and the
    # splitter's signals (e.g. "section:goals", "future"): why an item may be held below the line.
    end_line: int = 0
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "line": self.line,
            "end_line": self.end_line or self.line,
            "section": self.section,
            "signals": list(self.signals),
            "matches": [m.to_dict() for m in self.matches],
            "evidences": list(self.evidences),
            **self.extra,
        }


@dataclass(frozen=True)
class StatementResult:
    """How well one statement is evidenced by the document."""

    id: str
    pillar: str
    text: str
    strength: str
    score: float
    evidence: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # The unit with the best score for this statement, evidence or not ("" for an empty document).
    closest: str = ""

    @property
    def covered(self) -> bool:
        """Strong or partial; a "possible" statement is not covered."""
        return self.strength in ("strong", "partial")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pillar": self.pillar,
            "text": self.text,
            "strength": self.strength,
            "score": round(float(self.score), 4),
            "evidence": list(self.evidence),
            "closest": self.closest,
            **self.extra,
        }


@dataclass(frozen=True)
class PillarCoverage:
    name: str
    covered: int
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "covered": self.covered, "total": self.total}


@dataclass(frozen=True)
class Report:
    """Everything evidence-matcher says about one document against one ladder."""

    ladder: dict[str, str]
    units: tuple[UnitResult, ...]
    statements: tuple[StatementResult, ...]
    pillars: tuple[PillarCoverage, ...]
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def uncovered(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.statements if not s.covered)

    @property
    def unmatched_units(self) -> tuple[str, ...]:
        return tuple(u.id for u in self.units if not u.evidences)

    @property
    def coverage(self) -> float:
        """Share of statements with any evidence."""
        return (len(self.statements) - len(self.uncovered)) / len(self.statements) if self.statements else 0.0

    def unit(self, unit_id: str) -> UnitResult:
        return next(u for u in self.units if u.id == unit_id)

    def statement(self, statement_id: str) -> StatementResult:
        return next(s for s in self.statements if s.id == statement_id)

    # -- exports -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "ladder": dict(self.ladder),
            "units": [u.to_dict() for u in self.units],
            "statements": [s.to_dict() for s in self.statements],
            "pillars": [p.to_dict() for p in self.pillars],
            "uncovered": list(self.uncovered),
            "unmatched_units": list(self.unmatched_units),
            "meta": dict(self.meta),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return _json_text(self.to_dict(), indent) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """The report `to_dict` wrote (e.g. a saved or imported one). Fields a unit or statement
        carries beyond the known ones (LLM additions, corrections) go back to its `extra`.
        Raises KeyError or TypeError on data that is not a report."""
        return cls(
            dict(data["ladder"]),
            tuple(_unit_from(u) for u in data["units"]),
            tuple(_statement_from(s) for s in data["statements"]),
            tuple(PillarCoverage(str(p["name"]), int(p["covered"]), int(p["total"])) for p in data["pillars"]),
            dict(data.get("meta") or {}),
        )

    def csv_rows(self) -> list[dict[str, Any]]:
        """One row per unit x evidenced statement, plus one row for each unit with none."""
        by_id = {s.id: s for s in self.statements}
        rows: list[dict[str, Any]] = []
        for u in self.units:
            scores = {m.statement_id: m.score for m in u.matches}
            base = {"unit_id": u.id, "line": u.line, "section": u.section, "unit": u.text}
            if not u.evidences:
                rows.append({**base, "statement_id": "", "pillar": "", "statement": "", "score": ""})
            for sid in u.evidences:
                s = by_id[sid]
                rows.append(
                    {
                        **base,
                        "statement_id": sid,
                        "pillar": s.pillar,
                        "statement": s.text,
                        "score": round(float(scores.get(sid, 0.0)), 4),
                    }
                )
            if self._has_llm():
                for row in rows[len(rows) - max(1, len(u.evidences)) :]:
                    row["evidence_source"] = u.extra.get("evidence_source", "")
                    row["judge_reason"] = _llm_text(u.extra, "judge")
                    sid = row["statement_id"]
                    row["explanation"] = _llm_text(by_id[sid].extra, "explanation") if sid else ""
        return rows

    def _has_llm(self) -> bool:
        return "llm" in self.meta

    def coaching_rows(self) -> list[dict[str, Any]]:
        """With an LLM, one row per uncovered statement that got coaching (no unit: nothing evidences
        it), so the CSV carries the coaching the other exports show."""
        return [
            {
                "unit_id": "",
                "line": "",
                "section": "",
                "unit": "",
                "statement_id": s.id,
                "pillar": s.pillar,
                "statement": s.text,
                "score": "",
                "evidence_source": "",
                "judge_reason": "",
                "explanation": "",
                "coaching": text,
            }
            for s in self.statements
            if not s.covered and (text := _llm_text(s.extra, "coaching"))
        ]

    def to_csv(self) -> str:
        buf = io.StringIO()
        fields = ["unit_id", "line", "section", "unit", "statement_id", "pillar", "statement", "score"]
        rows = self.csv_rows()
        if self._has_llm():
            fields += ["evidence_source", "judge_reason", "explanation", "coaching"]
            rows += self.coaching_rows()
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", restval="")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_safe(printable(v) if isinstance(v, str) else v) for k, v in row.items()})
        return buf.getvalue()

    def to_frame(self):  # -> pandas.DataFrame; pandas imported lazily, it is slow to import
        import pandas as pd

        return pd.DataFrame(
            self.csv_rows(),
            columns=["unit_id", "line", "section", "unit", "statement_id", "pillar", "statement", "score"],
        )

    def to_markdown(self) -> str:
        return _render_markdown(self)

    def to_text(self) -> str:
        return _render_text(self)


_UNIT_FIELDS = ("id", "text", "line", "end_line", "section", "signals", "matches", "evidences")
_STATEMENT_FIELDS = ("id", "pillar", "text", "strength", "score", "evidence", "closest")


def _unit_from(d: dict[str, Any]) -> UnitResult:
    matches = tuple(
        Match(str(m["statement_id"]), str(m["statement"]), str(m["pillar"]), float(m["score"])) for m in d["matches"]
    )
    return UnitResult(
        str(d["id"]),
        str(d["text"]),
        int(d["line"]),
        str(d.get("section", "")),
        matches,
        tuple(str(x) for x in d["evidences"]),
        extra={k: v for k, v in d.items() if k not in _UNIT_FIELDS},
        end_line=int(d.get("end_line") or d["line"]),
        signals=tuple(str(x) for x in d.get("signals", ())),
    )


def _statement_from(d: dict[str, Any]) -> StatementResult:
    return StatementResult(
        str(d["id"]),
        str(d["pillar"]),
        str(d["text"]),
        str(d["strength"]),
        float(d["score"]),
        tuple(str(x) for x in d["evidence"]),
        extra={k: v for k, v in d.items() if k not in _STATEMENT_FIELDS},
        closest=str(d.get("closest", "")),
    )


def _llm_text(extra: dict[str, Any], key: str) -> str:
    """The text of an LLM addition (`explanation`, `coaching`) or of a unit's judge reason; '' if none."""
    value = extra.get(key)
    if not isinstance(value, dict):
        return ""
    return str(value.get("text") or value.get("reason") or "")


# C1 controls (U+0080-U+009F; U+009B is a terminal's CSI) are valid raw in JSON strings, and
# json.dumps(ensure_ascii=False) leaves them raw: escape them, which changes no value.
_C1 = re.compile("[\x7f-\x9f]")


def _json_text(data: Any, indent: int | None = None) -> str:
    """JSON with non-ASCII kept readable but every control character escaped."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _C1.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def json_line(data: Any) -> str:
    """One JSONL record (a line), safe to print: control characters escaped."""
    return _json_text(data) + "\n"


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formula injection in text cells (a brag line starting with '=')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _md_escape(text: str) -> str:
    # The report is meant to be rendered: keep user text from becoming markup, tables or HTML.
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


def _title(report: Report) -> str:
    lad = report.ladder
    return f"{lad.get('level', '')} {lad.get('title', '')}".strip()


def _render_markdown(r: Report) -> str:
    units = {u.id: u for u in r.units}
    lines = [f"# Evidence report: {_md_escape(_title(r))}", ""]
    covered = len(r.statements) - len(r.uncovered)
    lines += [
        f"**Coverage:** {covered}/{len(r.statements)} statements evidenced "
        f"({len(r.units)} units, {len(r.unmatched_units)} evidence nothing).",
        "",
    ]
    for w in r.meta.get("warnings", []):
        lines += [f"> **Note:** {_md_escape(w)}", ""]
    lines += ["| Pillar | Covered |", "|---|---|"]
    lines += [f"| {_md_escape(p.name)} | {p.covered}/{p.total} |" for p in r.pillars]
    lines.append("")
    for p in r.pillars:
        lines += [f"## {_md_escape(p.name)}", ""]
        for s in (s for s in r.statements if s.pillar == p.name):
            lines.append(f"- **{s.strength}** ({s.score:.2f}{_items(s)}) {_md_escape(s.text)}")
            for uid in s.evidence:
                u = units[uid]
                lines.append(f"  - line {u.line}: {_md_escape(u.text)}")
            if s.strength == "possible" and s.closest in units:
                u = units[s.closest]
                lines.append(f"  - *just below the line, check* line {u.line}: {_md_escape(u.text)}")
            for key, label in (("explanation", "Why (LLM)"), ("coaching", "Evidence to collect (LLM)")):
                if text := _llm_text(s.extra, key):
                    lines.append(f"  - *{label}:* {_md_escape(' '.join(text.split()))}")
        lines.append("")
    if r.uncovered:
        lines += ["## Uncovered statements", ""]
        lines += [f"- {_md_escape(r.statement(sid).text)}" for sid in r.uncovered]
        lines.append("")
    if r.unmatched_units:
        lines += ["## Units that evidence nothing", ""]
        lines += [f"- line {units[u].line}: {_md_escape(units[u].text)}{_held(units[u])}" for u in r.unmatched_units]
        lines.append("")
    # LLM text and warnings come from outside the document's clean-up: no control codes out.
    return printable("\n".join(lines))


def _render_text(r: Report) -> str:
    units = {u.id: u for u in r.units}
    covered = len(r.statements) - len(r.uncovered)
    out = [
        f"{_title(r)} ({r.ladder.get('id', '')})",
        f"Coverage: {covered}/{len(r.statements)} statements evidenced; "
        f"{len(r.units)} units, {len(r.unmatched_units)} evidence nothing",
        "",
    ]
    for w in r.meta.get("warnings", []):
        out += [f"Note: {w}", ""]
    marks = {"strong": "●", "partial": "◐", "possible": "◌", "none": "○"}
    for p in r.pillars:
        out.append(f"{p.name}  {p.covered}/{p.total}")
        for s in (s for s in r.statements if s.pillar == p.name):
            out.append(f"  {marks[s.strength]} {s.strength:<8} {s.score:4.2f}  {_short(s.text, 90)}{_items(s)}")
            for uid in s.evidence[:3]:
                out.append(f"        line {units[uid].line:>3}: {_short(units[uid].text, 80)}")
            if s.strength == "possible" and s.closest in units:
                u = units[s.closest]
                out.append(f"        check line {u.line:>3} (just below the line): {_short(u.text, 60)}")
            if len(s.evidence) > 3:
                out.append(f"        … and {len(s.evidence) - 3} more")
            for key, label in (("explanation", "why (LLM)"), ("coaching", "to collect (LLM)")):
                if text := _llm_text(s.extra, key):
                    out.append(f"        {label}: {_short(' '.join(text.split()), 200)}")
        out.append("")
    if r.unmatched_units:
        out.append("Units that evidence nothing:")
        out += [f"  line {units[u].line:>3}: {_short(units[u].text, 90)}{_held(units[u])}" for u in r.unmatched_units]
    return printable("\n".join(out)).rstrip() + "\n"


def _held(u: UnitResult) -> str:
    reason = held_reason(u.signals)
    return f" ({reason}: not counted)" if reason else ""


def _items(s: StatementResult) -> str:
    """Why a strong statement may show a lower score than a partial one: it has several items."""
    return f" ({len(s.evidence)} items)" if len(s.evidence) > 1 else ""


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
