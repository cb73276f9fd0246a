"""Signals on a unit: what its section is about, and whether the item reports work done.

The vocabulary is fixed (`SIGNALS`); a unit's `signals` is a frozenset drawn from it:

- from the section (the nearest heading or label above the item that names a kind; a document
  title does not): ``section:goals`` (goals, plans, next steps, looking ahead), ``section:learning``
  (what I learned, lessons, learnings, TIL), ``section:talks`` (talks, conferences, courses,
  training, reading, books), ``section:personal`` (outside of work, personal, hobbies, side
  projects), ``section:feedback`` (feedback received, kudos, praise, shout-outs), ``section:notes``
  (notes, to-do, open questions, ideas, follow-ups, things I'm thinking about);
- from the item itself, looking only at the start of its first sentence (after a date prefix, a
  bold title, a time phrase such as "next quarter", a subject such as "I"/"we" and adverbs such as
  "also"), so "Built X that will save Y" stays past work: ``future`` (will, 'll, shall, going to,
  plan to, want to, hope to, aim to, would like to, need to, next quarter/year/..., "Goal:",
  "Next:"), ``conditional`` (considering, might, may, maybe, could, would, should, whether,
  thinking about, evaluating/exploring/deciding whether), ``question`` (the first or last sentence ends with "?"),
  ``todo`` (an unchecked "[ ]" box, "TODO"/"FIXME"/"TBD" anywhere as a word, or a leading "to do:",
  "follow up:", "action item:").

Everything here is linear in the text: headings are short, and an item is read through a bounded
prefix of its first words plus one pass over its words for "TODO".
"""

from __future__ import annotations

import itertools

from .classify import _has_log_prefix
from .vocab import _CLOSERS, _LOG_PREFIX, _OPENERS, _PREFIX_WINDOW, _words

__all__ = ["SIGNALS", "item_signals", "section_kinds"]

SIGNALS = frozenset(
    {
        "section:goals",
        "section:learning",
        "section:talks",
        "section:personal",
        "section:feedback",
        "section:notes",
        "future",
        "conditional",
        "question",
        "todo",
    }
)

_PUNCT = ".,;:!?()[]{}\"'“”‘’*_`~<>|/\\–—-…"

# Heading words (and two-word phrases) naming a section kind.
_SECTION_WORDS: dict[str, frozenset[str]] = {
    "section:goals": _words(
        "goal goals plan plans planning roadmap objectives aspirations ambitions intentions upcoming "
        "wishlist next-year next-quarter next-half next-steps next-up looking-ahead looking-forward "
        "next-cycle future-work what's-next tomorrow next-week next"
    ),
    "section:learning": _words("learned learnt learning learnings lesson lessons til takeaways today-i-learned"),
    "section:talks": _words(
        "talk talks conference conferences course courses training trainings reading books book "
        "podcasts podcast meetups meetup workshops certifications certification webinars "
        "reading-list"
    ),
    "section:personal": _words("personal hobbies hobby outside-of side-projects non-work off-work family life"),
    "section:feedback": _words(
        "feedback kudos praise shoutouts shout-outs shoutout recognition testimonials thanks thank-you compliments"
    ),
    "section:notes": _words(
        "notes note todo todos to-do to-dos to-do's backlog questions scratch follow-ups followups "
        "parking-lot ideas inbox scratchpad thinking-about considering wondering"
    ),
}
# Words that make a heading about delivered work whatever else it says ("Goals and achievements").
# A document title ("Work log & notes 2025") names no kind either.
_WORK_WORDS = _words(
    "achievements accomplishments wins shipped delivered impact projects highlights results "
    "outcomes contributions brag log worklog journal diary review self-review"
)
# "Feedback given" / "Mentoring and feedback I gave" is work, not praise received.
_GIVEN_WORDS = _words("given gave giving provided")
_SECTION_MAX = 120


def section_kinds(heading: str) -> frozenset[str]:
    """The section signals a heading names (empty for "Projects", a date, or a long line)."""
    if not heading or len(heading) > _SECTION_MAX:
        return frozenset()
    words = [w.strip(_PUNCT).replace("’", "'") for w in heading.casefold().split()]
    words = [w for w in words if w]
    if not words or any(w in _WORK_WORDS for w in words):
        return frozenset()
    grams = set(words)
    grams.update(f"{a}-{b}" for a, b in itertools.pairwise(words))
    grams.update(f"{a}-{b}-{c}" for a, b, c in zip(words, words[1:], words[2:], strict=False))
    kinds = {kind for kind, vocab in _SECTION_WORDS.items() if grams & vocab}
    if "section:feedback" in kinds and grams & _GIVEN_WORDS:
        kinds.discard("section:feedback")
    return frozenset(kinds)


# -- the item's own tense and mood ---------------------------------------------------------------

_HEAD_WORDS = 14  # the first words of the item are all its mood check reads
_FUTURE = _words("will shall gonna wanna i'll we'll i'd we'd 'll")
_TO_INTENT = _words(
    "plan plans planning going want wants wanting hope hopes hoping intend intends intending aim "
    "aims aiming expect expects expecting need needs hoping trying try"
)
_CONDITIONAL = _words(
    "considering consider contemplating pondering wondering might may maybe perhaps possibly "
    "potentially could would should debating weighing whether"
)
_WHETHER_VERBS = _words("evaluating exploring investigating deciding figuring assessing checking seeing")
_WHETHER = _words("whether if")
_THINKING = _words("thinking")
_ABOUT = _words("about of")
_LIKE = _words("like love prefer")
_PERIODS = _words(
    "week month quarter half year sprint cycle semester q1 q2 q3 q4 h1 h2 step steps up time "
    "january february march april may june july august september october november december "
    "2024 2025 2026 2027 2028 2029 2030"
)
_TIME_OPENERS = _words("this in by over during for from before after")
_SUBJECTS = _words("i we me team our my the i'm we're")
_AUX = _words(
    "am are is be been also still currently really then now definitely probably hopefully eventually soon actively just"
)
_GOAL_LABELS = _words("goal goals plan plans next objective objectives aim intention")
_TODO_LABELS = _words("todo to-do fixme tbd followup follow-up action")
_TODO_WORDS = frozenset({"TODO", "FIXME", "TBD"})


def _skip_bold_title(raw: str) -> str:
    """The item after a leading bold title ("**Billing.** We will ..."), or `raw` unchanged when
    the bold words are part of the first sentence ("**Built** the exporter")."""
    for mark in ("**", "__"):
        if raw.startswith(mark):
            end = raw.find(mark, len(mark), 400)
            if end < 0:
                return raw
            inner = raw[len(mark) : end].rstrip()
            rest = raw[end + len(mark) :].lstrip(" \t\n")
            titled = inner[-1:] in ".:!—–-" or rest[:1] in ":.—–-" or rest[:1].isupper()
            return rest.lstrip(":.—–- \t") if titled else raw
    return raw


def _head_words(text: str) -> list[str]:
    out = []
    for w in text[:400].split()[:_HEAD_WORDS]:
        core = w.strip(_OPENERS + _CLOSERS + ",;()").replace("’", "'").casefold()
        if core:
            out.append(core)
    return out


def _mood(words: list[str]) -> set[str]:
    """ "future" / "conditional" from the first words of an item (already past any date)."""
    if not words:
        return set()
    first = words[0]
    if first.endswith(":"):
        label = first.rstrip(":")
        if label in _GOAL_LABELS:
            return {"future"}
        if label in _TODO_LABELS:
            return {"todo"}
    words = [w.rstrip(":,") for w in words]
    k = 0
    if words[0] == "next" and len(words) > 1 and words[1] in _PERIODS:
        return {"future"}
    if words[0] in _TIME_OPENERS and len(words) > 1 and words[1] in _PERIODS:
        k = 2
    while k < len(words) and k < 6 and (words[k] in _SUBJECTS or words[k] in _AUX):
        k += 1
    if k >= len(words):
        return set()
    verb = words[k]
    nxt = words[k + 1] if k + 1 < len(words) else ""
    if verb in _FUTURE or verb.endswith("'ll"):
        return {"future"}
    if verb in _TO_INTENT and nxt == "to":
        return {"future"}
    if verb in ("would", "i'd", "we'd") and nxt in _LIKE:
        return {"future"}
    if verb in ("could", "would") and nxt == "not":
        return set()  # "Could not reproduce it, so I ..." reports what happened
    if verb == "may" and (not nxt.isalpha() or (nxt.endswith("ed") and nxt not in _TO_INTENT)):
        return set()  # "May 2025 ...", "May - shipped ...": the month
    if verb in _CONDITIONAL:
        return {"conditional"}
    if (verb in _THINKING and nxt in _ABOUT) or (verb in _WHETHER_VERBS and nxt in _WHETHER):
        return {"conditional"}
    return set()


def item_signals(raw: str, text: str, sentences: tuple[str, ...], *, unchecked: bool = False) -> frozenset[str]:
    """The item's own signals (future, conditional, question, todo) from its raw and reduced text.

    `raw` must already be past any list marker; a leading date or time is skipped here.
    """
    out: set[str] = set()
    head = raw.lstrip()
    if _has_log_prefix(head):
        m = _LOG_PREFIX.match(head[:_PREFIX_WINDOW])
        if m is not None:
            head = head[m.end() :].lstrip(" \t:-–—|,.)]*_")
    out |= _mood(_head_words(_skip_bold_title(head)))
    if sentences and (
        sentences[0].rstrip(_CLOSERS + " ").endswith("?") or sentences[-1].rstrip(_CLOSERS + " ").endswith("?")
    ):
        out.add("question")
    if unchecked or any(w.strip("()[]:,.;!") in _TODO_WORDS for w in text.split()):
        out.add("todo")
    return frozenset(out)
