"""The Workspace: people, review cycles, documents, saved reports and corrections in one SQLite file.

Every method opens its own connection and closes it, so threads (Streamlit sessions) and processes
share one file without sharing a connection; every write is one `BEGIN IMMEDIATE` transaction, so
it is all there or not at all, and concurrent writers queue (busy timeout) instead of failing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..corrections import Correction, text_key
from ..errors import WorkspaceError
from ..report import Report
from .bundle import Bundle, make_bundle, parse_bundle
from .files import connect, default_workspace_path, prepare
from .models import Change, Cycle, Person, SavedReport

__all__ = ["Workspace", "clean_name"]

log = logging.getLogger(__name__)

NAME_LIMIT = 200
_REPORT_COLUMNS = """
    r.id, p.name, c.name, r.ladder_id, r.created_at, d.source, d.text, r.report, r.author,
    r.bundle_id, r.signed_off_by, r.signed_off_at
"""
_REPORT_FROM = """
    FROM reports r JOIN people p ON p.id = r.person_id JOIN cycles c ON c.id = r.cycle_id
    JOIN documents d ON d.id = r.document_id
"""
_CORRECTION_COLUMNS = "action, text, statement_id, ladder_id, replaces, author, at, unit_id"


def _crash_point(name: str) -> None:
    """Test-only hook: MATCHER_TEST_CRASH_AT=<name> kills the process here, inside a write
    transaction (before its commit). Points: save, correct, import, forget."""
    if os.environ.get("MATCHER_TEST_CRASH_AT") == f"workspace-{name}":
        os._exit(86)


def now() -> str:
    """The current time in UTC, ISO 8601 to the microsecond (sorts as text)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _timestamp(value: str, what: str) -> str:
    """`value` (ISO 8601) in the stored form: UTC to the microsecond; a time without a zone is UTC."""
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise WorkspaceError(f"{what} {value!r} is not an ISO 8601 time (e.g. 2026-12-03T12:00:00Z).") from exc
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def clean_name(value: object, what: str) -> str:
    """A person's or cycle's name: trimmed, case kept; refused if empty, too long or with controls."""
    if not isinstance(value, str):
        raise WorkspaceError(f"A {what}'s name must be text, not {type(value).__name__}.")
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if not name:
        example = "2026 H2" if what == "cycle" else "Alex Kim"
        raise WorkspaceError(f"A {what}'s name is empty; give one, e.g. {example}.")
    if len(name) > NAME_LIMIT:
        raise WorkspaceError(f"A {what}'s name is {len(name)} characters, over the {NAME_LIMIT}-character limit.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in name):
        raise WorkspaceError(f"A {what}'s name contains control or invisible characters; type it plainly.")
    return name


def _choices(values: Sequence[str], limit: int = 8) -> str:
    if not values:
        return "none yet"
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


class Workspace:
    """One workspace file. Open it with `Workspace.open(path)`; every method is safe to call from
    any thread or process."""

    def __init__(self, path: Path) -> None:
        """A workspace already prepared at `path` (use `Workspace.open`, which checks and creates it)."""
        self.path = path

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = True) -> Workspace:
        """The workspace at `path` (None: default_workspace_path()), created (mode 0600) if missing
        and `create`; an empty file is taken as a new workspace. Raises WorkspaceNotFound,
        WorkspaceCorrupt (never changing a file that is not ours) or WorkspaceError."""
        if path is None or str(path) == "":
            resolved = default_workspace_path()
            if create:
                # The default folder holds nobody's data but the user's: private to them.
                try:
                    resolved.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                except OSError as exc:
                    raise WorkspaceError(f"{resolved.parent}: cannot create it ({exc.strerror or exc}).") from exc
        else:
            resolved = Path(path).expanduser()
        prepare(resolved, create=create)
        return cls(resolved)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # -- connections -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with connect(self.path) as con:
            yield con

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed if the block ends normally, rolled back otherwise."""
        with connect(self.path) as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise

    # -- people and cycles -----------------------------------------------------------------------

    def add_person(self, name: str) -> Person:
        """The person called `name` (case-insensitively), added if new."""
        clean = clean_name(name, "person")
        with self._write() as con:
            pid = self._named(con, "people", clean, create=True)
            row = con.execute("SELECT id, name, created_at FROM people WHERE id = ?", (pid,)).fetchone()
        return Person(*row)

    def people(self) -> list[Person]:
        """Everyone in the workspace, by name."""
        with self._read() as con:
            rows = con.execute("SELECT id, name, created_at FROM people ORDER BY name_key, id").fetchall()
        return [Person(*r) for r in rows]

    def cycles(self) -> list[Cycle]:
        """Review cycles, oldest first (in the order the workspace first saw them)."""
        with self._read() as con:
            rows = con.execute("SELECT id, name, created_at FROM cycles ORDER BY created_at, id").fetchall()
        return [Cycle(*r) for r in rows]

    @staticmethod
    def _named(con: sqlite3.Connection, table: str, name: str, *, create: bool) -> int | None:
        key = text_key(name)
        row = con.execute(f"SELECT id FROM {table} WHERE name_key = ?", (key,)).fetchone()
        if row is not None or not create:
            return row[0] if row else None
        cur = con.execute(f"INSERT INTO {table} (name, name_key, created_at) VALUES (?, ?, ?)", (name, key, now()))
        return int(cur.lastrowid or 0)

    def _require(self, con: sqlite3.Connection, table: str, name: str) -> int:
        what = "person" if table == "people" else "cycle"
        found = self._named(con, table, clean_name(name, what), create=False)
        if found is None:
            names = [r[0] for r in con.execute(f"SELECT name FROM {table} ORDER BY created_at, id")]
            raise WorkspaceError(f"No {what} {name!r} in the workspace {self.path}; it has: {_choices(names)}.")
        return found

    # -- reports ---------------------------------------------------------------------------------

    def save(
        self, person: str, cycle: str, document: str, report: Report, *, source: str = "", author: str = ""
    ) -> SavedReport:
        """Save `report` (the matcher's, uncorrected) and the `document` it was made from, for
        `person` in `cycle` (both added if new), in one transaction."""
        person, cycle = clean_name(person, "person"), clean_name(cycle, "cycle")
        ladder_id = _ladder_of(report)
        if not isinstance(document, str):
            raise WorkspaceError(f"The document to save must be text, not {type(document).__name__}.")
        payload = json.dumps(report.to_dict(), ensure_ascii=False)
        with self._write() as con:
            rid = self._insert_report(
                con, person, cycle, document, source, ladder_id, payload, author=author, created_at=now()
            )
            _crash_point("save")
        log.info("Saved report %d (%s, %s, %s) to %s", rid, person, cycle, ladder_id, self.path)
        return self.report(rid)

    def _insert_report(
        self,
        con: sqlite3.Connection,
        person: str,
        cycle: str,
        document: str,
        source: str,
        ladder_id: str,
        payload: str,
        *,
        author: str,
        created_at: str,
        bundle: tuple[str, str, str] | None = None,
    ) -> int:
        pid = self._named(con, "people", person, create=True)
        cid = self._named(con, "cycles", cycle, create=True)
        digest = hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()
        doc = con.execute(
            "INSERT INTO documents (person_id, text, sha256, source, created_at) VALUES (?, ?, ?, ?, ?)",
            (pid, document, digest, str(source or ""), created_at),
        ).lastrowid
        bundle_id, signed_off_by, signed_off_at = bundle or (None, "", "")
        cur = con.execute(
            "INSERT INTO reports (person_id, cycle_id, document_id, ladder_id, report, author, created_at,"
            " bundle_id, signed_off_by, signed_off_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pid, cid, doc, ladder_id, payload, str(author or ""), created_at, bundle_id, signed_off_by, signed_off_at),
        )
        return int(cur.lastrowid or 0)

    def report(self, report_id: int) -> SavedReport:
        """One saved report; WorkspaceError (with the latest ids) if there is none with that id."""
        found = self._select("r.id = ?", (_report_id(report_id),))
        if not found:
            latest = [str(s.id) for s in self._select("1", (), limit=8)]
            raise WorkspaceError(
                f"No report {report_id} in the workspace {self.path}; the latest are: {_choices(latest)} "
                "(evidence-matcher workspace reports lists them)."
            )
        return found[0]

    def reports(
        self, person: str | None = None, ladder_id: str | None = None, cycle: str | None = None
    ) -> list[SavedReport]:
        """Saved reports, newest first, optionally of one person, ladder and cycle (names match
        case-insensitively; an unknown one matches nothing)."""
        where, params = ["1"], []
        if person is not None:
            where.append("p.name_key = ?")
            params.append(text_key(person))
        if ladder_id is not None:
            where.append("r.ladder_id = ?")
            params.append(ladder_id)
        if cycle is not None:
            where.append("c.name_key = ?")
            params.append(text_key(cycle))
        return self._select(" AND ".join(where), tuple(params))

    def latest(self, person: str, ladder_id: str, cycle: str | None = None) -> SavedReport | None:
        """The person's newest report for the ladder (in `cycle`, if given), or None."""
        where = "p.name_key = ? AND r.ladder_id = ?"
        params: tuple[Any, ...] = (text_key(person), ladder_id)
        if cycle is not None:
            where += " AND c.name_key = ?"
            params += (text_key(cycle),)
        found = self._select(where, params, limit=1)
        return found[0] if found else None

    def team(self, ladder_id: str, cycle: str) -> dict[str, SavedReport]:
        """Person name -> their latest report for the ladder in `cycle`, by name."""
        out: dict[str, SavedReport] = {}
        for saved in self._select("r.ladder_id = ? AND c.name_key = ?", (ladder_id, text_key(cycle))):
            out.setdefault(saved.person, saved)
        return dict(sorted(out.items(), key=lambda kv: (text_key(kv[0]), kv[0])))

    def _select(self, where: str, params: tuple[Any, ...], limit: int | None = None) -> list[SavedReport]:
        sql = f"SELECT {_REPORT_COLUMNS} {_REPORT_FROM} WHERE {where} ORDER BY r.created_at DESC, r.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._read() as con:
            # One read transaction: the reports and the corrections applied to them agree.
            con.execute("BEGIN")
            rows = con.execute(sql, params).fetchall()
            ladders = sorted({r[3] for r in rows})
            applied = {lid: self._corrections(con, lid) for lid in ladders}
            own = self._own_corrections(con, [r[0] for r in rows])
            con.execute("COMMIT")
        return [_saved(r, own.get(r[0], ()), applied[r[3]]) for r in rows]

    # -- corrections -----------------------------------------------------------------------------

    def correct(self, report_id: int, correction: Correction) -> SavedReport:
        """Store `correction`, made on one of the report's items, with its author and time (now,
        UTC, if it has none); returns the report with it applied (`.corrected`).

        The correction is checked against the report: its statements must be the report's, its
        unit (if given) one of the report's items with the same text, and its ladder the report's."""
        if not isinstance(correction, Correction):
            raise WorkspaceError(f"correct() takes a Correction, not {type(correction).__name__}.")
        saved = self.report(report_id)
        correction = _checked(correction, saved)
        at = _timestamp(correction.at, "The correction's time") if correction.at else now()
        with self._write() as con:
            if con.execute("SELECT 1 FROM reports WHERE id = ?", (saved.id,)).fetchone() is None:
                raise WorkspaceError(f"Report {saved.id} was deleted from {self.path} meanwhile; nothing was stored.")
            _insert_correction(con, saved.id, replace(correction, at=at))
            _crash_point("correct")
        return self.report(saved.id)

    def corrections(self, ladder_id: str | None = None) -> list[Correction]:
        """Every correction in the workspace (for one ladder, if given), in the order they were made."""
        with self._read() as con:
            return list(self._corrections(con, ladder_id))

    @staticmethod
    def _corrections(con: sqlite3.Connection, ladder_id: str | None) -> tuple[Correction, ...]:
        sql = f"SELECT {_CORRECTION_COLUMNS} FROM corrections"
        params: tuple[str, ...] = ()
        if ladder_id is not None:
            sql += " WHERE ladder_id = ?"
            params = (ladder_id,)
        rows = con.execute(sql + " ORDER BY at, id", params).fetchall()
        return tuple(Correction(*r) for r in rows)

    @staticmethod
    def _own_corrections(con: sqlite3.Connection, report_ids: list[int]) -> dict[int, tuple[Correction, ...]]:
        out: dict[int, list[Correction]] = {}
        for start in range(0, len(report_ids), 500):  # SQLite's bound-parameter limit
            chunk = report_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = con.execute(
                f"SELECT report_id, {_CORRECTION_COLUMNS} FROM corrections WHERE report_id IN ({marks})"
                " ORDER BY at, id",
                chunk,
            ).fetchall()
            for r in rows:
                out.setdefault(r[0], []).append(Correction(*r[1:]))
        return {k: tuple(v) for k, v in out.items()}

    # -- managers: change between cycles -------------------------------------------------------

    def changes(self, person: str, ladder_id: str, cycle: str, previous: str | None = None) -> Change:
        """What the person's latest corrected report in `cycle` covers against their latest in
        `previous` (None: the cycle the workspace saw just before `cycle`, if any)."""
        with self._read() as con:
            self._require(con, "people", person)
            self._require(con, "cycles", cycle)
            if previous is not None:
                self._require(con, "cycles", previous)
        if previous is None:
            previous = self.previous_cycle(cycle)
        current = self.latest(person, ladder_id, cycle)
        before = self.latest(person, ladder_id, previous) if previous is not None else None
        covered = current.covered if current else ()
        change = Change(
            person=current.person if current else clean_name(person, "person"),
            ladder_id=ladder_id,
            cycle=current.cycle if current else clean_name(cycle, "cycle"),
            previous=previous,
            report_id=current.id if current else None,
            previous_report_id=before.id if before else None,
            covered=covered,
        )
        if current is None or before is None:
            return change
        was = set(before.covered)
        now_ = set(covered)
        order = [s.id for s in current.corrected.statements]
        order += [sid for sid in before.covered if sid not in set(order)]
        return replace(
            change,
            newly_covered=tuple(s for s in order if s in now_ - was),
            newly_lost=tuple(s for s in order if s in was - now_),
            still_covered=tuple(s for s in order if s in now_ & was),
        )

    def previous_cycle(self, cycle: str) -> str | None:
        """The name of the cycle the workspace saw just before `cycle`, or None."""
        names = [c.name for c in self.cycles()]
        keys = [text_key(n) for n in names]
        key = text_key(cycle)
        if key not in keys:
            raise WorkspaceError(f"No cycle {cycle!r} in the workspace {self.path}; it has: {_choices(names)}.")
        i = keys.index(key)
        return names[i - 1] if i > 0 else None

    # -- bundles ---------------------------------------------------------------------------------

    def export_bundle(self, report_id: int, *, signed_off_by: str) -> dict[str, Any]:
        """The report as a bundle (a JSON-serialisable dict, see matcher.workspace.bundle), signed
        off by `signed_off_by` now. It carries the document, the report as saved and the corrections
        that apply to its items (made on it, or on an earlier report with the same lines), so the
        importer sees the corrected report the person signed off."""
        signer = clean_name(signed_off_by, "signer")
        saved = self.report(report_id)
        units = {}
        for u in saved.report.units:
            units.setdefault(text_key(u.text), u.id)
        own = set(saved.corrections)
        # A correction made on another report names that report's unit: name this report's instead.
        corrections = [
            c if c in own else replace(c, unit_id=units[c.key]) for c in saved.applied if c in own or c.key in units
        ]
        return make_bundle(
            person=saved.person,
            cycle=saved.cycle,
            ladder_id=saved.ladder_id,
            source=saved.source,
            created_at=saved.created_at,
            signed_off_by=signer,
            signed_off_at=now(),
            document=saved.document,
            report=saved.report,
            corrections=corrections,
        )

    def import_bundle(self, data: dict[str, Any]) -> SavedReport:
        """Store a bundle (validated first: a changed or foreign one is refused): the person and the
        cycle (added if new), the document, the report and its corrections, in one transaction.
        Importing the same bundle again returns the report already imported and adds nothing."""
        bundle = parse_bundle(data)
        person, cycle = clean_name(bundle.person, "person"), clean_name(bundle.cycle, "cycle")
        created = _timestamp(bundle.created_at, "The bundle's created_at") if bundle.created_at else now()
        signed_at = _timestamp(bundle.signed_off_at, "The bundle's signed_off_at") if bundle.signed_off_at else ""
        corrections = [_checked(c, None, bundle.report) for c in bundle.corrections]
        payload = json.dumps(bundle.report.to_dict(), ensure_ascii=False)
        with self._write() as con:
            row = con.execute("SELECT id FROM reports WHERE bundle_id = ?", (bundle.id,)).fetchone()
            same = None if row is not None else _same_report(con, person, cycle, bundle, payload, created)
            if row is not None:
                rid = int(row[0])
                log.info("Bundle %s is already report %d in %s", bundle.id[:12], rid, self.path)
            elif same is not None:
                # The same saved report exported again (another sign-off time, maybe corrections
                # made since): one report, and only the corrections it does not have yet.
                rid = same
                have = {_correction_key(c) for c in self._own_corrections(con, [rid]).get(rid, ())}
                for c in corrections:
                    c = replace(c, at=_timestamp(c.at, "A correction's time") if c.at else created)
                    if _correction_key(c) not in have:
                        _insert_correction(con, rid, c)
                log.info("Bundle %s is report %d of %s, exported again", bundle.id[:12], rid, self.path)
            else:
                rid = self._insert_report(
                    con,
                    person,
                    cycle,
                    bundle.document,
                    bundle.source,
                    bundle.ladder_id,
                    payload,
                    author="",
                    created_at=created,
                    bundle=(bundle.id, bundle.signed_off_by, signed_at),
                )
                for c in corrections:
                    at = _timestamp(c.at, "A correction's time") if c.at else created
                    _insert_correction(con, rid, replace(c, at=at))
                _crash_point("import")
        return self.report(rid)

    # -- forgetting ------------------------------------------------------------------------------

    def forget_person(self, name: str) -> None:
        """Delete the person, their documents, their reports and the corrections made on those
        reports, blank their name where it remains as an author or signer, then rewrite the file
        (checkpoint, VACUUM) so no text of theirs is left in it or in its write-ahead log."""
        with self._write() as con:
            pid = self._require(con, "people", name)
            (real,) = con.execute("SELECT name FROM people WHERE id = ?", (pid,)).fetchone()
            key = text_key(real)
            con.execute(
                "DELETE FROM corrections WHERE report_id IN (SELECT id FROM reports WHERE person_id = ?)", (pid,)
            )
            con.execute("DELETE FROM reports WHERE person_id = ?", (pid,))
            con.execute("DELETE FROM documents WHERE person_id = ?", (pid,))
            con.execute("DELETE FROM people WHERE id = ?", (pid,))
            con.create_function("name_key", 1, lambda v: text_key(v or ""), deterministic=True)
            for table, column in (("corrections", "author"), ("reports", "author"), ("reports", "signed_off_by")):
                con.execute(f"UPDATE {table} SET {column} = '' WHERE name_key({column}) = ?", (key,))
            _crash_point("forget")
        self.compact()
        log.info("Forgot %s in %s", real, self.path)

    def compact(self) -> None:
        """Rewrite the file without free space and empty its write-ahead log, so deleted text is
        gone from the disk. WorkspaceError if another session keeps the log busy (close it, retry)."""
        with connect(self.path) as con:
            self._checkpoint(con)
            con.execute("VACUUM")
            self._checkpoint(con)

    def _checkpoint(self, con: sqlite3.Connection) -> None:
        busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise WorkspaceError(
                f"{self.path}: another session is using the workspace, so deleted text may remain in its "
                f"log file ({self.path}-wal) until it closes; close other sessions and run "
                "`evidence-matcher workspace compact`."
            )


def _report_id(value: object) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise WorkspaceError(f"A report id is a whole number, not {value!r}.") from None


def _ladder_of(report: Report) -> str:
    if not isinstance(report, Report):
        raise WorkspaceError(f"save() takes a Report, not {type(report).__name__}.")
    ladder_id = str(report.ladder.get("id", "")).strip()
    if not ladder_id:
        raise WorkspaceError("The report has no ladder id, so it cannot be saved; make it with a Matcher.")
    return ladder_id


def _checked(c: Correction, saved: SavedReport | None, report: Report | None = None) -> Correction:
    """`c` checked against the report it is made on, with its ladder filled in."""
    report = report if report is not None else saved.report  # type: ignore[union-attr]
    where = f"report {saved.id}" if saved else "the bundle's report"
    ladder_id = str(report.ladder.get("id", ""))
    if c.ladder_id and c.ladder_id != ladder_id:
        raise WorkspaceError(f"The correction is for ladder {c.ladder_id!r}, but {where} is for {ladder_id!r}.")
    known = [s.id for s in report.statements]
    for sid in (c.statement_id, c.replaces):
        if sid and sid not in known:
            raise WorkspaceError(
                f"Statement {sid!r} is not in ladder {ladder_id!r}; its statements: {_choices(known)}."
            )
    if c.unit_id:
        unit = next((u for u in report.units if u.id == c.unit_id), None)
        if unit is None:
            raise WorkspaceError(
                f"Unit {c.unit_id!r} is not in {where}; its units: {_choices([u.id for u in report.units])}."
            )
        if saved is not None and text_key(unit.text) != c.key:
            raise WorkspaceError(f"The correction's text is not the text of unit {c.unit_id!r} of {where}.")
    return replace(c, ladder_id=ladder_id)


def _same_report(
    con: sqlite3.Connection, person: str, cycle: str, bundle: Bundle, payload: str, created: str
) -> int | None:
    """The report a bundle of the same saved report (same person, cycle, ladder, document, report
    and save time) was imported as before, if any."""
    digest = hashlib.sha256(bundle.document.encode("utf-8", "surrogatepass")).hexdigest()
    row = con.execute(
        "SELECT r.id FROM reports r JOIN people p ON p.id = r.person_id JOIN cycles c ON c.id = r.cycle_id"
        " JOIN documents d ON d.id = r.document_id WHERE p.name_key = ? AND c.name_key = ? AND r.ladder_id = ?"
        " AND d.sha256 = ? AND d.text = ? AND r.report = ? AND r.created_at = ? AND r.bundle_id IS NOT NULL"
        " ORDER BY r.id LIMIT 1",
        (text_key(person), text_key(cycle), bundle.ladder_id, digest, bundle.document, payload, created),
    ).fetchone()
    return None if row is None else int(row[0])


def _correction_key(c: Correction) -> tuple[str, ...]:
    return (c.action, c.text, c.statement_id, c.replaces, c.ladder_id, c.author, c.at)


def _insert_correction(con: sqlite3.Connection, report_id: int, c: Correction) -> None:
    con.execute(
        f"INSERT INTO corrections (report_id, {_CORRECTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (report_id, c.action, c.text, c.statement_id, c.ladder_id, c.replaces, c.author, c.at, c.unit_id),
    )


def _saved(row: tuple[Any, ...], own: tuple[Correction, ...], applied: tuple[Correction, ...]) -> SavedReport:
    rid, person, cycle, ladder_id, created_at, source, document, payload, author, bundle_id, signer, signed = row
    return SavedReport(
        id=rid,
        person=person,
        cycle=cycle,
        ladder_id=ladder_id,
        created_at=created_at,
        source=source,
        document=document,
        report=Report.from_dict(json.loads(payload)),
        corrections=own,
        applied=applied,
        author=author,
        bundle_id=bundle_id or "",
        signed_off_by=signer,
        signed_off_at=signed,
    )
