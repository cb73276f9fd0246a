"""The workspace commands: `correct` a saved report, and `workspace` (people, reports, show, export,
import, forget, team, compact)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from ..errors import MatcherError, WorkspaceError
from ..text import printable
from .common import add_workspace_arg, open_workspace, settings_from
from .core import FORMATS, render


def _line(text: object) -> None:
    print(printable(text))


def _report_id(args: argparse.Namespace) -> str:
    """REPORT_ID, also when it was read as the --workspace value (`correct --workspace 3 ...`)."""
    if args.report_id is not None:
        return args.report_id
    value = args.workspace
    if value and value.isdigit() and not Path(value).exists():
        args.workspace = ""
        return value
    raise MatcherError("Give the report's id (`evidence-matcher workspace reports` lists them).")


def _coverage(report) -> str:
    return f"{len(report.statements) - len(report.uncovered)}/{len(report.statements)}"


# -- correct ---------------------------------------------------------------------------------------


def _statement(report, value: str, report_id: int) -> str:
    """A statement of the report's ladder, by id or by its exact text."""
    from ..corrections import text_key

    ids = [s.id for s in report.statements]
    if value in ids:
        return value
    key = text_key(value)
    found = [s.id for s in report.statements if text_key(s.text) == key]
    if len(found) == 1:
        return found[0]
    shown = ", ".join(ids[:6]) + (f", … ({len(ids)} in all)" if len(ids) > 6 else "")
    raise MatcherError(
        f"No statement {value!r} in ladder {report.ladder.get('id', '')!r}: give its id or its exact text "
        f"(ids: {shown}; `evidence-matcher workspace show {report_id}` shows them)."
    )


def cmd_correct(args: argparse.Namespace) -> int:
    from ..corrections import Correction

    report_id = _report_id(args)
    ws = open_workspace(args.workspace)
    saved = ws.report(report_id)
    before = saved.corrected
    unit = next((u for u in before.units if u.id == args.unit), None)
    if unit is None:
        units = ", ".join(f"{u.id} (line {u.line})" for u in before.units[:8])
        more = f", … ({len(before.units)} in all)" if len(before.units) > 8 else ""
        raise MatcherError(f"No unit {args.unit!r} in report {saved.id}; its units: {units or 'none'}{more}.")
    action = "confirm" if args.confirm else "reject" if args.reject else "assign"
    target = _statement(before, args.confirm or args.reject or args.assign, saved.id)
    if args.replaces and action != "assign":
        raise MatcherError("--from names the statement an item is moved away from: use it with --assign.")
    replaces = ""
    if action == "assign":
        if args.replaces:
            replaces = _statement(before, args.replaces, saved.id)
        elif len(unit.evidences) == 1 and unit.evidences[0] != target:
            replaces = unit.evidences[0]  # "instead of" the one statement it is shown under
    author = args.author if args.author is not None else _user()
    after = ws.correct(
        saved.id,
        Correction(action, unit.text, target, replaces=replaces, author=author, unit_id=unit.id),
    ).corrected
    if args.format != "text":
        sys.stdout.write(render(after, args.format))
        return 0
    moved = f" (instead of {replaces})" if replaces else ""
    verb = {"confirm": "confirmed for", "reject": "rejected for", "assign": "assigned to"}[action]
    _line(f"Report {saved.id} ({saved.person}, {saved.cycle}): {unit.id} {verb} {target}{moved}.")
    _line(f"Coverage: {_coverage(after)} statements (was {_coverage(before)}).")
    for old, new in zip(before.statements, after.statements, strict=True):
        if old.strength != new.strength:
            _line(f"  {new.id}: {old.strength} -> {new.strength}")
    return 0


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""


# -- workspace -------------------------------------------------------------------------------------


def cmd_people(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    reports = ws.reports()
    rows = []
    for p in ws.people():
        mine = [r for r in reports if r.person == p.name]
        rows.append({"name": p.name, "reports": len(mine), "latest_cycle": mine[0].cycle if mine else ""})
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        _line(f"No people in {ws.path} yet.")
    for r in rows:
        plural = "" if r["reports"] == 1 else "s"
        latest = f", latest {r['latest_cycle']}" if r["latest_cycle"] else ""
        _line(f"{r['name']}  ({r['reports']} report{plural}{latest})")
    return 0


def cmd_reports(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    found = ws.reports(person=args.person, ladder_id=args.ladder, cycle=args.cycle)
    rows = [
        {
            "id": r.id,
            "saved": r.created_at,
            "person": r.person,
            "cycle": r.cycle,
            "ladder_id": r.ladder_id,
            "source": r.source,
            "coverage": _coverage(r.corrected),
            "corrections": len(r.corrections),
            "signed_off_by": r.signed_off_by,
        }
        for r in found
    ]
    if args.json:
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        _line(f"No saved reports{' matching' if args.person or args.ladder or args.cycle else ''} in {ws.path}.")
        return 0
    _line(f"{'id':>4}  {'saved':<16}  {'person':<20}  {'cycle':<10}  {'coverage':>8}  ladder, source")
    for r in rows:
        _line(
            f"{r['id']:>4}  {r['saved'][:16].replace('T', ' '):<16}  {r['person'][:20]:<20}  {r['cycle'][:10]:<10}  "
            f"{r['coverage']:>8}  {r['ladder_id']}, {r['source'] or '-'}"
            + (f"  ({r['corrections']} corrections)" if r["corrections"] else "")
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    report_id = _report_id(args)
    saved = open_workspace(args.workspace).report(report_id)
    if args.format != "text":
        sys.stdout.write(render(saved.corrected, args.format))
        return 0
    signed = f"; signed off by {saved.signed_off_by}" if saved.signed_off_by else ""
    _line(
        f"Report {saved.id}: {saved.person}, {saved.cycle}, saved {saved.created_at[:16].replace('T', ' ')} UTC"
        f" from {saved.source or '-'}; {len(saved.corrections)} corrections made on it{signed}"
    )
    sys.stdout.write(saved.corrected.to_text())
    units = ", ".join(f"{u.id} line {u.line}" for u in saved.corrected.units)
    _line(f"\nUnits: {units}" if units else "")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    bundle = ws.export_bundle(args.report_id, signed_off_by=args.signed_off_by)
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        # The bundle holds the whole document: private to its owner, like the workspace.
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise WorkspaceError(f"{args.output}: cannot write the bundle ({exc.strerror or exc}).") from exc
    print(f"Exported report {bundle['person']}, {bundle['cycle']} to {args.output}", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from ..workspace import bundle_limit, loads_bundle, parse_bundle, read_bundle

    max_bytes = settings_from(args).max_bytes
    if args.file == "-":
        data = loads_bundle(sys.stdin.buffer.read(bundle_limit(max_bytes) + 1), "<stdin>")
    else:
        data = read_bundle(args.file, max_bytes)
    parse_bundle(data, args.file)  # a bad bundle is refused before the workspace is opened or made
    ws = open_workspace(args.workspace, create=True)
    known = {r.id for r in ws.reports()}
    saved = ws.import_bundle(data)
    what = "Already imported as" if saved.id in known else "Imported as"
    signed = f", signed off by {saved.signed_off_by}" if saved.signed_off_by else ""
    _line(f"{what} report {saved.id}: {saved.person}, {saved.cycle}, {saved.ladder_id}{signed}.")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    from ..corrections import text_key

    person = next((p.name for p in ws.people() if text_key(p.name) == text_key(args.person)), None)
    if person is None:
        names = ", ".join(p.name for p in ws.people()) or "nobody yet"
        raise MatcherError(f"No person {args.person!r} in {ws.path}; it has: {names}.")
    n = len(ws.reports(person=person))
    if not args.yes:
        if not sys.stdin.isatty():
            raise MatcherError(f"Forgetting {person} deletes their {n} reports and documents for good: add --yes.")
        answer = input(printable(f"Delete {person}'s {n} reports, documents and their corrections for good? [y/N] "))
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.", file=sys.stderr)
            return 1
    ws.forget_person(person)
    _line(f"Forgot {person}: {n} reports with their documents and corrections deleted, and the file rewritten.")
    return 0


def cmd_team(args: argparse.Namespace) -> int:
    if Path(args.ladder).is_file():  # a ladder file: the workspace knows ladders by id
        from ..ladder import load_ladder

        args.ladder = load_ladder(args.ladder).id
    ws = open_workspace(args.workspace)
    previous = args.previous if args.previous else ws.previous_cycle(args.cycle)
    team = ws.team(args.ladder, args.cycle)
    rows = []
    for name, saved in team.items():
        change = ws.changes(name, args.ladder, args.cycle, previous)
        rows.append((saved, change))
    if args.json:
        out = {
            "ladder_id": args.ladder,
            "cycle": args.cycle,
            "previous": previous,
            "people": [
                {"person": s.person, "report_id": s.id, "coverage": _coverage(s.corrected), **c.to_dict()}
                for s, c in rows
            ],
        }
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        _line(f"No saved reports for ladder {args.ladder} in cycle {args.cycle} in {ws.path}.")
        return 0
    since = f"change since {previous}" if previous else "no earlier cycle to compare with"
    _line(f"Team: {args.ladder}, {args.cycle} ({since})")
    _line(f"{'person':<24}  {'report':>6}  {'coverage':>8}  {'new':>4}  {'lost':>4}")
    for saved, change in rows:
        new = f"+{len(change.newly_covered)}" if change.comparable else "-"
        lost = f"-{len(change.newly_lost)}" if change.comparable else "-"
        _line(f"{saved.person[:24]:<24}  {saved.id:>6}  {_coverage(saved.corrected):>8}  {new:>4}  {lost:>4}")
        texts = {s.id: s.text for s in saved.corrected.statements}
        for mark, ids in (("+", change.newly_covered), ("-", change.newly_lost)):
            for sid in ids:
                _line(f"    {mark} {sid}: {texts.get(sid, '')[:90]}")
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    ws = open_workspace(args.workspace)
    ws.compact()
    _line(f"Compacted {ws.path}: deleted text is gone from the file and its log.")
    return 0


# -- parsers ---------------------------------------------------------------------------------------


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "correct",
        help="confirm, reject or reassign one item of a saved report",
        description="Correct one unit (item) of a report saved in a workspace. The correction sticks to "
        "the item's text: it applies to every report with the same line. STATEMENT is an id or the "
        "statement's exact text.",
    )
    p.add_argument("report_id", nargs="?", metavar="REPORT_ID", help="the saved report's id")
    add_workspace_arg(p)
    p.add_argument("--unit", "-u", required=True, help="the unit's id in the report (e.g. u3)")
    action = p.add_mutually_exclusive_group(required=True)
    action.add_argument("--confirm", metavar="STATEMENT", help="the unit does evidence STATEMENT")
    action.add_argument("--reject", metavar="STATEMENT", help="the unit does not evidence STATEMENT")
    action.add_argument("--assign", metavar="STATEMENT", help="the unit evidences STATEMENT instead")
    p.add_argument(
        "--from",
        dest="replaces",
        metavar="STATEMENT",
        help="with --assign: the statement it is moved away from (default: the one it evidences, if only one)",
    )
    p.add_argument("--author", help="who makes the correction (default: your login name)")
    p.add_argument("--format", "-f", choices=FORMATS, default="text", help="text: a summary; else the report")
    p.set_defaults(func=cmd_correct)

    ws = sub.add_parser("workspace", help="people, saved reports, bundles and team views of a workspace")
    cmds = ws.add_subparsers(dest="workspace_command", required=True)

    p = cmds.add_parser("people", help="list the people")
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_people)

    p = cmds.add_parser("reports", help="list saved reports, newest first")
    add_workspace_arg(p)
    p.add_argument("--person", help="only this person's")
    p.add_argument("--ladder", "-l", help="only this ladder's (id)")
    p.add_argument("--cycle", help="only this review cycle's")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_reports)

    p = cmds.add_parser("show", help="a saved report, with the workspace's corrections applied")
    p.add_argument("report_id", nargs="?", metavar="REPORT_ID")
    add_workspace_arg(p)
    p.add_argument("--format", "-f", choices=FORMATS, default="text")
    p.set_defaults(func=cmd_show)

    p = cmds.add_parser("export", help="a signed-off report bundle (one JSON file) to send to a manager")
    p.add_argument("report_id", metavar="REPORT_ID")
    add_workspace_arg(p)
    p.add_argument("--signed-off-by", required=True, metavar="NAME", help="who signs the report off")
    p.add_argument("--output", "-o", help="write the bundle here (mode 0600) instead of standard output")
    p.set_defaults(func=cmd_export)

    p = cmds.add_parser("import", help="import a report bundle (importing it again adds nothing)")
    p.add_argument("file", metavar="FILE", help="the bundle file, or - for standard input")
    add_workspace_arg(p)
    p.set_defaults(func=cmd_import)

    p = cmds.add_parser("forget", help="delete a person and everything of theirs, leaving no text behind")
    p.add_argument("person", metavar="PERSON")
    add_workspace_arg(p)
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=cmd_forget)

    p = cmds.add_parser("team", help="each person's coverage in a cycle, and the change since the previous")
    add_workspace_arg(p)
    p.add_argument("--ladder", "-l", required=True, help="the ladder id (or its file)")
    p.add_argument("--cycle", required=True, help="the review cycle, e.g. '2026 H2'")
    p.add_argument("--previous", help="the cycle to compare with (default: the one before --cycle)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_team)

    p = cmds.add_parser("compact", help="rewrite the file so deleted text is gone from the disk")
    add_workspace_arg(p)
    p.set_defaults(func=cmd_compact)
