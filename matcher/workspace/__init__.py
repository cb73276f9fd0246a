"""The workspace: one SQLite file that keeps people, review cycles, documents, the reports made from
them and the corrections people make (docs/workspace.md).

    from matcher.workspace import Workspace
    ws = Workspace.open()                       # MATCHER_WORKSPACE, else the user data dir
    saved = ws.save("Alex Kim", "2026 H2", text, report)
    ws.correct(saved.id, Correction("reject", unit.text, statement_id, unit_id=unit.id))

It exists only when a user saves to it; it is persistence only and knows nothing of the model.
"""

from __future__ import annotations

from .bundle import FORMAT as BUNDLE_FORMAT
from .bundle import VERSION as BUNDLE_VERSION
from .bundle import Bundle, bundle_id, bundle_limit, loads_bundle, parse_bundle, read_bundle
from .files import default_workspace_path
from .models import Change, Cycle, Person, SavedReport
from .schema import APPLICATION_ID, SCHEMA_VERSION
from .store import Workspace

__all__ = [
    "APPLICATION_ID",
    "BUNDLE_FORMAT",
    "BUNDLE_VERSION",
    "SCHEMA_VERSION",
    "Bundle",
    "Change",
    "Cycle",
    "Person",
    "SavedReport",
    "Workspace",
    "bundle_id",
    "bundle_limit",
    "default_workspace_path",
    "loads_bundle",
    "parse_bundle",
    "read_bundle",
]
