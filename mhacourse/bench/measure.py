"""Measuring one group of the benchmark: build the calls, time them in turns, fill rows.

A group is a dict ``{"section", "shape", "names", "sweep", "pass"}`` (see
:func:`mhacourse.bench.suite.plan`). ``"pass"`` is ``"forward"`` (timed
under ``torch.no_grad``) or ``"forward+backward"`` (one forward, then the
gradients of every input, and for layers of every parameter too, through
``torch.autograd.grad`` so that nothing accumulates between calls).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from .. import kernels
from ..kernels import compiled
from ..mha import MultiHeadAttention
from .flops import attention_flops, flops_per_second, mha_flops
from .memory import peak_memory
from .timing import compare

__all__ = ["MHA_NAMES", "MHA_REF", "kernel_names", "measure_group", "skip_reason"]

MHA_REF = "nn.MultiheadAttention"
MHA_NAMES = ("ours-naive", "ours-vectorized", "ours-sdpa", MHA_REF)
# Profiling ~10^5 tiny Python-loop ops costs minutes, so their memory is not measured.
NO_MEMORY = {"naive", "ours-naive"}
FORWARD, BOTH = "forward", "forward+backward"


def kernel_names() -> list:
    """The names of the kernels' registry, read at call time (new kernels join in).

    >>> kernel_names()[:4]
    ['naive', 'vectorized', 'tiled', 'sdpa']
    """
    return list(kernels.REGISTRY)


def skip_reason(name: str, device_type: str) -> str | None:
    """Why a kernel is not timed on this device, or None; read from its capabilities.

    A kernel that runs only in an interpreter there (``interpreted_on``) is too
    slow to time; a compiled one (``compiled``) is skipped where
    ``torch.compile`` fails (:func:`mhacourse.kernels.compiled.compile_problem`).

    >>> kernels.register("slow", kernels.vectorized.scaled_dot_product_attention,
    ...                  interpreted_on=("cpu",)) and None
    >>> skip_reason("slow", "cpu")
    'skipped: on a CPU slow runs only in an interpreter, too slow to time'
    >>> skip_reason("slow", "cuda") is None, skip_reason("tiled", "cpu") is None
    (True, True)
    >>> del kernels.REGISTRY["slow"]
    """
    kernel = kernels.REGISTRY.get(name)
    if kernel is None:  # a layer's row, not a kernel
        return None
    if device_type in kernel.interpreted_on:
        return (
            f"skipped: on a {device_type.upper()} {name} runs only in an "
            "interpreter, too slow to time"
        )
    if kernel.compiled and (problem := compiled.compile_problem(device_type)):
        return f"skipped: {problem}"
    return None


def _kernel(name):
    # The reference row times PyTorch's fused kernel bare, without our wrapper.
    return F.scaled_dot_product_attention if name == "sdpa" else kernels.get(name)


def _call(fn, inputs, backward):
    """A zero-argument call: forward without autograd, or forward plus backward."""
    if not backward:
        return torch.no_grad()(lambda: fn())
    grads_of = [t for t in inputs if t.requires_grad]

    def forward_backward():
        out = fn()
        out = out[0] if isinstance(out, tuple) else out  # kernels return (out, w)
        return torch.autograd.grad(out, grads_of, torch.ones_like(out))

    return forward_backward


def _kernel_fns(shape, names, device, dtype, backward):
    B, H, L, S, E = (shape[c] for c in "BHLSE")
    g = torch.Generator().manual_seed(0)
    qkv = [
        torch.randn(B, H, n, E, generator=g).to(device, dtype).requires_grad_(backward)
        for n in (L, S, S)
    ]  # q (B, H, L, E), k (B, H, S, E), v (B, H, S, E)
    fns = {
        n: _call(functools.partial(_kernel(n), *qkv), qkv, backward)
        for n in names
        if not skip_reason(n, device.type)
    }
    return fns, attention_flops(B, H, L, S, E, backward=backward), "sdpa"


def _mha_fns(shape, names, device, dtype, backward):
    B, L, D, H = (shape[c] for c in "BLDH")
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(D, H, batch_first=True, device=device, dtype=dtype)
    ref.eval()  # no dropout; without grad, also PyTorch's fused fast path
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, L, D, generator=g).to(device, dtype)  # (B, L, D)
    x.requires_grad_(backward)
    fns = {}
    for n in names:
        if n == MHA_REF:  # self-attention without weights, as PyTorch's fast path wants
            m, f = ref, functools.partial(ref, x, x, x, need_weights=False)
        else:
            m = MultiHeadAttention.from_torch(ref, kernel=n.removeprefix("ours-"))
            f = functools.partial(m.eval(), x)
        fns[n] = _call(f, [x, *m.parameters()], backward)
    return fns, mha_flops(B, L, L, D, backward=backward), MHA_REF


def _time(fns, rounds, min_run_time, timer=None):
    """Time the calls in turns after a first call that finds out-of-memory shapes."""
    errors = {}
    for name, fn in list(fns.items()):
        try:
            fn()  # first call: lazy initialisation; also finds out-of-memory shapes
        except torch.OutOfMemoryError:
            errors[name] = "out of memory"
            del fns[name]
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
    return compare(fns, rounds, min_run_time, timer=timer), errors


def _row(group, dtype, name, flops, ref, error):
    return {
        "section": group["section"],
        "sweep": group.get("sweep", False),
        "pass": group.get("pass", FORWARD),
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
        "error": error,
    }


def measure_group(
    group: dict, device, dtype, rounds: int = 3, min_run_time: float = 0.2, timer=None
) -> list:
    """Time (side by side) and measure the peak memory of every row of one group.

    Returns one dict per name of the group (see :func:`mhacourse.bench.run`'s
    ``"rows"``); ``ratio`` is the row's median over the reference row's
    (``ref``). A kernel that cannot run here gets a row with ``error`` set.
    ``timer``: the clock of :func:`mhacourse.bench.timing.compare` (default
    wall-clock time; ``time.process_time`` for CPU time on one thread).

    >>> from mhacourse.bench.suite import sweep_groups
    >>> group = sweep_groups([8], names=["vectorized", "sdpa"], E=4)[0]
    >>> rows = measure_group(group, torch.device("cpu"), torch.float32, 1, 0.001)
    >>> [(r["name"], r["ref"], r["pass"], r["median_s"] > 0) for r in rows]
    [('vectorized', 'sdpa', 'forward', True), ('sdpa', 'sdpa', 'forward', True)]
    >>> rows[1]["ratio"]
    1.0
    """
    make = _kernel_fns if group["section"] == "kernel" else _mha_fns
    backward = group.get("pass", FORWARD) == BOTH
    fns, flops, ref = make(group["shape"], group["names"], device, dtype, backward)
    times, errors = _time(fns, rounds, min_run_time, timer)
    rows = []
    for name in group["names"]:
        error = errors.get(name) or skip_reason(name, device.type)
        row = _row(group, dtype, name, flops, ref, error)
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
