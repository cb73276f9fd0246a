"""Tests for the brag-document splitter: the dev set, every unit rule, and robustness.

All examples here are hand-made; the dev set's units are only read from the shared folder.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.brag import split as brag
from matcher.brag import split_sentences, split_units
from matcher.models import Unit
from matcher.text import clean_text, collapse_ws, reduce_markdown

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
EVAL = SHARED / "eval"
DEV_UNITS_REQUIRED = 149  # all of them: the eval figures rest on the splitter matching gold


def texts(doc: str) -> list[str]:
    return [u.text for u in split_units(doc)]


def sections(doc: str) -> list[tuple[str, str]]:
    return [(u.text, u.section) for u in split_units(doc)]


def source_lines(doc: str) -> list[str]:
    return clean_text(doc).removeprefix("\ufeff").split("\n")


def assert_invariants(doc: str, units: list[Unit]) -> None:
    """ids in order; raw lies on lines line..end_line; text is clean and non-empty."""
    src = source_lines(doc)
    for k, u in enumerate(units, start=1):
        assert u.id == f"u{k}"
        assert 1 <= u.line <= u.end_line <= len(src), u
        assert u.raw and u.raw == u.raw.strip(), u
        assert u.raw in "\n".join(src[u.line - 1 : u.end_line]), u
        assert u.raw.count("\n") == u.end_line - u.line, u
        assert u.raw.split("\n")[0] in src[u.line - 1], u
        assert u.text and u.text == collapse_ws(u.text), u


# ---------------------------------------------------------------------------------------------
# Dev set
# ---------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return collapse_ws(reduce_markdown(text))


def _dev_set() -> dict[str, list[str]]:
    labels = EVAL / "labels.jsonl"
    if not labels.exists():
        pytest.skip(f"dev set not found at {labels} (the shared/ folder sits beside the project)")
    gold: dict[str, list[str]] = {}
    for line in labels.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            gold.setdefault(row["doc"], []).append(row["unit"])
    return gold


def test_dev_set_units_match_gold() -> None:
    gold = _dev_set()
    assert len(gold) == 8
    matched = total = extra = 0
    notes: list[str] = []
    for doc_id, units in sorted(gold.items()):
        doc = (EVAL / "docs" / f"{doc_id}.md").read_text(encoding="utf-8")
        produced = split_units(doc)
        assert_invariants(doc, produced)
        got, want = Counter(_norm(u.text) for u in produced), Counter(_norm(u) for u in units)
        matched += sum((got & want).values())
        total += sum(want.values())
        extra += sum((got - want).values())
        notes += [f"{doc_id} missing: {u!r}" for u in (want - got).elements()]
        notes += [f"{doc_id} extra: {u!r}" for u in (got - want).elements()]
    summary = f"dev set: {matched}/{total} gold units produced, {extra} extra units"
    print(summary, *notes, sep="\n")  # shown with -s / -rA: the score and what differs
    assert total == 149
    assert matched >= DEV_UNITS_REQUIRED and extra == 0, "\n".join([summary, *notes])


def test_dev_set_sections_come_from_headings() -> None:
    gold = _dev_set()
    for doc_id in gold:
        doc = (EVAL / "docs" / f"{doc_id}.md").read_text(encoding="utf-8")
        headings = {_norm(line.lstrip("#")) for line in doc.splitlines() if line.startswith("#")}
        assert all(u.section in headings for u in split_units(doc)), doc_id


# ---------------------------------------------------------------------------------------------
# The unit rules
# ---------------------------------------------------------------------------------------------

RULES = {
    "bullet markers": ("- one\n* two\n+ three\n", ["one", "two", "three"]),
    "bullet with several sentences": ("- Shipped X. Then Y.\n", ["Shipped X. Then Y."]),
    "numbered items": (
        "1. First thing\n2) Second thing\n10. Tenth thing\n",
        ["First thing", "Second thing", "Tenth thing"],
    ),
    "nested bullets at any depth": (
        "- Parent did A\n  - Child did B\n    - Grandchild did C\n- Sibling did D\n",
        ["Parent did A", "Child did B", "Grandchild did C", "Sibling did D"],
    ),
    "indented continuation lines": (
        "- Wrote the RFC\n  and got sign-off\n  from four teams\n- Next thing\n",
        ["Wrote the RFC and got sign-off from four teams", "Next thing"],
    ),
    "lazy wrapped continuation": (
        "- Moved the cron jobs onto the\nscheduler in two weeks\n",
        ["Moved the cron jobs onto the scheduler in two weeks"],
    ),
    "unindented line after bullet is its own unit": (
        "- Shipped billing v2\nMentored Ana on on-call.\n",
        ["Shipped billing v2", "Mentored Ana on on-call."],
    ),
    "multi-paragraph item": (
        "- Led the migration\n\n  It finished a week early.\n- Ran the retro\n",
        ["Led the migration It finished a week early.", "Ran the retro"],
    ),
    "prose sentences": (
        "I did A. Then B! Was it C? Yes. 2 more things happened.\n",
        ["I did A.", "Then B!", "Was it C?", "Yes.", "2 more things happened."],
    ),
    "abbreviations do not end sentences": (
        "Worked with PMs (e.g. Ana) on it, i.e. Product. Cut p95 approx. 30% vs. Q2. "
        "Dr. Lee and Mr. Ito approved it. Set max. 400 lines per PR.\n",
        [
            "Worked with PMs (e.g. Ana) on it, i.e. Product.",
            "Cut p95 approx. 30% vs. Q2.",
            "Dr. Lee and Mr. Ito approved it.",
            "Set max. 400 lines per PR.",
        ],
    ),
    "decimals, versions and URLs": (
        "Shipped v1.2 at 1.5x speed. See https://example.com/a.b/c for docs. Next is v2.0. Done.\n",
        [
            "Shipped v1.2 at 1.5x speed.",
            "See https://example.com/a.b/c for docs.",
            "Next is v2.0.",
            "Done.",
        ],
    ),
    "lower-case after a full stop is not a boundary": (
        "Improved perf. by a lot. It held.\n",
        ["Improved perf. by a lot.", "It held."],
    ),
    "quotes": (
        'He said "ship it." Then we did. "Later" was never.\n',
        ['He said "ship it."', "Then we did.", '"Later" was never.'],
    ),
    "no boundary inside inline code": (
        "Ran `make lint. Then test` before merging. Done.\n",
        ["Ran make lint. Then test before merging.", "Done."],
    ),
    "wrapped paragraph is joined": (
        "I spent the quarter moving billing to\nStripe with the payments team. It went\nwell and we shipped early.\n",
        [
            "I spent the quarter moving billing to Stripe with the payments team.",
            "It went well and we shipped early.",
        ],
    ),
    "plain dated log lines": (
        "2025-07-07: did A\n2025-07-08: did B. And C.\n",
        ["2025-07-07: did A", "2025-07-08: did B. And C."],
    ),
    "month-day log lines": (
        "Mar 3 - fixed the flaky test\nMar 4 - paired with Ana\nMarch 12: ran the retro.\n",
        ["Mar 3 - fixed the flaky test", "Mar 4 - paired with Ana", "March 12: ran the retro."],
    ),
    "wrapped dated entry": (
        "2025-07-07: moved the cron jobs and\n  wrote the runbook\n2025-07-08: demoed it\n",
        ["2025-07-07: moved the cron jobs and wrote the runbook", "2025-07-08: demoed it"],
    ),
    "short punctuated lines are a log": (
        "Shipped X. Took two days.\nMentored Y.\nFixed Z!\n",
        ["Shipped X. Took two days.", "Mentored Y.", "Fixed Z!"],
    ),
    "short unpunctuated lines are a log": (
        "Shipped billing v2\nMentored Ana\nFixed the flaky tests\n",
        ["Shipped billing v2", "Mentored Ana", "Fixed the flaky tests"],
    ),
    "headings are not units": (
        "# Title\n\n## Q1\n\nTitle Setext\n===\n\nSub\n---\n\n- Did X\n",
        ["Did X"],
    ),
    "bold-only labels are not units": (
        "**Projects**\n- A\n__Q3__\n- B\n**Impact:**\n- C\n**Growth**:\n- D\n",
        ["A", "B", "C", "D"],
    ),
    "horizontal rules are not units": ("- A\n\n---\n\n***\n___\n* * *\n- B\n", ["A", "B"]),
    "html comments are not units": (
        "<!-- note -->\n- A <!-- hidden --> done\n<!--\n- not a unit\n-->\n- B\n",
        ["A done", "B"],
    ),
    "unclosed comment does not swallow the rest": (
        "- Shipped the exporter\n<!-- todo\n- Fixed the tests\n",
        ["Shipped the exporter", "<!-- todo", "Fixed the tests"],
    ),
    "front matter is not a unit": ("---\ntitle: Brag\ntags: [a, b]\n---\n- A\n", ["A"]),
    "table separator lines are not units": ("| What |\n|:---:|\n| Did A |\n", ["Did A"]),
    "code fences are not units": (
        "- A\n```python\nprint('x. Y.')\n- not a bullet\n```\n~~~\ntext\n~~~\n- B\n",
        ["A", "B"],
    ),
    "unclosed fence does not swallow the rest": ("```\n- A\n- B\n", ["A", "B"]),
    "colon title is a label": (
        "Highlights:\nShipped X.\n\nKey results this half:\n- Y\n",
        ["Shipped X.", "Y"],
    ),
    "colon title bullet is a label": (
        "- Highlights:\n- Shipped X\n- Results: cut costs\n",
        ["Shipped X", "Results: cut costs"],
    ),
    "week-numbered log lines": (
        "W28: migrated the cron jobs\nWeek 29 - wrote the runbook\n",
        ["W28: migrated the cron jobs", "Week 29 - wrote the runbook"],
    ),
    "markdown is reduced": (
        "- **Led** the [migration](https://x.io/a) of `svc-billing` to _Stripe_ ~~late~~\n",
        ["Led the migration of svc-billing to Stripe late"],
    ),
    "empty bullets are dropped": ("-\n- \n* [ ]\n- 🎉\n", []),
}


@pytest.mark.parametrize(("doc", "expected"), list(RULES.values()), ids=list(RULES))
def test_rules(doc: str, expected: list[str]) -> None:
    units = split_units(doc)
    assert [u.text for u in units] == expected
    assert_invariants(doc, units)


GENERALISATIONS = {
    "review-tool answers": (
        "What were your biggest accomplishments this cycle?\n"
        "I led the billing migration. I also mentored Ana.\n\n"
        "Describe how you supported your team.\n\nRan office hours for three teams.\n",
        [
            ("I led the billing migration.", "What were your biggest accomplishments this cycle?"),
            ("I also mentored Ana.", "What were your biggest accomplishments this cycle?"),
            ("Ran office hours for three teams.", "Describe how you supported your team."),
        ],
    ),
    "review-tool headers without punctuation": (
        "Accomplishments and impact\nI led the billing migration. I also mentored Ana.\n\n"
        "Areas for growth\n\nDelegating earlier.\n",
        [
            ("I led the billing migration.", "Accomplishments and impact"),
            ("I also mentored Ana.", "Accomplishments and impact"),
            ("Delegating earlier.", "Areas for growth"),
        ],
    ),
    "short unpunctuated lines stay units": (
        "Billing export\nSearch revamp\nOn-call rota\n",
        [("Billing export", ""), ("Search revamp", ""), ("On-call rota", "")],
    ),
    "numbered review questions": (
        "1. What did you ship?\n   Shipped the exporter.\n2. Where did you grow?\n   Public speaking.\n",
        [
            ("Shipped the exporter.", "What did you ship?"),
            ("Public speaking.", "Where did you grow?"),
        ],
    ),
    "bracketed chat lines": (
        "[10:42] alice: shipped the thing\n[10:43] bob: nice!\n[10:44] alice: also fixed it\nand rolled out\n",
        [
            ("[10:42] alice: shipped the thing", ""),
            ("[10:43] bob: nice!", ""),
            ("[10:44] alice: also fixed it and rolled out", ""),
        ],
    ),
    "slack export": (
        "alice  10:42 AM\nshipped the billing export\nalso fixed the flaky test\n"
        "Bob Smith — Today at 10:43 AM\ngreat work\n",
        [("shipped the billing export", ""), ("also fixed the flaky test", ""), ("great work", "")],
    ),
    "teams and discord export": (
        "[10:42 AM] Alice Smith\nshipped the billing export\nalice 10:45 AM\nfixed the flaky test\n"
        "carol — 07/07/2025 10:46 AM\nmerged the PR\n",
        [("shipped the billing export", ""), ("fixed the flaky test", ""), ("merged the PR", "")],
    ),
    "irc chat": (
        "<alice> shipped the exporter\n<bob> nice\n",
        [("<alice> shipped the exporter", ""), ("<bob> nice", "")],
    ),
    "markdown table": (
        "## Wins\n\n| Date | What | Impact |\n|---|---|---|\n"
        "| 2025-07-01 | Shipped **billing v2** | -30% cost |\n"
        "| 2025-08-01 | Mentored Ana | |\n| Q3 | Fixed a\\|b parsing | ok |\n",
        [
            ("2025-07-01 — Shipped billing v2 — -30% cost", "Wins"),
            ("2025-08-01 — Mentored Ana", "Wins"),
            ("Q3 — Fixed a|b parsing — ok", "Wins"),
        ],
    ),
    "table without outer pipes": (
        "When | What\n--- | ---\nJuly | Shipped X\n",
        [("July — Shipped X", "")],
    ),
    "non-breaking space after the marker": (
        "-\u00a0Pasted from a doc\n\u00a0Indented by a non-breaking space\n",
        [("Pasted from a doc", ""), ("Indented by a non-breaking space", "")],
    ),
    "checkbox bullets": (
        "- [x] Migrated CI\n* [X] Wrote the RFC\n- [ ] Draft the roadmap\n[x] Hired two engineers\n",
        [
            ("Migrated CI", ""),
            ("Wrote the RFC", ""),
            ("Draft the roadmap", ""),
            ("Hired two engineers", ""),
        ],
    ),
    "blockquotes": (
        "> Shipped the exporter. Cut costs by half.\n>\n> - Quoted bullet\n> > Deeply quoted line.\n",
        [
            ("Shipped the exporter.", ""),
            ("Cut costs by half.", ""),
            ("Quoted bullet", ""),
            ("Deeply quoted line.", ""),
        ],
    ),
    "emoji and symbol bullets": (
        "• Bullet dot\n✅ Done thing\n▪ Square bullet\n🚀 Launched search\n→ Arrow item\n👩‍💻 Paired on it\n",
        [
            ("Bullet dot", ""),
            ("Done thing", ""),
            ("Square bullet", ""),
            ("Launched search", ""),
            ("Arrow item", ""),
            ("Paired on it", ""),
        ],
    ),
    "bold-only lines are sections": (
        "**Q3 2025**\n- Did A\n\n__Q4__\n\nDid B.\n",
        [("Did A", "Q3 2025"), ("Did B.", "Q4")],
    ),
    "title lines are sections": (
        "Key Achievements\n- Did A\n\nPROJECTS\n\n- Did B\n",
        [("Did A", "Key Achievements"), ("Did B", "PROJECTS")],
    ),
    "document title line": (
        "Self review — H1 2026\n\n- Did A\n",
        [("Did A", "Self review — H1 2026")],
    ),
    "title-only parent items": (
        "- **Q3**\n  - Did A\n- Highlights:\n  - Did B\n- Real parent work\n  - Child work\n",
        [
            ("Did A", "Q3"),
            ("Did B", "Highlights"),
            ("Real parent work", "Highlights"),
            ("Child work", "Highlights"),
        ],
    ),
    "html details blocks": (
        "<details>\n<summary>Q1</summary>\n\n- Did A\n\n</details>\n",
        [("Did A", "Q1")],
    ),
    "date-only lines head entries": (
        "2025-07-07\nShipped the exporter.\nFixed the deploy test.\n",
        [("Shipped the exporter.", "2025-07-07"), ("Fixed the deploy test.", "2025-07-07")],
    ),
}


@pytest.mark.parametrize(("doc", "expected"), list(GENERALISATIONS.values()), ids=list(GENERALISATIONS))
def test_generalisations(doc: str, expected: list[tuple[str, str]]) -> None:
    units = split_units(doc)
    assert [(u.text, u.section) for u in units] == expected
    assert_invariants(doc, units)


# ---------------------------------------------------------------------------------------------
# Positions, sections, raw
# ---------------------------------------------------------------------------------------------

MIXED = """# Brag 2026

## Projects

- **Led** the [exporter](https://x.io) rewrite
  across three services
  - Wrote the design doc
1. Numbered thing

Prose starts here. It wraps onto
the next line. Then ends.

**Team**

| Who | What |
|---|---|
| Ana | Paired on on-call |

> Quoted win.

2025-07-07: dated line
"""


def test_positions_sections_and_raw() -> None:
    units = split_units(MIXED)
    assert_invariants(MIXED, units)
    got = [(u.id, u.line, u.end_line, u.section, u.raw) for u in units]
    assert got == [
        (
            "u1",
            5,
            6,
            "Projects",
            "**Led** the [exporter](https://x.io) rewrite\n  across three services",
        ),
        ("u2", 7, 7, "Projects", "Wrote the design doc"),
        ("u3", 8, 8, "Projects", "Numbered thing"),
        ("u4", 10, 10, "Projects", "Prose starts here."),
        ("u5", 10, 11, "Projects", "It wraps onto\nthe next line."),
        ("u6", 11, 11, "Projects", "Then ends."),
        ("u7", 17, 17, "Team", "| Ana | Paired on on-call |"),
        ("u8", 19, 19, "Team", "Quoted win."),
        ("u9", 21, 21, "Team", "2025-07-07: dated line"),
    ]
    assert units[0].text == "Led the exporter rewrite across three services"
    assert units[6].text == "Ana — Paired on on-call"


def test_text_is_reduce_markdown_of_raw() -> None:
    doc = "- **Bold** and `code`\n  wrapped\n\nA [link](u) here. *Em* there.\n"
    for u in split_units(doc):
        assert u.text == reduce_markdown(u.raw)


def test_section_before_any_heading_is_empty() -> None:
    assert sections("- Did A\n\n## Later\n- Did B\n") == [("Did A", ""), ("Did B", "Later")]


def test_multiline_blockquote_text_has_no_markers() -> None:
    doc = "> Quoted line continues\n> here. Next.\n"
    units = split_units(doc)
    assert [u.text for u in units] == ["Quoted line continues here.", "Next."]
    assert units[0].raw == "Quoted line continues\n> here."
    assert_invariants(doc, units)


# ---------------------------------------------------------------------------------------------
# Input forms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings(newline: str) -> None:
    lf = [(u.text, u.line, u.end_line, u.section, u.raw) for u in split_units(MIXED)]
    other = split_units(MIXED.replace("\n", newline))
    assert [(u.text, u.line, u.end_line, u.section, u.raw) for u in other] == lf
    assert all("\r" not in u.raw for u in other)


def test_tabs() -> None:
    doc = "-\tTabbed bullet\n\t- Nested under a tab\n\t  and continued\n\t\tDeeper continuation\n\tOwn line\n"
    units = split_units(doc)
    assert [(u.text, u.line, u.end_line) for u in units] == [
        ("Tabbed bullet", 1, 1),
        ("Nested under a tab and continued Deeper continuation", 2, 4),
        ("Own line", 5, 5),  # at the marker's indentation: not a continuation
    ]
    assert_invariants(doc, units)


def test_unicode() -> None:
    doc = (
        "\ufeff## Équipe 🦉\n- Déployé le cache — 30 % plus rapide 🚀\n• 日本語の箇条書き\n"
        "Ünïcödé works. Ça marche aussi.\n- Fixed the team‚Äôs dashboard\n"
    )
    units = split_units(doc)
    assert [(u.text, u.section) for u in units] == [
        ("Déployé le cache — 30 % plus rapide 🚀", "Équipe 🦉"),
        ("日本語の箇条書き", "Équipe 🦉"),
        ("Ünïcödé works.", "Équipe 🦉"),
        ("Ça marche aussi.", "Équipe 🦉"),
        ("Fixed the team’s dashboard", "Équipe 🦉"),  # Mac Roman mojibake repaired
    ]
    assert_invariants(doc, units)


@pytest.mark.parametrize("doc", ["", " ", "\n\n", " \t\r\n \n", "\ufeff", "---\n", "<!-- -->", "```\n```"])
def test_empty_documents(doc: str) -> None:
    assert split_units(doc) == []


def test_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        split_units(None)  # type: ignore[arg-type]


def test_split_sentences() -> None:
    assert split_sentences("  One. Two e.g. three!  Four?\n") == [
        "One.",
        "Two e.g. three!",
        "Four?",
    ]
    assert split_sentences(" \n ") == []


# ---------------------------------------------------------------------------------------------
# Robustness and size
# ---------------------------------------------------------------------------------------------

SIZE_CASES = {
    "100k lower-case one-char lines": ("x\n" * 100_000, 100_000),  # a notes dump
    "100k upper-case one-char lines": ("X\n" * 100_000, 100_000),
    "100k dash lines": ("-\n" * 100_000, 0),
    "100k bullets": ("- a\n" * 100_000, 100_000),
    "100k nested bullets": ("".join(" " * (i % 50) + "- a\n" for i in range(100_000)), 100_000),
    "100k fences": ("```\n" * 100_000, 0),
    "100k open comments": ("<!--\n" * 100_000, 0),
    "100k table rows": ("| a |\n" * 100_000, 100_000),
    "20k bold-led lines": ("**a** b\n" * 20_000, 20_000),
    "20k unclosed bold lines": ("**a b\n" * 20_000, 20_000),
    "20k notes lines": ("fixed the flaky login test in ci\n" * 20_000, 20_000),
    "20k wrapped prose lines": ("moved the reporting stack off the cron box and the\n" * 20_000, 1),
    "20k standup labels": ("today\nfixed x\n" * 20_000, 20_000),
    "5k nested bold titles": ("".join(" " * (i % 200) + "- **t**\n" for i in range(5_000)), 5_000),
    "1 MB of TODO words": ("- " + "TODO " * 200_000, 1),
    "100k headings": ("# h\n" * 100_000, 0),
    "1 MB of one letter": ("a" * 1_000_000, 1),
    "1 MB of words": ("word " * 200_000, 1),
    "1 MB of sentences": ("Did it. " * 125_000, 125_000),
    "1 MB of full stops": ("." * 1_000_000, 0),
    "1 MB of spaces then a word": (" " * 1_000_000 + "x", 1),
    "1 MB of quote markers": ("> " * 500_000 + "x", 1),
    "1 MB of hashes": ("#" * 1_000_000, 0),
    "1 MB bullet": ("- " + "ab " * 333_000, 1),
    "1 MB of backtick words": ("`a " * 333_000, 1),
    "1 MB of comment openers": ("<!--" * 250_000, 0),
}


@pytest.mark.parametrize(("doc", "count"), list(SIZE_CASES.values()), ids=list(SIZE_CASES))
def test_size_cases_run(doc: str, count: int) -> None:
    # No timer assertion (flaky on shared machines): a quadratic path would make this hang instead.
    assert len(split_units(doc)) == count


TEXT_PY_SIZE_CASES = {
    "1 MB of unmatched bold markers": "**a " * 250_000,
    "1 MB of unmatched link brackets": "[a " * 333_000,
    "1 MB of accented letters": "é" * 1_000_000,
}


@pytest.mark.parametrize("doc", list(TEXT_PY_SIZE_CASES.values()), ids=list(TEXT_PY_SIZE_CASES))
def test_size_cases_bound_by_text_helpers(doc: str) -> None:
    assert len(split_units(doc)) <= 1


def test_falls_back_to_lines_on_internal_error(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(src: list[str]) -> list[Unit]:
        raise RuntimeError("boom")

    monkeypatch.setattr(brag, "_split", broken)
    with caplog.at_level(logging.ERROR, logger="matcher.brag.split"):
        units = split_units("# H\n- **A**\n\nB\n")
    assert [(u.id, u.text, u.line) for u in units] == [
        ("u1", "# H", 1),
        ("u2", "- A", 2),
        ("u3", "B", 4),
    ]
    assert "falling back" in caplog.text


def test_does_not_print(capsys: pytest.CaptureFixture[str]) -> None:
    split_units(MIXED)
    assert capsys.readouterr() == ("", "")


_PIECES = [
    *"-*+#>|`~_[]()!?.:;, \t\n\r0123456789aAzZ",
    "<!--",
    "-->",
    "```",
    "~~~",
    "**",
    "__",
    "1. ",
    "2) ",
    "- [x] ",
    "✅ ",
    "• ",
    "🚀",
    "é",
    "\ufeff",
    "\ue000",
    "\ue0010\ue001",
    "2025-07-07: ",
    "Mar 3 - ",
    "[10:42] ",
    "alice  10:42 AM\n",
    "e.g. ",
    "---\n",
    "===\n",
    "\r\n",
    "| a | b |\n",
    "|---|---|\n",
    "<details>\n",
    "**Label:**\n",
    "What?\n",
]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_fuzz_markdown_never_raises_and_keeps_invariants(doc: str) -> None:
    units = brag._split(source_lines(doc))  # the splitter itself, without the fallback net
    assert_invariants(doc, units)
    assert [u.text for u in split_units(doc)] == [u.text for u in units]


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(max_size=300))
def test_fuzz_any_text_never_raises(doc: str) -> None:
    assert_invariants(doc, brag._split(source_lines(doc)))
