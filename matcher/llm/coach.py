"""Coach: for each uncovered statement, a concrete suggestion of evidence to collect.

Grounded in the ladder's examples for the statement's pillar and in the person's own units that come
closest to the statement (by embedded score), so the advice builds on work they already do.
"""

from __future__ import annotations

import logging
from typing import Any

from ..models import Ladder
from ..report import Report, StatementResult
from ..text import reduce_markdown
from .client import LLMClient
from .explain import annotate_statements, parse_text
from .prompts import COACH_CHARS, coach_request

__all__ = ["RELATED_FLOOR", "RELATED_UNITS", "coach_report", "related_units"]

log = logging.getLogger(__name__)

# The person's units shown to the coach: the closest few, if they come anywhere near the statement.
RELATED_UNITS = 2
RELATED_FLOOR = 0.1


def related_units(report: Report, statement_id: str) -> list[str]:
    """Texts of the units whose top matches include the statement, closest first."""
    scored = [
        (m.score, u.text)
        for u in report.units
        for m in u.matches
        if m.statement_id == statement_id and m.score >= RELATED_FLOOR
    ]
    scored.sort(key=lambda t: -t[0])
    return [text for _, text in scored[:RELATED_UNITS]]


def _examples(ladder: Ladder | None, statement_id: str) -> list[str]:
    if ladder is None:
        return []
    try:
        pillar = ladder.pillar_of(statement_id)
    except KeyError:
        return []
    return [e.display for e in pillar.examples]


def coach_report(report: Report, ladder: Ladder | None, client: LLMClient) -> tuple[Report, dict[str, Any]]:
    """Each uncovered statement gets `coaching: {source, text}`; failures leave it out."""
    todo = [s for s in report.statements if not s.covered]

    def ask(s: StatementResult) -> str:
        req = coach_request(reduce_markdown(s.text), s.pillar, _examples(ladder, s.id), related_units(report, s.id))
        reply = client.chat_json(req.messages, req.schema, name=req.name, max_tokens=req.max_tokens, kind="coach")
        return parse_text(reply.data, COACH_CHARS)

    def field(_s: StatementResult, text: str) -> tuple[str, dict[str, Any]]:
        return "coaching", {"source": "llm", "text": text}

    return annotate_statements(report, todo, ask, field, client)
