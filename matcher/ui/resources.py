"""Process-wide caches: the model, one Matcher per ladder, ladder catalogues, and match results.

The model and Matchers are loaded once per process (`st.cache_resource`) and shared by every
session; they are safe to share because matching only reads them (the encoder takes a lock).
Sessions share the model itself, not the library's per-process line cache: a line another person
pasted must not come back faster (and so be detectable) in someone else's session. The encoder
runs each line alone, so every report depends only on its own text and equals what the library
gives for that text in a fresh process.
Match results are cached per session (`st.cache_data(scope="session")`): a rerun of the same text
is instant. Each session also has its own bounded line cache, so an edited document re-encodes
only its new lines. Both live in memory and are dropped with the session. Nothing is written to disk
except the evidence index of ladders that already live on disk (the library's own index cache).
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from ..config import Settings
from ..errors import DocumentTooLarge, ExemplarError, LadderError
from ..isolate import ISOLATE_CHARS, parse_ladder_isolated, split_isolated
from ..ladder import MAX_LADDER_BYTES, corpus_dir, load_ladders
from ..models import Ladder
from ..text import decode_bytes

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    from ..core import Matcher
    from ..embed import Embedder
    from ..llm import LLMConfig
    from ..report import Report

__all__ = [
    "analyse",
    "app_settings",
    "assist",
    "corpus_ladders",
    "default_ladder_folder",
    "folder_ladders",
    "get_matcher",
    "ladder_key",
    "llm_config",
    "read_ladder_upload",
    "read_upload",
    "upload_limit_mb",
]

MIB = 1024 * 1024
# Lines one session keeps encoded (~1.5 KB each), and where in its session state.
SESSION_LINES = 5_000
SESSION_LINE_CACHES = "_matcher_line_caches"


def app_settings() -> Settings:
    """The library settings (MATCHER_* variables); read per run so a bad value shows as an error."""
    return Settings.from_env()


# -- ladders ---------------------------------------------------------------------------------


@st.cache_resource(ttl=60, show_spinner="Reading the ladders…")
def corpus_ladders() -> list[Ladder]:
    """The shipped ladders that have statements (a short TTL picks up new files)."""
    return [lad for lad in load_ladders() if lad.statements]


@st.cache_resource(ttl=60, show_spinner="Reading the ladder folder…")
def folder_ladders(folder: str) -> list[Ladder]:
    """Every ladder under `folder`, recursively (stubs without statements included)."""
    return load_ladders(Path(folder))


def default_ladder_folder() -> Path:
    """Where the level comparison looks first: $MATCHER_LADDERS, else a `shared/ladders` checkout
    beside the project (the development set-up), else the shipped corpus."""
    env = os.environ.get("MATCHER_LADDERS", "").strip()
    if env:
        return Path(env).expanduser()
    shared = corpus_dir().resolve().parent.parent / "shared" / "ladders"
    track = shared / "Engineering" / "Software-Engineering"
    if track.is_dir():
        return track
    return corpus_dir()


def read_ladder_upload(upload: UploadedFile) -> Ladder:
    """Parse an uploaded ladder file; it stays in memory (no path, so no index written to disk)."""
    if upload.size > MAX_LADDER_BYTES:
        raise LadderError(f"{upload.name}: {upload.size:,} bytes; ladder files over 5 MB are refused.")
    try:
        text = decode_bytes(upload.getvalue(), upload.name)
    except Exception as exc:  # DocumentError, but a ladder problem from the user's point of view
        raise LadderError(str(exc)) from exc
    return parse_ladder_isolated(text, upload.name)  # a big upload is parsed off this interpreter


def ladder_key(ladder: Ladder) -> str:
    """A cache key that changes when the ladder (or its exemplar file) changes."""
    if ladder.path is None:
        return "mem:" + hashlib.sha256(repr(ladder).encode("utf-8")).hexdigest()
    from ..exemplars import find_exemplar_file

    stamps = []
    for path in (ladder.path, find_exemplar_file(ladder)):
        try:
            stamps.append(f"{path}:{path.stat().st_mtime_ns}" if path else "-")
        except OSError:
            stamps.append(f"{path}:?")
    return "file:" + "|".join(stamps)


# -- model and matchers ----------------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the embedding model…")
def _embedder(settings_key: str, _settings: Settings) -> Embedder:
    """The model a Matcher with these settings uses (the library's process-wide instance, so it
    is loaded once), without the library's line cache shared across sessions: see the module
    docstring."""
    from ..embed import get_embedder

    s = _settings
    shared = get_embedder(s.model, s.backend, s.model_cache_dir, tune=s.tune)
    return getattr(shared, "inner", shared)


@st.cache_resource(show_spinner="Building the evidence index…", max_entries=32)
def _matcher(key: str, settings_key: str, _ladder: Ladder, _settings: Settings) -> Matcher:
    from ..core import Matcher
    from ..exemplars import ExemplarSet, load_exemplars

    embedder = _embedder(settings_key, _settings)
    if _ladder.path is not None:
        return Matcher(_ladder, embedder=embedder, settings=_settings)
    # An uploaded ladder: its index stays in memory (cache_dir None), and a corpus exemplar file
    # that shares its id but not its statements is ignored rather than refusing the ladder.
    try:
        exemplars = load_exemplars(_ladder)
    except ExemplarError:
        exemplars = ExemplarSet()
    return Matcher(
        _ladder,
        embedder=embedder,
        settings=replace(_settings, cache_dir=None),  # type: ignore[arg-type]
        exemplars=exemplars,
    )


def get_matcher(ladder: Ladder, settings: Settings | None = None) -> Matcher:
    """The shared Matcher for `ladder`, loading the model first (each step has its own spinner)."""
    settings = settings or app_settings()
    _embedder(repr(settings), settings)
    return _matcher(ladder_key(ladder), repr(settings), ladder, settings)


@st.cache_data(show_spinner=False, max_entries=128, scope="session")
def _analyse(text: str, key: str, _matcher: Matcher) -> Report:
    if len(text) > ISOLATE_CHARS:  # a big document is split off the interpreter the sessions share
        return _matcher.match_units(split_isolated(text, _matcher.settings))
    return _matcher.match(text)


def _session_lines(embedder: Embedder) -> Embedder:
    """The shared model behind this session's own bounded line cache (memory only), so an edited
    document re-encodes only its new lines, and one person's lines never speed up another's."""
    from ..embed import CachedEmbedder

    caches = st.session_state.setdefault(SESSION_LINE_CACHES, {})
    cache = caches.get(embedder.fingerprint)
    if cache is None:
        cache = caches[embedder.fingerprint] = CachedEmbedder(embedder, max_items=SESSION_LINES)
    return cache


def analyse(text: str, ladder: Ladder, settings: Settings | None = None) -> Report:
    """Match `text` against `ladder`; the same text and ladder again is served from the cache."""
    shared = get_matcher(ladder, settings)
    matcher = shared.using(_session_lines(shared.embedder))
    return _analyse(text, ladder_key(ladder) + "|" + repr(matcher.settings), matcher)


# -- LLM assistance ------------------------------------------------------------------------


def llm_config(base_url: str = "", model: str = "", api_key: str = "") -> LLMConfig | None:
    """The LLM endpoint: what the user entered for their session, over MATCHER_LLM_*; None if none.

    Read per run, like the settings, so a bad value shows as an error. Nothing is stored here.
    """
    from ..llm import LLMConfig

    return LLMConfig.from_env(
        base_url=base_url.strip() or None, model=model.strip() or None, api_key=api_key.strip() or None
    )


def assist(
    report: Report,
    ladder: Ladder,
    config: LLMConfig,
    *,
    judge: bool,
    explain: bool,
    coach: bool,
    settings: Settings | None = None,
) -> Report:
    """`report` with the chosen LLM capabilities applied (one Assistant per analysis, then closed).

    Not cached: a rerun asks again, so an endpoint that was down gets a fresh try. LLM failures
    fall back to the embedded result inside the Assistant and show as report warnings.
    """
    from ..llm import Assistant

    matcher = get_matcher(ladder, settings)
    with Assistant(config, judge=judge, explain=explain, coach=coach) as assistant:
        return assistant.augment(report, matcher)


# -- documents -------------------------------------------------------------------------------


def upload_limit_mb(settings: Settings) -> int:
    """The upload widget's own limit, in whole MB, just above the library's byte limit (the
    library's check gives the precise message)."""
    return max(1, math.ceil(settings.max_bytes / MIB))


def read_upload(upload: UploadedFile, settings: Settings) -> str:
    """Decode an uploaded brag document, refusing it over MATCHER_MAX_BYTES before decoding."""
    if upload.size > settings.max_bytes:
        raise DocumentTooLarge(
            f"{upload.name}: {upload.size:,} bytes is over the {settings.max_bytes:,}-byte limit. "
            "Split the document, or raise MATCHER_MAX_BYTES."
        )
    return decode_bytes(upload.getvalue(), upload.name)
