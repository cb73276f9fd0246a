"""Inputs and small displays shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlparse

import streamlit as st

from ..config import Settings
from ..errors import MatcherError
from ..handover import Handover
from ..models import Ladder
from ..plain import plain_message
from .resources import corpus_ladders, llm_config, read_ladder_upload, read_upload, upload_limit_mb
from .safe import md_escape
from .state import KeptFile, forget_files, kept, kept_files

if TYPE_CHECKING:
    from ..llm import LLMConfig

__all__ = [
    "Document",
    "Download",
    "LLMChoice",
    "document_input",
    "download_row",
    "guarded",
    "handover_inputs",
    "ladder_label",
    "ladder_picker",
    "llm_settings",
    "print_layout",
    "show_error",
    "show_warnings",
]

T = TypeVar("T")

UPLOAD_LADDER = "__upload__"
DEFAULT_LADDER = "lead-software-engineer"
LADDER_TYPES = ["md", "markdown", "txt"]
# Brag documents: the uploader's own type filter is not used for them, because it refuses a file
# with its reason hidden in a tooltip; the library's message, on screen, says what the file is and
# what to do instead.
DOC_HINT = ".docx, .pdf, .md, .txt or .html"
PLACEHOLDER = (
    "## Projects\n"
    "- Took the tenant fan-out from idea to GA; cut the retry UI to hold the date\n"
    "- Spent three days on the ghost-deployments race and added a chaos test to CI\n\n"
    "## Mentoring\n"
    "- Paired with Josh every week until he ran releases on his own"
)


def show_error(exc: BaseException) -> None:
    # Library messages can quote file names and document text: escaped, they still read the same.
    st.error(md_escape(plain_message(str(exc))), icon=":material/error:")


def guarded(fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Call `fn`; a MatcherError becomes an st.error with its message and None is returned."""
    try:
        return fn(*args, **kwargs)
    except MatcherError as exc:
        show_error(exc)
        return None


def show_warnings(warnings: Iterable[str]) -> None:
    for w in dict.fromkeys(plain_message(w) for w in warnings):
        st.warning(md_escape(w), icon=":material/info:")


def ladder_label(ladder: Ladder) -> str:
    """How a ladder is named in pickers (plain text: select options are not Markdown)."""
    level = f"{ladder.level} · " if ladder.level else ""
    return f"{level}{ladder.title}  ({len(ladder.statements)} statements)"


def ladder_picker(prefix: str) -> Ladder | None:
    """A corpus ladder, or one the user uploads; None until a usable ladder is chosen."""
    ladders = guarded(corpus_ladders) or []
    by_key = {str(lad.path): lad for lad in ladders}
    options = [*by_key, UPLOAD_LADDER]
    default = next((i for i, lad in enumerate(ladders) if lad.id == DEFAULT_LADDER), 0)
    choice = st.selectbox(
        "Career ladder",
        options,
        format_func=lambda k: "Upload a ladder file…" if k == UPLOAD_LADDER else ladder_label(by_key[k]),
        **kept(f"{prefix}_ladder", default=options[default], options=options),
    )
    if choice != UPLOAD_LADDER:
        return by_key[choice]
    keep, earlier = kept_files(f"{prefix}_ladder_file")
    upload = kept_upload(
        st.file_uploader("Ladder file (.md), in the OctopusDeploy career-ladder format", type=LADDER_TYPES, **keep),
        earlier,
        f"{prefix}_ladder_file",
        "ladder file",
    )
    if upload is None:
        st.info("Upload a ladder file to match against it.", icon=":material/upload_file:")
        return None
    return guarded(read_ladder_upload, upload)


@dataclass(frozen=True)
class Document:
    name: str
    text: str


# Where the brag document is kept: one for the session, shared by the pages that read one.
DOCUMENT_TEXT = "document_text"
DOCUMENT_FILE = "document_file"


def kept_upload(upload: object, earlier: list[KeptFile], store: str, what: str) -> object:
    """The file in an uploader, else the one kept from earlier in the session (shown as such,
    with a button to stop using it); None when there is neither."""
    if upload is not None or not earlier:
        return upload
    earlier_files_note(
        store,
        f"Using the {what} {md_escape(earlier[0].name)}, uploaded earlier in this session.",
        f"Remove {what}",
        help=f"Stop using the {what} uploaded earlier in this session.",
    )
    return earlier[0]


def earlier_files_note(store: str, caption: str, label: str, *, help: str | None = None) -> None:
    """Say that the files kept under `store` from earlier in the session are in use, beside a
    button (`label`) that stops using them."""
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(caption)
    right.button(label, key=f"{store}_forget", on_click=forget_files, args=(store,), icon=":material/close:", help=help)


def document_input(prefix: str, settings: Settings, *, label: str = "Brag document") -> Document | None:
    """A pasted or uploaded brag document. An upload wins over pasted text while it is there.
    Both are kept for the session and shared by every page that reads a brag document.

    Returns None (after showing why) when there is nothing to match yet or the upload is refused.
    """
    left, right = st.columns([3, 1.3], gap="medium")
    text = left.text_area(
        label,
        height=300,
        placeholder=PLACEHOLDER,
        help="Paste your brag document: bullets, dated log lines or paragraphs all work. "
        "It is kept in memory for this session only.",
        **kept(f"{prefix}_text", DOCUMENT_TEXT),
    )
    keep, earlier = kept_files(f"{prefix}_file", DOCUMENT_FILE)
    with right:
        upload = st.file_uploader(
            "…or upload a file",
            type=None,
            help=f"A {DOC_HINT} file: a Word or Google Docs document, a PDF, or plain text.",
            max_upload_size=upload_limit_mb(settings),
            **keep,
        )
        st.button("Match evidence", type="primary", key=f"{prefix}_go", icon=":material/search:")
    fresh = upload is not None
    upload = kept_upload(upload, earlier, DOCUMENT_FILE, "file")
    if upload is not None:
        decoded = guarded(read_upload, upload, settings)
        if decoded is None:
            return None
        if fresh:
            st.caption(f"Using the uploaded file {md_escape(upload.name)}; remove it to use pasted text.")
        text, name = decoded, upload.name
    else:
        name = "pasted text"
    if not (text or "").strip():
        st.info(
            "Paste a brag document above, or upload one, to see which statements it evidences.",
            icon=":material/edit_note:",
        )
        return None
    return Document(name, text or "")


def handover_inputs(prefix: str) -> Handover:
    """Who the report is for and the period it covers: optional, used in the report to hand over
    and in the names of the exported files (kept in this session only)."""
    left, right = st.columns(2, gap="medium")
    person = left.text_input(
        "Person (optional)",
        **kept(f"{prefix}_person"),
        placeholder="e.g. Sam Lee",
        max_chars=80,
        help="Shown on the report to hand over and used in the exported file names.",
    )
    period = right.text_input(
        "Review period (optional)",
        **kept(f"{prefix}_period"),
        placeholder="e.g. H2 2026",
        max_chars=80,
        help="Shown on the report to hand over.",
    )
    return Handover(person=person or "", period=period or "")


# Printing the page gives the report alone: no sidebar, header, inputs or buttons, and tables and
# expanders are not cut across pages. (Our own CSS; no user text in it.)
PRINT_CSS = """<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  [data-testid="stTextArea"], [data-testid="stFileUploader"], [data-testid="stSelectbox"],
  [data-testid="stTextInput"], [data-testid="stButton"], [data-testid="stDownloadButton"],
  [data-testid="stExpandSidebarButton"], [data-testid="stDecoration"] { display: none !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: none !important; }
  tr, [data-testid="stExpander"], [data-testid="stMetric"] { break-inside: avoid; }
}
</style>"""


def print_layout() -> None:
    st.html(PRINT_CSS)


@dataclass(frozen=True)
class Download:
    label: str
    data: str
    file_name: str
    mime: str


def download_row(downloads: Iterable[Download], key: str) -> None:
    # on_click="ignore": downloading must not rerun the page (and re-render every table).
    with st.container(horizontal=True):
        for i, d in enumerate(downloads):
            st.download_button(
                d.label,
                d.data,
                file_name=d.file_name,
                mime=d.mime,
                key=f"{key}_{i}",
                on_click="ignore",
                icon=":material/download:",
            )


# -- LLM assistance ----------------------------------------------------------------------------

LLM_SWITCHES = (
    ("judge", "Judge borderline matches", "A second opinion from the LLM on each line's borderline statements."),
    ("explain", "Explain evidenced statements", "A short reason why each evidenced statement counts."),
    ("coach", "Coach uncovered statements", "A concrete idea of evidence to collect for each uncovered statement."),
)


@dataclass(frozen=True)
class LLMChoice:
    """The endpoint and the capabilities the user switched on (at least one)."""

    config: LLMConfig
    judge: bool
    explain: bool
    coach: bool


def endpoint_label(url: str) -> str:
    """An endpoint as shown to users: scheme, host, port and path, never a user:password part."""
    parts = urlparse(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def llm_settings(prefix: str) -> LLMChoice | None:
    """The sidebar's LLM settings; None unless an endpoint is configured and a switch is on.

    What the user enters lives in their session's widget state only (never on disk, never in the
    report); MATCHER_LLM_* variables are the default, and the API key is never shown back.
    """
    with st.sidebar.expander("LLM assistance (optional)", icon=":material/smart_toy:"):
        st.caption(
            "Off by default. With an OpenAI-compatible endpoint (Ollama, llama.cpp, vLLM or a hosted "
            "API), an LLM can judge, explain and coach. Nothing leaves this machine unless you "
            "configure one and switch something on."
        )
        base_url = st.text_input(
            "Base URL",
            **kept(f"{prefix}_llm_base_url"),
            placeholder="http://127.0.0.1:11434/v1",
            help="The address of an OpenAI-compatible server, for this session only. Leave empty to use "
            "the one this app was set up with, if any.",
        )
        model = st.text_input(
            "Model",
            **kept(f"{prefix}_llm_model"),
            placeholder="the server's first model",
            help="For this session only; leave empty for the app's default or the server's first model.",
        )
        api_key = st.text_input(
            "API key",
            type="password",
            **kept(f"{prefix}_llm_api_key"),
            help="Kept in memory for this session only; local servers need none.",
        )
        config = guarded(llm_config, base_url, model, api_key)
        if config is None:
            st.info(
                "No LLM is set up. To use one, enter its address above: for example a local Ollama at "
                "http://127.0.0.1:11434/v1.",
                icon=":material/cloud_off:",
            )
        else:
            source = "entered for this session" if base_url.strip() else "set up for this app"
            model_name = config.model or "the server's first model"
            where = md_escape(endpoint_label(config.base_url))
            st.caption(f"Endpoint {where} ({source}), model {md_escape(model_name)}.")
        on = {
            name: st.checkbox(label, disabled=config is None, help=help_text, **kept(f"{prefix}_llm_{name}"))
            for name, label, help_text in LLM_SWITCHES
        }
    if config is None or not any(on.values()):
        return None
    return LLMChoice(config, **on)
