"""The app under AppTest with the fake embedder (fast tier): everything real but the model.

`fake_app` points the app's model loader at tests.helpers.FakeEmbedder and its index cache at a
temp folder, so the Streamlit caches of the real model (other test modules) are never mixed in.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT, FakeEmbedder

__all__ = ["ENGINEER", "LEVELS", "MANAGER", "app", "fake_app", "no_exception", "shown"]

APP = str(ROOT / "app.py")
ENGINEER = "matcher/ui/pages/engineer.py"
MANAGER = "matcher/ui/pages/manager.py"
LEVELS = "matcher/ui/pages/levels.py"
TIMEOUT = 120


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture()
def fake_app(monkeypatch, tmp_path_factory):
    from matcher import prepare

    fake = FakeEmbedder()
    monkeypatch.setattr(prepare, "get_embedder", lambda *args, **kwargs: fake)
    monkeypatch.setenv("MATCHER_CACHE", str(tmp_path_factory.mktemp("fake-app-cache")))
    for name in ("MATCHER_MAX_BYTES", "MATCHER_MAX_UNITS", "MATCHER_LADDERS", "MATCHER_LLM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture()
def shown(monkeypatch):
    """The reports the engineer page offers for download (its final report), newest last."""
    from matcher.ui import engineer

    seen = []
    original = engineer.downloads

    def recording(report, *args):
        seen.append(report)
        return original(report, *args)

    monkeypatch.setattr(engineer, "downloads", recording)
    return seen
