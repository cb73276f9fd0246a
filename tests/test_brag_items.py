"""Items as units (issue 12, /work/notes/units.md): one hand-written document per form engineers
really use, pinned unit by unit (text, lines, section, parent, form, signals), and the signals.

Every fixture here is written for this test; none comes from the dev sets or a public document.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.brag import FORMS, SIGNALS, item_signals, section_kinds, split_units
from matcher.models import Unit
from matcher.text import clean_text

Row = tuple[str, int, int, str, int | None, str, list[str]]


def rows(doc: str) -> list[Row]:
    return [(u.text, u.line, u.end_line, u.section, u.parent, u.form, sorted(u.signals)) for u in split_units(doc)]


def check_positions(doc: str, units: list[Unit]) -> None:
    """Each unit's raw text is the exact source from its first to its last line."""
    src = clean_text(doc).split("\n")
    for k, u in enumerate(units):
        span = "\n".join(src[u.line - 1 : u.end_line])
        assert u.raw in span and u.raw.split("\n")[0] in src[u.line - 1], u
        assert u.raw.split("\n")[-1] in src[u.end_line - 1], u
        assert u.signals <= SIGNALS and u.form in FORMS, u
        assert u.sentences and " ".join(u.sentences) == u.text, u
        assert u.parent is None or 0 <= u.parent < k, u


DAILY_LOG = """# Work log — spring

**2026-03-02**
- Paired with Ines on the flaky export job
  - root cause: a timezone default in the scheduler
- Reviewed four pull requests

**Tue 3/3**
- Drafted the on-call handbook outline
- Will finish the runbook tomorrow

2026-03-04: demoed the export fix to support
2026-03-05 - out sick
"""

JULIA_EVANS = """# Brag document, H1

## Goals for this year
- Become the go-to person for the payments API
- I plan to run the architecture guild

## Projects
- Rebuilt the invoice renderer, which will cut print costs next year
- Moved nightly reports onto the job queue

## Collaboration & mentorship
- Ran weekly pairing sessions with two new hires

## What I learned
- How to read flame graphs

## Talks and courses
- Attended a two-day Postgres tuning course

## Outside of work
- Coached my kid's football team
"""

STAR = """## Highlights

- **Checkout latency.** Checkout pages were timing out at peak.
  I profiled the service and found an N+1 query in the basket code.
  Fixing it halved p95 latency.
- **Vendor consolidation**
  Three teams paid for overlapping monitoring tools.
  I compared them and we kept one.

  Saved about 40k a year.
- **Hiring loop**
  - Wrote the take-home exercise
  - Trained six interviewers
"""

BOLD_LED = """**Led the data retention project.** Legal asked for deletion within 30 days. I
designed the purge jobs and got sign-off from security.

**Mentoring.** I met with two juniors every week.

Plain prose follows here. It has two sentences.
"""

WRAPPED_BULLETS = """- Migrated the twelve remaining cron jobs to the workflow scheduler and
  documented each one in the runbook so on-call can restart them safely
- Replaced the homegrown feature flag service with the vendor SDK, which
removed two thousand lines of code
- Fixed the login redirect
"""

RAW_LOG = """mon - fixed teh deploy script, finally 🎉
tues - pairing w/ sam on the cache invalidaton bug
wed: looked into why builds r slow?? not sure yet

cleaned up old feature flags 🧹
helped jo w/ terraform plan diffs
sooo many meetings today

I spent most of March untangling the billing retries, which had
been failing silently for weeks. The fix was small but finding it
took a while and a lot of log reading.
"""

STANDUP = """Standup notes

yesterday
merged the rate limiter PR
reviewed ana's schema change
today
finishing the retry dashboard
might pick up the alerting ticket
blockers: none
"""

FORMS_CASES: dict[str, tuple[str, list[Row]]] = {
    "daily log with bold date labels and sub-bullets": (
        DAILY_LOG,
        [
            ("Paired with Ines on the flaky export job", 4, 4, "2026-03-02", None, "bullet", []),
            ("root cause: a timezone default in the scheduler", 5, 5, "2026-03-02", 0, "bullet", []),
            ("Reviewed four pull requests", 6, 6, "2026-03-02", None, "bullet", []),
            ("Drafted the on-call handbook outline", 9, 9, "Tue 3/3", None, "bullet", []),
            ("Will finish the runbook tomorrow", 10, 10, "Tue 3/3", None, "bullet", ["future"]),
            ("2026-03-04: demoed the export fix to support", 12, 12, "Tue 3/3", None, "log", []),
            ("2026-03-05 - out sick", 13, 13, "Tue 3/3", None, "log", []),
        ],
    ),
    "julia evans template": (
        JULIA_EVANS,
        [
            (
                "Become the go-to person for the payments API",
                4,
                4,
                "Goals for this year",
                None,
                "bullet",
                ["section:goals"],
            ),
            (
                "I plan to run the architecture guild",
                5,
                5,
                "Goals for this year",
                None,
                "bullet",
                ["future", "section:goals"],
            ),
            (
                "Rebuilt the invoice renderer, which will cut print costs next year",
                8,
                8,
                "Projects",
                None,
                "bullet",
                [],
            ),
            ("Moved nightly reports onto the job queue", 9, 9, "Projects", None, "bullet", []),
            (
                "Ran weekly pairing sessions with two new hires",
                12,
                12,
                "Collaboration & mentorship",
                None,
                "bullet",
                [],
            ),
            ("How to read flame graphs", 15, 15, "What I learned", None, "bullet", ["section:learning"]),
            (
                "Attended a two-day Postgres tuning course",
                18,
                18,
                "Talks and courses",
                None,
                "bullet",
                ["section:talks"],
            ),
            ("Coached my kid's football team", 21, 21, "Outside of work", None, "bullet", ["section:personal"]),
        ],
    ),
    "STAR items under bold title bullets": (
        STAR,
        [
            (
                "Checkout latency. Checkout pages were timing out at peak. I profiled the service "
                "and found an N+1 query in the basket code. Fixing it halved p95 latency.",
                3,
                5,
                "Highlights",
                None,
                "bullet",
                [],
            ),
            (
                "Vendor consolidation Three teams paid for overlapping monitoring tools. I compared "
                "them and we kept one. Saved about 40k a year.",
                6,
                10,
                "Highlights",
                None,
                "bullet",
                [],
            ),
            ("Hiring loop", 11, 11, "Highlights", None, "bullet", []),
            ("Wrote the take-home exercise", 12, 12, "Highlights", 2, "bullet", []),
            ("Trained six interviewers", 13, 13, "Highlights", 2, "bullet", []),
        ],
    ),
    "bold-led prose paragraphs": (
        BOLD_LED,
        [
            (
                "Led the data retention project. Legal asked for deletion within 30 days. I "
                "designed the purge jobs and got sign-off from security.",
                1,
                2,
                "",
                None,
                "paragraph",
                [],
            ),
            ("Mentoring. I met with two juniors every week.", 4, 4, "", None, "paragraph", []),
            ("Plain prose follows here.", 6, 6, "", None, "sentence", []),
            ("It has two sentences.", 6, 6, "", None, "sentence", []),
        ],
    ),
    "hard-wrapped bullets": (
        WRAPPED_BULLETS,
        [
            (
                "Migrated the twelve remaining cron jobs to the workflow scheduler and documented "
                "each one in the runbook so on-call can restart them safely",
                1,
                2,
                "",
                None,
                "bullet",
                [],
            ),
            (
                "Replaced the homegrown feature flag service with the vendor SDK, which removed two "
                "thousand lines of code",
                3,
                4,
                "",
                None,
                "bullet",
                [],
            ),
            ("Fixed the login redirect", 5, 5, "", None, "bullet", []),
        ],
    ),
    "raw lowercase log with typos and emoji, then wrapped prose": (
        RAW_LOG,
        [
            ("mon - fixed teh deploy script, finally 🎉", 1, 1, "", None, "log", []),
            ("tues - pairing w/ sam on the cache invalidaton bug", 2, 2, "", None, "log", []),
            ("wed: looked into why builds r slow?? not sure yet", 3, 3, "", None, "log", []),
            ("cleaned up old feature flags 🧹", 5, 5, "", None, "note", []),
            ("helped jo w/ terraform plan diffs", 6, 6, "", None, "note", []),
            ("sooo many meetings today", 7, 7, "", None, "note", []),
            (
                "I spent most of March untangling the billing retries, which had been failing silently for weeks.",
                9,
                10,
                "",
                None,
                "sentence",
                [],
            ),
            (
                "The fix was small but finding it took a while and a lot of log reading.",
                10,
                11,
                "",
                None,
                "sentence",
                [],
            ),
        ],
    ),
    "standup notes dump": (
        STANDUP,
        [
            ("merged the rate limiter PR", 4, 4, "yesterday", None, "note", ["section:notes"]),
            ("reviewed ana's schema change", 5, 5, "yesterday", None, "note", ["section:notes"]),
            ("finishing the retry dashboard", 7, 7, "today", None, "note", ["section:notes"]),
            ("might pick up the alerting ticket", 8, 8, "today", None, "note", ["conditional", "section:notes"]),
            ("blockers: none", 9, 9, "today", None, "note", ["section:notes"]),
        ],
    ),
}


@pytest.mark.parametrize(("doc", "expected"), list(FORMS_CASES.values()), ids=list(FORMS_CASES))
def test_forms(doc: str, expected: list[Row]) -> None:
    assert rows(doc) == expected
    check_positions(doc, split_units(doc))


@pytest.mark.parametrize("doc", list(c[0] for c in FORMS_CASES.values()), ids=list(FORMS_CASES))
def test_crlf_gives_the_same_items(doc: str) -> None:
    lf = split_units(doc)
    crlf = split_units(doc.replace("\n", "\r\n"))
    assert crlf == lf
    assert all("\r" not in u.raw for u in crlf)


def test_star_item_keeps_its_whole_source_span() -> None:
    units = split_units(STAR)
    assert units[1].raw == (
        "**Vendor consolidation**\n  Three teams paid for overlapping monitoring tools.\n"
        "  I compared them and we kept one.\n\n  Saved about 40k a year."
    )
    assert units[1].sentences == (
        "Vendor consolidation Three teams paid for overlapping monitoring tools.",
        "I compared them and we kept one.",
        "Saved about 40k a year.",
    )
    assert units[0].sentences[0] == "Checkout latency."


def test_star_sentences_pasted_without_indentation_stay_in_the_item() -> None:
    doc = (
        "- **Billing migration.** Invoices failed at month end.\nI rebuilt the retry queue.\n"
        "- Shipped billing v2\nMentored Ana on on-call.\n"
    )
    assert [(u.text, u.line, u.end_line) for u in split_units(doc)] == [
        ("Billing migration. Invoices failed at month end. I rebuilt the retry queue.", 1, 2),
        ("Shipped billing v2", 3, 3),
        ("Mentored Ana on on-call.", 4, 4),  # a plain bullet is not continued by a new sentence
    ]


def test_wrapped_prose_ending_in_emoji_is_one_paragraph() -> None:
    doc = (
        "I moved the whole reporting stack off the old cron box and onto the new scheduler\n"
        "with a lot of patience from the analytics team, and it finally shipped 🎉\n"
    )
    assert [(u.form, u.line, u.end_line) for u in split_units(doc)] == [("sentence", 1, 2)]


def test_sentence_units_are_their_own_sentence() -> None:
    units = split_units(BOLD_LED)
    assert units[2].sentences == ("Plain prose follows here.",)
    assert units[0].sentences[-1] == "I designed the purge jobs and got sign-off from security."


def test_parents_at_depth() -> None:
    doc = (
        "- **Platform**\n  - Moved CI to the new runners\n    - Cut build time to 6 minutes\n"
        "  - Wrote the upgrade guide\n- Fixed the flaky login test\n  - Only a retry was missing\n"
    )
    assert [(u.text, u.parent) for u in split_units(doc)] == [
        ("Platform", None),
        ("Moved CI to the new runners", 0),
        ("Cut build time to 6 minutes", 1),
        ("Wrote the upgrade guide", 0),
        ("Fixed the flaky login test", None),
        ("Only a retry was missing", 4),
    ]


def test_period_and_date_parents_stay_labels() -> None:
    doc = "- **Q3 2026**\n  - Shipped the importer\n- **2026-07-01**\n  - Paired on the cache\n"
    assert [(u.text, u.section, u.parent) for u in split_units(doc)] == [
        ("Shipped the importer", "Q3 2026", None),
        ("Paired on the cache", "2026-07-01", None),
    ]


def test_bold_led_lines_start_new_items_in_one_block() -> None:
    doc = "**Billing**: moved invoices to the new service\n**Search**: fixed the ranking bug\n"
    assert [(u.text, u.form) for u in split_units(doc)] == [
        ("Billing: moved invoices to the new service", "paragraph"),
        ("Search: fixed the ranking bug", "paragraph"),
    ]


def test_section_signal_survives_a_nested_label_and_ends_at_the_next_heading() -> None:
    doc = "## Goals for H2\n\n**Q3**\n- Lead the API review\n\n## Projects\n- Shipped the importer\n"
    assert [(u.text, sorted(u.signals)) for u in split_units(doc)] == [
        ("Lead the API review", ["section:goals"]),
        ("Shipped the importer", []),
    ]


def test_unchecked_box_is_a_todo_and_a_checked_one_is_not() -> None:
    doc = "- [ ] Write the postmortem\n- [x] Wrote the runbook\n"
    assert [sorted(u.signals) for u in split_units(doc)] == [["todo"], []]


# -- tense and mood: the main verb at the item's start decides ---------------------------------

MOOD = {
    "Built the exporter that will save support an hour a day": [],
    "Mentored two juniors who will lead the next release": [],
    "Rebuilt the renderer; it should halve print costs": [],
    "Decided we would not rewrite the scheduler": [],
    "Planned the Q3 roadmap with product": [],
    "Evaluated three vendors and picked one": [],
    "Will migrate the exporter to the queue": ["future"],
    "I'll own the on-call rota": ["future"],
    "We are going to split the monolith": ["future"],
    "Plan to retire the cron box": ["future"],
    "I'd like to run the guild": ["future"],
    "Next quarter I want to lead the design reviews": ["future"],
    "In Q3 we will move billing off the monolith": ["future"],
    "Goal: ship the SDK": ["future"],
    "**Billing.** Will move invoices to the new service": ["future"],
    "**Led** the billing work that will ship in May": [],
    "2026-03-04: will pair with Ana on the cache": ["future"],
    "May 3 - shipped the importer": [],
    "May - shipped the importer": [],
    "Could not reproduce the crash, so I rewrote the test": [],
    "In March we will move billing": ["future"],
    "We may need to shard the queue": ["conditional"],
    "Considering a move to Kafka": ["conditional"],
    "I'm considering a move to Kafka": ["conditional"],
    "Might pick up the alerting ticket": ["conditional"],
    "Thinking about a design review rota": ["conditional"],
    "Evaluating whether to drop Redis": ["conditional"],
    "Whether we should move to a monorepo": ["conditional"],
    "todo: write the postmortem": ["todo"],
    "Why did the deploy fail? Found a missing env var.": ["question"],
    "TODO write the postmortem": ["todo"],
    "Shipped the importer (TODO: docs)": ["todo"],
}


@pytest.mark.parametrize(("item", "expected"), list(MOOD.items()), ids=list(MOOD))
def test_mood_signals_read_the_main_verb(item: str, expected: list[str]) -> None:
    (unit,) = split_units(f"- {item}\n")
    assert sorted(unit.signals) == expected


def test_question_in_notes() -> None:
    # A bulleted question is a review-tool prompt (a label); in notes it is an item.
    units = split_units("merged the rate limiter PR\nshould we move to pnpm?\n")
    assert [sorted(u.signals) for u in units] == [[], ["conditional", "question"]]


def test_item_signals_directly() -> None:
    assert item_signals("Will ship it", "Will ship it", ("Will ship it",)) == {"future"}
    assert item_signals("Ship it", "Ship it", ("Ship it",), unchecked=True) == {"todo"}
    assert item_signals("", "", ()) == frozenset()


SECTIONS = {
    "Goals for next year": {"section:goals"},
    "Plans": {"section:goals"},
    "Looking ahead": {"section:goals"},
    "What I learned": {"section:learning"},
    "Lessons": {"section:learning"},
    "Talks & conferences": {"section:talks"},
    "Reading list": {"section:talks"},
    "Outside of work": {"section:personal"},
    "Personal": {"section:personal"},
    "Feedback received": {"section:feedback"},
    "Kudos": {"section:feedback"},
    "Feedback given": set(),
    "Notes / TODO": {"section:notes"},
    "Things I'm thinking about": {"section:notes"},
    "Projects": set(),
    "Goals and achievements": set(),
    "Work log 2025": set(),
    "2025-03-04": set(),
    "": set(),
}


@pytest.mark.parametrize(("heading", "expected"), list(SECTIONS.items()), ids=list(SECTIONS))
def test_section_kinds(heading: str, expected: set[str]) -> None:
    assert section_kinds(heading) == expected


def test_long_documents_stay_linear() -> None:
    # A quadratic path would hang here rather than fail: no timer, by design.
    notes = "fixed a thing in ci\n" * 50_000
    assert len(split_units(notes)) == 50_000
    heads = "## Goals\n- will do x\n" * 20_000
    units = split_units(heads)
    assert len(units) == 20_000 and all(u.signals == {"future", "section:goals"} for u in units)
    long_item = "- Built it " + "and then more " * 50_000 + "\n"
    assert split_units(long_item)[0].signals == frozenset()


_PIECES = [
    *"-*+#>|`_[]()?.:, \t\n0123456789aAzZ",
    "**",
    "__",
    "- ",
    "  - ",
    "    - ",
    "1. ",
    "- [ ] ",
    "- [x] ",
    "**Title.** ",
    "TODO ",
    "will ",
    "might ",
    "Built ",
    "next quarter ",
    "## Goals\n",
    "## What I learned\n",
    "### Q1\n",
    "**2026-03-02**\n",
    "2026-03-04: ",
    "today\n",
    "yesterday\n",
    "\r\n",
    "🎉",
    "and\n",
    "the\n",
    "Considering ",
    "?\n",
]


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_fuzz_items_keep_their_fields_consistent(doc: str) -> None:
    units = split_units(doc)
    check_positions(doc, units)
    for u in units:
        if u.parent is not None:
            parent = units[u.parent]
            assert parent.form == u.form == "bullet" and parent.end_line < u.line, (parent, u)
