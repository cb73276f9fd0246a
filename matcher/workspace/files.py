"""The workspace file: where it is, making it (mode 0600), telling ours from anything else, and
connections that share it safely between threads and processes.

Before SQLite touches a file that is not empty, its first 100 bytes are read: a file that is not
SQLite, or SQLite with another application id, is refused and left byte for byte as it was. A
missing file is created empty with mode 0600 (then SQLite writes into that file), and an empty
file (0 bytes, e.g. made with `touch`) is taken as a new workspace: it holds nothing to lose.

The check and the first write run under an advisory `flock` on the file, so two processes opening a
new workspace at once do not both initialise it. SQLite's own locks are POSIX locks, which closing
*any* descriptor of the file drops for the whole process; so the check runs once per file per
process, under a process-wide lock, before this process opens any SQLite connection to it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from ..config import Settings
from ..errors import WorkspaceCorrupt, WorkspaceError, WorkspaceNotFound
from .schema import APPLICATION_ID, HEADER_SIZE, SCHEMA_VERSION, header_of, migrate

try:
    import fcntl
except ImportError:  # not on Windows: one process at a time there creates a workspace
    fcntl = None  # type: ignore[assignment]

__all__ = ["BUSY_SECONDS", "connect", "default_workspace_path", "prepare"]

log = logging.getLogger(__name__)

# How long a write waits for another session's write to finish before giving up.
BUSY_SECONDS = 30.0
_CHECKED: set[tuple[int, int]] = set()
_CHECK_LOCK = threading.Lock()


def default_workspace_path() -> Path:
    """MATCHER_WORKSPACE, else <user data dir>/evidence-matcher/workspace.sqlite3."""
    return Settings.one("workspace")


def prepare(path: Path, *, create: bool) -> None:
    """Make `path` a workspace of the current schema (create, initialise or migrate it), or raise
    WorkspaceNotFound / WorkspaceCorrupt / WorkspaceError, leaving a file that is not ours untouched."""
    with _CHECK_LOCK:
        known = _identity(path)
        if known is not None and known in _CHECKED:
            with connect(path):  # checks the schema version (another program may have upgraded it)
                return
        fd = _open_or_create(path, create)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
                raise WorkspaceError(f"{path}: is {kind}, not a workspace file; give a file path.")
            if st.st_size == 0:
                # Nothing to lose in it, and it is about to hold private text: make it private.
                if stat.S_IMODE(st.st_mode) & 0o077:
                    os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o600)
                _initialise(path)
            else:
                _check_header(path, os.pread(fd, HEADER_SIZE, 0))
                _upgrade(path)
            _CHECKED.add((st.st_dev, st.st_ino))
        finally:
            os.close(fd)  # no SQLite connection of this process is open on the file yet


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _open_or_create(path: Path, create: bool) -> int:
    # O_NONBLOCK: a FIFO at the path must not hang the open; it is refused just after.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    while True:
        try:
            return os.open(path, flags)
        except FileNotFoundError:
            if not create:
                raise WorkspaceNotFound(
                    f"No workspace at {path}. Save a report to it first (evidence-matcher match ... "
                    "--workspace), or give the path of an existing one."
                ) from None
        except IsADirectoryError:
            raise WorkspaceError(f"{path}: is a folder, not a workspace file; give a file path.") from None
        except OSError as exc:
            raise WorkspaceError(f"{path}: cannot be opened ({exc.strerror or exc}).") from exc
        if not path.parent.is_dir():
            raise WorkspaceError(f"{path.parent}: the workspace's folder does not exist; create it first.")
        try:
            # Created 0600 before SQLite sees it: the umask can only take permissions away.
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue  # another process made it in between: open theirs
        except OSError as exc:
            raise WorkspaceError(f"{path}: cannot be created ({exc.strerror or exc}).") from exc


def _check_header(path: Path, head: bytes) -> None:
    is_sqlite, app_id, version = header_of(head)
    if not is_sqlite:
        raise WorkspaceCorrupt(
            f"{path} is not an evidence-matcher workspace (not an SQLite database, or damaged); it was "
            "left untouched. Give another path, or move the file away to start a new workspace there."
        )
    if app_id != APPLICATION_ID:
        raise WorkspaceCorrupt(
            f"{path} is another program's SQLite database, not an evidence-matcher workspace; it was "
            "left untouched. Give another path for the workspace."
        )
    if version > SCHEMA_VERSION:
        raise _newer(path, version)


def _newer(path: Path, version: int) -> WorkspaceCorrupt:
    return WorkspaceCorrupt(
        f"{path} is a version {version} workspace, made by a newer evidence-matcher (this one reads up "
        f"to version {SCHEMA_VERSION}); it was left untouched. Upgrade evidence-matcher to use it."
    )


def _initialise(path: Path) -> None:
    with connect(path, check_version=False) as con:
        con.execute("BEGIN EXCLUSIVE")
        try:
            migrate(con, 0)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        # After the schema, so the header that marks the file as ours is in the file itself, not
        # only in a write-ahead log a crash could leave behind.
        con.execute("PRAGMA journal_mode=WAL")
    log.info("Created workspace %s", path)


def _upgrade(path: Path) -> None:
    with connect(path, check_version=False) as con:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _newer(path, version)
        if version == SCHEMA_VERSION:
            return
        con.execute("BEGIN IMMEDIATE")
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            migrate(con, version)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        log.info("Upgraded workspace %s from version %d to %d", path, version, SCHEMA_VERSION)


@contextlib.contextmanager
def connect(path: Path, *, check_version: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection in autocommit mode (writers say BEGIN IMMEDIATE), closed on exit; SQLite errors
    become WorkspaceError naming the file. It never creates the file (mode=rw), and refuses a file
    whose schema version is not this code's (upgraded by a newer evidence-matcher since it was opened)."""
    try:
        con = sqlite3.connect(
            f"{path.absolute().as_uri()}?mode=rw", uri=True, timeout=BUSY_SECONDS, isolation_level=None
        )
    except sqlite3.Error as exc:
        if not path.exists():
            raise WorkspaceNotFound(f"No workspace at {path} any more (it was moved or deleted).") from exc
        raise _translate(path, exc) from exc
    try:
        # Deleted rows are overwritten, not just unlinked; sorts and VACUUM stay in memory, so no
        # user text reaches a temporary file.
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA secure_delete=ON")
        con.execute("PRAGMA temp_store=MEMORY")
        if check_version:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _newer(path, version)
            if version != SCHEMA_VERSION:
                raise WorkspaceCorrupt(
                    f"{path}: its schema version is {version}, not {SCHEMA_VERSION}: it was replaced "
                    "while open. Open it again."
                )
        yield con
        _tighten(path)
    except sqlite3.Error as exc:
        raise _translate(path, exc) from exc
    finally:
        con.close()


def _tighten(path: Path) -> None:
    """SQLite makes the -wal and -shm files with the database's mode; keep them private anyway."""
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        try:
            mode = stat.S_IMODE(os.stat(side).st_mode)
            if mode & 0o077:
                os.chmod(side, mode & 0o600)
        except OSError:
            pass  # gone already (the last connection removes them), or not ours to change


def _translate(path: Path, exc: sqlite3.Error) -> WorkspaceError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return WorkspaceError(
            f"{path}: another session kept the workspace busy for over {BUSY_SECONDS:.0f} s ({text}); try again."
        )
    if "malformed" in text or "not a database" in text:
        return WorkspaceCorrupt(
            f"{path}: the workspace is damaged ({text}); it was left as it is. Restore it from a "
            "backup, or move it away to start a new one."
        )
    return WorkspaceError(f"{path}: the workspace could not be used ({text}).")
