"""Targets are judged from the measured rows: PASS, FAIL, or SKIP when not measured."""

import pytest

from mhacourse.bench.targets import TARGETS, evaluate, format_targets


def row(
    name, shape, section="kernel", dtype="float32", median=None, peak=None, speed=None
):
    return dict(
        section=section,
        dtype=dtype,
        shape=shape,
        name=name,
        median_s=median,
        peak_bytes=peak,
        flops_per_s=speed,
    )


def by_id(results):
    return {t["id"]: t for t in evaluate(results)}


def test_time_ratio_pass_and_fail():
    shape = dict(B=1, H=1, L=4096, S=4096, E=64)
    ok = by_id(
        {
            "device": "cpu",
            "rows": [row("tiled", shape, median=1.2), row("sdpa", shape, median=1.0)],
        }
    )
    assert ok["cpu-tiled-vs-sdpa"]["status"] == "PASS"
    assert ok["cpu-tiled-vs-sdpa"]["value"] == pytest.approx(1.2)
    bad = by_id(
        {
            "device": "cpu",
            "rows": [row("tiled", shape, median=1.3), row("sdpa", shape, median=1.0)],
        }
    )
    assert bad["cpu-tiled-vs-sdpa"]["status"] == "FAIL"
    # A forward+backward row of the same shape is not the forward target's row.
    rows = [row("tiled", shape, median=9.0), row("sdpa", shape, median=1.0)]
    for r in rows:
        r["pass"] = "forward+backward"
    assert by_id({"device": "cpu", "rows": rows})["cpu-tiled-vs-sdpa"]["status"] == (
        "SKIP"
    )


def test_memory_ratio_and_skip():
    shape = dict(B=1, H=1, L=8192, S=8192, E=64)
    t = by_id(
        {
            "device": "cpu",
            "rows": [row("tiled", shape, peak=30), row("vectorized", shape, peak=200)],
        }
    )
    assert (
        t["cpu-tiled-memory"]["status"] == "FAIL"
        and t["cpu-tiled-memory"]["value"] == 0.15
    )
    assert (
        t["cpu-vectorized-vs-naive"]["status"] == "SKIP"
    )  # its rows were not measured
    assert t["cuda-vectorized-tflops"]["status"] == "SKIP"  # other device


def test_gpu_speed_target():
    shape = dict(B=4, H=16, L=4096, S=4096, E=64)
    rows = [row("vectorized", shape, dtype="bfloat16", speed=41e12)]
    assert (
        by_id({"device": "cuda", "rows": rows})["cuda-vectorized-tflops"]["status"]
        == "PASS"
    )
    rows = [row("vectorized", shape, dtype="bfloat16", speed=39e12)]
    assert (
        by_id({"device": "cuda", "rows": rows})["cuda-vectorized-tflops"]["status"]
        == "FAIL"
    )


def test_one_line_per_target():
    lines = format_targets(evaluate({"device": "cpu", "rows": []}))
    assert len(lines) == 1 + len(TARGETS)
    assert all(line.startswith("SKIP") for line in lines[1:])
