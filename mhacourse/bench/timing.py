"""Timing several functions side by side, fairly, on a busy machine.

On a shared machine the load changes from second to second. Timing function
A for ten seconds and then function B for ten seconds lets the load decide
the winner. Instead we take turns: in each round every function is timed
with ``torch.utils.benchmark.Timer.blocked_autorange`` (which also
synchronises CUDA around each block), and the per-run times of all rounds are
pooled. The median of the pool is robust to the odd slow run.
"""

from __future__ import annotations

import statistics

from torch.utils.benchmark import Timer

__all__ = ["compare", "format_time"]


def compare(
    fns, rounds: int = 3, min_run_time: float = 0.2, warmup: int = 1, timer=None
) -> dict:
    """Median seconds per call of each zero-argument callable, timed in turns.

    Args:
        fns: dict name -> callable with no arguments.
        rounds: how many times to go round all the functions.
        min_run_time: seconds spent on each function per round (at least one
            call is always made, however slow).
        warmup: untimed calls of each function first (lazy initialisation,
            CUDA kernels' first launch, allocator caches). A function whose
            warm-up call alone takes ``min_run_time`` is then timed with one
            call per round instead of a block of calls.
        timer: the clock, a function returning seconds; default
            ``time.perf_counter`` (wall-clock time). ``time.process_time``
            counts only the CPU time this process used: on a machine shared
            with other work, it leaves out the time a single-threaded call
            spent waiting for a core (multi-threaded calls add up the time
            of all their threads, so use it with one thread).

    Returns:
        dict name -> {"median_s": float, "samples_s": list of per-call times}.
        ``median_s`` is exactly ``statistics.median(samples_s)``.

    >>> r = compare({"sum": lambda: sum(range(100))}, rounds=2, min_run_time=0.01)
    >>> r["sum"]["median_s"] == statistics.median(r["sum"]["samples_s"]) > 0
    True
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got rounds={rounds}")
    clock = {} if timer is None else {"timer": timer}
    timers = {
        name: Timer("fn()", globals={"fn": fn}, **clock) for name, fn in fns.items()
    }
    slow = set()
    for name, timer in timers.items():
        for _ in range(warmup):
            if timer.timeit(1).times[0] >= min_run_time:
                slow.add(name)  # one call already fills the round: time single calls
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, timer in timers.items():
            m = (
                timer.timeit(1)
                if name in slow
                else timer.blocked_autorange(min_run_time=min_run_time)
            )
            samples[name].extend(m.times)
    return {
        name: {"median_s": statistics.median(s), "samples_s": s}
        for name, s in samples.items()
    }


def format_time(seconds: float) -> str:
    """A duration with a unit chosen to show three or four digits.

    >>> format_time(2.5e-5), format_time(0.0123), format_time(3.0)
    ('25.0 µs', '12.3 ms', '3.00 s')
    """
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.2f} {unit}" if value < 10 else f"{value:.1f} {unit}"
    return f"{seconds / 1e-9:.0f} ns"
