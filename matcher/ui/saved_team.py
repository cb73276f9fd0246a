"""The team view over a workspace: the people in it, their latest saved reports (corrected) for one
ladder and review cycle, what changed since the cycle before, and importing signed-off bundles.

Reading never creates a file (the workspace is opened without `create`); importing a bundle is the
one action here that writes, and creates the workspace if it is missing.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from ..config import Settings
from ..models import Ladder
from . import stored
from .safe import md_escape, short
from .saving import workspace_call
from .state import kept
from .team import Team
from .views import escaped
from .widgets import ladder_picker

__all__ = ["change_frame", "render_saved_team"]


PREFIX = "mgr"  # the team page's, whose part this is


def render_saved_team(settings: Settings, show_team: Callable[..., None]) -> None:
    """The workspace half of the team page; `show_team(team, ladder, between=...)` draws a team."""
    default = workspace_call(stored.default_path)
    path = st.text_input(
        "Workspace file",
        help="The SQLite file engineers save to (Save to workspace on My evidence), or that you import bundles into.",
        **kept(f"{PREFIX}_ws_path", default=str(default) if default else None),
    )
    _import(path, settings)
    ladder = ladder_picker(PREFIX)
    if ladder is None or not path.strip():
        return
    if not stored.exists(path):
        st.info(
            "No workspace at this path yet. Engineers create one with “Save to workspace” on My evidence, "
            "or import a signed-off bundle above.",
            icon=":material/folder_off:",
        )
        return
    cycles = workspace_call(stored.cycles, path)
    if cycles is None:
        return
    _forget(path)  # before the team is read, so that it shows the team without them
    if not cycles:
        st.info("This workspace has no saved reports yet.", icon=":material/inbox:")
        return
    cycle = st.selectbox("Review cycle", cycles, **kept(f"{PREFIX}_ws_cycle", default=cycles[-1], options=cycles))
    saved = workspace_call(stored.team, path, ladder.id, cycle)
    if saved is None:
        return
    if not saved:
        st.info(
            f"Nobody has a report for {md_escape(ladder.title)} in {md_escape(cycle)} in this workspace.",
            icon=":material/group_off:",
        )
        return
    previous = cycles[cycles.index(cycle) - 1] if cycles.index(cycle) > 0 else None
    team = Team(tuple(saved), tuple(s.corrected for s in saved.values()))
    st.caption(
        f"The latest saved report of each of the {len(saved)} people for this ladder in {md_escape(cycle)}, "
        "with the corrections made in the workspace."
    )
    show_team(team, ladder, between=lambda: _changes(path, team, ladder, cycle, previous))


def _changes(path: str, team: Team, ladder: Ladder, cycle: str, previous: str | None) -> None:
    st.subheader("Change since the previous cycle", divider="gray")
    if previous is None:
        st.info(f"{md_escape(cycle)} is the first cycle in this workspace: nothing to compare with.")
        return
    changes = []
    for person in team.people:
        change = workspace_call(stored.changes, path, person, ladder.id, cycle, previous)
        if change is not None:
            changes.append(change)
    names = {s.id: s for s in team.statements}
    st.caption(f"{md_escape(cycle)} against {md_escape(previous)}: statements newly evidenced and no longer evidenced.")
    st.table(escaped(change_frame(changes, names)), hide_index=True, border="horizontal")


def change_frame(changes: list, statements: dict) -> pd.DataFrame:
    """Per person: newly covered and newly lost statements (texts), or why there is nothing to compare."""
    from .views import statement_text

    def texts(ids: tuple[str, ...]) -> str:
        return "; ".join(short(statement_text(statements[i]), 80) for i in ids if i in statements) or "—"

    rows = []
    for c in changes:
        if not c.comparable:
            rows.append(
                {"Person": c.person, "Newly evidenced": "no report in the previous cycle", "No longer evidenced": ""}
            )
            continue
        rows.append(
            {
                "Person": c.person,
                "Newly evidenced": f"{len(c.newly_covered)}: {texts(c.newly_covered)}" if c.newly_covered else "—",
                "No longer evidenced": f"{len(c.newly_lost)}: {texts(c.newly_lost)}" if c.newly_lost else "—",
            }
        )
    return pd.DataFrame(rows, columns=["Person", "Newly evidenced", "No longer evidenced"])


def _import(path: str, settings: Settings) -> None:
    with st.expander(":material/upload: Import a signed-off bundle"):
        st.caption(
            "A bundle is the JSON file an engineer exports after saving (their document, report and "
            "corrections). Importing the same bundle twice adds nothing."
        )
        upload = st.file_uploader("Bundle (.json)", type=["json"], key=f"{PREFIX}_bundle")
        if not st.button("Import", key=f"{PREFIX}_bundle_go", icon=":material/download_done:", disabled=upload is None):
            return
        from ..workspace import bundle_limit

        if upload is None:
            return
        limit = bundle_limit(settings.max_bytes)
        if upload.size > limit:
            st.error(
                f"{md_escape(upload.name)}: {upload.size:,} bytes is over the {limit:,}-byte limit for a bundle.",
                icon=":material/error:",
            )
            return
        result = workspace_call(stored.import_bundle, path, upload.getvalue(), upload.name)
        if result is None:
            return
        saved, new, added = result
        who = f"{md_escape(saved.person)}, {md_escape(saved.cycle)}"
        if new:
            st.success(f"Imported the report of {who}.", icon=":material/check_circle:")
        elif added:
            st.success(
                f"This report ({who}) was already in the workspace: added the {added} correction"
                f"{'s' if added != 1 else ''} made since.",
                icon=":material/check_circle:",
            )
        else:
            st.info(f"This bundle is already in the workspace ({who}): nothing was added.", icon=":material/info:")


def _forget(path: str) -> None:
    """Delete one person and everything of theirs, after they type the name to confirm."""
    people = workspace_call(stored.people, path)
    if not people:
        return
    with st.expander(":material/person_remove: Forget a person"):
        st.caption(
            "Deletes the person's documents, reports and the corrections made on them from this "
            "workspace file, and rewrites the file so that no text of theirs is left in it. This cannot be undone."
        )
        person = st.selectbox("Who to forget", people, index=None, key=f"{PREFIX}_forget_person")
        typed = st.text_input("Type their name to confirm", key=f"{PREFIX}_forget_confirm")
        ready = person is not None and typed.strip().casefold() == person.casefold()
        clicked = st.button("Forget", key=f"{PREFIX}_forget_go", icon=":material/delete_forever:", disabled=not ready)
        if clicked and workspace_call(stored.forget, path, person):
            st.success(f"Forgot {md_escape(person)}: nothing of theirs is left in the workspace.")
