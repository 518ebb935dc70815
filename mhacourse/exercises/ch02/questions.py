"""Chapter 2 questions: the size of raw scores (predict), saturation (experiment).

>>> q1.reference
'b'
"""

from __future__ import annotations

import math

import torch

from ..core.figures import nearest
from ..core.mistakes import mistake
from ..core.questions import experiment, predict

__all__ = ["q1", "q6"]


def score_spread():
    """Run it: the standard deviation of q . k for random unit-variance q, k, E = 64."""
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(4000, 64, generator=gen, dtype=torch.float64)  # (n, E)
    k = torch.randn(4000, 64, generator=gen, dtype=torch.float64)  # (n, E)
    spread = (q * k).sum(dim=-1).std().item()  # one dot product per row
    return nearest(spread, {"a": 1.0, "b": 8.0, "c": 64.0})


q1 = predict(
    "ch02.q1",
    "Predict: how large are raw scores?",
    r"""
    The entries of $q$ and $k$ are independent, with mean 0 and variance 1, and
    $E = 64$. **Before running anything**, predict the standard deviation of the raw
    (unscaled) score $q \cdot k$:

    - `a`: about 1, like the entries;
    - `b`: about 8;
    - `c`: about 64.

    The check draws 4000 such pairs and measures it.
    """,
    score_spread,
    choices={"a": "about 1", "b": "about 8", "c": "about 64"},
    wrong={
        "a": "A dot product adds E = 64 products, each of variance 1: the variances "
        "add up. Only after dividing by sqrt(E) is the spread back to 1, which is "
        "why attention scales the scores.",
        "c": "64 is the *variance* of the score (E products of variance 1 add up). "
        "The standard deviation is its square root, sqrt(64) = 8.",
    },
    why="The score adds E = 64 independent products of variance 1, so its variance "
    "is 64 and its standard deviation sqrt(64) = 8.",
    hints=[
        "Each product q_j k_j has mean 0 and variance 1.",
        "Variances of independent terms add; the standard deviation is the square "
        "root of the variance.",
    ],
)


def saturation():
    """The mean, over 32 queries, of each query's largest weight, without scaling."""
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(32, 256, generator=gen)  # (L, E)
    k = torch.randn(32, 256, generator=gen)  # (S, E)
    # The experiment:
    weights = torch.softmax(q @ k.T, dim=-1)  # (L, S), unscaled scores
    return round(weights.amax(dim=-1).mean().item(), 2)


def _saturation(scale=1.0, dim=-1):
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(32, 256, generator=gen), torch.randn(32, 256, generator=gen)
    weights = torch.softmax(q @ k.T * scale, dim=dim)  # (L, S)
    return round(weights.amax(dim=-1).mean().item(), 2)


def _scaled_saturation():
    return _saturation(1 / math.sqrt(256))


q6 = experiment(
    "ch02.q6",
    "Experiment: a softmax that saturates",
    r"""
    The stub draws 32 queries and 32 keys with $E = 256$. Compute the attention
    weights **without** the $1/\sqrt{E}$ scaling, take each query's largest weight,
    and report their mean, rounded to 2 decimals. Then try it with the scaling
    (not checked): how does the largest weight change, and what does that do to
    the gradients?
    """,
    saturation,
    rtol=0.0,
    atol=0.011,
    mistakes=[
        mistake(
            "scaled",
            _scaled_saturation,
            message="That is the value *with* the 1/sqrt(E) scaling. This experiment "
            "asks for the raw scores q @ k.T, to see the softmax saturate.",
        ),
        mistake(
            "mean_weight",
            lambda: round(1 / 32, 2),
            message="That is the mean of *all* the weights, 1/32 whatever the "
            "scores: each row sums to 1. Take each query's largest weight first, "
            "weights.amax(dim=-1), then the mean.",
        ),
        mistake(
            "softmax_wrong_axis",
            lambda: _saturation(dim=0),
            message="Your softmax ran over the queries (dim=0). Each query's "
            "weights are a row: softmax(q @ k.T, dim=-1), then each row's largest.",
        ),
        mistake(
            "percent",
            lambda: 100 * saturation(),
            message="That is a percentage. Give the mean largest weight as a "
            "fraction between 0 and 1.",
        ),
        mistake(
            "smallest",
            lambda: 0.0,
            message="Nearly 0 is the *smallest* weight of a saturated row. Take the "
            "largest: weights.amax(dim=-1), then the mean over the queries.",
        ),
    ],
    hints=[
        "`weights = torch.softmax(q @ k.T, dim=-1)` has shape (32, 32).",
        "`weights.amax(dim=-1).mean().item()`, then `round(..., 2)`.",
    ],
)
