"""Measure the peak extra memory of one call, on the CPU or on a CUDA GPU.

"Extra" means: bytes allocated while the call runs, above what was already
allocated when it started, at the worst moment (the output counts, since it
is alive at the end). Two honest sources of truth:

* CUDA: the caching allocator's own peak counter
  (``torch.cuda.max_memory_allocated``) after resetting it.
* CPU: PyTorch keeps no such counter, so we record every allocation and free
  of the CPU allocator with ``torch.profiler`` (``profile_memory=True``),
  replay them in time order and take the largest running total.

Both see every tensor PyTorch allocates, including the scratch buffers inside
fused kernels such as ``F.scaled_dot_product_attention``.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

import torch

__all__ = ["peak_memory", "replay_peak"]


def replay_peak(deltas) -> int:
    """The largest running total of a time-ordered sequence of byte deltas (at least 0).

    ``deltas`` are positive for an allocation and negative for a free.

    >>> replay_peak([100, 50, -100, 30, -80])
    150
    >>> replay_peak([-10, 5])
    0
    """
    total = peak = 0
    for d in deltas:
        total += d
        peak = max(peak, total)
    return peak


@contextmanager
def _quiet_native_stderr():
    """Silence the profiler's start/stop lines, which C++ writes straight to fd 2."""
    try:
        fd = sys.__stderr__.fileno()
    except (
        AttributeError,
        OSError,
        ValueError,
    ):  # no real stderr (some embedded interpreters)
        yield
        return
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def _cpu_peak(fn) -> int:
    from torch.profiler import ProfilerActivity, profile

    activities = [ProfilerActivity.CPU]
    with (
        _quiet_native_stderr(),
        profile(activities=activities, profile_memory=True) as prof,
    ):
        result = fn()  # keep the result alive until the profile ends: outputs count
        del result
    events = [
        e
        for e in prof.profiler.kineto_results.events()
        if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
    ]
    events.sort(key=lambda e: e.start_ns())
    return replay_peak(e.nbytes() for e in events)


def _cuda_peak(fn, device: torch.device) -> int:
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    result = fn()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - base
    del result
    return max(0, peak)


def peak_memory(fn, device="cpu") -> int:
    """Peak extra bytes allocated on ``device`` while ``fn()`` runs.

    Args:
        fn: a callable with no arguments, e.g. ``lambda: kernel(q, k, v)``.
        device: "cpu" or a CUDA device; where to count allocations.

    Returns:
        The peak number of bytes allocated above the starting point,
        outputs included. Run ``fn`` once before to exclude one-time
        allocations (lazy initialisation, caches).

    >>> x = torch.randn(256, 256)  # 256 KiB in float32
    >>> peak_memory(lambda: x @ x) >= 256 * 256 * 4
    True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return _cuda_peak(fn, device)
    if device.type == "cpu":
        return _cpu_peak(fn)
    raise ValueError(
        f"device must be 'cpu' or a CUDA device, got device={str(device)!r}"
    )
