"""Preparing the model (fine-tune, export, cache): nothing on standard output, clear errors, and the
atomic writes and locks every cache uses."""

from __future__ import annotations

import importlib.util
import json
import os
import threading
import time
from pathlib import Path

import pytest

from matcher import atomic, tuning
from matcher.config import DEFAULT_MODEL
from matcher.errors import ModelError
from matcher.exemplars import ExemplarSet
from matcher.ladder import load_ladder
from matcher.prepare import load_embedder
from matcher.tuning import TuneConfig, tuned_model


@pytest.mark.slow
def test_fine_tuning_writes_nothing_to_standard_output(tmp_path: Path, capfd) -> None:
    ladder = load_ladder("lead-software-engineer")
    first, second = ladder.statements[:2]
    # A tiny run: four pairs, one epoch, into a temp model cache.
    exemplars = ExemplarSet(
        {
            first.id: ("Kept a running design doc for the queue rewrite", "Chose Postgres over Mongo and wrote why"),
            second.id: ("Answered every support escalation about billing", "Became the go-to person for payments"),
        }
    )
    path = tuned_model(DEFAULT_MODEL, [(ladder, exemplars)], tmp_path, TuneConfig(epochs=1, batch_size=4))
    out, err = capfd.readouterr()
    assert out == ""
    assert "fine-tuning" in err  # the progress bar went to standard error
    assert json.loads((Path(path) / "tuned.json").read_text())["pairs"] == 4
    # Cached: asking again trains nothing and prints nothing anywhere.
    assert tuned_model(DEFAULT_MODEL, [(ladder, exemplars)], tmp_path, TuneConfig(epochs=1, batch_size=4)) == path
    assert capfd.readouterr() == ("", "")


def test_fine_tuning_without_its_extra_names_the_extra_and_the_way_out(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "datasets" else real(name, *a))
    with pytest.raises(ModelError, match=r"needs datasets \(the 'tune' extra\).*MATCHER_TUNE=0"):
        tuning._require_tuning_extra()


def test_an_unknown_backend_is_refused_before_loading_anything():
    with pytest.raises(ModelError, match="Unknown backend 'gpu'"):
        load_embedder(DEFAULT_MODEL, "gpu", Path("unused"))


def test_atomic_file_write_replaces_whole_files_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "head.npz"
    atomic.write_text(target, "first")
    atomic.write_bytes(target, lambda fh: fh.write(b"second"))
    assert target.read_text() == "second"

    def full(*_a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(OSError, match="No space"):
        atomic.write_text(target, "third")
    assert target.read_text() == "second" and sorted(os.listdir(target.parent)) == ["head.npz"]


def test_install_dir_swaps_folders_and_reports_each_step(tmp_path):
    dest = tmp_path / "cache" / "key"
    steps: list[str] = []
    for version in ("old", "new"):
        tmp = atomic.temp_dir_for(dest)
        assert tmp.parent == dest.parent and tmp.name.startswith(".key.")
        (tmp / "data").write_text(version)
        atomic.install_dir(tmp, dest, checkpoint=steps.append)
    assert (dest / "data").read_text() == "new"
    assert steps == ["before-rename", "after-rename", "before-rename", "after-old-moved", "after-rename"]
    assert os.listdir(dest.parent) == ["key"]  # the old folder moved aside was deleted


def test_cache_lock_serialises_holders(tmp_path):
    lock, order = tmp_path / "x" / "a.lock", []

    def hold(name: str) -> None:
        with atomic.cache_lock(lock):
            order.append(f"{name} in")
            time.sleep(0.2)
            order.append(f"{name} out")

    threads = [threading.Thread(target=hold, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
