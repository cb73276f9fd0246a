"""Shared fixtures. Tests use the real model and real FAISS; matchers are built once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from matcher.config import Settings

# Tests point MATCHER_CACHE at temp folders to exercise the index cache. The fine-tuned model and
# the ONNX export live in the model cache (Settings.model_cache_dir): pin it for this process and
# every subprocess, so no test fine-tunes or exports again.
os.environ.setdefault("MATCHER_MODEL_CACHE", str(Settings.from_env().model_cache_dir))

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
LADDERS = SHARED / "ladders"


def need_shared(path: Path = SHARED) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared/ folder sits beside the project)")
    return path


@pytest.fixture(scope="session")
def dev_labels() -> list[dict]:
    need_shared(EVAL)
    return [json.loads(line) for line in (EVAL / "labels.jsonl").read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def matchers():
    """One real Matcher per shipped ladder (default model and backend, default cache)."""
    from matcher import Matcher

    built: dict[str, Matcher] = {}

    def get(ladder_id: str) -> Matcher:
        if ladder_id not in built:
            built[ladder_id] = Matcher.from_ladder(ladder_id)
        return built[ladder_id]

    return get


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download fails here), per module."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (make browser)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
