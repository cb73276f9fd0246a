"""Bounded reads of user files: ladders, brag documents, exemplar files and batch inputs.

`st_size` is not a budget: it is 0 for `/dev/zero`, a pipe or a file that grows while it is read.
So every read here takes at most `limit + 1` bytes, whatever the file claims, and a file that gives
more is refused. Files that must be files (ladders, exemplars) are opened without blocking and
checked with `fstat` on the open descriptor, so a device, a FIFO or a socket fails at once with a
message instead of hanging or filling memory, and no check-then-open race lets one slip in.

Errors name the file and never quote its contents: a file that is not what we expected (say
`/etc/passwd` given as a ladder) must not have its first line echoed to a terminal or an output file.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import DocumentError, DocumentTooLarge, MatcherError

__all__ = ["Budget", "read_limited", "within"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Budget:
    """How much may be read from one file, and how a refusal reads.

    `advice` ends the too-large message (what to do about it, lower case); `error` is raised for files that
    cannot be read, `too_large` for files over `limit` bytes. `regular_only` refuses anything but
    a regular file (devices, FIFOs, sockets).
    """

    limit: int
    advice: str
    error: type[MatcherError] = DocumentError
    too_large: type[MatcherError] = DocumentTooLarge
    regular_only: bool = False


def _describe(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _open(path: Path, budget: Budget) -> int:
    # O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait forever. It changes nothing
    # for regular files, and it is switched off again below for what may be read.
    flags = os.O_RDONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if budget.regular_only:
        flags |= os.O_NONBLOCK
    try:
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise budget.error(f"{path}: is a folder, not a file.") from exc
        raise budget.error(f"{path}: cannot be read ({exc.strerror or exc}).") from exc


def read_limited(path: str | Path, budget: Budget) -> bytes:
    """The bytes of `path`, at most `budget.limit` of them; errors name the file, never its contents."""
    path = Path(path)
    fd = _open(path, budget)
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise budget.error(f"{path}: is a folder, not a file.")
        regular = stat.S_ISREG(st.st_mode)
        if budget.regular_only and not regular:
            raise budget.error(f"{path}: is {_describe(st.st_mode)}, not a regular file; give a markdown file.")
        if regular and st.st_size > budget.limit:
            raise budget.too_large(
                f"{path}: is {st.st_size / 1_048_576:.1f} MB ({st.st_size:,} bytes), over the "
                f"{budget.limit:,}-byte limit; {budget.advice}"
            )
        if budget.regular_only:
            os.set_blocking(fd, True)
        data = _read_up_to(fd, budget.limit + 1)
    except OSError as exc:
        raise budget.error(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    finally:
        os.close(fd)
    if len(data) > budget.limit:
        raise budget.too_large(f"{path}: is over the {budget.limit:,}-byte limit; {budget.advice}")
    return data


def _read_up_to(fd: int, n: int) -> bytes:
    """Up to `n` bytes, in chunks, so a device that never ends costs at most `n` bytes of memory."""
    parts: list[bytes] = []
    left = n
    while left > 0:
        chunk = os.read(fd, min(left, _CHUNK))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def within(path: Path, root: Path) -> bool:
    """Whether `path`, with every symlink resolved, lies inside the folder `root` (also resolved)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False  # a dangling link or a loop leads nowhere, least of all inside `root`
    return real.is_relative_to(root.resolve())
