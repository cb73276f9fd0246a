"""What every command shares: reading a document, settings from flags, writing output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..config import Settings
from ..errors import DocumentError
from ..readers import read_document as read_file

_ADVICE = "split the document, or raise MATCHER_MAX_BYTES."

__all__ = [
    "EVAL_COLUMNS",
    "add_model_args",
    "add_workspace_arg",
    "open_workspace",
    "read_document",
    "settings_from",
    "write_output",
]

# (column heading, Metrics field) for the eval tables.
EVAL_COLUMNS = [
    ("unit P", "unit_p"),
    ("unit R", "unit_r"),
    ("unit F1", "unit_f1"),
    ("R@1", "r_at_1"),
    ("R@3", "r_at_3"),
    ("MRR", "mrr"),
    ("noise FPR", "noise_fpr"),
    ("doc P", "doc_p"),
    ("doc R", "doc_r"),
    ("doc F1", "doc_f1"),
]


def read_document(source: str, settings: Settings) -> str:
    """Read a brag document (.md, .txt, .docx, .pdf, .html) from a path or '-' (stdin), refusing
    oversize input before reading it all."""
    from ..readers import file_limit, read_document_bytes

    if source != "-":
        return read_file(source, max_bytes=settings.max_bytes)
    data = sys.stdin.buffer.read(file_limit(settings.max_bytes) + 1)
    return read_document_bytes(data, "<stdin>", max_bytes=settings.max_bytes)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by --model, --backend and --cache-dir."""
    return Settings.from_env(**{name: getattr(args, name, None) for name in ("model", "backend", "cache_dir")})


def write_output(text: str, output: str | None) -> None:
    if output and output != "-":
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DocumentError(f"{output}: cannot write it ({exc.strerror or exc}).") from exc
    else:
        sys.stdout.write(text)


def add_model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model", help="sentence-transformers model name or path (default: packaged MiniLM; env MATCHER_MODEL)"
    )
    p.add_argument("--backend", choices=("auto", "torch", "onnx"), help="encoder backend (env MATCHER_BACKEND)")
    p.add_argument("--cache-dir", help="index cache folder (env MATCHER_CACHE)")


def print_metrics_table(results: dict, width: int = 10) -> None:
    print(f"{'method':<{width}}" + "".join(f"{c:>10}" for c, _ in EVAL_COLUMNS))
    for name, m in results.items():
        print(f"{name:<{width}}" + "".join(f"{getattr(m, f):>10.3f}" for _, f in EVAL_COLUMNS))


def add_workspace_arg(p: argparse.ArgumentParser, help_text: str | None = None) -> None:
    p.add_argument(
        "--workspace",
        "-w",
        nargs="?",
        const="",
        metavar="PATH",
        help=help_text
        or "the workspace file (no PATH, or not given: MATCHER_WORKSPACE, else the one in the user data dir)",
    )


def open_workspace(value: str | None, *, create: bool = False):  # -> matcher.workspace.Workspace
    """The workspace --workspace names ("" or None: the default one)."""
    from ..workspace import Workspace

    return Workspace.open(value or None, create=create)
