"""Tests of matcher.ladder: parsing every shared ladder file, the known counts, and the errors."""

from __future__ import annotations

import csv
import logging
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from matcher.errors import LadderError, LadderNotFound
from matcher.ladder import (
    InheritedExample,
    corpus_dir,
    load_ladder,
    load_ladders,
    own_examples,
    parse_ladder,
    resolve_ladders,
)
from matcher.models import Ladder
from tests.helpers import CORPUS, LADDERS, ROOT, SHARED

SEEDS = SHARED / "seeds"
NO_SHARED = f"{SHARED} is absent: the shared ladder files are not available here"

needs_shared = pytest.mark.skipif(not LADDERS.is_dir(), reason=NO_SHARED)

MINIMAL = """# L2: Test Engineer

> _I test things._

- **Planning horizon**: Current cycle

## 🦉 Domain expertise

- I know my domain.
- I read [the docs](https://example.com/docs)

<details>
<summary>Examples</summary>

- I fixed a bug.

</details>
"""


def _shared_files() -> list[Path] | list[object]:
    if not LADDERS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SHARED))]
    return sorted(p for p in LADDERS.rglob("*") if p.is_file())


def _file_id(path: Path | None) -> str:
    return str(path.relative_to(LADDERS)) if path else "absent"


def _read_counts() -> list[dict[str, str]]:
    tsv = SHARED / "ladder-counts.tsv"
    if not tsv.is_file():
        return []
    lines = [line for line in tsv.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _counts_rows() -> list[object]:
    rows = [r for r in _read_counts() if r["path"] != "TOTAL"]
    if not rows:
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_SHARED))]
    return [pytest.param(r["path"], r, id=r["path"]) for r in rows]


def _without_path(ladder: Ladder) -> Ladder:
    return replace(ladder, path=None)


# --------------------------------------------------------------------------------------------
# Every shared file


@pytest.mark.parametrize("path", _shared_files(), ids=_file_id)
def test_every_shared_file(path: Path) -> None:
    if path.name == "LICENSE":
        with pytest.raises(LadderError, match="LICENSE"):
            load_ladder(path)
        with pytest.raises(LadderError, match=r"LICENSE:1: no title"):
            parse_ladder(path.read_text(), source=str(path))
        return
    ladder = load_ladder(path)
    assert ladder.id and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", ladder.id)
    assert ladder.title and not ladder.title.startswith(("#", "*", "L1", "L2", "L3", "L4"))
    if "Graduate" in path.name:
        assert ladder.statements == () and "L1-Junior-Software-Engineer.md" in ladder.note
        return
    assert ladder.statements
    ids = [s.id for s in ladder.statements]
    assert len(ids) == len(set(ids))
    for pillar in ladder.pillars:
        assert pillar.name and pillar.name == pillar.name.strip()
        assert pillar.statements or pillar.examples
        for n, statement in enumerate(pillar.statements, start=1):
            assert statement.pillar == pillar.name
            assert statement.id.endswith(f"-{n}")
            assert statement.text == statement.text.strip() and "\n" not in statement.text
            # Group labels ("Within my group:") must not survive as statements.
            assert not statement.display.endswith(":")
    assert all(e.text.strip() for e in ladder.examples)


@needs_shared
def test_load_ladders_reads_the_shared_folder_and_skips_license(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="matcher.ladder"):
        ladders = load_ladders(LADDERS)
    assert len(ladders) == 45
    assert [lad.path for lad in ladders] == sorted(lad.path for lad in ladders)
    # Companions such as LICENSE are expected beside ladders: skipped quietly (debug), not warned of.
    assert any("LICENSE" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)
    assert not any("LICENSE" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert all(lad.path is not None and lad.path.name != "LICENSE" for lad in ladders)


@needs_shared
def test_load_ladders_not_recursive() -> None:
    ladders = load_ladders(LADDERS, recursive=False)
    names = {lad.path.name for lad in ladders if lad.path}
    assert names == {
        "Everyone.md",
        "Leadership.md",
        "Marketing.md",
        "Product.md",
        "Sales-Engineering.md",
        "Solutions.md",
        "rnd-operations.md",
    }


# --------------------------------------------------------------------------------------------
# Counts from ladder-counts.tsv


@pytest.mark.parametrize(("rel", "row"), _counts_rows())
def test_counts_match_tsv(rel: str, row: dict[str, str]) -> None:
    ladder = load_ladder(LADDERS / rel)
    assert len(ladder.pillars) == int(row["pillars"])
    assert len(ladder.statements) == int(row["statements"])
    # Examples are the ladder's own; Leadership.md qualities are counted out.
    assert len(own_examples(ladder)) == int(row["examples"])


@needs_shared
def test_counts_total() -> None:
    rows = _read_counts()
    ladders = [load_ladder(LADDERS / r["path"]) for r in rows if r["path"] != "TOTAL"]
    total = next(r for r in rows if r["path"] == "TOTAL")
    assert len(ladders) == 23
    assert sum(len(lad.statements) for lad in ladders) == int(total["statements"]) == 439
    assert sum(len(own_examples(lad)) for lad in ladders) == int(total["examples"]) == 391


# --------------------------------------------------------------------------------------------
# Raw seeds (Mac Roman mojibake) read the same as the corpus


@needs_shared
@pytest.mark.parametrize(
    ("seed", "corpus_id"),
    [
        ("L4-Lead-Software-Engineer.raw.md", "lead-software-engineer"),
        ("L4-Lead-Data-Engineer.raw.md", "lead-data-engineer"),
    ],
)
def test_raw_seed_equals_corpus(seed: str, corpus_id: str) -> None:
    raw = SEEDS / seed
    assert "ü¶â" in raw.read_text(encoding="utf-8")  # the seed really is mojibake
    from_seed = load_ladder(raw)
    from_corpus = load_ladder(CORPUS / f"{corpus_id}.md")
    assert from_seed.pillars == from_corpus.pillars
    assert _without_path(from_seed) == _without_path(from_corpus)
    assert from_seed.pillars[0].emoji == "🦉"
    assert from_seed.id == corpus_id


# --------------------------------------------------------------------------------------------
# Ids, levels, titles


@needs_shared
@pytest.mark.parametrize(
    ("rel", "ladder_id", "level", "title"),
    [
        (
            "Engineering/Software-Engineering/L4-Lead-Software-Engineer.md",
            "lead-software-engineer",
            "L4",
            "Lead Software Engineer",
        ),
        (
            "Engineering/Cloud-Engineering/L4 - Lead Cloud Engineer.md",
            "lead-cloud-engineer",
            "L4",
            "Lead Cloud Engineer",
        ),
        (
            "Engineering/Engineering-Management/L4-Engineering-Manager.md",
            "engineering-manager",
            "L4",
            "Engineering Manager",
        ),
        (
            "Engineering/Software-Engineering/L1.0-Graduate-Software-Engineer.md",
            "graduate-software-engineer",
            "L1.0",
            "Graduate Software Engineer",
        ),
        (
            "Customer-Success/L2-Junior-Customer-Success-Manager",
            "junior-customer-success-manager",
            "L2",
            "Junior Customer Success Manager",
        ),
        (
            "Customer-Success/L4-Senior-Customer-Success-Manager",
            "senior-customer-success-manager",
            "L4",
            "Senior Customer Success Manager",
        ),
        ("Leadership.md", "leadership-roles", "", "Leadership Roles"),
        ("rnd-operations.md", "r-d-operations-manager", "L3", "R&D Operations Manager"),
    ],
)
def test_ids_levels_titles(rel: str, ladder_id: str, level: str, title: str) -> None:
    ladder = load_ladder(LADDERS / rel)
    assert (ladder.id, ladder.level, ladder.title) == (ladder_id, level, title)


def test_corpus_statement_ids_text_and_meta() -> None:
    ladder = load_ladder("lead-software-engineer")
    assert ladder.path == CORPUS / "lead-software-engineer.md"
    first = ladder.statement("domain-expertise-1")
    assert first.text == "I am a well-rounded developer, architect and problem solver."
    assert first.pillar == "Domain expertise"
    leadership = ladder.statement("culture-and-leadership-1")
    assert leadership.text == (
        "I encompass all of the qualities listed in "
        "[Leadership](https://github.com/OctopusDeploy/People/blob/main/Leadership.md)."
    )
    assert [p.emoji for p in ladder.pillars] == ["🦉", "🌱", "🧭", "🏆"]
    assert ladder.meta[0] == ("Planning horizon", "6-12 months")
    assert len(ladder.meta) == 4
    assert ladder.blurb.startswith("I am a well-rounded developer") and "_" not in ladder.blurb
    assert own_examples(ladder) == ladder.examples  # no Leadership.md near the corpus


@needs_shared
def test_level_prefixed_id_and_file_stem_find_corpus_ladder() -> None:
    assert load_ladder("L4-Lead-Software-Engineer").id == "lead-software-engineer"
    assert load_ladder("Lead Data Engineer").id == "lead-data-engineer"


# --------------------------------------------------------------------------------------------
# Leadership.md qualities


@needs_shared
@pytest.mark.parametrize(
    "rel",
    [
        "Engineering/Software-Engineering/L4-Lead-Software-Engineer.md",
        # This one names Leadership without a link.
        "Engineering/Site-Reliability-Engineering/L4-Lead-Site-Reliability-Engineer.md",
    ],
)
def test_leadership_qualities_attached(rel: str) -> None:
    ladder = load_ladder(LADDERS / rel)
    pillar = next(p for p in ladder.pillars if p.name == "Culture and Leadership")
    inherited = [e for e in pillar.examples if isinstance(e, InheritedExample)]
    assert len(inherited) == 35  # every bullet of Leadership.md
    assert inherited[0].text.startswith("People want to work with me")
    assert all(Path(e.source) == LADDERS / "Leadership.md" for e in inherited)
    assert pillar.examples[-35:] == tuple(inherited)  # after the ladder's own examples
    others = [p for p in ladder.pillars if p is not pillar]
    assert not any(isinstance(e, InheritedExample) for p in others for e in p.examples)


@needs_shared
def test_no_leadership_without_the_statement() -> None:
    ladder = load_ladder(LADDERS / "Engineering/Software-Engineering/L3-Senior-Software-Engineer.md")
    assert own_examples(ladder) == ladder.examples


def test_leadership_found_in_parent_folder(tmp_path: Path) -> None:
    (tmp_path / "Leadership.md").write_text("# Leadership\n\n## Leader\n\n- I lead.\n- I serve.\n")
    nested = tmp_path / "Eng" / "Team"
    nested.mkdir(parents=True)
    text = MINIMAL.replace("- I know my domain.", "- I encompass all of the qualities listed in [Leadership](x).")
    (nested / "L2-x.md").write_text(text)
    ladder = load_ladder(nested / "L2-x.md")
    assert [e.text for e in ladder.examples] == ["I fixed a bug.", "I lead.", "I serve."]
    assert [e.text for e in own_examples(ladder)] == ["I fixed a bug."]
    # Without a path there is no folder to look in.
    assert len(parse_ladder(text).examples) == 1


# --------------------------------------------------------------------------------------------
# Format variations


def test_crlf_equivalence() -> None:
    assert parse_ladder(MINIMAL.replace("\n", "\r\n")) == parse_ladder(MINIMAL)


@needs_shared
@pytest.mark.parametrize(
    "rel",
    ["Solutions.md", "Engineering/Software-Engineering/L5-Principal-Software-Engineer.md"],
)
def test_crlf_equivalence_shared(rel: str, tmp_path: Path) -> None:
    data = (LADDERS / rel).read_bytes()
    lf, crlf = tmp_path / "lf" / "x.md", tmp_path / "crlf" / "x.md"
    for path, content in (
        (lf, data.replace(b"\r\n", b"\n")),
        (crlf, data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")),
    ):
        path.parent.mkdir()
        path.write_bytes(content)
    assert _without_path(load_ladder(lf)) == _without_path(load_ladder(crlf))


@needs_shared
def test_shortcode_headings_shared() -> None:
    ladder = load_ladder(LADDERS / "Engineering/Engineering-Management/L4-Engineering-Manager.md")
    assert [(p.emoji, p.name) for p in ladder.pillars] == [
        (":triangular_flag_on_post:", "Leadership"),
        (":deciduous_tree:", "Managing Individuals"),
        (":octopus:", "Managing teams"),
    ]
    assert [len(p.statements) for p in ladder.pillars] == [8, 5, 9]
    assert len(ladder.pillars[2].examples) == 5  # the indented <details> block


def test_shortcode_heading_equals_emoji_heading() -> None:
    ladder = parse_ladder(MINIMAL.replace("🦉", ":owl:"))
    assert ladder.pillars[0].emoji == ":owl:"
    assert ladder.pillars[0].name == "Domain expertise"
    assert ladder.statements == parse_ladder(MINIMAL).statements


def test_statement_text_is_kept_as_written() -> None:
    ladder = parse_ladder(MINIMAL)
    # The link is kept and no full stop is added to the second statement.
    assert [s.text for s in ladder.statements] == [
        "I know my domain.",
        "I read [the docs](https://example.com/docs)",
    ]
    assert ladder.statements[1].display == "I read the docs"


def test_variations() -> None:
    text = (
        "# L4 Lead Test Engineer\n"
        "> I test things\n"
        "> across two lines.\n\n"
        "**Planning horizon:** 6-12 months  \n"
        "**Impact radius:** Team\n\n"
        "## 🌱 Teaching\n"
        "* I teach.\n"
        "* Within my group:\n"
        "    * I mentor a\n"
        "      wrapped line.\n"
        "    * I coach.\n"
        "**Examples:**\n\n"
        "- I ran a session.\n\n"
        "## 🧭 Culture\n\n"
        "> A pillar blurb that is not kept.\n"
        "- I lead.\n\n"
        "<details>\n"
        "  <summary> Examples </summary>\n\n"
        "  - I led a retro.\n"
        "  </details>\n\n"
        "## What success looks like\n\n"
        "Some prose that is dropped.\n\n"
        "- Ship things"  # no final newline
    )
    ladder = parse_ladder(text)
    assert (ladder.level, ladder.title, ladder.id) == (
        "L4",
        "Lead Test Engineer",
        "lead-test-engineer",
    )
    assert ladder.blurb == "I test things across two lines."
    assert ladder.meta == (("Planning horizon", "6-12 months"), ("Impact radius", "Team"))
    teaching, culture, success = ladder.pillars
    assert [s.text for s in teaching.statements] == [
        "I teach.",
        "I mentor a wrapped line.",
        "I coach.",
    ]
    assert [s.id for s in teaching.statements] == ["teaching-1", "teaching-2", "teaching-3"]
    assert [e.text for e in teaching.examples] == ["I ran a session."]
    assert [s.text for s in culture.statements] == ["I lead."]
    assert [e.text for e in culture.examples] == ["I led a retro."]
    assert success.statements == () and [e.text for e in success.examples] == ["Ship things"]


def test_bold_title_and_star_headings() -> None:
    text = (
        "**Junior Test Manager\n\n"
        ">I am junior.\n\n\n"
        "***Core Competencies\n"
        "- I do the core.\n\n"
        "***Team Collaboration & Attitude\n"
        "- I collaborate.\n"
    )
    ladder = parse_ladder(text, path=Path("L2-Junior-Test-Manager"))
    assert (ladder.id, ladder.level, ladder.title) == (
        "junior-test-manager",
        "L2",
        "Junior Test Manager",
    )
    assert ladder.blurb == "I am junior."
    assert [p.name for p in ladder.pillars] == [
        "Core Competencies",
        "Team Collaboration & Attitude",
    ]
    assert [s.id for s in ladder.statements] == [
        "core-competencies-1",
        "team-collaboration-attitude-1",
    ]


def test_multi_role_file_makes_one_pillar_per_role() -> None:
    text = (
        "# Test Roles\n\nSome intro.\n\n"
        "## Tester\n\n> I test.\n\n"
        "### I find bugs\n- I find bugs.\n- I file bugs.\n\n"
        "### I am a student of my craft\n- I learn.\n\n"
        "## Senior Tester\n\n> I test more.\n\n"
        "## I am a student of my craft\n- I teach.\n"  # same level as the role, as in Solutions.md
    )
    ladder = parse_ladder(text)
    assert [p.name for p in ladder.pillars] == ["Tester", "Senior Tester"]
    assert [s.id for s in ladder.statements] == [
        "tester-1",
        "tester-2",
        "tester-3",
        "senior-tester-1",
    ]
    assert ladder.statements[-1].pillar == "Senior Tester"
    assert ladder.note == "Some intro."


@needs_shared
def test_multi_role_shared_files() -> None:
    product = load_ladder(LADDERS / "Product.md")
    assert [p.name for p in product.pillars] == [
        "Product Manager",
        "Senior Product Manager",
        "Principal Product Manager",
        "Product Operations Manager",
        "Director of Product",
    ]
    solutions = load_ladder(LADDERS / "Solutions.md")
    assert [len(p.statements) for p in solutions.pillars] == [18, 7, 9, 13]
    marketing = load_ladder(LADDERS / "Marketing.md")
    assert len(marketing.pillars) == 1 and len(marketing.statements) == 17


def test_pillar_slugs_are_unique() -> None:
    text = "# X\n\n## 🦉 Culture\n- I a.\n\n## 🧭 Culture\n- I b.\n\n## Culture!\n- I c.\n"
    ids = [s.id for s in parse_ladder(text).statements]
    assert ids == ["culture-1", "culture-2-1", "culture-3-1"]


def test_duplicate_statements_kept_with_warning(caplog: pytest.LogCaptureFixture) -> None:
    text = "# X\n\n## P\n- I do it.\n- I do it\n- I do more.\n"
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        ladder = parse_ladder(text, source="dup.md")
    assert len(ladder.statements) == 3
    assert any("dup.md" in r.getMessage() and "I do it" in r.getMessage() for r in caplog.records)


@needs_shared
def test_pointer_stub() -> None:
    ladder = load_ladder(LADDERS / "Engineering/Software-Engineering/L1.0-Graduate-Software-Engineer.md")
    assert ladder.pillars == ()
    assert ladder.note == (
        "No statements of its own: points to Junior Software Engineer (L1-Junior-Software-Engineer.md)."
    )


# --------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("text", ["", "   \n\n  \n"])
def test_empty(text: str) -> None:
    with pytest.raises(LadderError, match=r"empty\.md: is empty"):
        parse_ladder(text, source="empty.md")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text("")
    with pytest.raises(LadderError, match=r"x\.md"):
        load_ladder(tmp_path / "x.md")


def test_title_but_no_pillars() -> None:
    with pytest.raises(LadderError, match=r"notes\.md:3: the ladder 'Notes' has no pillars"):
        parse_ladder("\n\n# Notes\n\nJust some prose.\n", source="notes.md")


def test_pillars_without_statements() -> None:
    text = "# X\n\n## Examples only\n\n<details>\n\n- I did.\n\n</details>\n"
    with pytest.raises(LadderError, match="pillars but no statements"):
        parse_ladder(text, source="x.md")


def test_no_title() -> None:
    with pytest.raises(LadderError, match=r"x\.md:2: no title"):
        parse_ladder("\nSome prose.\n\n- I am a bullet.\n", source="x.md")


def test_exemplars_file_is_not_a_ladder(tmp_path: Path) -> None:
    path = tmp_path / "a.exemplars.md"
    path.write_text("<!-- evidence-matcher exemplars v1 -->\n# Exemplars: A\n\n## I a.\n\n- x\n")
    with pytest.raises(LadderError, match="exemplars"):
        load_ladder(path)
    with pytest.raises(LadderError, match="exemplars"):
        parse_ladder(path.read_text())


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(MINIMAL)
    (tmp_path / "b.md").write_text(MINIMAL.replace("Test Engineer", "Other Engineer"))
    with pytest.raises(LadderError, match=r"folder with 2 ladders.*load_ladders"):
        load_ladder(tmp_path)
    (tmp_path / "b.md").unlink()
    assert load_ladder(tmp_path).id == "test-engineer"  # exactly one ladder: use it


def test_missing_id_lists_available_ids() -> None:
    with pytest.raises(LadderNotFound) as info:
        load_ladder("no-such-ladder")
    message = str(info.value)
    assert "lead-software-engineer" in message and "lead-data-engineer" in message
    assert "path" in message


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(LadderNotFound, match="no such file"):
        load_ladder(tmp_path / "nope.md")
    with pytest.raises(LadderNotFound, match="no such folder"):
        load_ladders(tmp_path / "nope")


def test_binary_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(LadderError, match=r"image\.md"):
        load_ladder(path)
    (tmp_path / "ok.md").write_text(MINIMAL)
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        ladders = load_ladders(tmp_path)
    assert [lad.id for lad in ladders] == ["test-engineer"]
    assert any("image.md" in r.getMessage() for r in caplog.records)


def test_not_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(MINIMAL.replace("I test", "I tést").encode("latin-1", "replace"))
    with pytest.raises(LadderError, match=r"latin1\.md"):
        load_ladder(path)


def test_huge_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(MINIMAL.encode() + b"- I repeat myself.\n" * 330_000)  # about 6 MB
    with pytest.raises(LadderError, match=r"huge\.md: is 6\.\d MB \([\d,]+ bytes\)"):
        load_ladder(path)
    with pytest.raises(LadderError, match=r"huge\.md"):
        load_ladders(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.md"
    path.write_text(MINIMAL)
    real = os.open

    def deny(file, flags, *args, **kwargs):  # tests run as root, where chmod 000 stops nothing
        if str(file).endswith("locked.md"):
            raise PermissionError(13, "Permission denied", str(file))
        return real(file, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(LadderError, match=r"locked\.md: cannot be read \(Permission denied\)"):
        load_ladder(path)
    with pytest.raises(LadderError, match=r"locked\.md"):
        load_ladders(tmp_path)


def test_symlink_loops(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text(MINIMAL)
    (tmp_path / "sub" / "back").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "self.md").symlink_to(tmp_path / "self.md")  # a link to itself
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        ladders = load_ladders(tmp_path)
    assert [lad.path for lad in ladders] == [tmp_path / "sub" / "a.md"]
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "self.md" in messages and "back" in messages


def test_folder_skips_companions_and_non_ladders(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "lead-x.md").write_text(MINIMAL)
    (tmp_path / "lead-x.exemplars.md").write_text("# Exemplars: X\n\n## I know my domain.\n\n- y\n")
    (tmp_path / "README.md").write_text("# Readme\n\nHello.\n")
    (tmp_path / "notes.txt").write_text("just words\n")
    (tmp_path / "data.json").write_text("{}")
    (tmp_path / ".hidden.md").write_text("# broken")
    with caplog.at_level(logging.DEBUG, logger="matcher.ladder"):
        ladders = load_ladders(tmp_path)
    assert [lad.id for lad in ladders] == ["test-engineer"]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    quiet = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    # Exemplar files and companions sit beside ladders by design; a stray text file is worth a warning.
    assert all(name in quiet for name in ("lead-x.exemplars.md", "README.md"))
    assert "notes.txt" in warned and "README.md" not in warned
    assert "data.json" not in warned + quiet and ".hidden" not in warned + quiet


def test_folder_with_broken_ladder_raises(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text(MINIMAL)
    (tmp_path / "broken.md").write_text("# L3: Broken\n\nNo pillars here.\n")
    with pytest.raises(LadderError, match=r"broken\.md:1"):
        load_ladders(tmp_path)


# --------------------------------------------------------------------------------------------
# Corpus and resolve_ladders


def test_corpus_dir_default_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATCHER_CORPUS", raising=False)
    assert corpus_dir() == CORPUS
    monkeypatch.setenv("MATCHER_CORPUS", str(tmp_path))
    assert corpus_dir() == tmp_path
    (tmp_path / "mine.md").write_text(MINIMAL)
    (tmp_path / "mine.exemplars.md").write_text("<!-- evidence-matcher exemplars v1 -->\n# E\n")
    assert load_ladder("test-engineer").path == tmp_path / "mine.md"
    assert load_ladder("mine").id == "test-engineer"  # the file stem works too
    assert [lad.id for lad in load_ladders()] == ["test-engineer"]


def test_default_corpus_loads() -> None:
    ids = [lad.id for lad in load_ladders()]
    assert {"lead-software-engineer", "lead-data-engineer"} <= set(ids)


def test_resolve_ladders(tmp_path: Path) -> None:
    assert [lad.id for lad in resolve_ladders("lead-data-engineer")] == ["lead-data-engineer"]
    path = CORPUS / "lead-software-engineer.md"
    assert [lad.id for lad in resolve_ladders(path)] == ["lead-software-engineer"]
    assert [lad.id for lad in resolve_ladders(str(path))] == ["lead-software-engineer"]
    assert len(resolve_ladders(CORPUS)) >= 2
    with pytest.raises(LadderNotFound):
        resolve_ladders(tmp_path)  # an empty folder
    with pytest.raises(LadderNotFound):
        resolve_ladders("nothing-by-this-name")


def test_relative_path_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert load_ladder(os.path.join("corpus", "lead-data-engineer.md")).id == "lead-data-engineer"


def test_empty_id_is_not_the_current_folder() -> None:
    with pytest.raises(LadderNotFound, match="Available ids"):
        load_ladder("")


def test_id_lookup_passes_over_broken_corpus_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("MATCHER_CORPUS", str(tmp_path))
    (tmp_path / "a-broken.md").write_text("# L3: Broken\n\nNo pillars.\n")
    (tmp_path / "z.md").write_text(MINIMAL)
    with caplog.at_level(logging.WARNING, logger="matcher.ladder"):
        assert load_ladder("test-engineer").path == tmp_path / "z.md"
    assert any("a-broken.md" in r.getMessage() for r in caplog.records)
    # Naming the broken file's own id gives its error, not "not found".
    with pytest.raises(LadderError, match=r"a-broken\.md:1: the ladder 'Broken'"):
        load_ladder("a-broken")


def test_trailing_ic_level_in_title() -> None:
    ladder = parse_ladder("**Senior Test Manager (IC4)\n\n***Core\n- I manage.\n")
    assert (ladder.id, ladder.level, ladder.title) == (
        "senior-test-manager",
        "IC4",
        "Senior Test Manager",
    )
    from_file = parse_ladder("**Senior Test Manager (IC4)\n\n***Core\n- I manage.\n", path=Path("L4-x"))
    assert from_file.level == "L4"  # the file name wins over (IC4)
