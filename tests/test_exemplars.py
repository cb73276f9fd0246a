"""The shipped exemplar files: format, size, variety, and no leak of the held-out dev set."""

from __future__ import annotations

import numpy as np
import pytest

from matcher import load_ladder
from matcher.errors import ExemplarError
from matcher.exemplars import find_exemplar_file, format_exemplars, load_exemplars, parse_exemplars
from matcher.llm.guards import DISTINCT_MAX_SHARED, holdout_ngrams, leaks, shared_trigrams
from matcher.text import reduce_markdown
from tests.helpers import ROOT, need_shared

SHIPPED = ["lead-software-engineer", "lead-data-engineer"]
MIN_PER_STATEMENT = 25
# Issue 12: a realistic no-evidence class of routine work, learning, plans and small fixes.
MIN_NOISE = 400


@pytest.fixture(scope="module")
def held_out(dev_labels) -> list[dict]:
    """Every unit of both dev sets (shared/eval and eval/realistic): no exemplar may copy one."""
    import json

    realistic = (ROOT / "eval" / "realistic" / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    return [*dev_labels, *(json.loads(line) for line in realistic if line)]


@pytest.mark.parametrize("ladder_id", SHIPPED)
def test_every_statement_has_enough_exemplars(ladder_id):
    ladder = load_ladder(ladder_id)
    ex = load_exemplars(ladder)
    assert find_exemplar_file(ladder) is not None
    counts = {s.id: len(ex.by_statement.get(s.id, ())) for s in ladder.statements}
    assert min(counts.values()) >= MIN_PER_STATEMENT, counts
    assert len(ex.noise) >= MIN_NOISE


@pytest.mark.parametrize("ladder_id", SHIPPED)
def test_lines_of_a_statement_are_distinct(ladder_id):
    ladder = load_ladder(ladder_id)
    ex = load_exemplars(ladder)
    groups = {**ex.by_statement, "noise": ex.noise}
    # The same guard `evidence-matcher expand` filters generated lines with (matcher.llm.guards).
    for sid, lines in groups.items():
        for i in range(len(lines)):
            for j in range(i + 1, len(lines)):
                assert shared_trigrams(lines[i], lines[j]) <= DISTINCT_MAX_SHARED, (sid, lines[i], lines[j])


@pytest.mark.parametrize("ladder_id", SHIPPED)
def test_no_exemplar_copies_a_dev_unit(ladder_id, held_out):
    """Exemplars must not share an 8-word run with any dev unit (the dev set stays held out)."""
    ladder = load_ladder(ladder_id)
    ex = load_exemplars(ladder)
    dev8 = holdout_ngrams(row["unit"] for row in held_out)
    lines = [x for v in ex.by_statement.values() for x in v] + list(ex.noise)
    leaked = [x for x in lines if leaks(x, dev8)]
    assert not leaked, leaked[:5]


@pytest.mark.slow
def test_no_exemplar_is_a_close_paraphrase_of_a_dev_unit(held_out):
    from matcher.prepare import get_embedder

    emb = get_embedder()
    dev = emb.encode([reduce_markdown(r["unit"]) for r in held_out])
    for ladder_id in SHIPPED:
        ex = load_exemplars(load_ladder(ladder_id))
        lines = [x for v in ex.by_statement.values() for x in v] + list(ex.noise)
        sims = emb.encode(lines) @ dev.T
        worst = np.unravel_index(np.argmax(sims), sims.shape)
        assert sims.max() < 0.9, (lines[worst[0]], held_out[worst[1]]["unit"], float(sims.max()))


def test_parse_rejects_unknown_heading():
    ladder = load_ladder("lead-software-engineer")
    with pytest.raises(ExemplarError, match=r"x\.md:3: heading 'I juggle flaming torches\.'"):
        parse_exemplars("# x\n\n## I juggle flaming torches.\n- a\n", ladder, source="x.md")


def test_parse_matches_headings_loosely_and_roundtrips():
    ladder = load_ladder("lead-software-engineer")
    s = ladder.statements[0]
    text = f"## {s.text.upper().rstrip('.')}\n- one line\n*  two   line\nnot a bullet\n\n## No evidence\n- lunch\n"
    ex = parse_exemplars(text, ladder)
    assert ex.by_statement[s.id] == ("one line", "two line")
    assert ex.noise == ("lunch",)
    again = parse_exemplars(format_exemplars(ladder, ex), ladder)
    assert again.by_statement == ex.by_statement and again.noise == ex.noise


def test_seed_ladder_finds_corpus_exemplars_by_id():
    seeds = need_shared() / "seeds"
    ladder = load_ladder(seeds / "L4-Lead-Software-Engineer.raw.md")
    ex = load_exemplars(ladder)
    assert len(ex.covers) == len(ladder.statements)
