"""Level comparison: how much of the *next* level of a track does a brag document already evidence?

    from matcher.compare import compare_levels, next_level
    from matcher.ladder import load_ladder, load_ladders

    current = load_ladder("ladders/Engineering/Software-Engineering/L4-Lead-Software-Engineer.md")
    nxt = next_level(current, load_ladders(current.path.parent))
    print(compare_levels(text, current, nxt).to_markdown())

Levels come from the ladder's `level` (`L4`, `L1.0`, `IC3`), else from its id or file name. The
next level is the lowest higher level in the same folder; when a folder holds several tracks at
that level (Support: `L5 Principal DevOps Support Engineer` and `L5 Senior Support Manager`), the
one whose title shares most words with the current title wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .errors import LadderError
from .models import Ladder
from .report import Report, StatementResult
from .text import normalize_key

__all__ = [
    "LevelComparison",
    "compare_levels",
    "compare_reports",
    "level_of",
    "next_level",
    "parse_level",
]

_LEVEL = re.compile(r"(?:^|[^a-z0-9])(?:l|ic)[ ]?(\d+(?:\.\d+)?)(?![0-9])", re.I)
# Words that say how senior a role is rather than which track it is on.
_SENIORITY = {
    "junior",
    "graduate",
    "associate",
    "senior",
    "lead",
    "staff",
    "principal",
    "head",
    "chief",
}
_STOPWORDS = {"of", "the", "and", "a", "an", "for", "in"}
# Below this title similarity a candidate is taken to be another track, used only when no
# candidate reaches it (a track that changes name, e.g. Senior Engineering Manager → Director).
_SAME_TRACK = 0.5


def parse_level(value: str) -> float | None:
    """The number of a level found in `value`: `L4` → 4.0, `L1.0` → 1.0, `ic3` → 3.0, else None."""
    m = _LEVEL.search(value or "")
    return float(m.group(1)) if m else None


def level_of(ladder: Ladder) -> float | None:
    """The ladder's level, from its `level` field, else its id, else its file name."""
    for source in (ladder.level, ladder.id, ladder.path.stem if ladder.path else ""):
        level = parse_level(source)
        if level is not None:
            return level
    return None


def _track_words(title: str) -> set[str]:
    words = set(re.findall(r"[a-z0-9]+", title.casefold()))
    return {w for w in words - _SENIORITY - _STOPWORDS if parse_level(w) is None}


def _similarity(a: Ladder, b: Ladder) -> float:
    wa, wb = _track_words(a.title), _track_words(b.title)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def _is_same(a: Ladder, b: Ladder) -> bool:
    if a.path is not None and b.path is not None:
        return a.path.resolve() == b.path.resolve()
    return (a.id, a.level, a.statements) == (b.id, b.level, b.statements)


def _same_folder(a: Ladder, b: Ladder) -> bool:
    return a.path is not None and b.path is not None and a.path.resolve().parent == b.path.resolve().parent


def next_level(ladder: Ladder, candidates: Iterable[Ladder]) -> Ladder | None:
    """The ladder one level above `ladder` among `candidates`, or None.

    Only candidates with statements and a higher level count (a stub such as the L1.0 Graduate
    file, which only points elsewhere, is never a next level). When `ladder` has a path, only
    candidates in its folder count: a folder is a track in the OctopusDeploy layout.
    """
    current = level_of(ladder)
    if current is None:
        return None
    pool = [
        c
        for c in candidates
        if c.statements
        and not _is_same(c, ladder)
        and (lv := level_of(c)) is not None
        and lv > current
        and (ladder.path is None or _same_folder(c, ladder))
    ]
    related = [c for c in pool if _similarity(ladder, c) >= _SAME_TRACK] or pool
    if not related:
        return None
    return min(related, key=lambda c: (level_of(c), -_similarity(ladder, c), str(c.path or c.id)))


# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelComparison:
    """One document matched against the current level and the next one.

    `evidenced` and `not_yet` split the next level's statement ids by whether the document already
    evidences them; `new` holds the next level's statements that the current level does not have
    (compared on normalised text), which are usually the ones a promotion case hinges on.
    """

    current: Report
    next: Report
    evidenced: tuple[str, ...]
    not_yet: tuple[str, ...]
    new: tuple[str, ...]
    warnings: tuple[str, ...] = ()

    @property
    def readiness(self) -> float:
        """Share of the next level's statements the document already evidences."""
        total = len(self.evidenced) + len(self.not_yet)
        return len(self.evidenced) / total if total else 0.0

    @property
    def shares_statements(self) -> bool:
        """Whether the two levels have statements in common. In the OctopusDeploy tracks every
        level is worded afresh, so "new" marks only tell something when this is true."""
        return len(self.new) < len(self.next.statements)

    @property
    def new_evidenced(self) -> tuple[str, ...]:
        new = set(self.new)
        return tuple(sid for sid in self.evidenced if sid in new)

    def to_dict(self) -> dict[str, Any]:
        return {
            "current": _summary(self.current),
            "next": _summary(self.next),
            "readiness": round(self.readiness, 4),
            "evidenced": [self._statement_dict(sid) for sid in self.evidenced],
            "not_yet": [self._statement_dict(sid) for sid in self.not_yet],
            "new": list(self.new),
            "warnings": list(self.warnings),
            "current_report": self.current.to_dict(),
            "next_report": self.next.to_dict(),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        return _render_markdown(self)

    def to_text(self) -> str:
        return _render_text(self)

    def _statement_dict(self, sid: str) -> dict[str, Any]:
        s = self.next.statement(sid)
        return {
            **s.to_dict(),
            "new": sid in self.new,
            "lines": [_line(self.next, uid, sid) for uid in s.evidence],
        }


def _line(report: Report, unit_id: str, statement_id: str) -> dict[str, Any]:
    u = report.unit(unit_id)
    score = next((m.score for m in u.matches if m.statement_id == statement_id), 0.0)
    return {"unit_id": u.id, "line": u.line, "text": u.text, "score": round(float(score), 4)}


def _summary(r: Report) -> dict[str, Any]:
    covered = len(r.statements) - len(r.uncovered)
    return {
        "ladder": dict(r.ladder),
        "covered": covered,
        "total": len(r.statements),
        "coverage": round(r.coverage, 4),
        "pillars": [p.to_dict() for p in r.pillars],
    }


def compare_reports(current: Report, nxt: Report) -> LevelComparison:
    """Build the comparison from two reports of the same document (e.g. from cached Matchers)."""
    current_keys = {normalize_key(s.text) for s in current.statements}
    evidenced = tuple(s.id for s in nxt.statements if s.covered)
    not_yet = tuple(s.id for s in nxt.statements if not s.covered)
    new = tuple(s.id for s in nxt.statements if normalize_key(s.text) not in current_keys)
    warnings = tuple(dict.fromkeys([*current.meta.get("warnings", []), *nxt.meta.get("warnings", [])]))
    return LevelComparison(current, nxt, evidenced, not_yet, new, warnings)


def _require_statements(ladder: Ladder) -> None:
    if not ladder.statements:
        why = f" {ladder.note}" if ladder.note else ""
        raise LadderError(f"{_name(ladder)} has no statements to compare with.{why}")


def compare_levels(text: str, current: Ladder, nxt: Ladder, *, settings: Settings | None = None) -> LevelComparison:
    """Match `text` against `current` and `nxt` and compare.

    Raises LadderError when either ladder has no statements, DocumentTooLarge over the limits.
    """
    from .core import Matcher  # the model stack is heavy; import it only when matching

    _require_statements(current)
    _require_statements(nxt)
    settings = settings or Settings.from_env()
    cur = Matcher.from_ladder(current, settings=settings).match(text)
    return compare_reports(cur, Matcher.from_ladder(nxt, settings=settings).match(text))


# -- rendering -------------------------------------------------------------------------------


def _name(ladder: Ladder | dict[str, str]) -> str:
    if isinstance(ladder, Ladder):
        return f"{ladder.level} {ladder.title}".strip()
    return f"{ladder.get('level', '')} {ladder.get('title', '')}".strip()


def _level_tag(report: Report) -> str:
    return report.ladder.get("level") or "the next level"


def _md_escape(text: str) -> str:
    # Same rule as the report's Markdown: user text must never become markup, links or HTML.
    out = text.replace("\\", "\\\\")
    for ch in "`*_[]<>|#":
        out = out.replace(ch, "\\" + ch)
    return out


def _pillar_rows(c: LevelComparison) -> list[tuple[str, str, str]]:
    """(pillar, current covered/total, next covered/total), pillars of both levels in order."""
    cur = {p.name: f"{p.covered}/{p.total}" for p in c.current.pillars}
    nxt = {p.name: f"{p.covered}/{p.total}" for p in c.next.pillars}
    names = list(dict.fromkeys([*nxt, *cur]))
    return [(n, cur.get(n, "–"), nxt.get(n, "–")) for n in names]


def _closest(report: Report, s: StatementResult) -> tuple[int, float] | None:
    """The line of the unit nearest an unevidenced statement, if any unit ranked it at all."""
    best: tuple[int, float] | None = None
    for u in report.units:
        for m in u.matches:
            if m.statement_id == s.id and (best is None or m.score > best[1]):
                best = (u.line, m.score)
    return best


def _by_pillar(report: Report, ids: tuple[str, ...]) -> list[tuple[str, list[StatementResult]]]:
    wanted = set(ids)
    out: list[tuple[str, list[StatementResult]]] = []
    for p in report.pillars:
        rows = [s for s in report.statements if s.pillar == p.name and s.id in wanted]
        if rows:
            out.append((p.name, rows))
    return out


def _render_markdown(c: LevelComparison) -> str:
    cur, nxt = c.current, c.next
    tag = _md_escape(_level_tag(nxt))
    new = set(c.new) if c.shares_statements else set()
    n_cur = len(cur.statements) - len(cur.uncovered)
    n_new = _new_summary(c, tag)
    lines = [
        f"# Ready for {_md_escape(_name(nxt.ladder))}?",
        "",
        f"**Current level, {_md_escape(_name(cur.ladder))}:** {n_cur}/{len(cur.statements)} statements evidenced.",
        "",
        f"**Next level, {_md_escape(_name(nxt.ladder))}:** "
        f"{len(c.evidenced)}/{len(nxt.statements)} statements already evidenced "
        f"({c.readiness:.0%}){n_new}.",
        "",
    ]
    for w in c.warnings:
        lines += [f"> **Note:** {_md_escape(w)}", ""]
    lines += [f"| Pillar | {_md_escape(_level_tag(cur))} | {tag} |", "|---|---|---|"]
    lines += [f"| {_md_escape(p)} | {a} | {b} |" for p, a, b in _pillar_rows(c)]
    lines.append("")
    lines += [f"## Already evidenced at {tag} ({len(c.evidenced)})", ""]
    for pillar, rows in _by_pillar(nxt, c.evidenced):
        lines += [f"### {_md_escape(pillar)}", ""]
        for s in rows:
            mark = f" *(new at {tag})*" if s.id in new else ""
            lines.append(f"- **{s.strength}** ({s.score:.2f}) {_md_escape(s.text)}{mark}")
            for uid in s.evidence:
                u = nxt.unit(uid)
                lines.append(f"  - line {u.line}: {_md_escape(u.text)}")
        lines.append("")
    lines += [f"## Not yet evidenced at {tag} ({len(c.not_yet)})", ""]
    for pillar, rows in _by_pillar(nxt, c.not_yet):
        lines += [f"### {_md_escape(pillar)}", ""]
        for s in rows:
            mark = f" *(new at {tag})*" if s.id in new else ""
            near = _closest(nxt, s)
            hint = f" — closest: line {near[0]} ({near[1]:.2f})" if near else ""
            lines.append(f"- {_md_escape(s.text)}{mark}{hint}")
        lines.append("")
    return "\n".join(lines)


def _render_text(c: LevelComparison) -> str:
    cur, nxt = c.current, c.next
    tag = _level_tag(nxt)
    new = set(c.new) if c.shares_statements else set()
    n_cur = len(cur.statements) - len(cur.uncovered)
    n_new = _new_summary(c, tag)
    out = [
        f"Ready for {_name(nxt.ladder)}?",
        f"Current level, {_name(cur.ladder)}: {n_cur}/{len(cur.statements)} statements evidenced",
        f"Next level, {_name(nxt.ladder)}: {len(c.evidenced)}/{len(nxt.statements)} already "
        f"evidenced ({c.readiness:.0%}){n_new}",
        "",
    ]
    for w in c.warnings:
        out += [f"Note: {w}", ""]
    width = max((len(p) for p, _, _ in _pillar_rows(c)), default=6)
    out.append(f"{'pillar':<{width}}  {_level_tag(cur):>7}  {tag:>7}")
    out += [f"{p:<{width}}  {a:>7}  {b:>7}" for p, a, b in _pillar_rows(c)]
    out += ["", f"Already evidenced at {tag}:"]
    for pillar, rows in _by_pillar(nxt, c.evidenced):
        out.append(f"  {pillar}")
        for s in rows:
            mark = " [new]" if s.id in new else ""
            out.append(f"    {s.strength:<7} {s.score:4.2f}  {_short(s.text, 90)}{mark}")
            for uid in s.evidence[:2]:
                out.append(f"            line {nxt.unit(uid).line:>3}: {_short(nxt.unit(uid).text, 80)}")
    out += ["", f"Not yet evidenced at {tag}:"]
    for pillar, rows in _by_pillar(nxt, c.not_yet):
        out.append(f"  {pillar}")
        out += [f"    {_short(s.text, 100)}{' [new]' if s.id in new else ''}" for s in rows]
    return "\n".join(out).rstrip() + "\n"


def _new_summary(c: LevelComparison, tag: str) -> str:
    if not c.shares_statements:
        return ""
    return f"; {len(c.new_evidenced)}/{len(c.new)} of the statements new at {tag}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
