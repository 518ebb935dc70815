"""Check the notebooks under strict nbval on several CPU setups at once.

Each printed number in a committed notebook must be the same whatever CPU
instruction set PyTorch dispatches to and however many threads it uses. This
runs nbval jobs per (capability, threads) with
``ATEN_CPU_CAPABILITY`` and ``OMP_NUM_THREADS`` set, packs the jobs onto the
machine's cores (a job counts as many cores as it has threads), and prints one
line per failing cell. The capabilities are ``default`` (plain C++, what any
CPU runs) and this machine's best one, detected from PyTorch.

    python tools/nb_matrix.py                     # every notebook, 4 setups
    python tools/nb_matrix.py book/05_*.ipynb --threads 1
    python tools/nb_matrix.py --capabilities default,avx2,avx512 --jobs 4

Exit status 0 when every job passes.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

ROOT = pathlib.Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "book" / "nbval_sanitize.cfg"
# torch.backends.cpu.get_cpu_capability() name -> ATEN_CPU_CAPABILITY value.
ENV_NAMES = {"AVX512": "avx512", "AVX2": "avx2", "VSX": "vsx", "ZVECTOR": "zvector"}


def best_capability() -> str:
    """The capability PyTorch picks on this CPU, as ATEN_CPU_CAPABILITY spells it."""
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    name = out.upper()
    for key, value in ENV_NAMES.items():
        if name.startswith(key):
            return value
    return name.lower()  # e.g. "default" or "sve256"


def failures(log: str) -> list[str]:
    """The failing cells named in an nbval log, one short line each."""
    cells = re.findall(r"^_+ (\S+::Cell \d+) _+$", log, flags=re.MULTILINE)
    if cells:
        return cells
    tail = [line for line in log.strip().splitlines() if line.strip()]
    return tail[-1:] or ["failed with no output"]


def details(log: str, most: int = 40) -> list[str]:
    """The first failure's report in an nbval log, uncoloured, at most `most` lines.

    A job that fails only when it shares the machine is hard to re-create, so the
    report of what differed, or of which assertion failed, is printed with the job.
    """
    lines = re.sub(r"\x1b\[[0-9;]*m", "", log).splitlines()
    heads = [
        i for i, line in enumerate(lines) if re.match(r"^_+ \S+::Cell \d+ _+$", line)
    ]
    if not heads:
        return []
    report = [line for line in lines[heads[0] + 1 :] if line.strip()]
    return report[-most:] if len(report) > most else report


def recorded_seconds(notebook: pathlib.Path) -> float:
    """How long the committed notebook's cells took when it was last executed.

    nbclient records each cell's start and end in its metadata; the sum is a cost
    estimate for scheduling (0 when the notebook carries no timings).
    """
    from datetime import datetime

    total = 0.0
    for cell in json.loads(notebook.read_text()).get("cells", []):
        t = cell.get("metadata", {}).get("execution", {})
        start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
        if start and end:
            start, end = (
                datetime.fromisoformat(x.replace("Z", "+00:00")) for x in (start, end)
            )
            span = end - start
            total += max(span.total_seconds(), 0.0)
    return total


def batches(notebooks, cost: dict, quick: float = 15.0) -> list[tuple]:
    """Notebooks to run per nbval job: the slow ones alone, slowest first, then the
    quick ones (recorded under `quick` seconds) together in one job.

    One pytest process per notebook costs seconds of start-up each, a large part
    of a quick chapter's job; a job still checks each notebook in its own kernel.
    """
    slow = sorted((nb for nb in notebooks if cost[nb] >= quick), key=lambda n: -cost[n])
    fast = tuple(nb for nb in notebooks if cost[nb] < quick)
    return [(nb,) for nb in slow] + ([fast] if fast else [])


def inductor_cache(capability: str) -> str:
    """A torch.compile cache folder of its own for each capability.

    Inductor writes compiled code (and precompiled headers) for the instructions
    it was built for; a job under another ATEN_CPU_CAPABILITY that found them in a
    shared cache failed to compile.

    >>> inductor_cache("default").endswith("mhacourse-inductor-default")
    True
    """
    base = os.environ.get("TORCHINDUCTOR_CACHE_DIR") or tempfile.gettempdir()
    return os.path.join(base, f"mhacourse-inductor-{capability}")


def run_job(notebooks, capability: str, threads: int) -> tuple[int, str]:
    env = dict(
        os.environ,
        ATEN_CPU_CAPABILITY=capability,
        TORCHINDUCTOR_CACHE_DIR=inductor_cache(capability),
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        PYTHONPATH=os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
    )
    cmd = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "--nbval", "--nbval-sanitize-with", str(SANITIZE), "--nbval-current-env",
        *map(str, notebooks),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def _setup(text: str, best: str) -> tuple[str, int]:
    """``"best:1"`` -> ``(best, 1)``: one (capability, threads) setup.

    >>> _setup("best:1", "avx512"), _setup("default:2", "avx512")
    (('avx512', 1), ('default', 2))
    """
    cap, _, threads = text.partition(":")
    return (best if cap == "best" else cap), int(threads)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--capabilities", help="comma-separated; default: default,best")
    parser.add_argument(
        "--threads", default="1,2", help="comma-separated thread counts"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cores")
    parser.add_argument(
        "--skip", action="append", default=[], metavar="CAPABILITY:THREADS",
        help="a setup checked elsewhere (best = this CPU's best capability)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    best = best_capability()
    caps = args.capabilities.split(",") if args.capabilities else []
    caps = caps or list(dict.fromkeys(["default", best]))
    threads = [int(t) for t in args.threads.split(",")]
    skipped = {_setup(s, best) for s in args.skip}
    # Most threads first, and within those the slowest notebooks first (by their
    # recorded cell times), so the short single-thread jobs fill the gaps at the end.
    groups = batches(notebooks, {nb: recorded_seconds(nb) for nb in notebooks})
    jobs = [(t, c, group) for t in sorted(threads, reverse=True) for group in groups
            for c in caps if (c, t) not in skipped]  # fmt: skip
    print(f"nbval on {len(notebooks)} notebooks x capabilities {caps} x threads "
          f"{threads}, {args.jobs} cores", flush=True)  # fmt: skip
    for c, t in sorted(skipped):
        print(f"left to another check: {c} threads={t}", flush=True)
    return _schedule(jobs, max(args.jobs, max(threads)))


def _first_fitting(jobs, free: int) -> int | None:
    """Index of the first job whose threads fit in `free` cores, or None.

    >>> _first_fitting([(2, "default", ()), (1, "default", ())], 1)
    1
    """
    return next((i for i, job in enumerate(jobs) if job[0] <= free), None)


def _schedule(jobs, cores: int) -> int:
    """Run the jobs so that their threads never exceed `cores`; report failures."""
    start, free, bad = time.monotonic(), cores, 0
    running: dict[Future, tuple] = {}
    with ThreadPoolExecutor(max_workers=cores) as pool:
        while jobs or running:
            # The first job in order that fits the free cores (a one-thread job can
            # fill the core a two-thread job leaves over).
            while (i := _first_fitting(jobs, free)) is not None:
                t, c, group = jobs.pop(i)
                job = (t, c, group, time.monotonic())
                running[pool.submit(run_job, group, c, t)] = job
                free -= t
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                t, c, group, began = running.pop(future)
                names = " ".join(nb.name for nb in group)
                free += t
                rc, log = future.result()
                status = "ok" if rc == 0 else "FAIL"
                took = time.monotonic() - began
                print(f"{status:4} {c:8} threads={t} {took:5.0f} s {names}", flush=True)
                if rc:
                    bad += 1
                    for line in failures(log):
                        print(f"       {line}", flush=True)
                    for line in details(log):
                        print(f"         | {line}", flush=True)
    print(f"{bad} failing jobs, {time.monotonic() - start:.0f} s", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
