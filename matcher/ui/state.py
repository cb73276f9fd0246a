"""Inputs that outlive their page, for the whole browser session.

Streamlit deletes a widget's state at the end of any run in which the widget was not drawn, so
switching page used to empty the text box, the uploads and the pickers. Each kept widget copies its
value to a plain (non-widget) session_state entry when the user changes it, and is given that value
back before it is drawn again: Streamlit's documented pattern. Everything stays in the session's
memory; nothing here touches the disk.

Uploads cannot be given back to an uploader (Streamlit forbids setting its value), so the files'
bytes are kept instead and used while the uploader is empty; removing the file in the uploader
forgets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

__all__ = ["KeptFile", "forget_files", "kept", "kept_files", "kept_value", "remember"]

STORE = "_kept_inputs"
FILES = "_kept_files"


def _store() -> dict[str, Any]:
    return st.session_state.setdefault(STORE, {})


def _copy(widget_key: str, name: str) -> None:
    _store()[name] = st.session_state[widget_key]


def kept(
    widget_key: str, name: str | None = None, *, default: Any = None, options: Sequence[Any] | None = None
) -> dict:
    """The `key` and `on_change` arguments of a widget whose value is kept under `name` (default:
    its own key; two pages' widgets can share one name). Before the widget is drawn, its value is
    restored from what was kept, else set to `default` (so the widget itself takes no default and
    Streamlit has one source of truth). A kept value no longer among `options` is dropped."""
    name = name or widget_key
    store = _store()
    if widget_key not in st.session_state:
        value = store.get(name, default)
        if options is not None and value not in options:
            value = default if default in options else None
        if value is not None:
            st.session_state[widget_key] = value
    return {"key": widget_key, "on_change": _copy, "args": (widget_key, name)}


def kept_value(name: str, default: Any = None) -> Any:
    """What was kept under `name` (for a page that only reads another page's input)."""
    return _store().get(name, default)


def remember(name: str, value: Any) -> None:
    """Keep `value` under `name` (for values that are not a widget's)."""
    _store()[name] = value


@dataclass(frozen=True)
class KeptFile:
    """An uploaded file's name and bytes, read like Streamlit's UploadedFile (`name`, `size`,
    `getvalue()`), so the readers take either."""

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    def getvalue(self) -> bytes:
        return self.data


def _copy_files(widget_key: str, name: str) -> None:
    value = st.session_state.get(widget_key)
    files = value if isinstance(value, list) else [value] if value is not None else []
    st.session_state.setdefault(FILES, {})[name] = [KeptFile(f.name, f.getvalue()) for f in files]


def kept_files(widget_key: str, name: str | None = None) -> tuple[dict, list[KeptFile]]:
    """The `key`/`on_change` arguments of a file uploader whose files are kept under `name`, and
    the files kept from earlier in the session (to use while the uploader shows none)."""
    name = name or widget_key
    return {"key": widget_key, "on_change": _copy_files, "args": (widget_key, name)}, list(
        st.session_state.get(FILES, {}).get(name, [])
    )


def forget_files(name: str) -> None:
    """Drop the files kept under `name` (the user asked to stop using them)."""
    st.session_state.get(FILES, {}).pop(name, None)
