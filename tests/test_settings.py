"""Settings: every MATCHER_* variable read and validated in one place; overrides win."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matcher.config import ENV, Settings
from matcher.errors import MatcherError
from tests.helpers import ROOT


def test_from_env_reads_every_variable(tmp_path):
    env = {
        "MATCHER_MODEL": "some/model",
        "MATCHER_BACKEND": "torch",
        "MATCHER_CACHE": str(tmp_path / "c"),
        "MATCHER_MAX_BYTES": "1_000",
        "MATCHER_MAX_UNITS": "7",
        "MATCHER_TUNE": "off",
        "MATCHER_CORPUS": str(tmp_path / "corpus"),
        "MATCHER_LADDERS": "~/ladders",
        "MATCHER_WORKSPACE": str(tmp_path / "team.sqlite3"),
    }
    s = Settings.from_env(env)
    assert (s.model, s.backend, s.max_bytes, s.max_units, s.tune) == ("some/model", "torch", 1000, 7, False)
    assert s.cache_dir == s.model_cache_dir == tmp_path / "c"  # the model cache follows MATCHER_CACHE
    assert s.corpus_dir == tmp_path / "corpus" and s.ladders_dir == Path("~/ladders").expanduser()
    assert s.workspace == tmp_path / "team.sqlite3"
    assert set(ENV.values()) == set(env) | {"MATCHER_MODEL_CACHE"}
    separate = Settings.from_env({**env, "MATCHER_MODEL_CACHE": str(tmp_path / "m")})
    assert separate.model_cache_dir == tmp_path / "m" and separate.cache_dir == tmp_path / "c"


def test_overrides_win_and_none_means_not_given(tmp_path):
    env = {"MATCHER_BACKEND": "torch", "MATCHER_MAX_UNITS": "7"}
    s = Settings.from_env(env, backend="onnx", cache_dir=str(tmp_path), model=None)
    assert s.backend == "onnx" and s.cache_dir == tmp_path and s.max_units == 7
    assert s.model == Settings().model
    assert s.replace(max_units="9", backend=None).max_units == 9


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MATCHER_MAX_BYTES": "lots"}, "MATCHER_MAX_BYTES='lots' is not a whole number"),
        ({"MATCHER_MAX_UNITS": "-3"}, "MATCHER_MAX_UNITS='-3' must be positive"),
        ({"MATCHER_BACKEND": "cuda"}, "Backend 'cuda' is not one of auto, torch, onnx"),
        ({"MATCHER_TUNE": "maybe"}, "MATCHER_TUNE='maybe' is not on or off"),
    ],
)
def test_bad_values_are_refused_with_the_variable_and_the_fix(env, message):
    with pytest.raises(MatcherError, match="^" + message.replace("(", r"\(")):
        Settings.from_env(env)


def test_one_setting_does_not_read_the_others(tmp_path):
    env = {"MATCHER_MAX_BYTES": "lots", "MATCHER_CORPUS": str(tmp_path)}
    assert Settings.one("corpus_dir", env) == tmp_path
    assert Settings.one("ladders_dir", env) is None


def test_importing_the_library_changes_no_setting_of_the_process():
    """No MATCHER_* variable, and no logging handler or filter, appears from importing the library
    and building its settings (the model-hub opt-outs are the documented exception)."""
    code = (
        "import json, logging, os\n"
        "before = dict(os.environ)\n"
        "import matcher, matcher.core, matcher.cli, matcher.prepare, matcher.llm, matcher.batch, matcher.compare\n"
        "matcher.Settings.from_env()\n"
        "changed = {k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k)}\n"
        "root = logging.getLogger()\n"
        "print(json.dumps([sorted(changed), len(root.handlers), len(root.filters)]))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MATCHER_", "HF_", "TRANSFORMERS_", "ORT_", "STREAMLIT_", "DO_NOT_TRACK"))
    }
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    changed, handlers, filters = json.loads(out.stdout.strip().splitlines()[-1])
    from matcher.telemetry import OFFLINE, TELEMETRY

    # The one exception: matcher.telemetry's documented opt-outs, and nothing else.
    assert set(changed) <= {s.variable for s in (*TELEMETRY, *OFFLINE)}
    assert (handlers, filters) == (0, 0)
