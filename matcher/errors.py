"""Domain exceptions. Each carries a message meant for the user; the CLI and app show it as is."""

from __future__ import annotations


class MatcherError(Exception):
    """Base class of every error evidence-matcher raises on purpose."""


class LadderError(MatcherError):
    """A ladder file or folder could not be read or made sense of."""


class LadderNotFound(LadderError):
    """No ladder with that id or path exists."""


class DocumentError(MatcherError):
    """A brag document could not be read or is refused."""


class DocumentTooLarge(DocumentError):
    """A brag document is over a configured size or unit limit."""


class ModelError(MatcherError):
    """The embedding model could not be loaded or run."""


class CacheError(MatcherError):
    """The index cache could not be used."""


class ExemplarError(MatcherError):
    """An exemplar file could not be read or does not fit its ladder."""


class EvalError(MatcherError):
    """Evaluation inputs are missing or inconsistent."""


class LLMError(MatcherError):
    """An LLM endpoint failed, timed out or answered something unusable."""


class WorkspaceError(MatcherError):
    """A workspace could not be opened, read or written, or refused what was asked of it."""


class WorkspaceNotFound(WorkspaceError):
    """No workspace file exists at the path given."""


class WorkspaceCorrupt(WorkspaceError):
    """A file is not a workspace this version can use (not SQLite, foreign, newer); it is left untouched."""
