"""Train what chapter 6's grouped-query section loads: H_kv in (1, 2, 4, 8) x 5 seeds.

Usage (from the repository root; about a minute of one CPU core each)::

    python tools/ch06_gqa.py grid [N]  # book/data/ch06_gqa.json, N processes
    python tools/ch06_gqa.py spread   # tests/data/ch06_gqa_spread.json

``grid`` trains :func:`mhacourse.studies.gqa_sharing.run_one` for every number
of key/value heads and seed (float64, one thread) and writes every run with its
summary (solved counts with Wilson intervals, mean accuracies with bootstrap
intervals). ``spread`` adds to it the cheap subset that
``tests/test_studies_gqa_sharing.py`` re-runs (seed 0, H_kv = 1 and 8, 100 steps),
then re-runs that subset under
``ATEN_CPU_CAPABILITY=default`` and this CPU's best, with 1 and 2 threads, and
records how far each lands from the shipped number: the test's tolerance is
read from there.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import sys

import torch
from _results_cli import rerun_across

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mhacourse.studies.gqa_sharing import (  # noqa: E402
    CONFIG,
    KV_HEADS,
    SEEDS,
    SOLVED,
    run_one,
    summarize,
)

DATA = ROOT / "book" / "data" / "ch06_gqa.json"
SPREAD = ROOT / "tests" / "data" / "ch06_gqa_spread.json"
#: What the test re-runs, cheaply: (H_kv, seed), trained for SUBSET_STEPS steps.
SUBSET = ((1, 0), (8, 0))
SUBSET_STEPS = 100


def _run(job):
    torch.set_num_threads(1)
    run = run_one(*job)
    print(run, flush=True)
    return run


def grid(jobs=1) -> None:
    """Every (H_kv, seed) of the study, written with its summary.

    ``jobs`` processes share the runs (each on one thread); the numbers do not
    depend on it.
    """
    grid = [(kv, seed) for kv in KV_HEADS for seed in SEEDS]
    if jobs > 1:
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            runs = pool.map(_run, grid, chunksize=1)
    else:
        runs = [_run(job) for job in grid]
    summary = summarize(runs)
    out = {
        "config": CONFIG,
        "solved_threshold": SOLVED,
        "runs": runs,
        "summary": {str(kv): s for kv, s in summary.items()},
        "capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
    }
    DATA.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", DATA)


def _subset_accuracies() -> list:
    return [run_one(kv, seed, steps=SUBSET_STEPS)["accuracy"] for kv, seed in SUBSET]


def subset() -> None:
    """Print the subset's accuracies as JSON (run in a child process)."""
    print(json.dumps(_subset_accuracies()))


def spread() -> None:
    """Ship the subset's accuracies; re-run it: 2 capabilities x 1 or 2 threads."""
    torch.set_num_threads(1)
    data = json.loads(DATA.read_text())
    ref = _subset_accuracies()
    data["subset"] = {"runs": SUBSET, "steps": SUBSET_STEPS, "accuracy": ref}
    DATA.write_text(json.dumps(data, indent=1) + "\n")
    caps = sorted({"default", torch.backends.cpu.get_cpu_capability().lower()})
    rows = []
    runs = rerun_across(__file__, ["subset"], caps, pass_threads=True)
    for cap, threads, got in runs:
        rows.append({"capability": cap, "threads": threads, "accuracy": got})
        print(rows[-1], flush=True)
    diff = max(
        abs(a - b) for r in rows for a, b in zip(r["accuracy"], ref, strict=True)
    )
    out = {"subset": SUBSET, "shipped": ref, "runs": rows, "max_abs_diff": diff}
    SPREAD.write_text(json.dumps(out, indent=1) + "\n")
    print("wrote", SPREAD, "max |difference|", diff)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["grid", "spread", "subset"])
    parser.add_argument(
        "threads", nargs="?", type=int, default=1,
        help="subset: threads; grid: processes sharing the runs",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.what == "subset":
        torch.set_num_threads(args.threads)
        subset()
    else:
        grid(args.threads) if args.what == "grid" else spread()


if __name__ == "__main__":
    main()
