"""Shared fixtures, and the two test speeds.

The fast tier (`make check`, `pytest -m "not slow and not browser and not llm"`) uses
`fake_embedder` / `fake_matcher`: deterministic vectors, no model. Tests that load the real
fine-tuned model are marked `slow` (any test using the `matchers` fixture is marked here
automatically), and a test that is not marked but tries to load the real model fails, so the
fast tier stays fast. `make test` runs everything.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from matcher.config import Settings
from tests.helpers import EVAL, FakeEmbedder, need_shared

# Tests point MATCHER_CACHE at temp folders to exercise the index cache. The fine-tuned model and
# the ONNX export live in the model cache (Settings.model_cache_dir): pin it for this process and
# every subprocess, so no test fine-tunes or exports again.
os.environ.setdefault("MATCHER_MODEL_CACHE", str(Settings.from_env().model_cache_dir))

REAL_MODEL_FIXTURES = {"matchers"}
TIER_MARKERS = ("slow", "browser", "llm")
# Tests of other modules that run long without any fixture to tell: the real model in a
# subprocess, and the splitter's 100k-line stress cases (marked here to leave those files alone).
LONG_TESTS = {
    "tests/test_privacy.py::test_cli_in_a_real_process_works_offline_and_writes_nothing_pasted",
    "tests/test_brag.py::test_size_cases_run",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = item.nodeid.split("[")[0]
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())) or name in LONG_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _fast_tests_use_no_real_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a test of the fast tier, loading or fine-tuning the real model is an error."""
    if any(request.node.get_closest_marker(name) for name in TIER_MARKERS):
        return

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError(f"{request.node.nodeid} loads the real model: mark it slow or use fake_matcher")

    from matcher import prepare

    monkeypatch.setattr(prepare, "_EMBEDDERS", {})  # nor one a slow test loaded earlier
    monkeypatch.setattr(prepare, "load_embedder", refuse)
    monkeypatch.setattr(prepare, "tuned_for_corpus", refuse)


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


@pytest.fixture()
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default settings with the index cache in a session temp folder (fake vectors never mix
    with the real ones: the fingerprint keys every cache)."""
    return Settings.from_env(cache_dir=tmp_path_factory.mktemp("fake-cache"))


@pytest.fixture(scope="session")
def fake_matcher(fake_settings: Settings):
    """A real Matcher per shipped ladder (real ladder, exemplars, FAISS index, head) over the fake
    embedder: everything but the model."""
    from matcher import Matcher

    built: dict[str, Matcher] = {}

    def get(ladder_id: str = "lead-software-engineer") -> Matcher:
        if ladder_id not in built:
            built[ladder_id] = Matcher.from_ladder(ladder_id, embedder=FakeEmbedder(), settings=fake_settings)
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


@pytest.fixture()
def page(browser):
    """A fresh page in its own browser context (downloads accepted); a module may define its own."""
    from tests.test_browser import WIDTH

    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
