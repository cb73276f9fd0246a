"""The index cache: reuse, corruption, stale metadata, unwritable dirs and atomic writes."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matcher import load_ladder
from matcher.exemplars import load_exemplars
from matcher.index import EvidenceIndex, build_entries
from matcher.prepare import get_embedder

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def entries():
    ladder = load_ladder("lead-software-engineer")
    return build_entries(ladder, load_exemplars(ladder))


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


def _folder(cache: Path) -> Path:
    (folder,) = [p for p in (cache / "index").iterdir() if not p.name.startswith(".")]
    return folder


def test_second_build_is_read_from_cache(tmp_path, entries, embedder, caplog):
    first = EvidenceIndex.build(entries, embedder, tmp_path)
    calls = embedder.inner.encode

    def boom(_texts):
        raise AssertionError("the cached index was not used")

    embedder.inner.encode = boom
    try:
        with caplog.at_level(logging.WARNING):
            second = EvidenceIndex.build(entries, embedder, tmp_path)
    finally:
        embedder.inner.encode = calls
    assert second.key == first.key
    np.testing.assert_array_equal(second.vectors, first.vectors)
    assert not caplog.records


@pytest.mark.parametrize("damage", ["truncate-faiss", "garbage-meta", "other-corpus-meta", "delete-faiss"])
def test_damaged_cache_is_rebuilt_with_a_warning(tmp_path, entries, embedder, caplog, damage):
    cold = EvidenceIndex.build(entries, embedder, tmp_path)
    folder = _folder(tmp_path)
    faiss_file, meta = folder / "index.faiss", folder / "meta.json"
    if damage == "truncate-faiss":
        data = faiss_file.read_bytes()
        faiss_file.write_bytes(data[: len(data) // 3])
    elif damage == "garbage-meta":
        meta.write_bytes(b"\x00not json")
    elif damage == "other-corpus-meta":
        meta.write_text(meta.read_text().replace(entries[0].text, "I juggle."))
    else:
        faiss_file.unlink()
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        warm = EvidenceIndex.build(entries, embedder, tmp_path)
    assert any("rebuilding" in r.getMessage() for r in caplog.records)
    np.testing.assert_allclose(warm.vectors, cold.vectors, atol=1e-6)
    # and the rebuilt cache is good again
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        EvidenceIndex.build(entries, embedder, tmp_path)
    assert not caplog.records


def test_unwritable_cache_is_bypassed(tmp_path, entries, embedder, caplog, monkeypatch):
    import faiss

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(faiss, "write_index", full_disk)
    with caplog.at_level(logging.WARNING, logger="matcher.index"):
        idx = EvidenceIndex.build(entries, embedder, tmp_path)
    assert len(idx.entries) == len(entries)
    assert any("continuing without it" in r.getMessage() for r in caplog.records)
    assert not [p for p in (tmp_path / "index").iterdir()]  # no half-written folder left behind


@pytest.mark.parametrize("point", ["after-faiss-write", "before-rename"])
def test_process_killed_mid_write_leaves_no_trusted_cache(tmp_path, point):
    code = (
        "from matcher import Matcher\n"
        f"Matcher.from_ladder('lead-software-engineer', cache_dir={str(tmp_path)!r})\n"
    )
    env = {**os.environ, "MATCHER_TEST_CRASH_AT": point}
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, timeout=600)
    assert proc.returncode == 86, proc.stderr.decode()[-2000:]
    index_dir = tmp_path / "index"
    assert not [p for p in index_dir.iterdir() if not p.name.startswith(".")]
    # A later run builds a good cache and ignores the debris.
    from matcher import Matcher

    m = Matcher.from_ladder("lead-software-engineer", cache_dir=tmp_path)
    assert len(m.index.entries) > 0
    assert (_folder(tmp_path) / "meta.json").is_file()


def test_a_matcher_view_with_its_own_line_cache(matchers):
    """Matcher.using: the same index and scorer behind another cache of the same model (the app
    gives each session one); another model is refused, since the index holds this one's vectors."""
    from matcher.embed import CachedEmbedder
    from matcher.errors import ModelError

    shared = matchers("lead-software-engineer")
    own = CachedEmbedder(shared.embedder.inner, max_items=10)
    own.name = shared.embedder.name  # the name the report shows
    view = shared.using(own)
    text = "- Led the incident review for the March outage\n- Mentored two new joiners\n"
    assert view.index is shared.index and view.scorer is shared.scorer and shared.embedder is not own
    assert view.match(text).to_dict() == shared.match(text).to_dict()
    assert own.misses == 2 and view.match(text) is not None and own.hits == 2

    class Other:
        name, backend, dim, fingerprint = "other", "onnx", shared.embedder.dim, "another-model"

        def encode(self, texts):
            raise AssertionError("never called")

    with pytest.raises(ModelError, match="another-model"):
        shared.using(Other())
