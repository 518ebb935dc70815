"""Benchmark: our kernels and MultiHeadAttention against PyTorch's, side by side.

    python -m mhacourse.bench                       # CPU, float32 (a few minutes on a busy 2-core box)
    python -m mhacourse.bench --quick               # tiny shapes, seconds (used by the tests)
    python -m mhacourse.bench --device cuda --json book/data/bench-cuda.json

Shape legend: B batch, H heads, L query length, S key length, E head dim,
D model dim. Every group of rows is timed in one call of
:func:`mhacourse.bench.timing.compare` (turns, pooled medians, CUDA synchronised),
without autograd (``torch.no_grad``), modules in eval mode. Ratios are
``median / median of the reference row`` (PyTorch's SDPA for kernels,
``nn.MultiheadAttention(need_weights=False)`` for layers). Peak memory comes
from :func:`mhacourse.bench.memory.peak_memory`; speed from the ``4*B*H*L*S*E``
FLOP count (:mod:`mhacourse.bench.flops`). Targets: :mod:`mhacourse.bench.targets`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys

import torch
import torch.nn.functional as F
from torch import nn

from .. import kernels
from ..mha import MultiHeadAttention
from .flops import attention_flops, flops_per_second, format_rate, mha_flops
from .memory import peak_memory
from .targets import evaluate, format_targets
from .timing import compare, format_time

__all__ = [
    "KERNELS",
    "MHA_REF",
    "format_table",
    "main",
    "measure_group",
    "plan",
    "run",
    "sweep_groups",
]

# The kernels' registry, except that the reference row times PyTorch's fused kernel bare.
KERNELS = {**kernels.REGISTRY, "sdpa": F.scaled_dot_product_attention}
MHA_REF = "nn.MultiheadAttention"
MHA_NAMES = ("ours-naive", "ours-vectorized", "ours-sdpa", MHA_REF)
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
NO_MEMORY = {
    "naive",
    "ours-naive",
}  # profiling ~10^5 tiny Python-loop ops costs minutes, so not measured
SCHEMA_VERSION = 1


def sweep_groups(
    lengths, names=("vectorized", "tiled", "sdpa"), B=1, H=1, E=64
) -> list:
    """Kernel groups of a length sweep: one group per L = S, marked ``"sweep": True`` for plotting.

    ``B`` may be a function of L, e.g. ``lambda L: 16384 // L``.

    >>> [g["shape"] for g in sweep_groups([64, 128], B=lambda L: 256 // L)]
    [{'B': 4, 'H': 1, 'L': 64, 'S': 64, 'E': 64}, {'B': 2, 'H': 1, 'L': 128, 'S': 128, 'E': 64}]
    """
    return [
        {
            "section": "kernel",
            "shape": dict(B=B(n) if callable(B) else B, H=H, L=n, S=n, E=E),
            "names": list(names),
            "sweep": True,
        }
        for n in lengths
    ]


def plan(device_type: str, quick: bool = False, lengths=None) -> list:
    """The groups to measure, each ``{"section", "shape", "names", "sweep"}``.

    >>> [g["shape"]["L"] for g in plan("cpu", lengths=[512, 1024]) if g["section"] == "kernel"]
    [128, 512, 512, 1024]
    """

    def groups(section, items):
        return [
            {"section": section, "shape": s, "names": list(n), "sweep": False}
            for s, n in items
        ]

    if quick:
        return (
            groups("kernel", [(dict(B=1, H=2, L=16, S=16, E=8), KERNELS)])
            + sweep_groups(lengths or [32, 64], E=8)
            + groups("mha", [(dict(B=2, L=8, D=16, H=2), MHA_NAMES)])
        )
    if device_type == "cuda":
        # About 16k query tokens per call (B = 16384 // L), enough work to fill a GPU.
        return (
            groups("kernel", [(dict(B=1, H=1, L=32, S=32, E=64), KERNELS)])
            + sweep_groups(
                lengths or [512, 1024, 2048, 4096, 8192, 16384],
                B=lambda n: max(1, 16384 // n),
                H=16,
            )
            + groups(
                "mha",
                [
                    (dict(B=8, L=512, D=512, H=8), MHA_NAMES[1:]),
                    (dict(B=4, L=2048, D=1024, H=16), MHA_NAMES[1:]),
                ],
            )
        )
    return (
        groups(
            "kernel",
            [
                (dict(B=2, H=4, L=128, S=128, E=64), KERNELS),
                (dict(B=1, H=8, L=512, S=512, E=64), ("vectorized", "tiled", "sdpa")),
            ],
        )
        + sweep_groups(lengths or [512, 1024, 2048, 4096, 8192])
        + groups(
            "mha",
            [
                (dict(B=2, L=32, D=64, H=4), MHA_NAMES),
                (dict(B=8, L=512, D=512, H=8), MHA_NAMES[1:]),
            ],
        )
    )


def _kernel_fns(shape, names, device, dtype):
    B, H, L, S, E = (shape[c] for c in "BHLSE")
    g = torch.Generator().manual_seed(0)
    q = torch.randn(B, H, L, E, generator=g).to(device, dtype)  # (B, H, L, E)
    k = torch.randn(B, H, S, E, generator=g).to(device, dtype)  # (B, H, S, E)
    v = torch.randn(B, H, S, E, generator=g).to(device, dtype)  # (B, H, S, E)
    fns = {n: torch.no_grad()(lambda f=KERNELS[n]: f(q, k, v)) for n in names}
    return fns, attention_flops(B, H, L, S, E), "sdpa"


def _mha_fns(shape, names, device, dtype):
    B, L, D, H = (shape[c] for c in "BLDH")
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(
        D, H, batch_first=True, device=device, dtype=dtype
    ).eval()
    x = torch.randn(B, L, D, generator=torch.Generator().manual_seed(0)).to(
        device, dtype
    )  # (B, L, D)
    fns = {}
    for n in names:
        if (
            n == MHA_REF
        ):  # self-attention, eval, no grad, no weights: PyTorch's fused fast path
            fns[n] = torch.no_grad()(lambda: ref(x, x, x, need_weights=False))
        else:
            ours = MultiHeadAttention.from_torch(
                ref, kernel=n.removeprefix("ours-")
            ).eval()
            fns[n] = torch.no_grad()(lambda m=ours: m(x))
    return fns, mha_flops(B, L, L, D), MHA_REF


def measure_group(
    group: dict, device, dtype, rounds: int = 3, min_run_time: float = 0.2
) -> list:
    """Time (side by side) and measure the peak memory of every row of one group.

    Returns one dict per name of the group (see :func:`run`'s ``"rows"``);
    ``ratio`` is the row's median over the group's reference row (``ref``).

    >>> group = sweep_groups([8], names=["vectorized", "sdpa"], E=4)[0]
    >>> rows = measure_group(group, torch.device("cpu"), torch.float32, rounds=1, min_run_time=0.001)
    >>> [(r["name"], r["ref"], r["dtype"], r["median_s"] > 0) for r in rows], rows[1]["ratio"]
    ([('vectorized', 'sdpa', 'float32', True), ('sdpa', 'sdpa', 'float32', True)], 1.0)
    """
    make = _kernel_fns if group["section"] == "kernel" else _mha_fns
    fns, flops, ref = make(group["shape"], group["names"], device, dtype)
    errors = {}
    for name, fn in list(fns.items()):
        try:
            fn()  # first call: lazy initialisation; also finds out-of-memory shapes
        except torch.OutOfMemoryError:
            errors[name] = "out of memory"
            del fns[name]
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
    times = compare(fns, rounds=rounds, min_run_time=min_run_time)
    rows = []
    for name in group["names"]:
        row = {
            "section": group["section"],
            "sweep": group.get("sweep", False),
            "dtype": str(dtype).removeprefix("torch."),
            "shape": dict(group["shape"]),
            "name": name,
            "median_s": None,
            "samples_s": [],
            "peak_bytes": None,
            "flops": flops,
            "flops_per_s": None,
            "ref": ref,
            "ratio": None,
            "error": errors.get(name),
        }
        if name in times:
            row.update(times[name])
            row["flops_per_s"] = flops_per_second(flops, row["median_s"])
            if name not in NO_MEMORY:
                row["peak_bytes"] = peak_memory(fns[name], device)
        rows.append(row)
    ref_median = next((r["median_s"] for r in rows if r["name"] == ref), None)
    for r in rows:
        if r["median_s"] is not None and ref_median is not None:
            r["ratio"] = r["median_s"] / ref_median
    return rows


def device_name(device: torch.device) -> str:
    """A human-readable name of the device: the GPU's model, or the CPU's model and thread count.

    >>> device_name(torch.device("cpu")).endswith(f"({torch.get_num_threads()} threads)")
    True
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                line.split(":", 1)[1].strip()
                for line in f
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{model} ({torch.get_num_threads()} threads)"


def run(
    device="cpu",
    dtypes=("float32",),
    quick=False,
    lengths=None,
    rounds=3,
    min_run_time=0.2,
    log=None,
    groups=None,
) -> dict:
    """Measure every group (default: :func:`plan`'s) for each dtype; return the results as a JSON-ready dict.

    >>> r = run(groups=sweep_groups([8], names=["vectorized", "sdpa"], E=4), rounds=1, min_run_time=0.001)
    >>> [(row["name"], row["shape"]["L"], row["ratio"] > 0) for row in r["rows"]]
    [('vectorized', 8, True), ('sdpa', 8, True)]
    """
    device = torch.device(device)
    results = {
        "schema_version": SCHEMA_VERSION,
        "device": device.type,
        "device_name": device_name(device),
        "torch_version": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "dtypes": list(dtypes),
        "quick": quick,
        "rounds": rounds,
        "min_run_time_s": min_run_time,
        "threads": torch.get_num_threads(),
        "rows": [],
    }
    for dt in dtypes:
        for group in groups or plan(device.type, quick, lengths):
            if log:
                print(
                    f"measuring {group['section']} {dt} {group['shape']}",
                    file=log,
                    flush=True,
                )
            results["rows"] += measure_group(
                group, device, DTYPES[dt], rounds, min_run_time
            )
    results["targets"] = evaluate(results)
    return results


def _mib(n):
    return (
        "-"
        if n is None
        else f"{n / 2**20:.2f}"
        if n < 10 * 2**20
        else f"{n / 2**20:.1f}"
    )


def format_table(results: dict) -> str:
    """The measured rows as text tables, one per section and dtype, then the targets.

    >>> row = dict(section="kernel", dtype="float32", shape=dict(B=1, H=1, L=8, S=8, E=4), name="sdpa",
    ...            median_s=2e-6, ratio=1.0, peak_bytes=None, flops_per_s=1e9, error=None)
    >>> results = dict(device="cpu", device_name="Example CPU", torch_version="2.x", date="2000-01-01",
    ...                rounds=1, dtypes=["float32"], rows=[row], targets=[])
    >>> print(format_table(results).splitlines()[4])
        1     1     8     8     4  sdpa                     2.00 µs     1.00x         -   1.00 GFLOP/s
    """
    lines = [
        f"mhacourse.bench on {results['device']}: {results['device_name']}, torch {results['torch_version']}, "
        f"{results['date']}, {results['rounds']} rounds (medians of pooled runs, no autograd)"
    ]
    for section, dims, ref in (("kernel", "BHLSE", "sdpa"), ("mha", "BLDH", "nn.MHA")):
        for dt in results["dtypes"]:
            rows = [
                r
                for r in results["rows"]
                if r["section"] == section and r["dtype"] == dt
            ]
            if not rows:
                continue
            title = (
                "Attention kernels"
                if section == "kernel"
                else "Multi-head attention layers"
            )
            lines += [
                "",
                f"{title}, {dt} (time / {ref}: how many times slower than {ref})",
                " ".join(f"{c:>5}" for c in dims)
                + f"  {'name':<22}{'median':>10}{'/ ' + ref:>10}{'peak MiB':>10}{'speed':>15}",
            ]
            for r in rows:
                med = "-" if r["median_s"] is None else format_time(r["median_s"])
                ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
                speed = (
                    "-" if r["flops_per_s"] is None else format_rate(r["flops_per_s"])
                )
                note = f"  ({r['error']})" if r["error"] else ""
                lines.append(
                    " ".join(f"{r['shape'][c]:>5}" for c in dims)
                    + f"  {r['name']:<22}{med:>10}{ratio:>10}{_mib(r['peak_bytes']):>10}{speed:>15}{note}"
                )
    lines += [
        "",
        "peak MiB: peak extra memory of one call (naive rows: not measured); speed: 4*B*H*L*S*E FLOP"
        " per call for kernels, plus 2*D*D per projected token for layers",
        "",
    ]
    return "\n".join(lines + format_targets(results["targets"]))


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
    p.add_argument(
        "--lengths",
        nargs="+",
        type=int,
        default=None,
        help="sequence lengths L = S of the length sweep",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="turns over each group (default 3, quick 1)",
    )
    p.add_argument(
        "--min-run-time",
        type=float,
        default=None,
        help="seconds per row per round (default 0.2, quick 0.01)",
    )
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON")
    return p


def main(argv=None) -> dict:
    """Command-line entry point; see ``python -m mhacourse.bench --help``.

    Measures, prints :func:`format_table`, optionally writes ``--json``, and
    returns :func:`run`'s results. Even ``--quick`` takes seconds, so this
    example only parses arguments the way ``main`` does (unset numbers get
    their defaults in ``main``: rounds 1 with ``--quick``, else 3):

    >>> a = _parser().parse_args(["--quick", "--dtype", "bfloat16", "float32", "--lengths", "32", "64"])
    >>> a.device, a.dtype, a.quick, a.lengths, a.rounds, a.json
    ('cpu', ['bfloat16', 'float32'], True, [32, 64], None, None)
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
    rounds = a.rounds or (1 if a.quick else 3)
    min_run_time = a.min_run_time or (0.01 if a.quick else 0.2)
    results = run(
        device, dtypes, a.quick, a.lengths, rounds, min_run_time, log=sys.stderr
    )
    print(format_table(results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    return results
