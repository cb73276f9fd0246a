"""Evidence exemplar files: hypothetical brag lines per statement, plus lines that evidence nothing.

Format (see docs/exemplar-format.md): `## <statement text>` headings, one `- ` bullet per exemplar,
and a `## No evidence` section. The file sits beside its ladder as `<stem>.exemplars.md`, or in the
corpus folder as `<ladder id>.exemplars.md`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ExemplarError
from .models import Ladder
from .safeio import Budget, read_limited
from .text import clean_text, collapse_ws, decode_bytes, normalize_key

__all__ = [
    "NOISE_HEADING",
    "ExemplarSet",
    "find_exemplar_file",
    "format_exemplars",
    "load_exemplars",
    "parse_exemplars",
]

log = logging.getLogger(__name__)

NOISE_HEADING = "No evidence"
HEADER = "<!-- evidence-matcher exemplars v1 -->"
MAX_BYTES = 5_000_000
_BUDGET = Budget(
    MAX_BYTES, "exemplar files over 5 MB are refused.", error=ExemplarError, too_large=ExemplarError, regular_only=True
)


@dataclass(frozen=True)
class ExemplarSet:
    """Exemplar lines keyed by statement id, and the noise lines."""

    by_statement: dict[str, tuple[str, ...]] = field(default_factory=dict)
    noise: tuple[str, ...] = ()
    source: str = ""

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_statement.values()) + len(self.noise)

    @property
    def covers(self) -> frozenset[str]:
        """Ids of statements that have at least one exemplar."""
        return frozenset(k for k, v in self.by_statement.items() if v)


def parse_exemplars(text: str, ladder: Ladder, *, source: str = "<string>") -> ExemplarSet:
    """Parse an exemplar file's text against `ladder`; unknown headings are an error naming the line."""
    keys = {normalize_key(s.text): s.id for s in ladder.statements}
    noise_key = normalize_key(NOISE_HEADING)
    by_statement: dict[str, list[str]] = {}
    noise: list[str] = []
    current: list[str] | None = None
    # The lines of each heading as a set too: `in` on the list would rescan it for every line.
    seen: dict[str, set[str]] = {}
    current_seen: set[str] = set()
    for lineno, line in enumerate(clean_text(text).split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("## "):
            key = normalize_key(stripped[3:])
            if key == noise_key:
                current, current_seen = noise, seen.setdefault("", set())
            elif key in keys:
                current = by_statement.setdefault(keys[key], [])
                current_seen = seen.setdefault(keys[key], set())
            else:
                raise ExemplarError(
                    f"{source}:{lineno}: heading {stripped[3:]!r} is not a statement of ladder "
                    f"{ladder.id!r} (nor {NOISE_HEADING!r}). Copy the statement text from the ladder."
                )
        elif stripped.startswith(("- ", "* ")) and current is not None:
            item = collapse_ws(stripped[2:])
            if item and item not in current_seen:
                current_seen.add(item)
                current.append(item)
    missing = [s.id for s in ladder.statements if not by_statement.get(s.id)]
    if missing and by_statement:
        log.warning("%s: no exemplars for %d statements of %s: %s", source, len(missing), ladder.id, ", ".join(missing))
    return ExemplarSet({k: tuple(v) for k, v in by_statement.items() if v}, tuple(noise), source)


def find_exemplar_file(ladder: Ladder) -> Path | None:
    """The exemplar file for a ladder: beside the ladder file, else in the corpus by ladder id."""
    from .ladder import corpus_dir

    candidates = []
    if ladder.path is not None:
        candidates.append(ladder.path.with_name(ladder.path.name.removesuffix(".md") + ".exemplars.md"))
    candidates.append(corpus_dir() / f"{ladder.id}.exemplars.md")
    for c in candidates:
        if c.is_file():
            return c
    return None


def load_exemplars(ladder: Ladder, path: Path | None = None) -> ExemplarSet:
    """Load the exemplars for `ladder` (from `path`, or the file `find_exemplar_file` finds)."""
    path = path or find_exemplar_file(ladder)
    if path is None:
        return ExemplarSet()
    try:
        text = decode_bytes(read_limited(path, _BUDGET), str(path))
    except ExemplarError:
        raise
    except Exception as exc:
        raise ExemplarError(str(exc)) from exc
    return parse_exemplars(text, ladder, source=str(path))


def format_exemplars(ladder: Ladder, exemplars: ExemplarSet) -> str:
    """Write an ExemplarSet in the file format (used by `evidence-matcher expand`)."""
    lines = [HEADER, f"# Exemplars: {ladder.level} {ladder.title}".replace("  ", " "), ""]
    for s in ladder.statements:
        lines += [f"## {s.text}", ""]
        lines += [f"- {x}" for x in exemplars.by_statement.get(s.id, ())]
        lines.append("")
    lines += [f"## {NOISE_HEADING}", ""]
    lines += [f"- {x}" for x in exemplars.noise]
    return "\n".join(lines) + "\n"
