"""Reading brag documents in the forms people keep them: Markdown, text, Word, PDF and HTML.

Every reader gives markdown-ish text that keeps headings (`#`), bullets (`- `) and numbering
(`1. `), so the splitter sees the document's structure whatever its format. The format is taken
from the file's content first (a PDF renamed to `.md` is still read as a PDF) and its name second.
A file that cannot be read raises DocumentError saying what the file is and what to do.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import stat
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from .errors import DocumentError, DocumentTooLarge
from .safeio import Budget, read_limited
from .text import decode_bytes

__all__ = ["CONTAINER_FACTOR", "DOCUMENT_SUFFIXES", "file_limit", "read_document", "read_document_bytes"]

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt", ".docx", ".pdf", ".html", ".htm")
# A Word or PDF file carries images and fonts besides its text: such a file may be this many times
# MATCHER_MAX_BYTES; the text read from it is held to MATCHER_MAX_BYTES itself.
CONTAINER_FACTOR = 10
# A .docx is a ZIP: its parts together may unpack to at most this many times the file limit,
# in at most this many parts (a zip bomb is refused before anything is unpacked).
UNZIP_FACTOR = 5
MAX_ZIP_PARTS = 2_000
MAX_PDF_PAGES = 2_000
DEFAULT_MAX_BYTES = 2_000_000

_HTML_START = re.compile(rb"\s*(<!doctype\s+html|<html|<head|<body|<meta|<div|<p[\s>]|<h[1-6][\s>])", re.I)


def file_limit(max_bytes: int) -> int:
    """The largest file accepted: Word and PDF files may be CONTAINER_FACTOR times the text limit."""
    return max_bytes * CONTAINER_FACTOR


def read_document(
    source: str | os.PathLike[str] | bytes,
    name: str | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    regular_only: bool = False,
) -> str:
    """The text of a brag document given as a path or as the file's bytes (then `name` says what
    it was called; it is used in messages and as a hint of the format).

    Raises DocumentError (DocumentTooLarge over the limits) with a message for the user.
    """
    if isinstance(source, bytes | bytearray):
        return read_document_bytes(bytes(source), name or "document", max_bytes=max_bytes)
    path = Path(source)
    label = name or str(source)
    if path.is_dir():
        raise DocumentError(f"{label}: is a folder; give a brag document file.")
    limit = file_limit(max_bytes)
    with contextlib.suppress(OSError):  # read_limited says why a file cannot be read
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            # A device or a pipe: its size says nothing, and what comes out of it is read as text.
            limit = max_bytes
        elif st.st_size > limit:
            raise DocumentTooLarge(_too_large(label, st.st_size, limit, max_bytes))
    # At most limit + 1 bytes whatever the file claims (`/dev/zero` claims 0); `regular_only`
    # refuses devices and FIFOs (a batch folder), while `match <(pbpaste)` may read a pipe.
    data = read_limited(
        path, Budget(limit, "split the document, or raise MATCHER_MAX_BYTES.", regular_only=regular_only)
    )
    return read_document_bytes(data, label, max_bytes=max_bytes)


def read_document_bytes(data: bytes, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The text of a document's bytes; `name` (the file name) is a format hint and names it in errors."""
    limit = file_limit(max_bytes)
    if len(data) > limit:
        raise DocumentTooLarge(_too_large(name, len(data), limit, max_bytes))
    reader = _reader_for(data, name)
    if reader is None:  # plain text or markdown: held to the text limit itself
        if len(data) > max_bytes:
            raise DocumentTooLarge(
                f"{name}: {len(data):,} bytes is over the {max_bytes:,}-byte limit. "
                "Split the document, or raise MATCHER_MAX_BYTES."
            )
        return decode_bytes(data, name)
    text = reader(data, name, max_bytes)
    if len(text.encode("utf-8")) > max_bytes:
        raise DocumentTooLarge(
            f"{name}: its text is over the {max_bytes:,}-byte limit. Split the document, or raise MATCHER_MAX_BYTES."
        )
    return text


def _too_large(name: str, size: int, limit: int, max_bytes: int) -> str:
    return (
        f"{name}: {size:,} bytes is over the {limit:,}-byte file limit ({CONTAINER_FACTOR} × "
        f"MATCHER_MAX_BYTES, {max_bytes:,}). Split the document, or raise MATCHER_MAX_BYTES."
    )


# -- telling formats apart -------------------------------------------------------------------------

_REFUSED_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "an old Word (.doc) or Office file", "Save it as .docx or PDF and give that."),
    (b"{\\rtf", "a Rich Text (.rtf) file", "Save it as .docx, PDF or plain text and give that."),
    (b"\x89PNG", "a PNG image", "Give the document's text (.docx, .pdf, .md or .txt), not a picture of it."),
    (b"\xff\xd8\xff", "a JPEG image", "Give the document's text (.docx, .pdf, .md or .txt), not a picture of it."),
    (b"GIF8", "a GIF image", "Give the document's text (.docx, .pdf, .md or .txt), not a picture of it."),
    (b"\x1f\x8b", "a gzip archive", "Unpack it and give the document inside."),
)


def _reader_for(data: bytes, name: str) -> Callable[[bytes, str, int], str] | None:
    """The reader for these bytes (content first, then the name); None for plain text."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-":
        return _read_pdf
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        return _read_docx
    for magic, what, fix in _REFUSED_MAGIC:
        if head.startswith(magic):
            raise DocumentError(f"{name}: is {what} (a binary file), which cannot be read here. {fix}")
    suffix = Path(name).suffix.lower()
    if suffix in (".pdf", ".docx"):
        kind = "PDF" if suffix == ".pdf" else "Word document"
        raise DocumentError(
            f"{name}: is named like a {kind} but is not one (it does not start as one; perhaps it was "
            f"renamed or only partly downloaded). Export it again from the original, or give a .md or .txt file."
        )
    if suffix in (".html", ".htm") or _HTML_START.match(head.lstrip(b"\xef\xbb\xbf")):
        return _read_html
    return None


# -- Word ------------------------------------------------------------------------------------------

_ZIP_KINDS = (
    ("mimetype", "an OpenDocument file (LibreOffice / OpenOffice)", "Save it as .docx or PDF and give that."),
    ("xl/workbook.xml", "an Excel workbook", "Copy the text into a .docx, .md or .txt file and give that."),
    (
        "ppt/presentation.xml",
        "a PowerPoint presentation",
        "Copy the text into a .docx, .md or .txt file and give that.",
    ),
)


def _check_zip(data: bytes, name: str, max_bytes: int) -> None:
    """Refuse a ZIP that is not a Word document, or that would unpack to too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(
            f"{name}: looks like a Word document or ZIP archive but is damaged ({exc}). Export or download it again."
        ) from exc
    names = {i.filename for i in infos}
    if "word/document.xml" not in names:
        for member, what, fix in _ZIP_KINDS:
            if member in names:
                raise DocumentError(f"{name}: is {what}, which cannot be read here. {fix}")
        raise DocumentError(f"{name}: is a ZIP archive, not a Word document. Unpack it and give the document inside.")
    unpacked = sum(i.file_size for i in infos)
    cap = file_limit(max_bytes) * UNZIP_FACTOR
    if len(infos) > MAX_ZIP_PARTS or unpacked > cap:
        raise DocumentTooLarge(
            f"{name}: would unpack to {unpacked:,} bytes in {len(infos):,} parts (the limit is {cap:,} bytes "
            f"and {MAX_ZIP_PARTS:,} parts); it is not an ordinary Word document. Save it again from Word "
            "or Google Docs, or copy its text into a .md or .txt file."
        )


def _read_docx(data: bytes, name: str, max_bytes: int) -> str:
    _check_zip(data, name, max_bytes)
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise DocumentError(f"{name}: reading Word files needs python-docx (pip install python-docx).") from exc
    try:
        document = docx.Document(io.BytesIO(data))
        lines = _DocxWriter(document).lines()
    except DocumentError:
        raise
    except Exception as exc:  # python-docx and lxml raise many kinds on damaged files
        raise DocumentError(
            f"{name}: is a Word document that cannot be read ({type(exc).__name__}: {exc}). "
            "Open it in Word or Google Docs and save or download it again as .docx."
        ) from exc
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


_HEADING_STYLE = re.compile(r"(?:heading|überschrift|titre)\s*(\d)", re.I)
_LIST_STYLE = re.compile(r"list\s*(bullet|number|paragraph)\s*(\d?)", re.I)
_LIST_LINE = re.compile(r"\s*(?:- |\d+\. )")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _DocxWriter:
    """A Word document's body (paragraphs and tables, in order) as markdown-ish lines."""

    def __init__(self, document) -> None:
        self.document = document
        self.formats = self._numbering_formats()
        self.counters: dict[tuple[str, int], int] = {}

    def _numbering_formats(self) -> dict[tuple[str, int], str]:
        """(numId, level) -> numFmt (`bullet`, `decimal`, …) from the numbering part, if any."""
        try:
            numbering = self.document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return {}
        abstract: dict[str, dict[int, str]] = {}
        for a in numbering.findall(f"{_W}abstractNum"):
            levels = {}
            for lvl in a.findall(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = fmt.get(f"{_W}val", "") if fmt is not None else ""
            abstract[a.get(f"{_W}abstractNumId", "")] = levels
        out = {}
        for num in numbering.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = abstract.get(ref.get(f"{_W}val", "") if ref is not None else "", {})
            for level, fmt in levels.items():
                out[(num.get(f"{_W}numId", ""), level)] = fmt
        return out

    def lines(self) -> list[str]:
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        out: list[str] = []
        for block in self.document.iter_inner_content():
            if isinstance(block, Paragraph):
                line = self._paragraph(block)
                # Headings and paragraphs stand apart (as in Markdown); list items stay together.
                out += [line] if _LIST_LINE.match(line) else ["", line, ""]
            elif isinstance(block, Table):
                out.extend(self._table(block))
        return out

    def _paragraph(self, p) -> str:
        text = " ".join(p.text.split())
        if not text:
            return ""
        style = (p.style.name if p.style is not None else "") or ""
        if style.lower() == "title":
            return f"# {text}"
        if m := _HEADING_STYLE.match(style):
            return "#" * min(6, int(m.group(1)) + 1) + " " + text
        marker = self._list_marker(p, style)
        if marker is not None:
            return marker + text
        runs = [r for r in p.runs if r.text.strip()]
        if runs and all(r.bold for r in runs):
            return f"**{text}**"  # a bold-only line is a label, as in Markdown
        return text

    def _list_marker(self, p, style: str) -> str | None:
        num_pr = p._p.pPr.numPr if p._p.pPr is not None else None
        if num_pr is not None and num_pr.numId is not None:
            num_id = str(num_pr.numId.val)
            level = int(num_pr.ilvl.val) if num_pr.ilvl is not None else 0
            fmt = self.formats.get((num_id, level), "bullet")
            return self._marker(num_id, level, fmt != "bullet")
        if m := _LIST_STYLE.match(style):
            level = int(m.group(2)) - 1 if m.group(2) else 0
            return self._marker(style, level, m.group(1).lower() == "number")
        return None

    def _marker(self, key: str, level: int, numbered: bool) -> str:
        indent = "  " * max(0, min(level, 8))
        if not numbered:
            return f"{indent}- "
        n = self.counters[(key, level)] = self.counters.get((key, level), 0) + 1
        return f"{indent}{n}. "

    def _table(self, table) -> list[str]:
        """Each row one line, its distinct cells joined (merged cells repeat in python-docx)."""
        out = [""]
        for row in table.rows:
            cells = list(dict.fromkeys(" ".join(c.text.split()) for c in row.cells))
            cells = [c for c in cells if c]
            if cells:
                out += [" · ".join(cells), ""]
        return out


# -- PDF -------------------------------------------------------------------------------------------

_PDF_BULLET = re.compile(r"^\s*[•●▪■◦○‣⁃∙·\uf0b7\uf0a7–-]\s*")
_PDF_NUMBER = re.compile(r"^\s*\d{1,3}[.)]\s+")
_SENTENCE_END = re.compile(r"[.!?:;)\]]$")


def _read_pdf(data: bytes, name: str, max_bytes: int) -> str:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise DocumentError(f"{name}: reading PDF files needs pypdf (pip install pypdf).") from exc
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _unlock(reader):
            raise DocumentError(
                f"{name}: is a password-protected PDF. Open it, save or print it as a PDF without a "
                "password (or export the document again), and give that."
            )
        pages = len(reader.pages)
        if pages > MAX_PDF_PAGES:
            raise DocumentTooLarge(f"{name}: has {pages:,} pages (at most {MAX_PDF_PAGES:,}). Split the document.")
        texts, total = [], 0
        for page in reader.pages:
            page_text = _page_text(page)
            texts.append(page_text)
            total += len(page_text)
            if total > max_bytes:  # over the limit whatever follows: stop reading
                break
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged or hostile files
        raise DocumentError(
            f"{name}: is a PDF that cannot be read ({type(exc).__name__}: {exc}). "
            "Export it again from the original document."
        ) from exc
    text = "\n\n".join(texts)
    if not text.strip():
        raise DocumentError(
            f"{name}: is a PDF with no text in it ({pages} page{'s' if pages != 1 else ''}): probably a scan "
            "or pictures of text. Export the PDF from the original document (Word, Google Docs), or copy "
            "its text into a .txt file."
        )
    return _pdf_markdown(text)


def _unlock(reader) -> bool:
    """Open a PDF that is encrypted with an empty user password (many 'protected' PDFs are)."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # a missing crypto provider or a broken encryption dictionary: still locked
        return False


def _page_text(page) -> str:
    """A page's text, each heading (a line set larger than most of the page) marked with `## `."""
    sizes: list[tuple[str, float]] = []

    def visit(text: str, cm, tm, font, size) -> None:
        scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
        if text:
            sizes.append((text, float(size or 0) * scale))

    text = page.extract_text(visitor_text=visit) or ""
    return _mark_headings(text, sizes)


def _mark_headings(text: str, sizes: list[tuple[str, float]]) -> str:
    if not sizes:
        return text
    by_size: dict[float, int] = {}
    for chunk, size in sizes:
        by_size[round(size, 1)] = by_size.get(round(size, 1), 0) + len(chunk)
    body = max(by_size, key=lambda s: by_size[s])
    large: set[str] = set()
    for chunk, size in sizes:
        if size >= body * 1.15:
            large.update(" ".join(part.split()) for part in chunk.splitlines() if part.strip())
    if not large:
        return text
    out = []
    for line in text.splitlines():
        key = " ".join(line.split())
        out.append(f"## {key}" if key in large and not _PDF_BULLET.match(line) else line)
    return "\n".join(out)


def _pdf_markdown(text: str) -> str:
    """PDF lines as markdown: bullet glyphs become `- `, and a line a PDF wrapped goes back onto
    the item or sentence it continues."""
    out: list[str] = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            out.append("")
            continue
        if line.startswith("## "):
            out += ["", line, ""]
            continue
        if m := _PDF_BULLET.match(line):
            out.append("- " + line[m.end() :])
            continue
        prev = out[-1] if out else ""
        if (
            prev
            and not prev.startswith("#")
            and not _PDF_NUMBER.match(line)
            and (line[0].islower() or not _SENTENCE_END.search(prev))
        ):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip() + "\n"


# -- HTML ------------------------------------------------------------------------------------------


def _read_html(data: bytes, name: str, max_bytes: int) -> str:
    parser = _HTMLText()
    try:
        parser.feed(decode_bytes(data, name))
        parser.close()
    except DocumentError:
        raise
    except Exception as exc:  # html.parser is lenient; this is a last resort
        raise DocumentError(f"{name}: is an HTML file that cannot be read ({exc}). Save it again.") from exc
    return parser.text()


_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "blockquote",
        "pre",
        "table",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "header",
        "footer",
        "main",
        "aside",
        "figure",
        "hr",
    }
)
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "iframe", "object"})


class _HTMLText(HTMLParser):
    """Visible HTML text as markdown-ish lines: h1-h6 as `#`, list items as `- ` or `1. `
    (indented by depth), table rows as one line each; scripts, styles and the head are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.prefix = ""
        self.lists: list[list[int]] = []  # one [counter] for an <ol>, [-1] for a <ul>
        self.skip = 0
        self.cells: list[str] | None = None
        self.header_row = False

    def _flush(self) -> None:
        text = " ".join("".join(self.current).split())
        self.current = []
        if self.cells is not None:
            if text:
                self.cells.append(text)
            return
        if text:  # an empty flush (a <p> opening inside an <li>) keeps the item's marker
            self.lines.append(self.prefix + text)
            self.prefix = ""

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        if self.skip:
            return
        if tag in ("ul", "ol"):
            self._flush()
            self.lists.append([0] if tag == "ol" else [-1])
        elif tag == "li":
            self._flush()
            depth = max(0, len(self.lists) - 1)
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
                self.prefix = "  " * depth + f"{counter[0]}. "
            else:
                self.prefix = "  " * depth + "- "
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._flush()
            self.lines.append("")
            self.prefix = "#" * int(tag[1]) + " "
        elif tag == "tr":
            self._flush()
            self.cells = []
            self.header_row = True
        elif tag in ("td", "th", "br") or tag in _BLOCKS:
            self._flush()
            if tag == "td":
                self.header_row = False

    def handle_startendtag(self, tag: str, attrs) -> None:
        if not self.skip and tag in ("br", "hr"):
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if self.skip:
            return
        if tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.lines.append("")
        elif tag == "tr":
            self._flush()
            cells, self.cells = self.cells or [], None
            if cells:
                row = " · ".join(dict.fromkeys(cells))
                # A row of <th> cells is a label (bold, as in Markdown), not an accomplishment.
                self.lines += [f"**{row}**" if self.header_row else row, ""]
        elif tag in ("li", "td", "th") or tag in _BLOCKS or (len(tag) == 2 and tag[0] == "h" and tag[1] in "123456"):
            self._flush()
            if tag.startswith("h") or tag == "p":
                self.lines.append("")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.current.append(data)

    def text(self) -> str:
        self._flush()
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip() + "\n"
