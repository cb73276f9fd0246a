"""The int8 ONNX backend against the real packaged MiniLM: parity with PyTorch, the export cache
(reuse, corruption, leftovers), thread safety, no torch at run time, and `_load`'s choice."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from matcher.config import DEFAULT_MODEL
from matcher.embed import TorchEmbedder
from matcher.errors import ModelError
from matcher.modelfiles import resolve_model_path
from matcher.onnx_backend import (
    EXPORT_FORMAT,
    META_FILE,
    MODEL_FILE,
    OnnxEmbedder,
    _load_valid,
)
from matcher.onnx_export import read_pooling, read_text_settings
from matcher.prepare import load_embedder as _load
from tests.helpers import ROOT

pytestmark = pytest.mark.slow


SENTENCES = [
    "I led the migration of our billing service to Kubernetes.",
    "Mentored two junior engineers through their first on-call rotations.",
    "Reduced p95 latency of the search API from 800 ms to 120 ms by adding a cache.",
    "I wrote the RFC for event sourcing and got sign-off from three teams.",
    "Fixed a flaky test.",
    "Onboarding",
    "Hi",
    "I am an expert in my team's domain.",
    "I make thoughtful architectural decisions about security, scalability and maintainability.",
    "Ran the quarterly planning for the data platform squad and kept the roadmap honest.",
    "Dug into why weekly active projects dropped 9% in February: a tracking SDK upgrade.",
    "2025-03-04: diagnosed duplicate invoices caused by a Stripe webhook retry storm.",
    "Presented our incident review process at the engineering all-hands; two teams adopted it.",
    "Automated the release train so that shipping went from weekly to daily.",
    "Paired with product and design to cut scope and still hit the launch date.",
    "Built a dbt model for churn that finance now uses in board reporting.",
    "I consulted with experts on a complex problem outside my domain.",
    "Introduced property-based tests that caught three edge cases in date parsing.",
    "Organised a reading group on distributed systems for the backend guild.",
    "Négocié le contrat avec le fournisseur et réduit les coûts de 15 %.",
    "Sped up CI from 25 to 7 minutes by caching Docker layers — the team noticed immediately.",
    "Hired and onboarded three engineers; all passed probation with strong reviews.",
    "Wrote the postmortem for the March outage and drove the five follow-up actions to done.",
    "Designed the schema for multi-tenant analytics with row-level security in Postgres.",
    "On-call hero!!! 🚀 Closed 14 pages in one night without waking anyone.",
    "Led the accessibility audit; the app now meets WCAG 2.1 AA on every checkout page.",
    "Explained the trade-offs between Kafka and SQS to leadership in plain language.",
    "Replaced a cron job nobody understood with an Airflow DAG, tests and a runbook.",
    "ship it",
    # Longer than max_seq_length (256 tokens): both backends must truncate the same way.
    " ".join(["I improved the reliability of our payment pipeline by adding retries."] * 40),
]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real export for the whole session (it takes tens of seconds)."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    with pytest.raises(ModelError, match="evidence-matcher warm"):
        OnnxEmbedder(DEFAULT_MODEL, cache)  # the runtime only loads: preparing makes the export
    assert isinstance(_load(DEFAULT_MODEL, "onnx", cache), OnnxEmbedder)
    return cache


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path) -> OnnxEmbedder:
    return OnnxEmbedder(DEFAULT_MODEL, onnx_cache)


@pytest.fixture(scope="session")
def torch_embedder() -> TorchEmbedder:
    return TorchEmbedder(DEFAULT_MODEL)


def _export_folder(cache: Path) -> Path:
    (folder,) = [p for p in (cache / "onnx").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


def test_parity_with_torch(onnx_embedder: OnnxEmbedder, torch_embedder: TorchEmbedder) -> None:
    cosines = (onnx_embedder.encode(SENTENCES) * torch_embedder.encode(SENTENCES)).sum(axis=1)
    assert cosines.mean() >= 0.99, cosines
    assert cosines.min() >= 0.97, cosines


def test_protocol_and_fingerprint(onnx_embedder: OnnxEmbedder, torch_embedder: TorchEmbedder) -> None:
    assert onnx_embedder.backend == "onnx"
    assert onnx_embedder.name == DEFAULT_MODEL
    assert onnx_embedder.dim == torch_embedder.dim == 384
    assert "onnx-int8" in onnx_embedder.fingerprint
    assert onnx_embedder.fingerprint != torch_embedder.fingerprint


def test_empty_input(onnx_embedder: OnnxEmbedder) -> None:
    out = onnx_embedder.encode([])
    assert out.shape == (0, 384)
    assert out.dtype == np.float32


def test_rows_are_unit_float32_in_input_order(onnx_embedder: OnnxEmbedder) -> None:
    texts = [*SENTENCES, "", "   "]
    out = onnx_embedder.encode(texts)
    assert out.shape == (len(texts), 384)
    assert out.dtype == np.float32
    assert out.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    # Batches are sorted by length inside encode; the caller's order must come back.
    reordered = onnx_embedder.encode(texts[::-1])[::-1]
    np.testing.assert_allclose(reordered, out, atol=1e-5)


def test_many_texts(onnx_embedder: OnnxEmbedder, torch_embedder: TorchEmbedder) -> None:
    texts = [f"{s} (item {i})" for i, s in enumerate(SENTENCES * 5)]  # 150 texts
    cosines = (onnx_embedder.encode(texts) * torch_embedder.encode(texts)).sum(axis=1)
    assert cosines.mean() >= 0.99
    assert cosines.min() >= 0.97


def test_a_line_gets_the_same_vector_whatever_else_is_encoded(onnx_embedder: OnnxEmbedder) -> None:
    """Dynamic int8 scales activations per run: batching lines together would let one line's
    vector depend on its batch mates, so two documents sharing a line could score it differently."""
    alone = np.vstack([onnx_embedder.encode([s]) for s in SENTENCES])
    together = onnx_embedder.encode(SENTENCES)
    reordered = onnx_embedder.encode([*SENTENCES[::-1], "An unrelated line about the offsite."])
    np.testing.assert_array_equal(together, alone)
    np.testing.assert_array_equal(reordered[: len(SENTENCES)][::-1], alone)


def test_one_session_and_two_give_the_same_vectors(onnx_cache: Path, onnx_embedder: OnnxEmbedder) -> None:
    single = OnnxEmbedder(DEFAULT_MODEL, onnx_cache, threads=1)
    assert single._runner.pool is None and len(onnx_embedder._runner.sessions) == (os.cpu_count() or 1)
    np.testing.assert_array_equal(single.encode(SENTENCES), onnx_embedder.encode(SENTENCES))


def test_concurrent_encodes_match_serial(onnx_embedder: OnnxEmbedder) -> None:
    batches = [SENTENCES[i::4] for i in range(4)] * 3
    serial = [onnx_embedder.encode(b) for b in batches]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(onnx_embedder.encode, batches))
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)


def test_reload_reuses_the_export(onnx_cache: Path, onnx_embedder: OnnxEmbedder, caplog) -> None:
    folder = _export_folder(onnx_cache)
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    with caplog.at_level(logging.DEBUG, logger="matcher.onnx_backend"):
        again = OnnxEmbedder(DEFAULT_MODEL, onnx_cache)
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert not [r for r in caplog.records if "export" in r.getMessage() and r.levelno >= logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    np.testing.assert_allclose(again.encode(SENTENCES), onnx_embedder.encode(SENTENCES), atol=1e-6)


def test_corrupt_export_is_rebuilt_with_a_warning(onnx_cache: Path, tmp_path: Path, caplog) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(onnx_cache, cache)
    folder = _export_folder(cache)
    model = folder / MODEL_FILE
    good_size = model.stat().st_size
    with model.open("r+b") as fh:  # as after a full disk or a killed copy
        fh.truncate(good_size // 3)
    leftover = folder.parent / f".{folder.name}.killed"  # a killed export's temp folder
    leftover.mkdir()
    (leftover / MODEL_FILE).write_bytes(b"half an export")
    superseded = folder.parent / folder.name.replace(f"-v{EXPORT_FORMAT}-", "-v0-")
    shutil.copytree(folder, superseded)

    with caplog.at_level(logging.WARNING, logger="matcher.onnx_backend"):
        rebuilt = _load(DEFAULT_MODEL, "onnx", cache)
    assert any("unusable" in r.getMessage() for r in caplog.records)
    assert model.stat().st_size == good_size
    assert not leftover.exists()
    assert not superseded.exists()
    np.testing.assert_allclose(np.linalg.norm(rebuilt.encode(SENTENCES[:3]), axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "damage",
    ["not-json", "other-weights", "missing-checksum", "flipped-byte"],
)
def test_damaged_export_is_refused(onnx_cache: Path, tmp_path: Path, caplog, damage: str) -> None:
    folder = tmp_path / "export"
    shutil.copytree(_export_folder(onnx_cache), folder)
    meta_file = folder / META_FILE
    meta = json.loads(meta_file.read_text())
    weights = meta["weights"]
    if damage == "not-json":
        meta_file.write_text("{ truncated")
    elif damage == "other-weights":
        meta_file.write_text(json.dumps({**meta, "weights": "0" * 16}))
    elif damage == "missing-checksum":
        meta_file.write_text(json.dumps({k: v for k, v in meta.items() if k != "sha256"}))
    else:  # same size, one byte changed: only the checksum can tell
        data = bytearray((folder / MODEL_FILE).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / MODEL_FILE).write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="matcher.onnx_backend"):
        assert _load_valid(folder, weights, warn=True) is None
    assert any("unusable" in r.getMessage() for r in caplog.records)


def test_runtime_imports_no_torch(onnx_cache: Path) -> None:
    code = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from matcher.prepare import get_embedder
        emb = get_embedder({DEFAULT_MODEL!r}, "onnx", Path({str(onnx_cache)!r}))
        vecs = emb.encode(["I led the migration.", "Mentored two engineers."])
        assert vecs.shape == (2, 384), vecs.shape
        heavy = ("torch", "sentence_transformers", "transformers")
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_load_auto_picks_onnx(onnx_cache: Path) -> None:
    emb = _load(DEFAULT_MODEL, "auto", onnx_cache)
    assert isinstance(emb, OnnxEmbedder)
    assert emb.backend == "onnx"


def test_load_onnx_and_torch(onnx_cache: Path) -> None:
    assert isinstance(_load(DEFAULT_MODEL, "onnx", onnx_cache), OnnxEmbedder)
    assert isinstance(_load(DEFAULT_MODEL, "torch", onnx_cache), TorchEmbedder)


def test_auto_falls_back_to_torch_when_the_export_fails(tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache folder should be")
    with caplog.at_level(logging.WARNING, logger="matcher.prepare"):
        emb = _load(DEFAULT_MODEL, "auto", blocker)
    assert isinstance(emb, TorchEmbedder)
    assert any("falling back to PyTorch" in r.getMessage() for r in caplog.records)


def test_model_settings_are_read_from_the_folder(tmp_path: Path) -> None:
    model_dir = Path(resolve_model_path(DEFAULT_MODEL))
    assert read_pooling(model_dir) == "mean"
    assert read_text_settings(model_dir) == (256, False)
    # The newer single-key Pooling config is understood too.
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode": "cls"}))
    assert read_pooling(tmp_path) == "cls"


def test_default_matcher_runs_the_tuned_model_on_onnx_without_torch(matchers) -> None:
    """The default path (backend auto, fine-tuned model) is the int8 ONNX export of the *tuned*
    MiniLM, and a match with a warm cache imports neither torch nor sentence-transformers."""
    matchers("lead-software-engineer")  # warms the default cache: tuned model, its export, the index
    code = textwrap.dedent(
        """
        import json, sys
        from pathlib import Path
        from matcher import Matcher
        m = Matcher.from_ladder("lead-software-engineer")
        report = m.match("- Led the incident review for the March outage\\n- Mentored two juniors\\n")
        inner = m.embedder.inner
        heavy = ("torch", "sentence_transformers", "transformers")
        print(json.dumps({
            "backend": m.embedder.backend, "units": len(report.units), "path": str(inner.path),
            "cache": str(m.settings.cache_dir), "meta_backend": report.meta["backend"],
            "heavy": sorted(n for n in sys.modules if n.split(".")[0] in heavy),
        }))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("MATCHER_BACKEND", "MATCHER_TUNE")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == out["meta_backend"] == "onnx"
    assert out["units"] == 2
    assert Path(out["path"]).parent == Path(out["cache"]) / "tuned"
    assert out["heavy"] == []
