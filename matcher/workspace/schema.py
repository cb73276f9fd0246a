"""The workspace file's schema: tables, the application id that marks the file as ours, and the
migrations from each `user_version` to the current one.

A migration is a list of statements run in the same transaction as the `user_version` bump, so a
file is at one version or the next, never in between. Add a version by appending to MIGRATIONS;
never edit a released one.
"""

from __future__ import annotations

import sqlite3

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "header_of", "migrate"]

# "EvMa": written into the SQLite header (offset 68), so a workspace is known before SQLite opens
# it, and another program's database is never mistaken for one.
APPLICATION_ID = 0x45764D61
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE people (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE cycles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
            cycle_id INTEGER NOT NULL REFERENCES cycles(id),
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ladder_id TEXT NOT NULL,
            report TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            bundle_id TEXT UNIQUE,
            signed_off_by TEXT NOT NULL DEFAULT '',
            signed_off_at TEXT NOT NULL DEFAULT ''
        )""",
        """CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            action TEXT NOT NULL CHECK (action IN ('confirm', 'reject', 'assign')),
            text TEXT NOT NULL,
            statement_id TEXT NOT NULL,
            replaces TEXT NOT NULL DEFAULT '',
            ladder_id TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL,
            unit_id TEXT NOT NULL DEFAULT ''
        )""",
        "CREATE INDEX reports_by_person ON reports(person_id, ladder_id, cycle_id, created_at)",
        "CREATE INDEX reports_by_document ON reports(document_id)",
        "CREATE INDEX documents_by_person ON documents(person_id)",
        "CREATE INDEX corrections_by_report ON corrections(report_id)",
        "CREATE INDEX corrections_by_ladder ON corrections(ladder_id, at)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)


def header_of(data: bytes) -> tuple[bool, int, int]:
    """(is SQLite, application id, user_version) from a file's first bytes."""
    if len(data) < HEADER_SIZE or not data.startswith(SQLITE_MAGIC):
        return False, 0, 0
    return True, int.from_bytes(data[68:72], "big", signed=True), int.from_bytes(data[60:64], "big", signed=True)


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Bring a file at `version` (0: a new, empty file) to SCHEMA_VERSION, inside the caller's
    transaction."""
    if version == 0:
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[step]:
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
