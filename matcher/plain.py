"""Messages for people who use the app, not the command line: the library's notes and errors
without setting names, commands or socket error numbers. Every pattern runs in linear time."""

from __future__ import annotations

import re

__all__ = ["plain_message"]

_UNREACHABLE = re.compile(r"The LLM endpoint at (\S+) is unreachable \(([^)]*)\)\.(?: Check [^.]*\.)?")
_ERRNO = re.compile(r"\[Errno -?\d+\] ?")
_BORROWED = re.compile(r"Ladder '([^']*)' has no evidence exemplars of its own: [^\n]*")
_TEXT_ONLY = re.compile(r"Ladder '([^']*)' has no evidence exemplars, so it is matched on statement text alone[^\n]*")
_EXPAND = re.compile(r"[;,]? (?:or )?(?:write exemplars for it with )?`evidence-matcher expand`[^.]*\.")
_ENV = re.compile(r"\b(?:set |or )?MATCHER_LLM_[A-Z_]+(?: / --[a-z-]+)?\b")


def plain_message(text: str) -> str:
    """`text` as a person using the app should read it (unchanged when nothing in it is technical)."""
    text = _UNREACHABLE.sub(r"Could not reach the LLM at \1 (\2): is it running, and is the address right?", text)
    text = _BORROWED.sub(
        r"The ladder “\1” has no examples of evidence written for it, so it borrows those of the most similar "
        "statements of the shipped ladders. Its matches are rougher than a shipped ladder's: read them as hints.",
        text,
    )
    text = _TEXT_ONLY.sub(
        r"The ladder “\1” has no examples of evidence written for it, so it is matched on the wording of its "
        "statements alone. Its matches are much rougher than a shipped ladder's: read them as hints.",
        text,
    )
    text = _EXPAND.sub(".", text)
    text = _ERRNO.sub("", text)
    return _ENV.sub("the app's LLM setting", text)
