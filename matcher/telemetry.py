"""Switch off every dependency's telemetry, and keep model hubs offline, before any of them loads.

`matcher/__init__.py` calls `apply()` first thing, so the CLI, the app, batch runs, the benchmarks,
the tests and a plain `import matcher` all start with these set; they are environment variables,
so every subprocess inherits them. Each switch was checked by experiment with an empty HOME and
TMPDIR (see the README's privacy table and tests/test_privacy.py).

Telemetry switches are forced: a value that would turn telemetry on is overwritten, never obeyed.
The offline switches are defaults only: a user who sets HF_HUB_OFFLINE=0 to let MATCHER_MODEL
name a hub model has asked for that network use.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["OFFLINE", "TELEMETRY", "Switch", "apply", "leftovers", "overridden", "status"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Switch:
    """One environment variable that keeps a dependency quiet."""

    dependency: str
    variable: str
    value: str
    what: str


TELEMETRY = (
    # Linux wheels since 1.29 queue a 1DS event (device id, OS, CPU, memory, Python path) at import,
    # in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ and $TMPDIR/.ses, for upload to Microsoft.
    # The look-alike ORT_TELEMETRY_DISABLED does nothing.
    Switch("onnxruntime", "ORT_DISABLE_TELEMETRY", "1", "device id and usage events to Microsoft"),
    # Read by huggingface_hub, and through it transformers, datasets and sentence-transformers.
    Switch("huggingface_hub", "HF_HUB_DISABLE_TELEMETRY", "1", "usage pings to the Hugging Face Hub"),
    # hf-xet reports transfer telemetry during hub transfers (which the offline switches prevent).
    Switch("hf_xet", "HF_XET_TELEMETRY_ENABLED", "0", "transfer telemetry to the Hugging Face Hub"),
    # The server writes ~/.streamlit/machine_id_v4 and tells each browser to send usage stats.
    Switch("streamlit", "STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false", "machine id and browser usage stats"),
    # The cross-tool convention (https://donottrack.sh); huggingface_hub honours it too.
    Switch("any", "DO_NOT_TRACK", "1", "the generic opt-out other tools honour"),
)

OFFLINE = (
    Switch("huggingface_hub", "HF_HUB_OFFLINE", "1", "no model hub requests"),
    Switch("transformers", "TRANSFORMERS_OFFLINE", "1", "no model hub requests"),
    Switch("datasets", "HF_DATASETS_OFFLINE", "1", "no dataset hub requests"),
)

_applied = False
# Variables whose earlier value would have turned telemetry on, with that value (for `doctor`).
overridden: dict[str, str] = {}


def apply() -> None:
    """Set the switches (idempotent); warn if onnxruntime was imported before they were set."""
    global _applied
    if _applied:
        return
    _applied = True
    ort_was_on = os.environ.get("ORT_DISABLE_TELEMETRY") != "1"
    for switch in TELEMETRY:
        before = os.environ.get(switch.variable)
        if before is not None and before != switch.value:
            overridden[switch.variable] = before
        os.environ[switch.variable] = switch.value
    for switch in OFFLINE:
        os.environ.setdefault(switch.variable, switch.value)
    if ort_was_on and "onnxruntime" in sys.modules:
        _late_onnxruntime()
    if "streamlit" in sys.modules:
        _streamlit_off()


def status() -> list[tuple[Switch, str | None, bool]]:
    """(switch, current value, whether it is in the quiet state) for each switch."""
    return [(s, os.environ.get(s.variable), os.environ.get(s.variable) == s.value) for s in (*TELEMETRY, *OFFLINE)]


def leftovers() -> list[Path]:
    """Telemetry files that runs without these switches leave behind, where they exist now."""
    home = Path.home()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    candidates = (
        cache / "Microsoft" / "DeveloperTools" / ".onnxruntime",  # onnxruntime's device id and queue
        Path(tempfile.gettempdir()) / ".ses",  # onnxruntime's session file
        home / ".streamlit" / "machine_id_v4",  # Streamlit's installation id
    )
    return [path for path in candidates if path.exists()]


def _late_onnxruntime() -> None:
    # onnxruntime queued its telemetry event when it was imported; this only stops later ones.
    log.warning(
        "onnxruntime was imported before evidence-matcher without ORT_DISABLE_TELEMETRY=1, so it has "
        "already recorded a telemetry event (in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/). "
        "Set ORT_DISABLE_TELEMETRY=1 in the environment before Python starts, or import matcher first."
    )
    disable = getattr(sys.modules["onnxruntime"], "disable_telemetry_events", None)
    if callable(disable):
        disable()


def _streamlit_off() -> None:
    # Inside a running app the config is already parsed: the environment variable comes too late.
    # .streamlit/config.toml beside app.py sets the same option for every session from the start.
    try:
        from streamlit import config

        if config.get_option("browser.gatherUsageStats"):
            config.set_option("browser.gatherUsageStats", False, where_defined="evidence-matcher")
    except Exception as exc:  # an unknown Streamlit version must not stop the library
        log.debug("could not switch off Streamlit usage stats: %s", exc)
