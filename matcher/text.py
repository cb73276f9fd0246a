"""Text helpers shared by the ladder parser and the brag splitter.

Decoding bytes safely, repairing Mac Roman mojibake, and reducing inline markdown to plain text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

from .errors import DocumentError

__all__ = [
    "clean_text",
    "collapse_ws",
    "decode_bytes",
    "normalize_key",
    "printable",
    "reduce_markdown",
    "repair_mojibake",
    "strip_code_fence",
]

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# Mojibake starts with a character whose Mac Roman byte is a UTF-8 lead byte (0xC2-0xF4) followed
# by one whose byte is a continuation byte (0x80-0xBF); anything else is skipped without trying.
_LEAD_CHARS = frozenset(bytes([b]).decode("mac_roman") for b in range(0xC2, 0xF5))
_CONT_CHARS = frozenset(bytes([b]).decode("mac_roman") for b in range(0x80, 0xC0))


def _decode_run(run: str) -> str:
    """Repair one run of non-ASCII characters, piece by piece where the whole run is not mojibake."""
    try:
        fixed = run.encode("mac_roman").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    else:
        return fixed
    # A run can mix genuine characters with mojibake: scan for the longest decodable piece
    # (a UTF-8 character is 2 to 4 bytes, so 2 to 4 Mac Roman characters).
    out: list[str] = []
    i = 0
    while i < len(run):
        if run[i] not in _LEAD_CHARS or run[i + 1 : i + 2] not in _CONT_CHARS:
            out.append(run[i])
            i += 1
            continue
        for width in (4, 3, 2):
            piece = run[i : i + width]
            if len(piece) < width:
                continue
            try:
                out.append(piece.encode("mac_roman").decode("utf-8"))
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            i += width
            break
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 text that was once decoded as Mac Roman (`ü¶â` → 🦉, `‚Äôs` → ’s).

    Text without such mojibake comes back unchanged: a run of non-ASCII characters is only
    replaced when it re-encodes to Mac Roman bytes that are valid UTF-8.
    """
    if text.isascii():
        return text
    return _NON_ASCII_RUN.sub(lambda m: _decode_run(m.group(0)), text)


_BINARY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# What clean_text drops: C0 controls other than tab and line breaks, DEL, and the C1 controls
# (U+0080-U+009F, except NEL), which a terminal may read as escape sequences (U+009B is CSI).
_STRAY_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _bomless_utf16(data: bytes) -> str | None:
    """The UTF-16 codec of BOM-less UTF-16 text (mostly ASCII: every other byte is NUL), else None."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high.count(0) >= 0.6 * len(high) and low.count(0) <= 0.02 * len(low):
            return codec
    return None


def decode_bytes(data: bytes, source: str = "input") -> str:
    """Decode a file's bytes to text: UTF-8 (with or without BOM), or UTF-16 with a BOM or, when
    the text is mostly ASCII, without one.

    Raises DocumentError for binary data or text that is not UTF-8, naming `source`.
    """
    codec = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _bomless_utf16(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{source}: looks like UTF-16 but does not decode ({exc.reason}).") from exc
        if "\x00" in text:
            raise DocumentError(
                f"{source}: looks like a binary file (it contains NUL characters). Give a UTF-8 text or markdown file."
            )
    else:
        if b"\x00" in data:
            raise DocumentError(
                f"{source}: looks like a binary file (it contains NUL bytes). Give a UTF-8 text or markdown file."
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{source}: is not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}). "
                "Save it as UTF-8 and try again."
            ) from exc
    controls = len(_BINARY_CONTROL.findall(text[:65536]))
    if controls > max(8, len(text[:65536]) // 100):
        raise DocumentError(f"{source}: looks like a binary file (many control characters).")
    return text


def clean_text(text: str) -> str:
    """Normalise line endings, drop NULs and other control characters (C0 but tab and line breaks,
    DEL, C1 but NEL), and repair mojibake."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _STRAY_CONTROL.sub("", text)
    return repair_mojibake(text)


_WS = re.compile(r"\s+")
# What `printable` removes: every C0 and C1 control but tab and newline (escape sequences, bells,
# carriage returns that overwrite a line, U+009B CSI), and DEL.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: object, *, one_line: bool = False) -> str:
    """`text` made safe to show on a terminal or in a file a terminal may print: control
    characters (escape sequences, bells, carriage returns, C1 CSI) removed. `one_line` also turns
    tabs and newlines into spaces, for log lines and table cells."""
    out = _UNPRINTABLE.sub("", str(text))
    if one_line:
        out = out.replace("\n", " ").replace("\t", " ")
    return out


def strip_code_fence(text: str) -> str:
    """The body of a text wrapped whole in a ```fence``` (an optional `json` tag), else `text`.

    String operations rather than a lazy regex, which rescans the tail for every character."""
    stripped = text.strip()
    if len(stripped) < 6 or not (stripped.startswith("```") and stripped.endswith("```")):
        return text
    body = stripped[3:-3]
    if body.startswith("json"):
        body = body[4:]
    return body.strip()


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return _WS.sub(" ", text).strip()


# Every pattern stops at the first character that could start another match (a bracket, an
# unescaped delimiter, whitespace in a URL), so unmatched openers cost O(1) each, not O(line).
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()\s]*(?:\s+\"[^\"]*\")?\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
# `<` is excluded from the URL so an unclosed `<http://a` stops at the next opener.
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_BACKTICKS = re.compile(r"`+")
_NEWLINE = re.compile(r"\n")
_BOLD = re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1")
_STRIKE = re.compile(r"~~(?=\S)((?:(?!~~).)+?)(?<=\S)~~")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])((?:[^*\n]|(?<=\w)\*)+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])((?:[^_\n]|(?<=\w)_)+?)(?<=[^\s_])_(?![\w_])")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")


def backtick_runs(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """The spans of the backtick runs in `text`, and for each the index of the next run of the same
    length (-1 if none): where an inline code span opened by that run closes. Linear time."""
    runs = [m.span() for m in _BACKTICKS.finditer(text)]
    next_same = [-1] * len(runs)
    last: dict[int, int] = {}
    for k in range(len(runs) - 1, -1, -1):
        size = runs[k][1] - runs[k][0]
        next_same[k] = last.get(size, -1)
        last[size] = k
    return runs, next_same


def _protect_code(text: str, codes: list[str]) -> str:
    """Replace inline code spans by placeholders, appending their contents to `codes`.

    A backtick run opens a span that closes at the next run of the same length on the same line
    (a linear scan: a regex with a lazy body rescans the line for every unmatched opener).
    """
    runs, next_same = backtick_runs(text)
    breaks = [m.start() for m in _NEWLINE.finditer(text)]
    out: list[str] = []
    pos = k = 0
    while k < len(runs):
        j = next_same[k]
        if j < 0 or bisect.bisect(breaks, runs[k][0]) != bisect.bisect(breaks, runs[j][0]):
            k += 1  # no closing run on this line: the backticks are literal
            continue
        out.append(text[pos : runs[k][0]])
        codes.append(text[runs[k][1] : runs[j][0]].strip())
        out.append(f"\ue000{len(codes) - 1}\ue001")
        pos, k = runs[j][1], j + 1
    out.append(text[pos:])
    return "".join(out)


# Every rule of reduce_markdown needs one of these; text without them only needs its whitespace
# collapsed (most ladder and document lines: a fast path worth 10x on them).
_MARKUP_CHARS = re.compile("[`\\\\\\[<*_~\ue000\ue001]")


def reduce_markdown(text: str) -> str:
    """Reduce inline markdown (emphasis, links, images, inline code) to its text, whitespace collapsed."""
    if not _MARKUP_CHARS.search(text):
        return collapse_ws(text)
    codes: list[str] = []
    text = text.replace("\ue000", "").replace("\ue001", "")  # reserved for the code placeholders

    # Inline code is literal: protect it so emphasis rules do not touch its contents.
    text = _protect_code(text, codes)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    for _ in range(2):  # nested emphasis such as ***x***
        text = _BOLD.sub(r"\2", text)
        text = _STRIKE.sub(r"\1", text)
        text = _EM_STAR.sub(r"\1", text)
        text = _EM_UNDER.sub(r"\1", text)
    text = _ESCAPE.sub(r"\1", text)
    text = _PLACEHOLDER.sub(lambda m: codes[int(m.group(1))], text)
    return collapse_ws(text)


def normalize_key(text: str) -> str:
    """A comparison key for statement texts: markdown reduced, case folded, no trailing full stop."""
    key = unicodedata.normalize("NFKC", reduce_markdown(text)).casefold()
    key = key.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return key.rstrip(" .")
