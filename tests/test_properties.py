"""Property-based tests (hypothesis) of the two parsers that read what people paste or point at.

- The brag splitter, on any text, returns units whose line span holds the unit's raw text, and whose
  text is that raw text with markdown taken away (never a character added, never one reordered).
- The ladder parser, on any text, returns a Ladder or raises LadderError, never anything else; a
  well-formed ladder built from random pillars and statements parses back to exactly those.

Derandomized with a fixed example budget, so CI runs the same examples every time in well under a
minute; `deadline=None` because a shared CI machine can stall any single example.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.brag import split as brag
from matcher.brag import split_units
from matcher.errors import LadderError
from matcher.ladder import parse_ladder
from matcher.models import Unit
from matcher.text import clean_text, collapse_ws

PROPS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

# -- strategies -------------------------------------------------------------------------------

# Characters that mean something to a markdown or brag-log reader, plus hostile ones: controls,
# C1 controls, bidi overrides, zero-width characters, private-use placeholders, emoji, RTL letters.
_SPECIAL = [
    *"-*+#>|`~_[]()!?.:;,<>=/\\ \t0123456789aAzZé",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x9b",
    "\u202e",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\ue000",
    "\ue001",
    "🚀",
    "👩\u200d💻",
    "ق",
    "\u00a0",
    "\x85",
    "\u2028",
]
_FRAGMENTS = [
    "- ",
    "* ",
    "1. ",
    "2) ",
    "- [x] ",
    "• ",
    "✅ ",
    "> ",
    "  ",
    "\t",
    "# ",
    "## ",
    "**",
    "__",
    "`",
    "```",
    "~~~",
    "<!--",
    "-->",
    "<details>",
    "</details>",
    "| a | b |",
    "|---|---|",
    "[link](http://x.io)",
    "![img](i.png)",
    "2025-07-07: ",
    "Mar 3 - ",
    "[10:42] ",
    "alice  10:42 AM",
    "e.g. ",
    "Led the ",
    "migration. ",
    "Then it wrapped",
    "What did you do?",
    "Highlights:",
    "---",
    "===",
    "I ",
    "<script>",
]
_piece = st.one_of(st.sampled_from(_FRAGMENTS), st.sampled_from(_SPECIAL), st.text(max_size=6))
_line = st.lists(_piece, max_size=8).map("".join)
markdownish = st.tuples(st.lists(_line, max_size=25), st.sampled_from(["\n", "\r\n", "\r"])).map(
    lambda t: t[1].join(t[0])
)
any_text = st.one_of(st.text(max_size=400), markdownish)


def _source_lines(doc: str) -> list[str]:
    """The lines unit positions refer to (split_units documents them as lines after clean_text)."""
    return clean_text(doc).removeprefix("\ufeff").split("\n")


def _is_subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def _no_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_units(doc: str, units: list[Unit]) -> None:
    src = _source_lines(doc)
    for k, u in enumerate(units, start=1):
        assert u.id == f"u{k}"
        assert 1 <= u.line <= u.end_line <= len(src), u
        span = "\n".join(src[u.line - 1 : u.end_line])
        # The unit points at lines that hold its text as written (before markdown was reduced) ...
        assert u.raw and u.raw in span, (u, span)
        assert u.raw.split("\n")[0] in src[u.line - 1] and u.raw.split("\n")[-1] in src[u.end_line - 1], u
        # ... and its text is that raw text with markup removed: nothing added, nothing reordered
        # (table rows join their cells with " — ").
        assert u.text and u.text == collapse_ws(u.text), u
        assert _is_subsequence(_no_ws(u.text.replace(" — ", "")), _no_ws(u.raw)), u


# -- the brag splitter ------------------------------------------------------------------------


@PROPS
@given(any_text)
def test_splitter_units_point_at_their_source(doc: str) -> None:
    units = brag._split(_source_lines(doc))  # the splitter proper: a bug here must not be masked
    _check_units(doc, units)
    assert split_units(doc) == units  # the public function agrees (its fallback net never fired)


@PROPS
@given(
    st.lists(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12), min_size=1, max_size=30)
)
def test_every_bullet_is_one_unit_in_order(words: list[str]) -> None:
    doc = "\n".join(f"- Led {w} work" for w in words)
    units = split_units(doc)
    assert [u.text for u in units] == [collapse_ws(clean_text(f"Led {w} work")) for w in words]
    assert [u.line for u in units] == list(range(1, len(words) + 1))


# -- the ladder parser ------------------------------------------------------------------------


def _check_ladder(text: str) -> None:
    try:
        ladder = parse_ladder(text, source="fuzz.md")
    except LadderError as exc:
        assert str(exc).startswith("fuzz.md"), exc  # every error names the file
        return
    ids = [s.id for s in ladder.statements]
    assert len(ids) == len(set(ids))
    words = set(clean_text(text).split())
    for s in ladder.statements:
        assert s.text.strip() and s.pillar
        assert set(s.text.split()) <= words, s  # statements come from the text, word for word


@PROPS
@given(any_text)
def test_ladder_parser_raises_only_ladder_errors(text: str) -> None:
    _check_ladder(text)


_TITLED = ["# L4: Title\n", "# T\n## P\n", "**T**\n## P\n- ", "# T\n## P\n- I x\n"]


@PROPS
@given(st.tuples(st.sampled_from(_TITLED), any_text).map("".join))
def test_ladder_parser_with_a_title_raises_only_ladder_errors(text: str) -> None:
    _check_ladder(text)


# Letters that cannot form Mac Roman mojibake (no lead character such as Ã or Œ): repair_mojibake
# rightly turns "Œß" into "Χ", and no real ladder is written in mojibake on purpose.
_word = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éüñçøßåæابت中文", min_size=1, max_size=10
)
_statement = st.lists(_word, min_size=1, max_size=8).map(lambda ws: "I " + " ".join(ws) + ".")
_pillar_name = (
    st.lists(_word, min_size=1, max_size=4)
    .map(" ".join)
    .filter(lambda n: n.lower() not in ("example", "examples", "what success looks like"))
)


@PROPS
@given(
    st.lists(
        st.tuples(_pillar_name, st.lists(_statement, min_size=1, max_size=6), st.booleans()), min_size=1, max_size=5
    ),
    st.sampled_from(["-", "*", "+", "1."]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_well_formed_ladder_round_trips(pillars: list[tuple[str, list[str], bool]], bullet: str, nl: str) -> None:
    lines = ["# L3: Random Engineer", "", "> I am a random engineer.", ""]
    for name, statements, emoji in pillars:
        lines += [f"## {'🦉 ' if emoji else ''}{name}", ""]
        lines += [f"{bullet} {s}" for s in statements]
        lines += ["", "<details><summary>Examples</summary>", "", "- I did a thing.", "", "</details>", ""]
    ladder = parse_ladder(nl.join(lines), source="gen.md")
    assert ladder.level == "L3" and ladder.title == "Random Engineer"
    # Pillars are told apart by name in reports, so a repeated name gets " (2)", " (3)", ...
    seen: dict[str, int] = {}
    expected = []
    for name, _, _ in pillars:
        seen[name.casefold()] = seen.get(name.casefold(), 0) + 1
        expected.append(name if seen[name.casefold()] == 1 else f"{name} ({seen[name.casefold()]})")
    assert [p.name for p in ladder.pillars] == expected
    assert [p.emoji for p in ladder.pillars] == ["🦉" if e else "" for _, _, e in pillars]
    assert [[s.text for s in p.statements] for p in ladder.pillars] == [st_ for _, st_, _ in pillars]
    assert all(len(p.examples) == 1 for p in ladder.pillars)
