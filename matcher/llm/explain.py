"""Explain: a short LLM-written reason for each evidenced statement, from its strongest unit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..report import Report, StatementResult
from ..text import reduce_markdown
from .client import LLMBadResponse, LLMClient
from .judge import Counts, clip
from .prompts import EXPLAIN_CHARS, explain_request

__all__ = ["annotate_statements", "explain_report", "parse_text"]

log = logging.getLogger(__name__)


def parse_text(data: dict[str, Any], limit: int) -> str:
    """The answer's "text", clipped to `limit`; LLMBadResponse if missing, empty or not text."""
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise LLMBadResponse(f"the answer has no 'text': {str(data)[:200]!r}")
    return clip(text, limit)


def annotate_statements(
    report: Report,
    todo: list[StatementResult],
    ask: Callable[[StatementResult], str],
    field: Callable[[StatementResult, str], tuple[str, dict[str, Any]]],
    client: LLMClient,
) -> tuple[Report, dict[str, Any]]:
    """Ask the LLM about each statement of `todo` (concurrently) and add `field(s, answer)` to its
    extras; a statement whose request failed is left as it was and counted."""
    results = dict(zip((s.id for s in todo), client.map(ask, todo), strict=True))
    counts = Counts(len(todo))
    statements = []
    for s in report.statements:
        res = results.get(s.id)
        if isinstance(res, str):
            counts.ok()
            key, value = field(s, res)
            statements.append(replace(s, extra={**s.extra, key: value}))
        else:
            if res is not None:
                counts.fail(res)
            statements.append(s)
    return replace(report, statements=tuple(statements)), counts.as_dict()


def explain_report(report: Report, client: LLMClient) -> tuple[Report, dict[str, Any]]:
    """Each evidenced statement gets `explanation: {source, text, unit}`; failures leave it out."""
    # One unit per request, as for the judge: the strongest evidence (statement evidence is sorted).
    units = {u.id: u for u in report.units}

    def ask(s: StatementResult) -> str:
        req = explain_request(reduce_markdown(s.text), units[s.evidence[0]].text)
        reply = client.chat_json(req.messages, req.schema, name=req.name, max_tokens=req.max_tokens, kind="explain")
        return parse_text(reply.data, EXPLAIN_CHARS)

    def field(s: StatementResult, text: str) -> tuple[str, dict[str, Any]]:
        return "explanation", {"source": "llm", "text": text, "unit": s.evidence[0]}

    return annotate_statements(report, [s for s in report.statements if s.evidence], ask, field, client)
