"""Atomic cache writes and cache locks: the one place that knows temp names, fsync and rename.

Every cache (index, head, fine-tuned model, ONNX export) and every exemplar file is written the
same way: into a hidden temp file or folder beside its destination, fsynced, then renamed into
place, so a reader sees the old version or the new one, never a mix; a killed write leaves only a
hidden `.<name>.*` temp that nothing trusts. Locks are `filelock` locks (flock on POSIX, msvcrt
on Windows) so two processes never build the same costly thing at once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock

__all__ = ["cache_lock", "fsync_dir", "fsync_tree", "install_dir", "temp_dir_for", "write_bytes", "write_text"]


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk, where the platform allows it."""
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file under `folder`, then the folder itself."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    fsync_dir(folder)


def temp_dir_for(dest: Path) -> Path:
    """A new hidden temp folder beside `dest` (`.<name>.<random>`), to be filled then installed."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))


def install_dir(tmp: Path, dest: Path, *, checkpoint: Callable[[str], None] | None = None) -> None:
    """fsync `tmp` and rename it to `dest`; an existing `dest` is moved aside in one rename first,
    then deleted, so `dest` holds the old folder, nothing, or the new one.

    `checkpoint(name)` is called after the fsync ("before-rename"), after the old folder is moved
    aside ("after-old-moved") and after the rename ("after-rename"): a test hook for crashes.
    """
    mark = checkpoint or (lambda _name: None)
    fsync_tree(tmp)
    mark("before-rename")
    old: Path | None = None
    if dest.exists():
        old = tmp.with_name(f"{tmp.name}.old")
        os.replace(dest, old)
        mark("after-old-moved")
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
    mark("after-rename")
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_bytes(path: Path, data: bytes | Callable[[object], None]) -> None:
    """Write a file atomically: `data`, or whatever `data(fh)` writes to the open temp file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, bytes):
                fh.write(data)
            else:
                data(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    """Write a UTF-8 text file atomically."""
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def cache_lock(path: Path, timeout: float = -1) -> Iterator[None]:
    """Hold an inter-process lock on the lock file `path` (waits forever by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path), timeout=timeout):
        yield
