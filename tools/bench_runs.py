#!/usr/bin/env python
"""The tiled kernels against SDPA at one shape, in several separate benchmark processes.

One process's medians depend on what else the machine did meanwhile; separate
processes (each its own warm-up, compilation and allocator) show the spread a
reader should expect. This runs ``python -m mhacourse.bench --sweep-only`` N times
(default 5) on one thread with the CPU-time clock, and writes every run's results
and the load average it started under into one JSON file, read by chapter 7:

    python tools/bench_runs.py --runs 5 --json book/data/bench-cpu-4096-runs.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ratios(results: list, name: str, pass_: str, ref: str = "sdpa") -> list:
    """Per-run time ratio ``name / ref`` for one pass, in run order.

    >>> row = lambda n, p, t: dict(section="kernel", name=n, median_s=t, **{"pass": p})
    >>> runs = [{"rows": [row("tiled", "forward", 3.0), row("sdpa", "forward", 2.0)]}]
    >>> ratios(runs, "tiled", "forward")
    [1.5]
    """
    out = []
    for res in results:
        t = {
            r["name"]: r["median_s"]
            for r in res["rows"]
            if r["section"] == "kernel" and r["pass"] == pass_
        }
        out.append(t[name] / t[ref])
    return out


def median_ratio(results: list, name: str, pass_: str) -> float:
    """The median over runs of :func:`ratios`.

    >>> row = lambda n, t: dict(section="kernel", name=n, median_s=t, **{"pass": "f"})
    >>> runs = [{"rows": [row("a", t), row("sdpa", 1.0)]} for t in (1.0, 3.0, 2.0)]
    >>> median_ratio(runs, "a", "f")
    2.0
    """
    return statistics.median(ratios(results, name, pass_))


def main(argv=None) -> list:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--length", type=int, default=4096)
    p.add_argument("--json", type=Path, required=True)
    a = p.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.runs):
            out = Path(tmp) / f"run{i}.json"
            cmd = [sys.executable, "-m", "mhacourse.bench", "--threads", "1"]
            cmd += ["--clock", "cpu", "--sweep-only", "--lengths", str(a.length)]
            subprocess.run([*cmd, "--json", str(out)], check=True, cwd=ROOT)
            results.append(json.loads(out.read_text()))
            print(f"run {i + 1} of {a.runs} done", file=sys.stderr, flush=True)
    a.json.write_text(json.dumps({"runs": results}, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
