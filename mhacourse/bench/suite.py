"""Benchmark: our kernels and MultiHeadAttention against PyTorch's, side by side.

    python -m mhacourse.bench                  # CPU, float32 (minutes on a busy box)
    python -m mhacourse.bench --quick          # tiny shapes, seconds (the tests')
    python -m mhacourse.bench --threads 1      # one CPU thread, as the targets say
    python -m mhacourse.bench --threads 1 --clock cpu --sweep-only --lengths 4096
    python -m mhacourse.bench --device cuda --json book/data/bench-cuda.json

Shape legend: B batch, H heads, L query length, S key length, E head dim,
D model dim. Every group of rows is timed in one call of
:func:`mhacourse.bench.timing.compare` (turns, pooled medians, CUDA
synchronised), modules in eval mode, either the forward pass alone (without
autograd) or forward plus backward (:mod:`mhacourse.bench.measure`). The
kernels are those of :data:`mhacourse.kernels.REGISTRY`, read when the plan
is made, so a kernel registered later (e.g. ``"triton"``) joins in; on a CPU
the Triton kernel is listed as skipped. Ratios are ``median / median of the
reference row`` (PyTorch's SDPA for kernels, ``nn.MultiheadAttention`` for
layers). Peak memory: :func:`mhacourse.bench.memory.peak_memory`; speed: the
FLOP counts of :mod:`mhacourse.bench.flops`. Targets: :mod:`mhacourse.bench.targets`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time

import torch

from .machine import device_name, load_average
from .measure import (
    BOTH,
    FORWARD,
    MHA_NAMES,
    kernel_names,
    measure_group,
    skip_reason,
)
from .table import format_table
from .targets import evaluate

__all__ = ["format_table", "main", "measure_group", "plan", "run", "sweep_groups"]

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
CLOCKS = {"wall": None, "cpu": time.process_time}  # None: compare's perf_counter
SCHEMA_VERSION = 2  # 2: rows have a "pass" (forward or forward+backward)


def sweep_groups(
    lengths, names=("vectorized", "tiled", "sdpa"), B=1, H=1, E=64, pass_=FORWARD
) -> list:
    """Kernel groups of a length sweep, one per L = S, marked ``"sweep": True``.

    ``B`` may be a function of L, e.g. ``lambda L: 16384 // L``. Only forward
    sweeps are plotted (:func:`mhacourse.bench.plot.plot_sweep`).

    >>> [g["shape"]["B"] for g in sweep_groups([64, 128], B=lambda L: 256 // L)]
    [4, 2]
    """
    return [
        {
            "section": "kernel",
            "shape": dict(B=B(n) if callable(B) else B, H=H, L=n, S=n, E=E),
            "names": list(names),
            "sweep": pass_ == FORWARD,
            "pass": pass_,
        }
        for n in lengths
    ]


def _groups(section, items, pass_=FORWARD):
    return [
        {"section": section, "shape": s, "names": list(n), "sweep": False, "pass": p}
        for s, n in items
        for p in ((FORWARD, BOTH) if pass_ == "both" else (pass_,))
    ]


def _cuda_plan(every, fast, lengths):
    # About 16k query tokens per call (B = 16384 // L), enough work to fill a GPU.
    lengths = lengths or [512, 1024, 2048, 4096, 8192, 16384]
    sweep = dict(names=fast, B=lambda n: max(1, 16384 // n), H=16)
    layers = [(dict(B=8, L=512, D=512, H=8), MHA_NAMES[1:])]
    layers.append((dict(B=4, L=2048, D=1024, H=16), MHA_NAMES[1:]))
    return (
        _groups("kernel", [(dict(B=1, H=1, L=32, S=32, E=64), every)], "both")
        + sweep_groups(lengths, **sweep)
        + sweep_groups(lengths, **sweep, pass_=BOTH)
        + _groups("mha", layers, "both")
    )


def _cpu_plan(every, fast, lengths):
    slow_ok = [(dict(B=2, H=4, L=128, S=128, E=64), every)]
    return (
        _groups("kernel", slow_ok)
        + _groups("kernel", [(dict(B=1, H=2, L=64, S=64, E=64), every)], BOTH)
        + _groups("kernel", [(dict(B=1, H=8, L=512, S=512, E=64), fast)], "both")
        + sweep_groups(lengths or [512, 1024, 2048, 4096, 8192], names=fast)
        + sweep_groups([1024, 4096], names=fast, pass_=BOTH)
        + _groups("mha", [(dict(B=2, L=32, D=64, H=4), MHA_NAMES)], "both")
        + _groups("mha", [(dict(B=8, L=512, D=512, H=8), MHA_NAMES[1:])], "both")
    )


def plan(device_type: str, quick: bool = False, lengths=None, sweep_only=False) -> list:
    """The groups to measure, each ``{"section", "shape", "names", "sweep", "pass"}``.

    Every registered kernel is timed at a small shape, forward and forward
    plus backward; the length sweeps leave out the naive loops (and, on a CPU,
    kernels that cannot be timed there).

    >>> groups = plan("cpu", lengths=[512, 1024])
    >>> [(g["shape"]["L"], g["pass"]) for g in groups if g["section"] == "kernel"][:3]
    [(128, 'forward'), (64, 'forward+backward'), (512, 'forward')]

    ``sweep_only``: only the length sweep's kernels (every one but the naive
    loops), forward and forward plus backward, at ``lengths``:

    >>> [(g["shape"]["L"], g["pass"]) for g in plan("cpu", False, [4096], True)]
    [(4096, 'forward'), (4096, 'forward+backward')]
    """
    every = kernel_names()
    fast = [n for n in every if n != "naive"]
    if device_type != "cuda":
        fast = [n for n in fast if not skip_reason(n, device_type)]
    if sweep_only:
        lengths = lengths or [4096]
        return sweep_groups(lengths, names=fast) + sweep_groups(
            lengths, names=fast, pass_=BOTH
        )
    if quick:
        tiny = [(dict(B=1, H=2, L=16, S=16, E=8), every)]
        return (
            _groups("kernel", tiny, "both")
            + sweep_groups(lengths or [32, 64], names=fast, E=8)
            + _groups("mha", [(dict(B=2, L=8, D=16, H=2), MHA_NAMES)], "both")
        )
    if device_type == "cuda":
        return _cuda_plan(every, fast, lengths)
    return _cpu_plan(every, fast, lengths)


def run(
    device="cpu",
    dtypes=("float32",),
    quick=False,
    lengths=None,
    rounds=3,
    min_run_time=0.2,
    log=None,
    groups=None,
    clock="wall",
) -> dict:
    """Measure every group (default: :func:`plan`'s) for each dtype: a JSON-ready dict.

    >>> groups = sweep_groups([8], names=["vectorized", "sdpa"], E=4)
    >>> r = run(groups=groups, rounds=1, min_run_time=0.001)
    >>> [(row["name"], row["shape"]["L"], row["ratio"] > 0) for row in r["rows"]]
    [('vectorized', 8, True), ('sdpa', 8, True)]

    ``clock="cpu"`` times with ``time.process_time``, the CPU time of this
    process: on a shared machine it leaves out the time a call spent waiting
    for a core (meaningful with one thread: ``--threads 1``).
    """
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {list(CLOCKS)}, got clock={clock!r}")
    device = torch.device(device)
    results = {
        "schema_version": SCHEMA_VERSION,
        "device": device.type,
        "device_name": device_name(device),
        "torch_version": torch.__version__,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "dtypes": list(dtypes),
        "quick": quick,
        "rounds": rounds,
        "min_run_time_s": min_run_time,
        "threads": torch.get_num_threads(),
        "clock": clock,
        "load_average": load_average(),
        "rows": [],
    }
    for dt in dtypes:
        for group in groups or plan(device.type, quick, lengths):
            if log:
                what = f"{group['section']} {group['pass']} {dt} {group['shape']}"
                print(f"measuring {what}", file=log, flush=True)
            results["rows"] += measure_group(
                group, device, DTYPES[dt], rounds, min_run_time, CLOCKS[clock]
            )
    results["targets"] = evaluate(results)
    return results


_NUMBER_OPTIONS = (
    ("--lengths", int, "sequence lengths L = S of the length sweep"),
    ("--rounds", int, "turns over each group (default 3, quick 1)"),
    ("--min-run-time", float, "seconds per row per round (default 0.2, quick 0.01)"),
    ("--threads", int, "CPU threads for PyTorch (default: PyTorch's choice)"),
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m mhacourse.bench", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument(
        "--dtype",
        nargs="+",
        choices=sorted(DTYPES),
        default=None,
        help="one or more dtypes (default: float32 on cpu; bfloat16 float32 on cuda)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny shapes, one round: a smoke test in seconds",
    )
    for flag, kind, help_text in _NUMBER_OPTIONS:
        nargs = "+" if flag == "--lengths" else None
        p.add_argument(flag, nargs=nargs, type=kind, default=None, help=help_text)
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    p.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall-clock time (default) or this process's CPU time (with --threads 1)",
    )
    p.add_argument(
        "--sweep-only",
        action="store_true",
        help="only the kernels of the length sweep, forward and forward+backward",
    )
    return p


def main(argv=None) -> dict:
    """Command-line entry point; see ``python -m mhacourse.bench --help``.

    Measures, prints :func:`format_table`, optionally writes ``--json``, and
    returns :func:`run`'s results. Even ``--quick`` takes seconds, so this
    example only parses arguments the way ``main`` does (unset numbers get
    their defaults in ``main``: rounds 1 with ``--quick``, else 3):

    >>> argv = ["--quick", "--dtype", "bfloat16", "float32", "--lengths", "32", "64"]
    >>> a = _parser().parse_args(argv)
    >>> a.device, a.dtype, a.quick, a.lengths, a.rounds, a.threads, a.json
    ('cpu', ['bfloat16', 'float32'], True, [32, 64], None, None, None)
    """
    p = _parser()
    a = p.parse_args(argv)
    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: CUDA is not available on this machine")
    if device.type not in ("cpu", "cuda"):
        p.error(f"--device must be cpu or cuda, got {a.device!r}")
    dtypes = a.dtype or (
        ["bfloat16", "float32"] if device.type == "cuda" else ["float32"]
    )
    if a.threads is not None:
        if a.threads < 1:
            p.error(f"--threads must be at least 1, got {a.threads}")
        torch.set_num_threads(a.threads)
    rounds = a.rounds or (1 if a.quick else 3)
    min_run_time = a.min_run_time or (0.01 if a.quick else 0.2)
    groups = plan(device.type, a.quick, a.lengths, a.sweep_only)
    results = run(
        device, dtypes, a.quick, a.lengths, rounds, min_run_time, sys.stderr, groups,
        a.clock,
    )  # fmt: skip
    print(format_table(results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    return results
