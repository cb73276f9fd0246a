"""`evidence-matcher expand`: hypothetical evidence exemplars for a ladder, written by an LLM.

Every generated line passes the guards the shipped exemplar files are tested with
(matcher.llm.guards): usable as one bullet line, distinct from the statement's other lines by
word trigrams, no copy of the ladder's own statements or examples, and no 8-word run shared with a
held-out text (e.g. the dev set). The file is written in the exemplar format and must parse back
to the same lines.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import atomic
from ..errors import LLMError
from ..exemplars import HEADER, ExemplarSet, format_exemplars, parse_exemplars
from ..models import Ladder, Statement
from .client import LLMBadResponse, LLMClient
from .guards import (
    DISTINCT_MAX_SHARED,
    clean_line,
    distinct,
    holdout_ngrams,
    leaks,
    shared_trigrams,
)
from .prompts import Request, expand_request, noise_request

__all__ = [
    "DEFAULT_PER_STATEMENT",
    "ExpandResult",
    "default_output",
    "expand_ladder",
    "filter_lines",
    "read_holdout",
    "render_exemplars",
    "write_exemplars",
]

log = logging.getLogger(__name__)

DEFAULT_PER_STATEMENT = 8
# Requests per statement before settling for fewer lines than asked.
ROUNDS = 3
# Variety is the point of exemplars; judge, explain and coach run at the config's (default 0).
TEMPERATURE = 0.7


@dataclass(frozen=True)
class ExpandResult:
    """Generated exemplars and how the generation went."""

    exemplars: ExemplarSet
    requested: int
    succeeded: int
    failed: int
    rejected: dict[str, int] = field(default_factory=dict)
    short: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    model: str = ""

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.short:
            out.append(f"{len(self.short)} statements got fewer exemplars than asked: {', '.join(self.short)}.")
        if self.failed:
            out.append(f"{self.failed} of {self.requested} LLM requests failed; first error: {self.errors[0]}")
        return out


def filter_lines(
    raw: Iterable[object],
    *,
    keep: Sequence[str] = (),
    ladder_texts: Sequence[str] = (),
    holdout: set[tuple[str, ...]] | None = None,
    rejected: Counter[str] | None = None,
) -> list[str]:
    """The usable, new, distinct lines of `raw`; why the others went is tallied in `rejected`.

    `ladder_texts` (the statements and examples) must not be copied: they are in the index already,
    and a copy is no hypothetical evidence.
    """
    rejected = rejected if rejected is not None else Counter()
    ladder_grams = holdout_ngrams(ladder_texts)
    usable = []
    for item in raw:
        line = clean_line(item)
        if line is None:
            rejected["unusable"] += 1
        elif holdout and leaks(line, holdout):
            rejected["holdout_overlap"] += 1
        elif leaks(line, ladder_grams) or any(shared_trigrams(line, t) > DISTINCT_MAX_SHARED for t in ladder_texts):
            rejected["copies_ladder"] += 1
        else:
            usable.append(line)
    out = distinct(usable, keep)
    rejected["duplicate"] += len(usable) - len(out)
    return out


def _lines_of(data: dict[str, Any]) -> list[object]:
    lines = data.get("lines")
    if not isinstance(lines, list):
        raise LLMBadResponse(f"the answer has no 'lines' list: {str(data)[:200]!r}")
    return lines


class _Tally:
    """Counts shared by the worker threads of one expand run."""

    def __init__(self) -> None:
        self.requested = self.succeeded = self.failed = 0
        self.errors: list[str] = []
        self.rejected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            self.requested += 1

    def result(self, error: LLMError | None = None, rejected: Counter[str] | None = None) -> None:
        with self._lock:
            if error is None:
                self.succeeded += 1
            else:
                self.failed += 1
                self.errors.append(str(error))
            self.rejected.update(rejected or Counter())


def _generate(
    client: LLMClient,
    build: Callable[[int, list[str]], Request],
    count: int,
    ladder_texts: Sequence[str],
    holdout: set[tuple[str, ...]],
    tally: _Tally,
    kind: str,
) -> list[str]:
    kept: list[str] = []
    for _ in range(ROUNDS):
        if len(kept) >= count:
            break
        req = build(count - len(kept), kept)
        tally.request()
        try:
            reply = client.chat_json(
                req.messages,
                req.schema,
                name=req.name,
                max_tokens=req.max_tokens,
                kind=kind,
                temperature=TEMPERATURE,
            )
            raw = _lines_of(reply.data)
        except LLMError as exc:
            tally.result(exc)
            if client.is_down:
                break
            continue
        rejected: Counter[str] = Counter()
        kept += filter_lines(raw, keep=kept, ladder_texts=ladder_texts, holdout=holdout, rejected=rejected)
        tally.result(rejected=rejected)
    return kept[:count]


def expand_ladder(
    ladder: Ladder,
    client: LLMClient,
    *,
    per_statement: int = DEFAULT_PER_STATEMENT,
    noise: int | None = None,
    holdout: Iterable[str] = (),
) -> ExpandResult:
    """`per_statement` exemplars per statement and `noise` (default the same) no-evidence lines.

    Raises LLMError when nothing usable came back at all (e.g. the endpoint is down).
    """
    if per_statement < 1:
        raise LLMError("--per-statement must be at least 1.")
    n_noise = per_statement if noise is None else noise
    held = holdout_ngrams(holdout)
    client.reset()
    tally = _Tally()
    pillars = {s.id: p for p in ladder.pillars for s in p.statements}

    def for_statement(s: Statement) -> list[str]:
        pillar = pillars[s.id]
        examples = [e.display for e in pillar.examples]
        return _generate(
            client,
            lambda n, avoid: expand_request(s.display, pillar.name, examples, n, avoid),
            per_statement,
            [s.display, *examples],
            held,
            tally,
            "expand",
        )

    results = client.map(for_statement, ladder.statements)
    by_statement = {
        s.id: tuple(r) for s, r in zip(ladder.statements, results, strict=True) if isinstance(r, list) and r
    }
    noise_lines: list[str] = []
    if n_noise:
        title = f"{ladder.level} {ladder.title}".strip()
        noise_lines = _generate(
            client,
            lambda n, avoid: noise_request(title, [p.name for p in ladder.pillars], n, avoid),
            n_noise,
            [s.display for s in ladder.statements] + [e.display for e in ladder.examples],
            held,
            tally,
            "expand-noise",
        )
    if not by_statement:
        first = tally.errors[0] if tally.errors else "the model returned no usable lines"
        raise LLMError(f"No exemplars were generated for ladder {ladder.id!r}: {first}")
    short = tuple(s.id for s in ladder.statements if len(by_statement.get(s.id, ())) < per_statement)
    return ExpandResult(
        ExemplarSet(by_statement, tuple(noise_lines), "llm"),
        tally.requested,
        tally.succeeded,
        tally.failed,
        dict(tally.rejected),
        short,
        tuple(tally.errors),
        client.known_model or "",
    )


def render_exemplars(ladder: Ladder, result: ExpandResult) -> str:
    """The exemplar file text, checked to parse back to exactly the lines it holds.

    A line the parser would read differently is left out rather than written wrong.
    """
    exemplars = result.exemplars
    for _ in range(2):
        text = _format(ladder, exemplars, result.model)
        back = parse_exemplars(text, ladder, source="<generated>")
        # The parser lists a statement whose heading has no bullets with no lines: same thing.
        read = {sid: lines for sid, lines in back.by_statement.items() if lines}
        if read == exemplars.by_statement and back.noise == exemplars.noise:
            return text
        log.warning(
            "dropping generated lines that do not survive the exemplar format: %s",
            _lost(exemplars, back),
        )
        exemplars = _survivors(exemplars, back)
    raise LLMError("The generated exemplars do not survive a round trip through the file format.")


def _format(ladder: Ladder, exemplars: ExemplarSet, model: str) -> str:
    name = (model or "unknown").replace("--", "-")
    note = (
        f"<!-- generated by `evidence-matcher expand` with model {name} on "
        f"{datetime.now(UTC).date().isoformat()}; review and edit before relying on it -->"
    )
    return format_exemplars(ladder, exemplars).replace(HEADER + "\n", f"{HEADER}\n{note}\n", 1)


def _lost(ours: ExemplarSet, back: ExemplarSet) -> list[str]:
    lines = [x for v in ours.by_statement.values() for x in v] + list(ours.noise)
    kept = {x for v in back.by_statement.values() for x in v} | set(back.noise)
    return [x for x in lines if x not in kept]


def _survivors(ours: ExemplarSet, back: ExemplarSet) -> ExemplarSet:
    by_statement = {}
    for sid, lines in ours.by_statement.items():
        kept = tuple(x for x in lines if x in back.by_statement.get(sid, ()))
        if kept:
            by_statement[sid] = kept
    return ExemplarSet(by_statement, tuple(x for x in ours.noise if x in back.noise), ours.source)


def default_output(ladder: Ladder) -> Path:
    """`<ladder stem>.exemplars.md` beside the ladder file, where `load_exemplars` looks first."""
    if ladder.path is None:
        raise LLMError(f"Ladder {ladder.id!r} has no file to write beside; give --out FILE.")
    return ladder.path.with_name(ladder.path.name.removesuffix(".md") + ".exemplars.md")


def write_exemplars(path: Path, text: str, *, force: bool = False) -> None:
    """Write atomically; refuse to replace an existing file unless `force`."""
    if path.exists() and not force:
        raise LLMError(f"{path} exists; pass --force to overwrite it.")
    atomic.write_text(path, text)


def read_holdout(path: str | Path) -> list[str]:
    """Held-out texts: each row's "unit" of a .jsonl file, else each non-empty line of the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LLMError(f"{path}: cannot read the held-out file ({exc.strerror or exc}).") from exc
    if p.suffix.lower() == ".jsonl":
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(str(json.loads(line)["unit"]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise LLMError(f'{path}:{n}: not a JSON object with a "unit" ({exc}).') from exc
        return rows
    return [line for line in text.splitlines() if line.strip()]
