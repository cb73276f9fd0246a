"""Inputs and small displays shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import streamlit as st

from ..config import Settings
from ..errors import MatcherError
from ..models import Ladder
from .resources import corpus_ladders, read_ladder_upload, read_upload, upload_limit_mb
from .safe import md_escape

__all__ = [
    "Document",
    "Download",
    "document_input",
    "download_row",
    "guarded",
    "ladder_label",
    "ladder_picker",
    "show_error",
    "show_warnings",
]

T = TypeVar("T")

UPLOAD_LADDER = "__upload__"
DEFAULT_LADDER = "lead-software-engineer"
DOC_TYPES = ["md", "markdown", "txt"]
PLACEHOLDER = (
    "## Projects\n"
    "- Took the tenant fan-out from idea to GA; cut the retry UI to hold the date\n"
    "- Spent three days on the ghost-deployments race and added a chaos test to CI\n\n"
    "## Mentoring\n"
    "- Paired with Josh every week until he ran releases on his own"
)


def show_error(exc: BaseException) -> None:
    # Library messages can quote file names and document text: escaped, they still read the same.
    st.error(md_escape(str(exc)), icon=":material/error:")


def guarded(fn: Callable[..., T], *args: object, **kwargs: object) -> T | None:
    """Call `fn`; a MatcherError becomes an st.error with its message and None is returned."""
    try:
        return fn(*args, **kwargs)
    except MatcherError as exc:
        show_error(exc)
        return None


def show_warnings(warnings: Iterable[str]) -> None:
    for w in dict.fromkeys(warnings):
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
        index=default,
        key=f"{prefix}_ladder",
        format_func=lambda k: "Upload a ladder file…" if k == UPLOAD_LADDER else ladder_label(by_key[k]),
    )
    if choice != UPLOAD_LADDER:
        return by_key[choice]
    upload = st.file_uploader(
        "Ladder file (.md), in the OctopusDeploy career-ladder format",
        type=DOC_TYPES,
        key=f"{prefix}_ladder_file",
    )
    if upload is None:
        st.info("Upload a ladder file to match against it.", icon=":material/upload_file:")
        return None
    return guarded(read_ladder_upload, upload)


@dataclass(frozen=True)
class Document:
    name: str
    text: str


def document_input(prefix: str, settings: Settings, *, label: str = "Brag document") -> Document | None:
    """A pasted or uploaded brag document. An upload wins over pasted text while it is there.

    Returns None (after showing why) when there is nothing to match yet or the upload is refused.
    """
    left, right = st.columns([3, 1.3], gap="medium")
    text = left.text_area(
        label,
        height=300,
        key=f"{prefix}_text",
        placeholder=PLACEHOLDER,
        help="Paste your brag document: bullets, dated log lines or paragraphs all work. "
        "It is kept in memory for this session only.",
    )
    with right:
        upload = st.file_uploader(
            "…or upload a .md / .txt file",
            type=DOC_TYPES,
            key=f"{prefix}_file",
            max_upload_size=upload_limit_mb(settings),
        )
        st.button("Match evidence", type="primary", key=f"{prefix}_go", icon=":material/search:")
    if upload is not None:
        decoded = guarded(read_upload, upload, settings)
        if decoded is None:
            return None
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
