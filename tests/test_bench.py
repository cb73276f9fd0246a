"""The benchmark suite at smoke size: it runs end to end and its numbers are sane. The speed
targets themselves are for `make bench` (bench/README.md), not for a timed unit test."""

from __future__ import annotations

import math

import pytest

from bench import run as bench_run

pytestmark = pytest.mark.slow


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_smoke_benchmark(matchers, tmp_path, capsys) -> None:
    matchers("lead-software-engineer")  # shares the session's warm cache
    result = bench_run.main(["--smoke", "--json", str(tmp_path / "bench.json")])
    printed = capsys.readouterr().out
    assert (tmp_path / "bench.json").is_file()
    size = bench_run.SIZES["smoke"]

    enc = result["encoder"]
    assert all(_positive(enc[k]) for k in ("torch", "onnx", "ratio"))
    assert enc["ratio"] == pytest.approx(enc["onnx"] / enc["torch"])
    assert enc["n"] == size.encoder_n

    pipe = result["pipeline"]
    assert pipe["backend"] == "onnx"
    assert pipe["units"] == size.encoder_n and all(_positive(pipe[k]) for k in ("raw", "match_many", "ratio"))

    lat = result["latency"]
    for units in size.latency_runs:
        assert _positive(lat[f"{units}_units_ms"]) and _positive(lat[f"{units}_units_repeat_ms"])
    # A repeated document is served by the embedding cache, so it cannot be slower than a fresh one by much.
    assert lat["20_units_repeat_ms"] < 2 * lat["20_units_ms"]

    cold = result["cold_start"]
    assert cold["backend"] == "onnx" and cold["heavy_modules"] == 0
    assert cold["wall_s"] > cold["import_s"] + cold["model_s"] + cold["index_s"] > 0

    build = result["index_build"]
    assert build["shared_ladders"] == size.shared_limit and _positive(build["shared_s"])

    scale = result["scale"]
    assert scale["docs"] == size.scale_n and scale["errors"] == 0
    assert all(_positive(scale[k]) for k in ("docs_per_s", "units_per_s", "peak_rss_mb", "rss_end_mb"))
    assert scale["rss_quarter_mb"] <= scale["peak_rss_mb"] and scale["rss_end_mb"] <= scale["peak_rss_mb"]

    acc = result["accuracy"]
    assert set(acc) == {"torch", "onnx"}
    assert all(0 < a["unit_f1"] <= 1 for a in acc.values())

    res = result["resolution"]
    assert res["seeds"] == size.resolution_seeds and 0.9 < res["perturbed_cosine"] < 1
    # The noise is sized to the measured ONNX/torch gap, so the two cosines agree closely.
    assert abs(res["perturbed_cosine"] - res["onnx_torch_cosine"]) < 0.002
    assert 0 < res["f1_min"] <= res["f1_mean"] <= res["f1_max"] <= 1

    curve = result["learning_curve"]["points"]
    assert [p["k"] for p in curve] == list(size.curve_ks) and curve[0]["corrections_per_user"] == 0
    assert all(0 < p["all"]["unit_f1"] <= 1 for p in curve)
    refit = result["refit"]
    assert refit["corrections"] == 50 and refit["pairs"] > 0 and _positive(refit["seconds"])

    names = [name for name, _, _ in result["targets"]]
    assert len(names) == 13 and all(isinstance(ok, bool) for _, _, ok in result["targets"])
    for name in names:
        assert name in printed
    assert printed.count("PASS") + printed.count("FAIL") == len(names)
