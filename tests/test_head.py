"""The scoring head: numpy prediction equals scikit-learn's, and its cache is reused or refitted."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from matcher import atomic
from matcher.head import fit_head


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 8))
    y = np.repeat(np.arange(4), 30)
    x = (centres[y] + 0.5 * rng.normal(size=(len(y), 8))).astype(np.float32)
    return x, y


def test_numpy_softmax_equals_sklearn(data):
    x, y = data
    ours = fit_head(x, y, 4.0)
    theirs = LogisticRegression(C=4.0, max_iter=3000).fit(x, y)
    assert np.allclose(ours.predict_proba(x), theirs.predict_proba(x), atol=1e-4)
    assert ours.column(2) == 2 and ours.column(9) == -1


def test_cache_is_reused_without_fitting(data, tmp_path, monkeypatch):
    x, y = data
    first = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k1")
    assert len(list((tmp_path / "head").glob("*.npz"))) == 1

    def no_fit(*a, **k):
        raise AssertionError("fitted again despite a cached head")

    monkeypatch.setattr(LogisticRegression, "fit", no_fit)
    again = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k1")
    assert np.array_equal(first.coef, again.coef)
    with pytest.raises(AssertionError, match="fitted again"):
        fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="another index")


def test_corrupt_or_foreign_cache_is_refitted_with_a_warning(data, tmp_path, caplog):
    x, y = data
    ref = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k")
    path = next((tmp_path / "head").glob("*.npz"))
    for damage in (b"not an npz", path.read_bytes()[:100]):
        path.write_bytes(damage)
        with caplog.at_level(logging.WARNING, logger="matcher.head"):
            got = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k")
        assert "refitting" in caplog.text
        assert np.allclose(got.predict_proba(x), ref.predict_proba(x), atol=1e-5)
        caplog.clear()
    np.savez(path, coef=np.zeros((2, 3)), intercept=np.zeros(2), classes=np.arange(2))
    with caplog.at_level(logging.WARNING, logger="matcher.head"):
        got = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k")
    assert "does not fit" in caplog.text and got.coef.shape == (4, 8)


def test_unwritable_cache_is_bypassed(data, tmp_path, monkeypatch, caplog):
    x, y = data

    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with caplog.at_level(logging.WARNING, logger="matcher.head"):
        got = fit_head(x, y, 4.0, cache_dir=tmp_path, index_key="k")
    assert "continuing without it" in caplog.text
    assert got.coef.shape == (4, 8)
    assert list((tmp_path / "head").iterdir()) == []
