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
import json
import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from ..config import Settings
from ..corrections import Correction
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
    "corrections_key",
    "get_matcher",
    "ladder_key",
    "level_catalogue",
    "llm_config",
    "model_label",
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


@st.cache_resource(ttl=60, show_spinner="Reading the ladders…")
def level_catalogue() -> tuple[list[Ladder], Path | None]:
    """The ladders the level comparison offers, and the folder their tracks are named from: the
    ladder library ($MATCHER_LADDERS, else a `shared/ladders` checkout beside the project), else
    the shipped corpus. Chosen by whoever runs the app; users only pick from it (or upload)."""
    configured = Settings.one("ladders_dir")
    shared = corpus_dir().resolve().parent.parent / "shared" / "ladders"
    root = configured if configured is not None else shared if shared.is_dir() else corpus_dir()
    return load_ladders(root), root


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
    from ..prepare import get_embedder

    s = _settings
    shared = get_embedder(s.model, s.backend, s.model_cache_dir, tune=s.tune)
    return getattr(shared, "inner", shared)


@st.cache_resource(show_spinner="Building the evidence index…", max_entries=32)
def _matcher(key: str, settings_key: str, _ladder: Ladder, _settings: Settings) -> Matcher:
    from ..core import Matcher
    from ..exemplars import ExemplarSet, load_exemplars

    embedder = _embedder(settings_key, _settings)
    if _ladder.path is not None:
        return Matcher.from_ladder(_ladder, embedder=embedder, settings=_settings)
    # An uploaded ladder: its index stays in memory (cache_dir None), and a corpus exemplar file
    # that shares its id but not its statements is ignored rather than refusing the ladder.
    try:
        exemplars = load_exemplars(_ladder)
    except ExemplarError:
        exemplars = ExemplarSet()
    return Matcher.from_ladder(
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


# This session's matcher taught by its corrections: (fingerprint, matcher), the latest only.
SESSION_LEARNED = "_matcher_learned"


def corrections_key(corrections: Sequence[Correction]) -> str:
    """A fingerprint of corrections (their order counts: the latest wins)."""
    digest = hashlib.sha256()
    for c in corrections:
        digest.update(json.dumps(c.to_dict(), sort_keys=True).encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _learned(shared: Matcher, corrections: Sequence[Correction], key: str) -> Matcher:
    """`shared` taught by this session's corrections, rebuilt only when they change. Kept in the
    session, not the process: one person's corrections must not make another's page faster."""
    held = st.session_state.get(SESSION_LEARNED)
    if held is not None and held[0] == key:
        return held[1]
    with st.spinner("Learning from your corrections…"):
        learned = shared.with_corrections(list(corrections))
    st.session_state[SESSION_LEARNED] = (key, learned)
    return learned


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


def model_label(settings: Settings) -> str:
    """The model as reports name it: its name, never the path of a folder on this machine."""
    name = settings.model
    if "/" in name or "\\" in name or Path(name).expanduser().exists():
        name = Path(name.rstrip("/\\")).name or "a local model"
    return f"{name} (fine-tuned on the corpus exemplars)" if settings.tune else name


def analyse(
    text: str, ladder: Ladder, settings: Settings | None = None, corrections: Sequence[Correction] = ()
) -> Report:
    """Match `text` against `ladder`; the same text and ladder again is served from the cache.

    With `corrections`, the matcher learns from them (`Matcher.with_corrections`) and the report
    has them applied. The report's `meta.model` names the model (the app loads it from a cache
    folder, whose path must not reach an export)."""
    settings = settings or app_settings()
    shared = get_matcher(ladder, settings)
    key = ladder_key(ladder) + "|" + repr(shared.settings)
    mine = [c for c in corrections if not c.ladder_id or c.ladder_id == ladder.id]
    if mine:
        fingerprint = corrections_key(mine)
        shared, key = _learned(shared, mine, fingerprint), f"{key}|{fingerprint}"
    matcher = shared.using(_session_lines(shared.embedder))
    report = _analyse(text, key, matcher)  # the learned matcher applies the corrections itself
    return replace(report, meta={**report.meta, "model": model_label(settings)})


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

    del settings  # the assistant needs the report and the ladder only
    with Assistant(config, judge=judge, explain=explain, coach=coach) as assistant:
        return assistant.augment(report, ladder)


# -- documents -------------------------------------------------------------------------------


def upload_limit_mb(settings: Settings) -> int:
    """The upload widget's own limit, in whole MB, just above the largest file the library reads
    (Word and PDF files may be larger than their text; the library's check gives the precise message)."""
    from ..readers import file_limit

    return max(1, math.ceil(file_limit(settings.max_bytes) / MIB))


def read_upload(upload: UploadedFile, settings: Settings) -> str:
    """The text of an uploaded brag document (.md, .txt, .docx, .pdf, .html), read in memory."""
    from ..readers import file_limit, read_document_bytes

    if upload.size > file_limit(settings.max_bytes):
        raise DocumentTooLarge(
            f"{upload.name}: {upload.size:,} bytes is over the {file_limit(settings.max_bytes):,}-byte file limit. "
            "Split the document, or raise MATCHER_MAX_BYTES."
        )
    return read_document_bytes(upload.getvalue(), upload.name, max_bytes=settings.max_bytes)
