"""Text helpers shared by the ladder parser and the brag splitter.

Decoding bytes safely, repairing Mac Roman mojibake, and reducing inline markdown to plain text.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import DocumentError

__all__ = [
    "clean_text",
    "collapse_ws", "decode_bytes", "normalize_key", "reduce_markdown", "repair_mojibake"]

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


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


def decode_bytes(data: bytes, source: str = "input") -> str:
    """Decode a file's bytes to text: UTF-8 (with or without BOM) or UTF-16 with a BOM.

    Raises DocumentError for binary data or text that is not UTF-8, naming `source`.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{source}: looks like UTF-16 but does not decode ({exc.reason}).") from exc
    else:
        if b"\x00" in data:
            raise DocumentError(
                f"{source}: looks like a binary file (it contains NUL bytes). "
                "Give a UTF-8 text or markdown file."
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{source}: is not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}). "
                "Save it as UTF-8 and try again."
            ) from exc
    controls = len(_BINARY_CONTROL.findall(text[:65536]))
    if controls > max(8, len(text[:65536]) // 100):
        raise DocumentError(f"{source}: looks like a binary file (many control characters).")
    return text


def clean_text(text: str) -> str:
    """Normalise line endings, drop NULs and stray control characters, and repair mojibake."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _BINARY_CONTROL.sub("", text)
    return repair_mojibake(text)


_WS = re.compile(r"\s+")


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return _WS.sub(" ", text).strip()


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_CODE = re.compile(r"(`+)(.+?)\1")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")


def reduce_markdown(text: str) -> str:
    """Reduce inline markdown (emphasis, links, images, inline code) to its text, whitespace collapsed."""
    codes: list[str] = []

    def keep_code(m: re.Match[str]) -> str:
        codes.append(m.group(2).strip())
        return f"\ue000{len(codes) - 1}\ue001"

    # Inline code is literal: protect it so emphasis rules do not touch its contents.
    text = _CODE.sub(keep_code, text)
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
    text = re.sub("\ue000(\\d+)\ue001", lambda m: codes[int(m.group(1))], text)
    return collapse_ws(text)


def normalize_key(text: str) -> str:
    """A comparison key for statement texts: markdown reduced, case folded, no trailing full stop."""
    key = unicodedata.normalize("NFKC", reduce_markdown(text)).casefold()
    key = key.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return key.rstrip(" .")
