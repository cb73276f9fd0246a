"""Batches: many brag documents (a folder or a JSONL file) matched into one CSV or JSONL file.

Documents stream through `Matcher.match_many`, so memory stays flat however large the batch. Each
document's output is written whole and flushed before the next one, and a rerun resumes: documents
already in the output are skipped, and whatever an interruption left half-written at the end of the
file is cut off and redone, so no row is duplicated or lost. A bad document (undecodable, too large,
an unknown ladder, a malformed JSONL line) gets an error row; it never stops the batch.

- JSONL input: one object per line, `{"id": ..., "text": ..., "ladder": ...}` (`ladder` optional).
- Folder input: every .md/.markdown/.txt/.docx/.pdf/.html/.htm file below it (hidden ones skipped); its id is its path
  relative to the folder.
- JSONL output: one object per document, `{"id": ..., **Report.to_dict()}`, or
  `{"id": ..., "ladder": {"id": ...}, "error": ...}`.
- CSV output: the report's CSV rows with a leading `document` column and trailing `error` and
  `rows` columns; `rows` is how many rows the document has, so a rerun can tell a document whose
  last rows were cut off from a complete one. A document with no units gets one row with only
  `document` and `rows` set, so it counts as done.

A document's id is written as given, less control characters (tabs and line breaks become spaces):
the written id is the document's identity, so ids that differ only in control characters are
duplicates. In CSV, an id that starts like a spreadsheet formula (`= + - @`) or with `'` gets a
leading `'`, which a rerun takes off again, so any id resumes exactly. Output may also be a
non-seekable stream (`--out /dev/stdout`), written straight through, with no resuming.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import logging
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import DocumentError, MatcherError
from .readers import DOCUMENT_SUFFIXES, read_document
from .report import Report, _csv_safe, json_line
from .text import printable

if TYPE_CHECKING:
    from .core import Matcher

__all__ = [
    "CSV_FIELDS",
    "TEXT_SUFFIXES",
    "BatchSummary",
    "check_output",
    "count_documents",
    "doc_id_of",
    "iter_documents",
    "run_batch",
]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = DOCUMENT_SUFFIXES  # .md, .markdown, .txt, .docx, .pdf, .html, .htm
CSV_FIELDS = (
    "document",
    "unit_id",
    "line",
    "section",
    "unit",
    "statement_id",
    "pillar",
    "statement",
    "score",
    "error",
    "rows",
)
FORMATS = ("csv", "jsonl")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class BatchDoc:
    """One input document: its text, or why it could not be read."""

    id: str
    ladder: str
    text: str = ""
    error: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """What a batch run did."""

    output: Path
    written: int  # documents written by this run (errors included)
    errors: int  # of which error rows
    skipped: int  # already in the output from an earlier run
    duplicates: int  # ids seen twice in the input (later ones ignored)
    repaired: bool  # an interrupted last document was cut off the output and redone


# -- input -----------------------------------------------------------------------------------------


def _folder_files(folder: Path) -> list[Path]:
    files = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in TEXT_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def doc_id_of(raw: object) -> str:
    """The id a document is written and resumed under: as given, less control characters."""
    return printable(raw, one_line=True)


def _read_file(path: Path, limit: int) -> str:
    return read_document(path, path.name, max_bytes=limit, regular_only=True)


def _folder_docs(folder: Path, ladder: str, limit: int) -> Iterator[BatchDoc]:
    for path in _folder_files(folder):
        doc_id = doc_id_of(path.relative_to(folder).as_posix())
        try:
            yield BatchDoc(doc_id, ladder, _read_file(path, limit))
        except DocumentError as exc:
            # The document column names the file; the message need not repeat its path.
            yield BatchDoc(doc_id, ladder, error=str(exc).removeprefix(f"{path}: ").removeprefix(f"{path.name}: "))


def _jsonl_lines(path: Path, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; None for a line over `limit` bytes, which is skipped unread."""
    with path.open("rb") as fh:
        for n in itertools.count(1):
            line = fh.readline(limit + 1)
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := fh.readline(_CHUNK)) and not rest.endswith(b"\n"):
                    pass
                yield n, None
                continue
            yield n, line


def _jsonl_doc(n: int, line: bytes | None, ladder: str, limit: int) -> BatchDoc | None:
    fallback = f"line-{n}"
    if line is None:
        return BatchDoc(fallback, ladder, error=f"line {n} is over the {limit:,}-byte line limit.")
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        return BatchDoc(fallback, ladder, error=f"line {n} is not valid JSON ({exc}).")
    if not isinstance(row, dict):
        return BatchDoc(fallback, ladder, error=f"line {n} is not a JSON object.")
    raw_id = row.get("id")
    doc_id = doc_id_of(raw_id) if isinstance(raw_id, str | int) else ""
    doc_id = doc_id if doc_id.strip() else fallback
    doc_ladder = row.get("ladder") or ladder
    if not isinstance(doc_ladder, str):
        return BatchDoc(doc_id, ladder, error=f"line {n}: 'ladder' must be a string.")
    if doc_id == fallback:
        return BatchDoc(doc_id, doc_ladder, error=f"line {n} has no 'id' (a non-empty string or number).")
    text = row.get("text")
    if not isinstance(text, str):
        return BatchDoc(doc_id, doc_ladder, error=f"line {n} has no 'text' string.")
    return BatchDoc(doc_id, doc_ladder, text)


def _jsonl_docs(path: Path, ladder: str, limit: int) -> Iterator[BatchDoc]:
    # JSON escapes can take up to 6 bytes per byte of text; the document limit applies after parsing.
    line_limit = 6 * limit + 4096
    for n, line in _jsonl_lines(path, line_limit):
        doc = _jsonl_doc(n, line, ladder, line_limit)
        if doc is not None:
            yield doc


def _check_source(source: Path) -> None:
    if not source.exists():
        raise DocumentError(f"{source}: no such file or folder.")
    if not source.is_dir() and not source.is_file():
        raise DocumentError(f"{source}: give a folder of brag documents or a JSONL file.")


def iter_documents(source: str | Path, ladder: str = "", settings: Settings | None = None) -> Iterator[BatchDoc]:
    """The documents of a folder or JSONL file, in order; `ladder` is the default ladder id."""
    source = Path(source)
    _check_source(source)
    limit = (settings or Settings.from_env()).max_bytes
    return _folder_docs(source, ladder, limit) if source.is_dir() else _jsonl_docs(source, ladder, limit)


def count_documents(source: str | Path) -> int:
    """How many documents (folder files, or JSONL lines) a source holds: a progress bar's total."""
    source = Path(source)
    _check_source(source)
    if source.is_dir():
        return len(_folder_files(source))
    count, last = 0, b"\n"
    with source.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# -- output: resuming and writing ------------------------------------------------------------------


def output_format(out: Path, fmt: str | None = None) -> str:
    """The output format: `fmt`, else from the file name (.csv, or .jsonl/.ndjson)."""
    if fmt:
        if fmt not in FORMATS:
            raise DocumentError(f"Unknown output format {fmt!r}: use 'csv' or 'jsonl'.")
        return fmt
    suffix = out.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise DocumentError(f"{out}: name the output .csv or .jsonl (or give the format).")


def check_output(out: str | Path, fmt: str | None = None) -> str:
    """The output format, after checking that `out` can be an output (not a folder): for front
    ends, so a bad --out fails before any model loads."""
    out = Path(out)
    fmt = output_format(out, fmt)
    _seekable(out)
    return fmt


def _id_cell(doc_id: str) -> str:
    """The CSV cell of an id: defused like any cell (`=x` → `'=x`), and an id that already starts
    with `'` gets one more, so the cell maps back to exactly one id."""
    return "'" + doc_id if doc_id[:1] in ("=", "+", "-", "@", "'") else doc_id


def _id_from_cell(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def _jsonl_done(fh: io.BufferedRandom, out: Path) -> tuple[set[str], int]:
    """Ids of the complete records, and the byte offset where the complete records end."""
    done: set[str] = set()
    good = 0
    fh.seek(0)
    for n, line in enumerate(iter(fh.readline, b""), start=1):
        if not line.endswith(b"\n"):
            break  # the half-written last line of an interrupted run
        try:
            row = json.loads(line)
            doc_id = row["id"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
            if fh.read(1):  # not the last line: this is not a batch output file
                raise DocumentError(f"{out}:{n}: not a batch output record; give a new --out file.") from exc
            break
        done.add(str(doc_id))
        good += len(line)
    return done, good


def _csv_records(fh: io.BufferedRandom) -> Iterator[tuple[list[str], int, int, bool]]:
    """(row, start offset, end offset, whether it ends with a line break) of each CSV record,
    offsets in bytes; stops quietly at a record cut off inside a quoted field."""
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    ends = [0]
    line_break = [False]

    def lines() -> Iterator[str]:
        for line in text:
            ends.append(ends[-1] + len(line.encode("utf-8", errors="surrogateescape")))
            line_break[0] = line.endswith("\n")
            yield line

    start = 0
    try:
        for row in csv.reader(lines(), strict=True):
            yield row, start, ends[-1], line_break[0]
            start = ends[-1]
    except csv.Error:
        return
    finally:
        text.detach()


def _complete(group: list[list[str]]) -> bool:
    """Whether a document's rows are all there: as many whole rows as its `rows` cell says."""
    if any(len(row) != len(CSV_FIELDS) for row in group):
        return False
    try:
        return int(group[0][-1]) == len(group)
    except ValueError:
        return False


def _csv_done(fh: io.BufferedRandom, out: Path) -> tuple[set[str], int]:
    """Ids of the complete documents, and where the complete documents end.

    Each document goes out in one write() call, so an interruption leaves only a tail of the last
    document: part of a line, or some of its rows. Then that document is cut off and redone.
    """
    size = fh.seek(0, os.SEEK_END)
    with contextlib.closing(_csv_records(fh)) as records:
        first = next(records, None)
        if first is None:
            return set(), 0
        header, _, header_end, header_whole = first
        if tuple(header) != CSV_FIELDS or not header_whole:
            if header_end == size and ",".join(CSV_FIELDS).startswith(",".join(header)):
                return set(), 0  # a header cut short by an interruption: start again
            raise DocumentError(
                f"{out}: exists with other columns; it is not a batch output file. Give a new --out file."
            )
        done: list[str] = []
        group: list[list[str]] = []
        last_start = keep = header_end
        for row, start, stop, line_break in records:
            if not line_break:
                break  # a record cut off mid-line: only the last one can be, and it is dropped
            if not group or row[:1] != group[0][:1]:
                done.append(_id_from_cell(row[0]) if row else "")
                last_start, group = start, []
            group.append(row)
            keep = stop
    if not done:
        return set(), header_end
    if _complete(group):
        return set(done), keep
    return set(done[:-1]), last_start


def _seekable(out: Path) -> bool:
    """Whether `out` is (or will be) a regular file; a pipe or terminal is written straight through."""
    try:
        st = out.stat()
    except FileNotFoundError:
        return True
    except OSError as exc:
        raise DocumentError(f"{out}: cannot use it as the output ({exc.strerror or exc}).") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DocumentError(f"{out}: is a folder; give --out a file name such as {out / 'results.csv'}.")
    return stat.S_ISREG(st.st_mode)


def _resume(out: Path, fmt: str) -> tuple[set[str], bool]:
    """Open an existing output, cut off an incomplete tail, and return the ids already done."""
    if not _seekable(out) or not out.exists() or out.stat().st_size == 0:
        return set(), False
    try:
        with out.open("r+b") as fh:
            done, keep = (_csv_done if fmt == "csv" else _jsonl_done)(fh, out)
            size = fh.seek(0, os.SEEK_END)
            if keep < size:
                log.warning(
                    "%s: cutting off %d bytes left by an interrupted run; redoing that document", out, size - keep
                )
                fh.truncate(keep)
    except OSError as exc:
        raise DocumentError(f"{out}: cannot resume it ({exc.strerror or exc}).") from exc
    return done, keep < size


class _Writer:
    """Appends one document at a time in a single write() call, so an interruption can only leave
    a tail of the last document; a failed write (disk full) is rolled back. A stream (a pipe, a
    terminal) is written straight through: nothing to resume, nothing to roll back."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.fmt = fmt
        self.out = out
        self.stream = not _seekable(out)
        try:
            if not self.stream:
                out.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DocumentError(f"{out}: cannot write it ({exc.strerror or exc}).") from exc
        if fmt == "csv" and (self.stream or os.lseek(self._fd, 0, os.SEEK_END) == 0):
            self._write(",".join(CSV_FIELDS) + "\n")

    def _write(self, text: str) -> None:
        data = memoryview(text.encode("utf-8"))
        start = None if self.stream else os.lseek(self._fd, 0, os.SEEK_END)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:
            if start is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
            raise DocumentError(f"{self.out}: cannot write it ({exc.strerror or exc}).") from exc

    @staticmethod
    def _csv(rows: list[dict[str, Any]], doc_id: str) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
        for row in rows:
            cells = {k: _csv_safe(printable(v) if isinstance(v, str) else v) for k, v in row.items()}
            writer.writerow({**cells, "document": _id_cell(doc_id), "rows": len(rows)})
        return buf.getvalue()

    def report(self, doc: BatchDoc, report: Report) -> None:
        if self.fmt == "jsonl":
            self._write(json_line({"id": doc.id, **report.to_dict()}))
        else:
            rows = report.csv_rows() or [dict.fromkeys(CSV_FIELDS[1:-1], "")]
            self._write(self._csv([{**r, "error": r.get("error", "")} for r in rows], doc.id))

    def error(self, doc: BatchDoc, message: str) -> None:
        message = printable(message, one_line=True)
        log.warning("document %s: %s", doc.id, message)
        if self.fmt == "jsonl":
            self._write(json_line({"id": doc.id, "ladder": {"id": doc.ladder}, "error": message}))
        else:
            self._write(self._csv([{**dict.fromkeys(CSV_FIELDS[1:-1], ""), "error": message}], doc.id))

    def close(self) -> None:
        os.close(self._fd)


# -- the run ---------------------------------------------------------------------------------------


def _default_factory(settings: Settings) -> Callable[[str], Matcher]:
    def build(ladder_id: str) -> Matcher:
        from .core import Matcher
        from .ladder import load_ladder

        return Matcher.from_ladder(load_ladder(ladder_id), settings=settings)

    return build


class _Run:
    def __init__(
        self, writer: _Writer, factory: Callable[[str], Matcher], progress: Callable[[int], object] | None
    ) -> None:
        self.writer = writer
        self.factory = factory
        self.progress = progress
        self.matchers: dict[str, Matcher | str] = {}
        self.written = self.errors = 0

    def _done(self) -> None:
        self.written += 1
        if self.progress is not None:
            self.progress(1)

    def _error(self, doc: BatchDoc, message: str) -> None:
        self.writer.error(doc, message)
        self.errors += 1
        self._done()

    def _matcher(self, ladder_id: str) -> Matcher | str:
        if ladder_id not in self.matchers:
            if not ladder_id:
                self.matchers[ladder_id] = "no ladder: give --ladder, or a 'ladder' in the JSONL line."
            else:
                try:
                    self.matchers[ladder_id] = self.factory(ladder_id)
                except MatcherError as exc:  # an unknown or unreadable ladder fails its documents only
                    self.matchers[ladder_id] = str(exc)
        return self.matchers[ladder_id]

    def group(self, ladder_id: str, docs: Iterable[BatchDoc]) -> None:
        matcher = self._matcher(ladder_id)
        if isinstance(matcher, str):
            for doc in docs:
                self._error(doc, matcher)
            return
        queue: deque[BatchDoc] = deque()

        def texts() -> Iterator[str]:
            for doc in docs:
                queue.append(doc)
                if not doc.error:
                    yield doc.text

        for result in matcher.match_many(texts(), errors="yield"):
            while queue[0].error:
                unreadable = queue.popleft()
                self._error(unreadable, unreadable.error)
            doc = queue.popleft()
            if isinstance(result, DocumentError):
                self._error(doc, str(result))
            else:
                self.writer.report(doc, result)
                self._done()
        while queue:  # unreadable documents after the last readable one
            doc = queue.popleft()
            self._error(doc, doc.error)


def _fresh(
    docs: Iterable[BatchDoc], done: set[str], counts: dict[str, int], progress: Callable[[int], object] | None
) -> Iterator[BatchDoc]:
    """The documents not yet in the output, each id once."""
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            log.warning("document id %r appears again in the input; only the first is matched", doc.id)
            counts["duplicates"] += 1
        elif doc.id in done:
            counts["skipped"] += 1
            seen.add(doc.id)
        else:
            seen.add(doc.id)
            yield doc
            continue
        if progress is not None:
            progress(1)


def run_batch(
    source: str | Path,
    out: str | Path,
    ladder: str = "",
    *,
    fmt: str | None = None,
    settings: Settings | None = None,
    matcher_for: Callable[[str], Matcher] | None = None,
    progress: Callable[[int], object] | None = None,
) -> BatchSummary:
    """Match every document of `source` (a folder or JSONL file) into `out` (CSV or JSONL).

    `ladder` is the ladder id for documents that do not name their own. `matcher_for(ladder_id)`
    builds the Matcher for a ladder (default: from `settings`); `progress(n)` is called as
    documents are done or skipped. Resumes an interrupted run of the same command.
    """
    source, out = Path(source), Path(out)
    settings = settings or Settings.from_env()
    fmt = check_output(out, fmt)
    _check_source(source)
    if out.exists() and source.resolve() == out.resolve():
        raise DocumentError(f"{out}: the output must not be the input file.")
    factory = matcher_for or _default_factory(settings)
    # A bad --ladder fails now, not as one error row per document.
    first = factory(ladder) if ladder else None
    done, repaired = _resume(out, fmt)
    if done:
        log.info("%s: %d documents already done; resuming", out, len(done))
    counts = {"skipped": 0, "duplicates": 0}
    writer = _Writer(out, fmt)
    run = _Run(writer, factory, progress)
    if first is not None:
        run.matchers[ladder] = first
    try:
        docs = _fresh(iter_documents(source, ladder, settings), done, counts, progress)
        for ladder_id, group in itertools.groupby(docs, key=lambda d: d.ladder):
            run.group(ladder_id, group)
    finally:
        writer.close()
    return BatchSummary(out, run.written, run.errors, counts["skipped"], counts["duplicates"], repaired)
