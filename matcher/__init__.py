"""evidence-matcher: which career-ladder statements does a brag document evidence?

    from matcher import Matcher
    report = Matcher.from_ladder("lead-software-engineer").match(text)

Names are imported lazily, so `import matcher` stays fast and light (no FAISS, no model).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import telemetry

# Before anything else loads: no dependency may phone home from any process that imports matcher.
telemetry.apply()

__version__ = "0.1.0"

_EXPORTS = {
    "Matcher": "core",
    "Report": "report",
    "Settings": "config",
    "split_units": "brag",
    "read_document": "readers",
    "load_ladder": "ladder",
    "load_ladders": "ladder",
    "parse_ladder": "ladder",
    "ExemplarSet": "exemplars",
    "load_exemplars": "exemplars",
    "Example": "models",
    "Ladder": "models",
    "Pillar": "models",
    "Statement": "models",
    "Unit": "models",
    "MatcherError": "errors",
    "LadderError": "errors",
    "LadderNotFound": "errors",
    "DocumentError": "errors",
    "DocumentTooLarge": "errors",
    "ExemplarError": "errors",
    "ModelError": "errors",
    "LLMError": "errors",
    "WorkspaceError": "errors",
    "WorkspaceNotFound": "errors",
    "WorkspaceCorrupt": "errors",
    "Workspace": "workspace",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matcher' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from .brag import split_units
    from .config import Settings
    from .core import Matcher
    from .errors import (
        DocumentError,
        DocumentTooLarge,
        ExemplarError,
        LadderError,
        LadderNotFound,
        LLMError,
        MatcherError,
        ModelError,
        WorkspaceCorrupt,
        WorkspaceError,
        WorkspaceNotFound,
    )
    from .exemplars import ExemplarSet, load_exemplars
    from .ladder import load_ladder, load_ladders, parse_ladder
    from .models import Example, Ladder, Pillar, Statement, Unit
    from .readers import read_document
    from .report import Report
    from .workspace import Workspace
