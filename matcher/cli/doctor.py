"""`evidence-matcher doctor`: what this process would send or store, and where, without loading a model.

It prints each telemetry switch's state, the model and backend settings, the cache folders, the LLM
endpoint if one is configured (never its API key), and telemetry files left by earlier runs of the
dependencies without the switches.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from .common import add_model_args, settings_from

__all__ = ["add_parsers", "cmd_doctor", "diagnose"]

BACKENDS = {
    "auto": "int8 ONNX through onnxruntime, PyTorch if that cannot be exported or loaded",
    "onnx": "int8 ONNX through onnxruntime",
    "torch": "PyTorch through sentence-transformers",
}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="telemetry switches, model, caches and LLM endpoint in use (no secrets)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_model_args(p)
    p.set_defaults(func=cmd_doctor)


def diagnose(args: argparse.Namespace) -> dict[str, Any]:
    """Everything `doctor` reports, as plain data."""
    from .. import __version__, telemetry
    from ..llm.assistant import _public_url
    from ..llm.config import LLMConfig

    settings = settings_from(args)
    switches = [
        {
            "dependency": s.dependency,
            "variable": s.variable,
            "value": value,
            "quiet": quiet,
            "kind": "offline" if s in telemetry.OFFLINE else "telemetry",
            "stops": s.what,
            "overrode": telemetry.overridden.get(s.variable),
        }
        for s, value, quiet in telemetry.status()
    ]
    llm = LLMConfig.from_env()
    endpoint = None
    if llm is not None:
        endpoint = {
            "base_url": _public_url(llm.base_url),
            "model": llm.model or "(the server's first model)",
            "api_key": "set (not shown)" if llm.api_key else "not set",
            "timeout_s": llm.timeout,
            "max_response_bytes": llm.max_response_bytes,
            "audit_log": str(llm.log_path) if llm.log_path else None,
        }
    return {
        "version": __version__,
        "switches": switches,
        "model": {
            "model": settings.model,
            "fine_tuned": settings.tune,
            "backend": settings.backend,
            "backend_means": BACKENDS.get(settings.backend, "?"),
            "versions": {name: _version(name) for name in ("onnxruntime", "torch", "sentence-transformers")},
        },
        "caches": {
            "index (MATCHER_CACHE)": _folder(settings.cache_dir),
            "model (MATCHER_MODEL_CACHE)": _folder(settings.model_cache_dir),
        },
        "llm": endpoint,
        "leftovers": [str(p) for p in telemetry.leftovers()],
    }


def cmd_doctor(args: argparse.Namespace) -> int:
    info = diagnose(args)
    if args.json:
        sys.stdout.write(json.dumps(info, indent=2) + "\n")
        return 0
    out = [f"evidence-matcher {info['version']}", "", "Telemetry and hub switches (set before any dependency loads):"]
    for s in info["switches"]:
        telemetry = s["kind"] == "telemetry"
        state = ("off" if telemetry else "offline") if s["quiet"] else ("ON" if telemetry else "ONLINE")
        shown = f"{s['variable']}={s['value']}" if s["value"] is not None else f"{s['variable']} unset"
        note = f" (your {s['overrode']!r} overridden)" if s["overrode"] is not None else ""
        out.append(f"  {state:<8} {s['dependency']:<16} {shown:<42} {s['stops']}{note}")
    m = info["model"]
    out += [
        "",
        "Model:",
        f"  model     {m['model']}{' (fine-tuned on the shipped exemplars)' if m['fine_tuned'] else ''}",
        f"  backend   {m['backend']}: {m['backend_means']}",
        "  versions  " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
        "Caches (nothing you paste is written here):",
    ]
    out += [f"  {name:<28} {where}" for name, where in info["caches"].items()]
    out += ["", "LLM endpoint:"]
    if info["llm"] is None:
        out.append("  not configured: nothing leaves this machine (MATCHER_LLM_BASE_URL / --llm-base-url)")
    else:
        out += [f"  {k:<19} {v}" for k, v in info["llm"].items()]
        out.append("  with --judge, --explain or --coach, units of your document are sent to this endpoint only")
    if info["leftovers"]:
        out += ["", "Telemetry files left by earlier runs without these switches (safe to delete):"]
        out += [f"  {p}" for p in info["leftovers"]]
    print("\n".join(out))
    return 0


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _folder(path: Path) -> str:
    if not path.exists():
        return f"{path} (not created yet)"
    return str(path)
