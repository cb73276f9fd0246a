"""All benchmarks in one run, with each target's PASS/FAIL.

    .venv/bin/python -m bench.run --full     # what `make bench` runs (10,000-document batch)
    .venv/bin/python -m bench.run --smoke    # small sizes, for `make test` (tests/test_bench.py)

Speed targets are ratios measured side by side in this run where they can be; the absolute ones
(latency, cold start, build time, memory) depend on the machine, which is printed first.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import accuracy, coldstart, latency, learning, scale, throughput
from .common import machine


@dataclass(frozen=True)
class Size:
    encoder_n: int
    rounds: int
    latency_runs: dict[int, int]
    cold_runs: int
    shared_limit: int | None
    scale_n: int
    resolution_seeds: int
    shipped_build: bool = True
    curve_ks: tuple[int, ...] = (0, 2, 4, 8)
    curve_folds: int | None = None


SIZES = {
    "full": Size(
        encoder_n=1000,
        rounds=2,
        latency_runs={20: 30, 100: 10},
        cold_runs=3,
        shared_limit=None,
        scale_n=10_000,
        resolution_seeds=8,
    ),
    # The shipped corpus' index build (all of its exemplars) is left to the full run.
    "smoke": Size(
        encoder_n=96,
        rounds=1,
        latency_runs={20: 3, 100: 1},
        cold_runs=1,
        shared_limit=3,
        scale_n=24,
        resolution_seeds=1,
        shipped_build=False,
        curve_ks=(0, 2),
        curve_folds=1,
    ),
}


def targets(r: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(target, measured, passed) for every target of the performance issue."""
    enc, pipe, lat, cold, build, sc, acc = (
        r[k] for k in ("encoder", "pipeline", "latency", "cold_start", "index_build", "scale", "accuracy")
    )
    delta = abs(acc["onnx"]["unit_f1"] - acc["torch"]["unit_f1"])
    curve, refit = r["learning_curve"]["points"], r["refit"]
    flat = sc["rss_end_mb"] - sc.get("rss_quarter_mb", sc["rss_end_mb"])
    return [
        ("ONNX int8 encoder >= 2.2x torch", f"{enc['ratio']:.2f}x", enc["ratio"] >= 2.2),
        ("match_many >= 0.9x raw encoder", f"{pipe['ratio']:.2f}x", pipe["ratio"] >= 0.9),
        (
            "match_many >= 2.0x raw torch encoder",
            f"{pipe['match_many'] / enc['torch']:.2f}x",
            pipe["match_many"] / enc["torch"] >= 2.0,
        ),
        ("warm match(), 20 units: median < 100 ms", f"{lat['20_units_ms']:.0f} ms", lat["20_units_ms"] < 100),
        (
            "warm match() with the second-stage check, 20 items: median < 250 ms",
            f"{lat['20_units_ms']:.0f} ms",
            lat["20_units_ms"] < 250,
        ),
        ("cold start (warm cache) < 6 s", f"{cold['wall_s']:.1f} s", cold["wall_s"] < 6),
        (
            "cold start imports no torch",
            f"{cold['heavy_modules']} torch/transformers modules",
            cold["heavy_modules"] == 0,
        ),
        (
            "index build, shipped corpus < 15 s",
            f"{build['shipped_s']:.1f} s" if "shipped_s" in build else "not run at this size",
            build.get("shipped_s", 0.0) < 15,
        ),
        ("batch peak RSS < 1.5 GB", f"{sc['peak_rss_mb']:.0f} MB", sc["peak_rss_mb"] < 1536),
        ("batch memory flat (end - 1/4 < 100 MB)", f"{flat:+.0f} MB", flat < 100),
        ("eval unit F1: ONNX within 0.01 of torch", f"{delta:.4f}", delta <= 0.01),
        (
            f"with_corrections, ~{learning.REFIT_CORRECTIONS} corrections, warm: < 5 s",
            f"{refit['seconds']:.2f} s",
            refit["seconds"] < 5,
        ),
        (
            "learning curve rises: unit F1 (both dev sets) at the largest k > at k = 0",
            " -> ".join(f"k={p['k']} {p['all']['unit_f1']:.3f}" for p in (curve[0], curve[-1])),
            curve[-1]["all"]["unit_f1"] > curve[0]["all"]["unit_f1"],
        ),
    ]


def report(r: dict[str, Any]) -> str:
    m, enc, pipe, lat, cold, build, sc, acc = (
        r[k] for k in ("machine", "encoder", "pipeline", "latency", "cold_start", "index_build", "scale", "accuracy")
    )
    res = r["resolution"]
    lines = [
        f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gb']} GB RAM, load average {m['load_avg']} at start, "
        f"{r['load_avg_end']} at end; size {r['size']}; {r['seconds']:.0f} s in all",
        "",
        f"encoder ({enc['n']} distinct sentences, {enc['threads']} cores; torch in batches of {enc['batch']}, "
        f"ONNX one unpadded sentence per run on {enc['threads']} single-threaded sessions):",
        f"  torch {enc['torch']:.1f}/s   onnx-int8 {enc['onnx']:.1f}/s   ratio {enc['ratio']:.2f}x",
        f"pipeline ({pipe['units']} distinct units in {pipe['docs']} documents, backend {pipe['backend']}):",
        f"  raw encoder {pipe['raw']:.1f} units/s   match_many {pipe['match_many']:.1f} units/s   "
        f"ratio {pipe['ratio']:.2f}x",
        "warm match() latency (median; fresh lines / the same document again):",
        *(
            f"  {k} units: {lat[f'{k}_units_ms']:.0f} ms / {lat[f'{k}_units_repeat_ms']:.0f} ms "
            f"({lat[f'{k}_units_runs']} runs)"
            for k in (20, 100)
            if f"{k}_units_ms" in lat
        ),
        f"cold start (fresh process, warm cache, backend {cold['backend']}): {cold['wall_s']:.2f} s wall = "
        f"import {cold['import_s']:.2f} + model {cold['model_s']:.2f} + index {cold['index_s']:.2f} + first match "
        f"{cold['first_match_s']:.2f} + interpreter start-up",
        "index build from scratch: "
        + (
            f"shipped corpus ({build['shipped_ladders']} ladders) {build['shipped_s']:.1f} s; "
            if "shipped_s" in build
            else ""
        )
        + (
            f"../shared/ladders ({build['shared_ladders']} ladders of {build['shared_files']} files) "
            f"{build['shared_s']:.1f} s"
            if "shared_s" in build
            else ""
        ),
        f"batch scale ({sc['docs']} synthetic documents, {sc['backend']}): {sc['docs_per_s']:.1f} docs/s, "
        f"{sc['units_per_s']:.0f} units/s, {sc['seconds']:.0f} s, embedding cache hit rate {sc['cache_hit_rate']:.0%}",
        f"  RSS start {sc['rss_start_mb']:.0f} MB, 1/4 {sc.get('rss_quarter_mb', 0):.0f} MB, "
        f"1/2 {sc.get('rss_half_mb', 0):.0f} MB, end {sc['rss_end_mb']:.0f} MB, peak {sc['peak_rss_mb']:.0f} MB",
        "accuracy guard (dev eval, own split): "
        + "; ".join(
            f"{b} unit F1 {a['unit_f1']:.4f} (P {a['unit_p']:.3f} R {a['unit_r']:.3f}, doc F1 {a['doc_f1']:.3f})"
            for b, a in acc.items()
        ),
        f"  eval resolution: torch vectors plus random noise to cosine {res['perturbed_cosine']:.4f} (ONNX vs torch: "
        f"{res['onnx_torch_cosine']:.4f}), {res['seeds']} seeds: unit F1 {res['f1_mean']:.4f} +- {res['f1_sd']:.4f} "
        f"(range {res['f1_min']:.4f}-{res['f1_max']:.4f})",
        *learning.report(r["learning_curve"], r["refit"]),
        "",
        "targets:",
        *(f"  {'PASS' if ok else 'FAIL'}  {name}: {value}" for name, value, ok in r["targets"]),
    ]
    return "\n".join(lines)


def run(size: str) -> dict[str, Any]:
    s = SIZES[size]
    started = time.perf_counter()
    out: dict[str, Any] = {"size": size, "machine": machine()}
    phases = {
        "encoder": lambda: throughput.encoders(s.encoder_n, s.rounds),
        "pipeline": lambda: throughput.pipeline(s.encoder_n, s.rounds),
        "latency": lambda: latency.latency(s.latency_runs),
        "cold_start": lambda: coldstart.cold_start(s.cold_runs),
        "index_build": lambda: coldstart.index_builds(shipped=s.shipped_build, limit=s.shared_limit),
        "scale": lambda: scale.run_subprocess(s.scale_n),
        "accuracy": accuracy.accuracy,
        "resolution": lambda: accuracy.resolution(s.resolution_seeds),
        "learning_curve": lambda: learning.curve(s.curve_ks, s.curve_folds),
        "refit": learning.refit_time,
    }
    for name, phase in phases.items():
        out[name] = phase()
        # Progress on stderr, so a long run shows its figures as they come.
        print(
            f"[bench] {name} ({time.perf_counter() - started:.0f} s): {json.dumps(out[name])}",
            file=sys.stderr,
            flush=True,
        )
    out["seconds"] = time.perf_counter() - started
    out["load_avg_end"] = machine()["load_avg"]
    out["targets"] = targets(out)
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--full", action="store_const", const="full", dest="size", help="full sizes (default)")
    group.add_argument("--smoke", action="store_const", const="smoke", dest="size", help="small sizes")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    result = run(args.size or "full")
    print(report(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
