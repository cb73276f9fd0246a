"""Exemplars carried over to a ladder without its own, by statement similarity (real model)."""

from __future__ import annotations

import pytest

from matcher import Matcher, load_ladder, parse_ladder
from matcher.carryover import CARRY_MIN_SIMILARITY, carry_over, shipped_donors

pytestmark = pytest.mark.slow

# A "next level" ladder: two statements reworded from the shipped L4 ladder, one with no twin there.
LADDER = """# L5: Staff Software Engineer

## 🦉 Domain expertise

- I stay informed on evolving standards, platform features and technologies, and act on them.
- I make thoughtful architectural decisions that address security, scalability and maintainability.
- I keep the office plants watered and the fish tank clean.
"""


@pytest.fixture(scope="module")
def staff(matchers):
    lead = matchers("lead-software-engineer")
    ladder = parse_ladder(LADDER, source="staff.md")
    return ladder, lead.embedder


def test_twins_borrow_and_strangers_do_not(staff):
    ladder, embedder = staff
    got = carry_over(ladder, shipped_donors(), embedder)
    stay, arch, plants = (s.id for s in ladder.statements)
    assert got.sources.get(stay) == "lead-software-engineer"
    assert got.sources.get(arch) == "lead-software-engineer"
    assert plants not in got.sources
    donors = dict((lad.id, ex) for lad, ex in shipped_donors())
    lead = load_ladder("lead-software-engineer")
    twin = next(s for s in lead.statements if s.text.startswith("I stay informed"))
    assert got.exemplars.by_statement[stay] == donors["lead-software-engineer"].by_statement[twin.id]
    assert len(got.exemplars.noise) >= 100


def test_threshold_is_respected(staff):
    ladder, embedder = staff
    assert carry_over(ladder, shipped_donors(), embedder, min_similarity=1.01).sources == {}
    assert 0 < CARRY_MIN_SIMILARITY < 1


def test_matcher_borrows_says_so_and_still_scores_bare_statements(staff):
    ladder, embedder = staff
    m = Matcher.from_ladder(ladder, embedder=embedder)
    assert len(m.borrowed) == 2
    report = m.match(
        "- Moved our services to the new platform runtime a quarter before the old one was deprecated\n"
        "- Kept the office plants watered and the fish tank clean all year\n"
    )
    assert report.meta["exemplars_borrowed"] == 2
    assert any("borrow" in w for w in report.meta["warnings"])
    assert any("1 statements" in w for w in report.meta["warnings"])
    stay, _arch, plants = (s.id for s in ladder.statements)
    u1, u2 = report.units
    assert stay in u1.evidences
    # The statement without exemplars is scored on its text, so a unit that says it can evidence it.
    assert plants in u2.evidences
