"""Index cache faults, end to end: a broken cache is detected and rebuilt (or a failing write is
bypassed) with a warning, and the report is identical to a cold run's; a process killed at any
point of the cache write leaves the old cache or the new one, never a mix.

The model is the session's fine-tuned one (never re-trained here); only the index cache lives in a
temporary folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from matcher.cli import main
from matcher.core import Matcher
from matcher.exemplars import load_exemplars
from matcher.index import STALE_WRITE_SECONDS, EvidenceIndex, build_entries
from matcher.ladder import load_ladder
from tests.helpers import ROOT

LADDER = "lead-software-engineer"
BRAG = """# H1

- Led the checkout rewrite from pitch to GA with three engineers and a designer
- Paired with Sam every week on the payments service until he ran its on-call rota alone
- Wrote the incident review for the March outage and tracked its actions to done
- Took two weeks off in August
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shared(matchers):
    """The session Matcher (default cache) and its report of BRAG: the cold-run reference."""
    m = matchers(LADDER)
    return m, m.match(BRAG).to_json()


def _matcher(shared_matcher: Matcher, cache: Path) -> Matcher:
    """A real Matcher whose index lives in `cache`, reusing the loaded embedder."""
    settings = replace(shared_matcher.settings, cache_dir=cache)
    return Matcher.from_ladder(shared_matcher.ladder, embedder=shared_matcher.embedder, settings=settings)


def _folders(cache: Path) -> list[Path]:
    index = cache / "index"
    return sorted(p for p in index.iterdir() if not p.name.startswith(".")) if index.exists() else []


def _debris(cache: Path) -> list[Path]:
    index = cache / "index"
    return sorted(p for p in index.iterdir() if p.name.startswith(".")) if index.exists() else []


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())} if folder.exists() else {}


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "matcher.index" and r.levelno >= logging.WARNING]


# -- broken caches --------------------------------------------------------------------------


def _truncate(folder: Path, _other: Path) -> None:
    f = folder / "index.faiss"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _empty_faiss(folder: Path, _other: Path) -> None:
    (folder / "index.faiss").write_bytes(b"")


def _flip_a_vector_byte(folder: Path, _other: Path) -> None:
    """Still a well-formed FAISS file, with one vector silently changed: only the checksum tells."""
    f = folder / "index.faiss"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x40
    f.write_bytes(bytes(data))


def _other_corpus(folder: Path, other: Path) -> None:
    """The cache of another ladder, copied over this one's (a stale or mixed-up cache folder)."""
    for name in ("index.faiss", "meta.json"):
        shutil.copyfile(other / name, folder / name)


def _meta_of_old_format(folder: Path, _other: Path) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    meta["format"] = 1
    (folder / "meta.json").write_text(json.dumps(meta))


DAMAGES = {
    "truncated FAISS file": _truncate,
    "empty FAISS file": _empty_faiss,
    "one flipped byte in the vectors": _flip_a_vector_byte,
    "cache of another corpus": _other_corpus,
    "metadata of an older format": _meta_of_old_format,
}


@pytest.fixture(scope="module")
def other_corpus_cache(shared):
    """The other shipped ladder's cache folder (in the shared cache: built once, reused)."""
    m, _ = shared
    ladder = load_ladder("lead-data-engineer")
    idx = EvidenceIndex.build(build_entries(ladder, load_exemplars(ladder)), m.embedder, m.settings.cache_dir)
    return m.settings.cache_dir / "index" / idx.key


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_broken_cache_is_rebuilt_and_the_report_is_unchanged(damage, shared, other_corpus_cache, tmp_path, caplog):
    m, cold = shared
    EvidenceIndex.build(m.index.entries, m.embedder, tmp_path)
    (folder,) = _folders(tmp_path)
    DAMAGES[damage](folder, other_corpus_cache)
    with caplog.at_level(logging.WARNING):
        warm = _matcher(m, tmp_path)
    assert any("rebuilding it" in w for w in _warnings(caplog)), _warnings(caplog)
    assert warm.match(BRAG).to_json() == cold
    np.testing.assert_array_equal(warm.index.vectors, m.index.vectors)
    # The rebuilt cache is good again, and the bad one is gone.
    assert EvidenceIndex._load(folder, warm.index.key, m.index.entries, m.embedder.dim) is not None
    assert _folders(tmp_path) == [folder] and _debris(tmp_path) == []


def test_cache_written_by_another_model_is_not_trusted(shared, tmp_path, caplog):
    """Same dimension, same entries, another backend's vectors: trusted, they would skew every score."""
    from matcher.prepare import get_embedder

    m, _ = shared
    entries = m.index.entries[:48]
    other_backend = "torch" if m.embedder.backend == "onnx" else "onnx"
    other = get_embedder(m.settings.model, other_backend, m.settings.cache_dir, tune=m.settings.tune)
    assert other.fingerprint != m.embedder.fingerprint and other.dim == m.embedder.dim
    theirs = EvidenceIndex.build(entries, other, tmp_path / "theirs")
    ours = EvidenceIndex.build(entries, m.embedder, tmp_path / "ours")
    assert np.abs(theirs.vectors - ours.vectors).max() > 1e-3  # the two models really differ
    (their_folder,), (our_folder,) = _folders(tmp_path / "theirs"), _folders(tmp_path / "ours")
    for name in ("index.faiss", "meta.json"):
        shutil.copyfile(their_folder / name, our_folder / name)
    with caplog.at_level(logging.WARNING):
        again = EvidenceIndex.build(entries, m.embedder, tmp_path / "ours")
    assert any("does not match this corpus or model" in w for w in _warnings(caplog))
    np.testing.assert_array_equal(again.vectors, ours.vectors)


# -- a cache dir that cannot be written or is full ------------------------------------------


def _fail(err: int, text: str):
    def raiser(*_a, **_k):
        raise OSError(err, text)

    return raiser


def _inject(point: str, monkeypatch) -> None:
    """An OSError at one step of the cache write (as root, permission bits would not stop it)."""
    import tempfile

    import faiss

    import matcher.index as index_module

    if point == "cannot create the folder":
        monkeypatch.setattr(tempfile, "mkdtemp", _fail(30, "Read-only file system"))
    elif point == "disk full writing FAISS":
        monkeypatch.setattr(faiss, "write_index", _fail(28, "No space left on device"))
    elif point == "disk full writing metadata":
        real = Path.write_text

        def write_text(self, *a, **k):
            if self.name == "meta.json":
                raise OSError(28, "No space left on device")
            return real(self, *a, **k)

        monkeypatch.setattr(Path, "write_text", write_text)
    elif point == "fsync fails":
        monkeypatch.setattr(index_module.os, "fsync", _fail(5, "Input/output error"))
    elif point == "rename fails":
        monkeypatch.setattr(index_module.os, "replace", _fail(13, "Permission denied"))


WRITE_FAULTS = [
    "cannot create the folder",
    "disk full writing FAISS",
    "disk full writing metadata",
    "fsync fails",
    "rename fails",
]


@pytest.mark.parametrize("point", WRITE_FAULTS)
def test_unwritable_cache_is_bypassed_with_a_warning(point, shared, tmp_path, caplog, monkeypatch):
    m, _ = shared
    entries = m.index.entries
    with monkeypatch.context() as patch:
        _inject(point, patch)
        with caplog.at_level(logging.WARNING):
            idx = EvidenceIndex.build(entries, m.embedder, tmp_path)
    assert any("continuing without it" in w for w in _warnings(caplog)), _warnings(caplog)
    np.testing.assert_array_equal(idx.vectors, m.index.vectors)
    assert _folders(tmp_path) == [] and _debris(tmp_path) == []  # nothing half-written left behind
    # Once the disk is fine again the next run writes a good cache.
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        EvidenceIndex.build(entries, m.embedder, tmp_path)
    assert _warnings(caplog) == [] and len(_folders(tmp_path)) == 1


def test_full_disk_through_the_cli_gives_the_cold_report(shared, tmp_path, caplog, capsys, monkeypatch):
    """The CLI with a cache dir whose writes fail: exit 0, a warning, the cold run's report."""
    import faiss

    import matcher.core

    m, cold = shared
    built = []

    real = matcher.core.Matcher.from_ladder

    def from_ladder(ladder, *, settings=None, **kwargs):  # a real Matcher, sharing the loaded model
        built.append(settings.cache_dir)
        return real(ladder, embedder=m.embedder, settings=settings, **kwargs)

    monkeypatch.setattr(matcher.core.Matcher, "from_ladder", from_ladder)
    monkeypatch.setattr(faiss, "write_index", _fail(28, "No space left on device"))
    doc = tmp_path / "brag.md"
    doc.write_text(BRAG)
    cache = tmp_path / "cache"
    with caplog.at_level(logging.WARNING):
        code = main(["match", str(doc), "--ladder", LADDER, "--format", "json", "--cache-dir", str(cache)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert built == [cache]
    assert out == cold
    assert any("No space left on device" in w and "continuing without it" in w for w in _warnings(caplog))
    assert _folders(cache) == [] and _debris(cache) == []


def test_a_concurrent_writer_keeps_the_good_cache_it_finds(shared, tmp_path):
    m, _ = shared
    idx = EvidenceIndex.build(m.index.entries[:32], m.embedder, tmp_path)
    (folder,) = _folders(tmp_path)
    before = (os.stat(folder).st_ino, _snapshot(folder))
    idx._save(folder)  # a second process finishing the same build later
    assert (os.stat(folder).st_ino, _snapshot(folder)) == before
    assert _debris(tmp_path) == []


# -- killed mid-write (the test-only crash hook, not timing) --------------------------------

CRASH_SCRIPT = """
import json, sys
from pathlib import Path
from matcher.config import Settings
from matcher.prepare import get_embedder
from matcher.index import Entry, EvidenceIndex
s = Settings.from_env()
entries = [Entry(*e) for e in json.loads(Path(sys.argv[2]).read_text())]
EvidenceIndex.build(entries, get_embedder(s.model, s.backend, s.cache_dir, tune=s.tune), Path(sys.argv[1]))
"""
CRASH_POINTS = ["after-faiss-write", "before-rename", "after-old-moved", "after-rename"]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_killed_mid_write_leaves_the_old_cache_or_the_new_one(point, shared, tmp_path, caplog):
    m, _ = shared
    entries = list(m.index.entries[:40])
    cache = tmp_path / "cache"
    # The old cache: written for these entries, then damaged (the only case a cache is replaced).
    new = EvidenceIndex.build(entries, m.embedder, cache)
    (folder,) = _folders(cache)
    _truncate(folder, cache)
    old = _snapshot(folder)
    spec = tmp_path / "entries.json"
    spec.write_text(json.dumps([[e.kind, e.text, e.statement_id, e.pillar] for e in entries]))
    env = {k: v for k, v in os.environ.items() if k not in ("MATCHER_CACHE",)}
    env["MATCHER_TEST_CRASH_AT"] = point
    proc = subprocess.run(
        [sys.executable, "-c", CRASH_SCRIPT, str(cache), str(spec)], env=env, cwd=ROOT, capture_output=True, timeout=600
    )
    assert proc.returncode == 86, proc.stderr.decode()[-2000:]  # killed at the hook, not failing before it
    after = _snapshot(folder)
    if point == "after-rename":  # the new cache is in place, complete and valid
        assert after and after != old
        assert EvidenceIndex._load(folder, new.key, entries, m.embedder.dim) is not None
    else:  # the old cache, byte for byte, or (between the two renames) no cache at all
        assert after == (old if point != "after-old-moved" else {}), sorted(after)
    # The killed write's temp or moved-aside folder is left behind; once it is older than any live
    # write could be, the next build deletes it, and leaves a young one (another process's) alone.
    debris = _debris(cache)
    assert debris, "a write killed at this point leaves a temp or moved-aside folder"
    stale = time.time() - STALE_WRITE_SECONDS - 60
    for path in debris:
        os.utime(path, (stale, stale))
    live = cache / "index" / f".{folder.name}.live"
    live.mkdir()
    # A later run is correct: it loads the new cache, or rebuilds (with a warning) from the old one.
    with caplog.at_level(logging.WARNING):
        again = EvidenceIndex.build(entries, m.embedder, cache)
    assert bool(_warnings(caplog)) == (after == old), _warnings(caplog)
    assert _debris(cache) == [live]
    # Rebuilt here, or the other process's vectors: the same, since each line is encoded alone.
    np.testing.assert_array_equal(again.vectors, new.vectors)
    assert EvidenceIndex._load(folder, new.key, entries, m.embedder.dim) is not None
