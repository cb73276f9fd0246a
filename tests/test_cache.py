"""The index cache and the line cache, over the fake embedder (fast tier): reuse, corruption, stale
metadata, unwritable dirs. Killed writes and end-to-end reports with the real model: test_faults.py."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from matcher import load_ladder
from matcher.exemplars import load_exemplars
from matcher.index import EvidenceIndex, build_entries
from tests.helpers import FakeEmbedder


@pytest.fixture(scope="module")
def entries():
    ladder = load_ladder("lead-software-engineer")
    return build_entries(ladder, load_exemplars(ladder))


@pytest.fixture()
def embedder():
    return FakeEmbedder()


def _folder(cache: Path) -> Path:
    (folder,) = [p for p in (cache / "index").iterdir() if not p.name.startswith(".")]
    return folder


def test_second_build_is_read_from_cache(tmp_path, entries, embedder, caplog):
    first = EvidenceIndex.build(entries, embedder, tmp_path)
    assert embedder.encoded == len(entries)
    with caplog.at_level(logging.WARNING):
        second = EvidenceIndex.build(entries, embedder, tmp_path)
    assert embedder.encoded == len(entries), "the cached index was not used"
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


def test_another_model_or_backend_gets_its_own_cache(tmp_path, entries, embedder):
    EvidenceIndex.build(entries, embedder, tmp_path)
    other = FakeEmbedder(dim=embedder.dim)
    other.backend = "other-backend"
    EvidenceIndex.build(entries, other, tmp_path)
    assert other.encoded == len(entries)  # same vectors' size, another backend: not trusted
    assert len([p for p in (tmp_path / "index").iterdir() if not p.name.startswith(".")]) == 2


def test_a_matcher_view_with_its_own_line_cache(fake_matcher):
    """Matcher.using: the same index and scorer behind another cache of the same model (the app
    gives each session one); another model is refused, since the index holds this one's vectors."""
    from matcher.embed import CachedEmbedder
    from matcher.errors import ModelError

    shared = fake_matcher("lead-software-engineer")
    own = CachedEmbedder(shared.embedder, max_items=10)
    own.name = shared.embedder.name  # the name the report shows
    view = shared.using(own)
    text = "- Led the incident review for the March outage\n- Mentored two new joiners\n"
    assert view.index is shared.index and view.scorer is shared.scorer and shared.embedder is not own
    first = view.match(text)
    assert first.to_dict() == shared.match(text).to_dict()
    assert (own.misses, own.hits) == (2, 0)
    # The second analysis comes from the view's own line cache, and is the same report.
    assert view.match(text) == first and (own.misses, own.hits) == (2, 2)
    assert shared.embedder is not own and not isinstance(shared.embedder, CachedEmbedder)

    class Other:
        name, backend, dim, fingerprint = "other", "onnx", shared.embedder.dim, "another-model"

        def encode(self, texts):
            raise AssertionError("never called")

    with pytest.raises(ModelError, match="another-model"):
        shared.using(Other())
