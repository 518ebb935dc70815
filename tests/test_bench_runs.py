"""tools/bench_runs.py: per-run ratios to SDPA, their median, and the shipped file."""

import doctest
import json
import pathlib

from tool_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
tool = load_script("tools/bench_runs.py")


def test_examples():
    assert doctest.testmod(tool).failed == 0


def _run(times):
    rows = [
        {"section": "kernel", "name": n, "pass": p, "median_s": t}
        for (n, p), t in times.items()
    ]
    return {"rows": rows}


def test_ratios_are_per_run_and_the_median_is_over_runs():
    runs = [
        _run({("tiled", "forward"): a, ("sdpa", "forward"): b})
        for a, b in ((3.0, 2.0), (1.0, 1.0), (8.0, 2.0))
    ]
    assert tool.ratios(runs, "tiled", "forward") == [1.5, 1.0, 4.0]
    assert tool.median_ratio(runs, "tiled", "forward") == 1.5


def test_the_shipped_runs_are_five_separate_one_thread_cpu_time_processes():
    runs = json.loads((ROOT / "book/data/bench-cpu-4096-runs.json").read_text())["runs"]
    assert len(runs) == 5 and len({r["date"] for r in runs}) == 5
    for r in runs:
        assert r["threads"] == 1 and r["clock"] == "cpu" and r["load_average"] >= 0
        names = {(x["name"], x["pass"]) for x in r["rows"] if x["median_s"]}
        for n in ("tiled", "tiled-compiled", "sdpa"):
            assert {(n, "forward"), (n, "forward+backward")} <= names, n
