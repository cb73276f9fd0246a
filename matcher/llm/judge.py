"""The judge: an LLM second opinion on each unit's borderline candidates, combined with embedding.

Combine rule (all scores are the calibrated embedded scores, 0..1, DECIDE = 0.5):

1. Candidates of a unit are its top JUDGE_CANDIDATES matches scoring at least ACCEPT_FLOOR.
2. A unit is sent to the judge only when some candidate scores below KEEP_SCORE, i.e. when the judge
   could change something; one request per unit, carrying only that unit and its candidates.
3. Final evidences = the embedded evidences scoring at least KEEP_SCORE (confident embedding
   decisions stand whatever the judge says)
   + the candidates the judge accepts (which all score at least ACCEPT_FLOOR),
   best score first, at most MAX_EVIDENCES.

So between ACCEPT_FLOOR and KEEP_SCORE the judge decides, above it the embedding does, below it
nothing is evidenced. A unit whose request fails keeps its embedded decision.

Measured with `evidence-matcher eval ../shared/eval/labels.jsonl --docs ../shared/eval/docs --judge`
on the dev set (8 documents, 149 units, 2026-12-02), unit F1 / noise FPR / document F1, each judge
run against the embedding row of the same run (the embedded model moved between runs):
- SmolLM2-135M-Instruct (llama.cpp, json_object + schema): embedding 0.681 / 0.091 / 0.860,
  with the judge 0.611 / 0.545 / 0.878. 111 units judged, 111 calls succeeded, 0 fell back, 81
  units changed. It says yes to nearly everything: unit precision 0.738 -> 0.506, recall 0.632 ->
  0.770.
- simulated judges bounding the rule (embedding 0.679 / 0.136 / 0.843): one that accepts every
  candidate 0.584 / 0.455 / 0.877, one that accepts none 0.348 / 0.000 / 0.378.
So the rule pays off only with a judge much better than chance at rejecting; a small local model
makes unit-level results worse (document recall rises, precision and noise get worse), which is
why the judge is off by default.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..coverage import with_coverage
from ..report import Match, Report, UnitResult
from ..scoring import MAX_EVIDENCES
from ..text import normalize_key, reduce_markdown
from .client import LLMBadResponse, LLMClient
from .prompts import REASON_CHARS, Request, judge_request

__all__ = [
    "ACCEPT_FLOOR",
    "JUDGE_CANDIDATES",
    "KEEP_SCORE",
    "Verdict",
    "candidates_of",
    "combine",
    "judge_report",
    "needs_judge",
    "parse_verdict",
    "rebuild",
]

log = logging.getLogger(__name__)

# At least MAX_EVIDENCES, so every embedded evidence is among the candidates.
JUDGE_CANDIDATES = max(3, MAX_EVIDENCES)
ACCEPT_FLOOR = 0.2
KEEP_SCORE = 0.8

SOURCE_EMBEDDING = "embedding"
SOURCE_COMBINED = "llm+embedding"


@dataclass(frozen=True)
class Verdict:
    """A validated judge answer: statement ids among the candidates, and the model's reason."""

    evidences: tuple[str, ...]
    reason: str
    dropped: tuple[str, ...] = ()


def candidates_of(unit: UnitResult) -> tuple[Match, ...]:
    return tuple(m for m in unit.matches[:JUDGE_CANDIDATES] if m.score >= ACCEPT_FLOOR)


def needs_judge(unit: UnitResult) -> bool:
    return any(m.score < KEEP_SCORE for m in candidates_of(unit))


def combine(unit: UnitResult, accepted: Iterable[str]) -> tuple[str, ...]:
    """The final evidences of `unit` given the statement ids the judge accepted (see module doc)."""
    scores = {m.statement_id: m.score for m in unit.matches}
    cands = {m.statement_id for m in candidates_of(unit)}
    keep = {sid for sid in unit.evidences if scores.get(sid, 0.0) >= KEEP_SCORE}
    chosen = keep | (set(accepted) & cands)
    order = [m.statement_id for m in unit.matches if m.statement_id in chosen]
    return tuple(order[:MAX_EVIDENCES])


def parse_verdict(data: dict[str, Any], labels: dict[str, str], texts: dict[str, str] | None = None) -> Verdict:
    """Validate a judge answer against its labels; anything that is not a candidate is dropped.

    `texts` (label → statement text) lets an answer that quotes a candidate's text instead of its
    label count, for servers that do not enforce the schema. Raises LLMBadResponse on a wrong shape.
    """
    items = data.get("evidences")
    if not isinstance(items, list):
        raise LLMBadResponse(f"the judge answer has no 'evidences' list: {str(data)[:200]!r}")
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise LLMBadResponse(f"the judge answer's 'reason' is not text: {reason!r}"[:300])
    by_text = {normalize_key(t): lab for lab, t in (texts or {}).items()}
    ids: list[str] = []
    dropped: list[str] = []
    for item in items:
        label = _label_of(item, labels, by_text)
        if label is None:
            dropped.append(str(item)[:80])
        elif labels[label] not in ids:
            ids.append(labels[label])
    if dropped:
        log.debug("judge answer named non-candidates, dropped: %s", dropped)
    return Verdict(tuple(ids), clip(reason, REASON_CHARS), tuple(dropped))


def _label_of(item: object, labels: dict[str, str], by_text: dict[str, str]) -> str | None:
    if not isinstance(item, str):
        return None
    s = item.strip().strip(".:)").strip()
    if s in labels:
        return s
    if len(s) == 1 and s.upper() in labels:
        return s.upper()
    return by_text.get(normalize_key(item))


def clip(text: str, limit: int) -> str:
    """Whitespace collapsed and cut at a word boundary to at most `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def judge_unit(client: LLMClient, unit: UnitResult) -> Verdict:
    cands = candidates_of(unit)
    req: Request = judge_request(
        unit.text, unit.section, [(m.statement_id, reduce_markdown(m.statement)) for m in cands]
    )
    texts = {
        lab: reduce_markdown(next(m.statement for m in cands if m.statement_id == sid))
        for lab, sid in req.labels.items()
    }
    reply = client.chat_json(req.messages, req.schema, name=req.name, max_tokens=req.max_tokens, kind="judge")
    return parse_verdict(reply.data, req.labels, texts)


def judge_report(report: Report, client: LLMClient) -> tuple[Report, dict[str, Any]]:
    """The report with borderline units judged and statements rebuilt; and the run's counts.

    The candidates and their texts are all in the report: nothing else is needed.
    """
    todo = [u for u in report.units if needs_judge(u)]
    results = dict(zip((u.id for u in todo), client.map(lambda u: judge_unit(client, u), todo), strict=True))
    units: list[UnitResult] = []
    stats = Counts(len(todo))
    for u in report.units:
        res = results.get(u.id)
        if isinstance(res, Verdict):
            stats.ok(dropped=len(res.dropped))
            final = combine(u, res.evidences)
            if final != u.evidences:
                stats.changed += 1
            judge = {"source": "llm", "evidences": list(res.evidences), "reason": res.reason}
            units.append(
                replace(
                    u,
                    evidences=final,
                    extra={**u.extra, "judge": judge, "evidence_source": SOURCE_COMBINED},
                )
            )
        else:
            if res is not None:
                stats.fail(res)
            units.append(replace(u, extra={**u.extra, "evidence_source": SOURCE_EMBEDDING}))
    return rebuild(report, units), stats.as_dict()


class Counts:
    """Requested / succeeded / failed tallies of one capability in one report, for meta["llm"]."""

    def __init__(self, requested: int) -> None:
        self.requested = requested
        self.succeeded = 0
        self.failed = 0
        self.dropped = 0
        self.changed = 0
        self.error = ""

    def ok(self, dropped: int = 0) -> None:
        self.succeeded += 1
        self.dropped += dropped

    def fail(self, exc: BaseException) -> None:
        self.failed += 1
        if not self.error:
            self.error = str(exc)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requested": self.requested,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "fallback": self.failed > 0,
        }
        if self.error:
            out["error"] = self.error
        return out


def rebuild(report: Report, units: Sequence[UnitResult]) -> Report:
    """The report with `units`, and statement strengths and pillar coverage recomputed from them
    by the one coverage rule (matcher.coverage). Statement scores (best embedded score) do not
    depend on the decisions and are kept."""
    return with_coverage(report, units)
