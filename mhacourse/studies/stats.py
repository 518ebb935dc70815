"""Intervals fit for the course's experiments: solved rates and bounded means.

A solved rate (k of n seeds) is a binomial proportion: its interval is Wilson's
score interval, which stays inside [0, 1] and is sensible at k = 0 or k = n,
where a normal (t) interval collapses or leaves [0, 1]. A mean of bounded,
possibly bimodal values (accuracies over seeds) gets a percentile bootstrap
interval, which also stays inside the range of the data.

>>> lo, hi = wilson_interval(7, 10)
>>> round(lo, 2), round(hi, 2)
(0.4, 0.89)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

__all__ = ["bootstrap_interval", "format_rate", "wilson_interval"]

# Two-sided normal quantiles for the confidence levels the chapters use.
_Z = {0.8: 1.2815515655446004, 0.9: 1.6448536269514722, 0.95: 1.959963984540054}


def _z(confidence: float) -> float:
    if confidence not in _Z:
        raise ValueError(f"confidence must be one of {sorted(_Z)}, got {confidence}")
    return _Z[confidence]


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion of ``k`` successes in ``n`` trials.

    Returns ``(low, high)``, both inside [0, 1]; with ``n = 0`` it is (0, 1).

    >>> wilson_interval(10, 10)[1]
    1.0
    >>> round(wilson_interval(0, 10)[1], 3)
    0.278
    """
    if not (isinstance(n, int) and isinstance(k, int)) or n < 0 or not 0 <= k <= n:
        raise ValueError(f"need integers 0 <= k <= n, got k={k!r}, n={n!r}")
    if n == 0:
        return 0.0, 1.0
    z, p = _z(confidence), k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # At k = 0 (k = n) the bound is exactly 0 (1); rounding would leave 1e-17.
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return lo, hi


def bootstrap_interval(
    values: Sequence[float] | torch.Tensor,
    confidence: float = 0.95,
    resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (N,).

    Deterministic for a given ``seed``; stays within [min(values), max(values)].

    >>> lo, hi = bootstrap_interval([0.0, 1.0, 1.0, 1.0])
    >>> 0.0 <= lo <= 0.75 <= hi <= 1.0
    True
    """
    x = torch.as_tensor(values, dtype=torch.float64).flatten()  # (N,)
    if x.numel() == 0:
        raise ValueError("values must not be empty")
    _z(confidence)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(x.numel(), (resamples, x.numel()), generator=g)  # (R, N)
    means = x[idx].mean(-1)  # (R,)
    tail = (1 - confidence) / 2
    lo, hi = torch.quantile(means, torch.tensor([tail, 1 - tail], dtype=torch.float64))
    return lo.item(), hi.item()


def format_rate(k: int, n: int, confidence: float = 0.95) -> str:
    """``'7/10 solved (95% Wilson interval 0.40 to 0.89)'``.

    >>> format_rate(3, 3)
    '3/3 solved (95% Wilson interval 0.44 to 1.00)'
    """
    lo, hi = wilson_interval(k, n, confidence)
    level = round(confidence * 100)
    return f"{k}/{n} solved ({level}% Wilson interval {lo:.2f} to {hi:.2f})"
