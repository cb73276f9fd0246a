"""Preparing the model (fine-tune, export, cache) writes nothing to standard output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matcher.config import DEFAULT_MODEL
from matcher.exemplars import ExemplarSet
from matcher.ladder import load_ladder
from matcher.tuning import TuneConfig, tuned_model

pytestmark = pytest.mark.slow


def test_fine_tuning_writes_nothing_to_standard_output(tmp_path: Path, capfd) -> None:
    ladder = load_ladder("lead-software-engineer")
    first, second = ladder.statements[:2]
    # A tiny run: four pairs, one epoch, into a temp model cache.
    exemplars = ExemplarSet({
        first.id: ("Kept a running design doc for the queue rewrite", "Chose Postgres over Mongo and wrote why"),
        second.id: ("Answered every support escalation about billing", "Became the go-to person for payments"),
    })
    path = tuned_model(DEFAULT_MODEL, [(ladder, exemplars)], tmp_path, TuneConfig(epochs=1, batch_size=4))
    out, err = capfd.readouterr()
    assert out == ""
    assert "fine-tuning" in err  # the progress bar went to standard error
    assert json.loads((Path(path) / "tuned.json").read_text())["pairs"] == 4
    # Cached: asking again trains nothing and prints nothing anywhere.
    assert tuned_model(DEFAULT_MODEL, [(ladder, exemplars)], tmp_path, TuneConfig(epochs=1, batch_size=4)) == path
    assert capfd.readouterr() == ("", "")
