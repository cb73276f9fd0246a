"""Sentence splitting for prose paragraphs."""

from __future__ import annotations

from ..text import backtick_runs
from .vocab import (
    _ABBREVIATIONS,
    _BEFORE_NUMBER,
    _CLOSERS,
    _DOTTED,
    _OPENERS,
    _QUOTES,
    _TERMINAL,
    _TOKEN,
)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Inline code spans: a backtick run closes at the next run of the same length."""
    runs, next_same = backtick_runs(text)
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(runs):
        j = next_same[k]
        if j < 0:
            k += 1
        else:
            spans.append((runs[k][0], runs[j][1]))
            k = j + 1
    return spans


def _is_abbreviation(word: str, next_start: str) -> bool:
    w = word.lstrip(_OPENERS).lower()
    if w in _ABBREVIATIONS or (len(w) <= 12 and _DOTTED.fullmatch(w)):
        return True
    return next_start[:1].isdigit() and w in _BEFORE_NUMBER


def _is_boundary(token: str, nxt: str) -> bool:
    """Whether a sentence ends after `token` when `nxt` is the next word."""
    core = token.rstrip(_CLOSERS)
    if not core or core[-1] not in _TERMINAL:
        return False
    start = nxt.lstrip("*_[(`~")
    if not (nxt[0] in _QUOTES or start[:1] in _QUOTES or start[:1].isupper() or start[:1].isdigit()):
        return False
    return core[-1] != "." or not _is_abbreviation(core, start)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, trimmed of surrounding whitespace."""
    tokens = [m.span() for m in _TOKEN.finditer(text)]
    if not tokens:
        return []
    code = _code_spans(text) if "`" in text else []
    spans: list[tuple[int, int]] = []
    start, ci = tokens[0][0], 0
    for k in range(len(tokens) - 1):
        a, b = tokens[k]
        na, nb = tokens[k + 1]
        # Only the ends of the two words matter, so long tokens are never copied whole.
        token, nxt = text[max(a, b - 24) : b], text[na : min(nb, na + 24)]
        if not _is_boundary(token, nxt):
            continue
        stop = a + len(text[a:b].rstrip(_CLOSERS)) - 1  # the terminal punctuation mark
        while ci < len(code) and code[ci][1] <= stop:
            ci += 1
        if ci < len(code) and code[ci][0] <= stop:
            continue  # "ends" inside inline code
        spans.append((start, b))
        start = na
    spans.append((start, tokens[-1][1]))
    return spans


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences (the rule prose paragraphs of a brag document are split by)."""
    body = text.strip()
    # Most items have no full stop, "!" or "?" before their end: one sentence, found without
    # tokenising (a boundary needs a terminal mark with a word after it).
    if not any(mark in body.rstrip(_CLOSERS + _TERMINAL) for mark in _TERMINAL):
        return [body] if body else []
    return [text[a:b] for a, b in _sentence_spans(text)]
