"""LLM options shared by match and eval, and the expand command."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

LLM_SWITCHES = ("judge", "explain", "coach")

log = logging.getLogger(__name__)


def add_llm_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("LLM endpoint (any OpenAI-compatible server; off unless configured)")
    g.add_argument(
        "--llm-base-url", metavar="URL", help="API base URL, e.g. http://127.0.0.1:11434/v1 (env MATCHER_LLM_BASE_URL)"
    )
    g.add_argument(
        "--llm-model", metavar="NAME", help="model name (env MATCHER_LLM_MODEL; default: the server's first model)"
    )
    g.add_argument("--llm-api-key", metavar="KEY", help="API key (env MATCHER_LLM_API_KEY; local servers need none)")
    g.add_argument(
        "--llm-timeout", type=float, metavar="SECONDS", help="per request (env MATCHER_LLM_TIMEOUT; default 60)"
    )
    g.add_argument(
        "--llm-retries",
        type=int,
        metavar="N",
        help="retries of a failed request, with backoff (env MATCHER_LLM_RETRIES; default 2)",
    )
    g.add_argument(
        "--llm-concurrency",
        type=int,
        metavar="N",
        help="requests in flight at most (env MATCHER_LLM_CONCURRENCY; default 4)",
    )
    g.add_argument(
        "--llm-log", metavar="FILE", help="append every LLM request and response to FILE (JSON lines), for audit"
    )


def add_llm_switches(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("LLM assistance (needs --llm-base-url or MATCHER_LLM_BASE_URL)")
    g.add_argument(
        "--judge", action="store_true", help="let the LLM decide each unit's borderline candidates (with the scores)"
    )
    g.add_argument("--explain", action="store_true", help="a short reason for each evidenced statement")
    g.add_argument(
        "--coach", action="store_true", help="a suggestion of evidence to collect for each uncovered statement"
    )


def llm_config_from(args: argparse.Namespace, what: str):  # -> matcher.llm.LLMConfig
    from ..llm.assistant import require_config
    from ..llm.config import LLMConfig

    config = LLMConfig.from_env(
        base_url=args.llm_base_url,
        model=args.llm_model,
        api_key=args.llm_api_key,
        timeout=args.llm_timeout,
        max_retries=args.llm_retries,
        concurrency=args.llm_concurrency,
        log_path=args.llm_log,
    )
    return require_config(config, what)


def assistant_from(args: argparse.Namespace):  # -> matcher.llm.Assistant | None
    switches = {name: bool(getattr(args, name, False)) for name in LLM_SWITCHES}
    if not any(switches.values()):
        if args.llm_base_url or args.llm_log:
            log.warning("--llm-* options do nothing without --judge, --explain or --coach.")
        return None
    from ..llm import Assistant

    names = " ".join(f"--{name}" for name, on in switches.items() if on)
    return Assistant(llm_config_from(args, names), **switches)


def cmd_expand(args: argparse.Namespace) -> int:
    from ..errors import LLMError
    from ..ladder import load_ladder
    from ..llm.client import LLMClient
    from ..llm.expand import default_output, expand_ladder, read_holdout, render_exemplars, write_exemplars

    config = llm_config_from(args, "expand")
    ladder = load_ladder(args.ladder)
    to_stdout = args.out == "-"
    out = None if to_stdout else Path(args.out) if args.out else default_output(ladder)
    if out is not None and out.exists() and not args.force:
        raise LLMError(f"{out} exists; pass --force to overwrite it.")
    holdout = read_holdout(args.holdout) if args.holdout else []
    client = LLMClient(config)
    try:
        result = expand_ladder(ladder, client, per_statement=args.per_statement, noise=args.noise, holdout=holdout)
    finally:
        client.close()
    text = render_exemplars(ladder, result)
    if out is None:
        sys.stdout.write(text)
    else:
        write_exemplars(out, text, force=args.force)
    for w in result.warnings:
        print(f"Warning: {w}", file=sys.stderr)
    n = sum(len(v) for v in result.exemplars.by_statement.values())
    print(
        f"Wrote {out or 'standard output'}: {n} exemplars for "
        f"{len(result.exemplars.by_statement)}/{len(ladder.statements)} statements and "
        f"{len(result.exemplars.noise)} no-evidence lines; {result.requested} LLM requests, "
        f"{sum(result.rejected.values())} generated lines rejected by the exemplar guards. "
        "Review the file before relying on it.",
        file=sys.stderr,
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("expand", help="write evidence exemplars for a ladder with an LLM")
    p.add_argument("ladder", help="corpus ladder id, or a ladder file path")
    p.add_argument("--per-statement", type=int, default=8, metavar="N", help="exemplars per statement (default 8)")
    p.add_argument(
        "--noise", type=int, metavar="N", help="lines that evidence nothing (default: as many as --per-statement)"
    )
    p.add_argument(
        "--out", "-o", metavar="FILE", help="output file, or - (default: <ladder stem>.exemplars.md beside the ladder)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing exemplar file")
    p.add_argument(
        "--holdout", metavar="FILE", help="texts no exemplar may share an 8-word run with (labels.jsonl or lines)"
    )
    add_llm_args(p)
    p.set_defaults(func=cmd_expand)
