"""A report to hand over: one standalone HTML page (print it, or save it as PDF from the browser)
with the person, ladder, period and date, coverage per pillar, the evidence of each statement and
the gaps. No app chrome, no machine paths; every piece of user or ladder text is HTML-escaped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html import escape

from .gaps import Gap
from .plain import plain_message
from .report import Report
from .text import reduce_markdown

__all__ = ["CSV_BOM", "Handover", "export_stem", "handover_html"]

# Excel reads a CSV as the system code page unless it starts with a UTF-8 byte order mark.
CSV_BOM = "\ufeff"
_SLUG = re.compile(r"[^a-z0-9]+")


def _slug(text: str) -> str:
    return _SLUG.sub("-", reduce_markdown(text).lower()).strip("-")[:60].strip("-")


@dataclass(frozen=True)
class Handover:
    """Who and when the report is for (entered by the user, all optional but the date)."""

    person: str = ""
    period: str = ""
    date: dt.date | None = None

    @property
    def day(self) -> dt.date:
        return self.date or dt.date.today()


def export_stem(report: Report, who: Handover) -> str:
    """`<person>-<ladder>-<date>` (the person left out when not given), safe as a file name."""
    parts = [_slug(who.person), _slug(str(report.ladder.get("id") or "report")) or "report", who.day.isoformat()]
    return "-".join(p for p in parts if p)


_CSS = """
body{font:11pt/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;max-width:50rem;
margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #c9ced6}
h3{font-size:1rem;margin:1rem 0 .3rem}
.meta{color:#3d4450;margin:0 0 1rem}table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #dde1e6}
th{background:#f1f3f5}.strong{color:#1a5c4c;font-weight:600}.partial{color:#8a4b00;font-weight:600}.possible{color:#5b4a1e}
.none{color:#4a515c}ul{margin:.2rem 0 .4rem 1.2rem;padding:0}.quote{font-style:italic}
.gap{break-inside:avoid;border-left:3px solid #8a4b00;padding:.1rem 0 .1rem .7rem;margin:.7rem 0}
footer{margin-top:2rem;color:#3d4450;font-size:.85rem}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr,li{break-inside:avoid}}
"""


def _e(text: object) -> str:
    return escape(" ".join(str(text).split()))


def handover_html(report: Report, who: Handover, gaps: list[Gap] | None = None) -> str:
    """The whole report as one HTML page."""
    lad = report.ladder
    title = f"{lad.get('level', '')} {lad.get('title', '')}".strip() or str(lad.get("id", ""))
    covered = len(report.statements) - len(report.uncovered)
    heading = f"Evidence for {who.person.strip()}" if who.person.strip() else "Evidence report"
    facts = [f"Ladder: {title}"]
    if who.period.strip():
        facts.append(f"Period: {who.period.strip()}")
    facts.append(f"Date: {who.day.isoformat()}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(heading)} · {_e(title)}</title><style>{_CSS}</style></head><body>",
        f'<header><h1>{_e(heading)}</h1><p class="meta">{" · ".join(_e(f) for f in facts)}</p>',
        f"<p><strong>{covered} of {len(report.statements)} statements evidenced</strong> "
        f"({report.coverage:.0%}); {len(report.units)} lines read, {len(report.unmatched_units)} evidence "
        "nothing.</p></header>",
    ]
    notes = dict.fromkeys(plain_message(w) for w in report.meta.get("warnings", []))
    out += [f"<p><em>Note:</em> {_e(w)}</p>" for w in notes]
    out += [
        "<h2>Coverage per pillar</h2>",
        "<table><thead><tr><th>Pillar</th><th>Evidenced</th><th>Strong</th></tr></thead><tbody>",
    ]
    for p in report.pillars:
        if not p.total:
            continue
        strong = sum(1 for s in report.statements if s.pillar == p.name and s.strength == "strong")
        out.append(f"<tr><td>{_e(p.name)}</td><td>{p.covered} of {p.total}</td><td>{strong}</td></tr>")
    out.append("</tbody></table>")
    out.append("<h2>Evidence per statement</h2>")
    for p in report.pillars:
        rows = [s for s in report.statements if s.pillar == p.name]
        if not rows:
            continue
        out += [
            f"<h3>{_e(p.name)}</h3>",
            "<table><thead><tr><th>Strength</th><th>Statement</th>"
            "<th>Evidence (line of the document)</th></tr></thead><tbody>",
        ]
        for s in rows:
            lines = [report.unit(uid) for uid in s.evidence]
            ev = "".join(f"<li>line {u.line}: {_e(u.text)}</li>" for u in lines)
            out.append(
                f'<tr><td class="{s.strength}">{s.strength}</td><td>{_e(reduce_markdown(s.text))}</td>'
                f"<td>{'<ul>' + ev + '</ul>' if ev else '—'}</td></tr>"
            )
        out.append("</tbody></table>")
    if gaps:
        out.append(f"<h2>Gaps ({len(gaps)})</h2>")
        for g in gaps:
            out.append(
                f'<div class="gap"><p><strong>{_e(g.statement)}</strong> <span class="none">'
                f"({_e(g.pillar)})</span></p><ul>"
            )
            if g.closest_line:
                out.append(
                    f'<li>Closest line {g.closest_line}: <span class="quote">“{_e(g.closest_text)}”</span>. '
                    f"{_e(g.why_not)}</li>"
                )
            out.append(f"<li>What would show it: {_e(g.prompt)}</li>")
            if g.coaching:
                out.append(f"<li>Evidence to collect (suggested by an LLM): {_e(g.coaching)}</li>")
            if g.examples:
                out.append(
                    "<li>What evidence of it can look like:<ul>"
                    + "".join(f"<li>{_e(x)}</li>" for x in g.examples)
                    + "</ul></li>"
                )
            out.append("</ul></div>")
    model = report.meta.get("model") or ""
    out.append(
        f"<footer>Made with evidence-matcher{(' (' + _e(model) + ')') if model else ''} on "
        f"{who.day.isoformat()}. Scores of 0.50 and above count as evidence.</footer></body></html>"
    )
    return "\n".join(out)
