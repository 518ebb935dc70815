"""Chapter 1's "write this function" exercises: q1, q2, q4, q5.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`.
"""

from __future__ import annotations

import torch

from ..core.exercise import Exercise
from ..core.mistakes import mistake
from .cases import (
    _NO_KEEPDIM,
    Q1_MORE,
    Q2_MISTAKES,
    Q4_MORE,
    Q5_MISTAKES,
    _exp_over,
    _hard,
    _hard_lookup_cases,
    _softmax_cases,
    _weight_cases,
)


# q1 -----------------------------------------------------------------------------------
def softmax(x, dim=-1):
    """Softmax of ``x`` along ``dim``, without calling torch.softmax.

    x: a tensor of any shape. Returns a tensor of the same shape whose
    entries are positive and sum to 1 along ``dim``.

    >>> softmax(torch.tensor([0.0, 0.0]))
    tensor([0.5000, 0.5000])
    """
    shifted = x - x.amax(dim=dim, keepdim=True)  # same shape; the max is now 0
    exps = shifted.exp()  # every exponent is <= 0: exp never overflows
    return exps / exps.sum(dim=dim, keepdim=True)  # same shape as x


q1 = Exercise(
    "ch01.q1",
    "Softmax from scratch",
    r"""
    Write `softmax(x, dim=-1)`: exponentiate, then divide by the sum along `dim`, so
    that the entries along
    `dim` are positive and sum to 1. Do not call `torch.softmax`.

    Make it *numerically stable*: $e^{100}$ already overflows in float32. Subtracting
    the maximum along `dim`
    first changes nothing mathematically, since
    $\mathrm{softmax}(x - c) = \mathrm{softmax}(x)$, but keeps
    every exponent at most 0.
    """,
    softmax,
    cases=_softmax_cases,
    forbid=("softmax", "log_softmax"),
    hints=[
        "Use `x.amax(dim=dim, keepdim=True)` for the maximum and "
        "`.sum(dim=dim, keepdim=True)` for the sum.",
        "`keepdim=True` keeps the reduced dim with size 1, so the division broadcasts "
        "along the right axis.",
        "`exps = (x - x.amax(dim=dim, keepdim=True)).exp()`, then "
        "`exps / exps.sum(dim=dim, keepdim=True)`.",
    ],
    mistakes=[
        mistake(
            "mean_shift",
            lambda x, dim=-1: _exp_over(
                x - x.mean(dim, keepdim=True), dim, lambda e: e.sum(dim, keepdim=True)
            ),
            message="You shifted by the mean: on a row that spans more than about "
            "180 (exp(89) is inf in float32), the largest score is still far above "
            "it and overflows. Shift by the max (x.amax(dim=dim, keepdim=True)): "
            "then every exponent is at most 0.",
        ),
        mistake(
            "no_max_shift",
            lambda x, dim=-1: _exp_over(x, dim, lambda e: e.sum(dim=dim, keepdim=True)),
            message="Your softmax overflows on large inputs: exp(100) is inf in "
            "float32, and inf / inf is "
            "NaN. Subtract the max along `dim` first (x - x.amax(dim=dim, "
            "keepdim=True)).",
        ),
        mistake(
            "no_keepdim",
            lambda x, dim=-1: _exp_over(x - x.amax(dim), dim, lambda e: e.sum(dim)),
            message=_NO_KEEPDIM,
        ),
        mistake(
            "no_keepdim_sum",
            lambda x, dim=-1: _exp_over(
                x - x.amax(dim, True), dim, lambda e: e.sum(dim)
            ),
            message=_NO_KEEPDIM,
        ),
        mistake(
            "ignored_dim",
            lambda x, dim=-1: softmax(x, -1),
            message="Your function ignores its `dim` argument and always uses the last "
            "dim. "
            "Use `dim=dim` in `amax` and `sum`.",
        ),
        mistake(
            "softmax_wrong_axis",
            lambda x, dim=-1: softmax(x, 0 if dim % x.dim() != 0 else -1),
            message="Your entries sum to 1 along another dim than `dim`. Reduce along "
            "`dim=dim`.",
        ),
        mistake(
            "sum_of_everything",
            lambda x, dim=-1: _exp_over(x - x.amax(), dim, lambda e: e.sum()),
            message="You divided by the sum of the whole tensor. Divide by the sum "
            "along `dim` "
            "(with keepdim=True), so that each slice sums to 1.",
        ),
        mistake(
            "not_normalised",
            lambda x, dim=-1: (x - x.amax(dim, keepdim=True)).exp(),
            message="You forgot to divide by the sum: the entries must sum to 1 along "
            "`dim`.",
        ),
        *Q1_MORE,
    ],
)


# q2 -----------------------------------------------------------------------------------
def by_hand_output():
    """The output of the lookup in the statement, computed step by step."""
    q = torch.tensor([1.0, 2.0])
    keys = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (S, E) = (3, 2)
    values = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])  # (S, Ev) = (3, 2)
    scores = keys @ q  # (3,): 1, 2, 3
    weights = scores.exp() / scores.exp().sum()  # (3,): about 0.090, 0.245, 0.665
    return weights @ values  # (2,): about (1.420, 1.575)


q2 = Exercise(
    "ch01.q2",
    "One lookup by hand",
    r"""
    A query $q = (1, 2)$ looks up a memory of three key-value pairs:

    | | key | value |
    | --- | --- | --- |
    | 1 | $(1, 0)$ | $(1, 0)$ |
    | 2 | $(0, 1)$ | $(0, 1)$ |
    | 3 | $(1, 1)$ | $(2, 2)$ |

    Score each key with the dot product $q \cdot k_j$ (no scaling), turn the three
    scores into weights with a
    softmax, and take the weighted sum of the values. Do it by hand (a calculator for
    $e^x$ is fine) and write
    the output as a tensor of two numbers, to 3 decimals.
    """,
    by_hand_output,
    atol=2e-3,
    rtol=0.0,
    stub="# The output of the lookup, to 3 decimals, e.g. torch.tensor([0.123, "
    "4.567])\nby_hand_output = ...\n",
    check_code="ex.q2.check(by_hand_output)",
    hints=[
        "The scores are 1, 2 and 3. The weights are $e^{s_j} / (e^1 + e^2 + e^3)$.",
        "The weights are about 0.090, 0.245 and 0.665. Now add up weight times value, "
        "one coordinate at a time.",
    ],
    mistakes=Q2_MISTAKES,
)


# q3 -----------------------------------------------------------------------------------
def soft_lookup(q, k, v, temperature=1.0):
    """Soft lookup: every query takes a weighted average of the values.

    q: queries (..., L, E); k: keys (..., S, E); v: values (..., S, Ev).
    The weights are softmax(q k^T / temperature) over the keys.
    Returns ``(out, weights)``: out (..., L, Ev), weights (..., L, S).
    """
    scores = q @ k.transpose(-2, -1) / temperature  # (..., L, S)
    weights = torch.softmax(scores, dim=-1)  # (..., L, S): each row sums to 1
    return weights @ v, weights  # (..., L, Ev), (..., L, S)


# q4 -----------------------------------------------------------------------------------
def hard_lookup(q, k, v):
    """Hard lookup: each query returns the value of its best-matching key.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev). Returns (..., L, Ev):
    row i is the value v_j of the key j with the largest score q_i . k_j.
    """
    scores = q @ k.transpose(-2, -1)  # (..., L, S)
    best = scores.argmax(dim=-1)  # (..., L): index of each query's best key
    # One-hot rows (..., L, S): a single 1 per query, at its best key.
    pick = torch.nn.functional.one_hot(best, k.shape[-2]).to(v.dtype)
    return pick @ v  # (..., L, Ev)


q4 = Exercise(
    "ch01.q4",
    "Hard lookup",
    r"""
    A Python dictionary does a *hard* lookup: it returns exactly one value. Write
    `hard_lookup(q, k, v)`,
    which returns for each query the value of the key with the largest score
    $q_i \cdot k_j$, with the same
    shapes as the chapter's soft lookup: `q` (..., L, E), `k` (..., S, E), `v` (..., S,
    Ev), output (..., L, Ev).

    This is the limit of the soft lookup as the temperature goes to 0. Unlike it, it
    has no useful gradient,
    which is why attention uses the soft version.
    """,
    hard_lookup,
    cases=_hard_lookup_cases,
    hints=[
        "`scores.argmax(dim=-1)` gives, for each query, the index of its best key.",
        "Turn the indices into one-hot rows with "
        "`torch.nn.functional.one_hot(best, S)` and multiply with "
        "`v`, or pick the rows with `torch.gather`.",
    ],
    mistakes=[
        mistake(
            "argmin",
            _hard(lambda s: s.argmin(-1)),
            message="You picked the *worst* key (argmin). The best "
            "match has the largest score: use argmax.",
        ),
        mistake(
            "returned_key",
            _hard(lambda s: s.argmax(-1), lambda k, v: k),
            message="You returned the best key. A lookup returns the *value* stored "
            "under that key.",
        ),
        mistake(
            "soft_instead",
            lambda q, k, v: soft_lookup(q, k, v)[0],
            message="That is the soft lookup. Here each query returns only its single "
            "best value.",
        ),
        *Q4_MORE,
    ],
)


# q5 -----------------------------------------------------------------------------------
def entropy(weights):
    """Entropy, in nats, of each row of attention weights.

    weights: (..., L, S), each row a probability distribution over the keys.
    Returns (..., L): -sum_j w_j log w_j, where 0 log 0 counts as 0.

    >>> entropy(torch.tensor([[0.5, 0.5], [0.25, 0.75]]))
    tensor([0.6931, 0.5623])
    """
    return -torch.special.xlogy(weights, weights).sum(dim=-1)  # (..., L)


q5 = Exercise(
    "ch01.q5",
    "How peaked are the weights?",
    r"""
    The entropy $H(w) = -\sum_j w_j \log w_j$ of a row of attention weights measures
    how spread out it is: 0 for
    a hard lookup (one weight is 1), $\log S$ for uniform weights over $S$ keys. Write
    `entropy(weights)` for
    weights of shape (..., L, S); it returns the entropy of every row, shape (..., L),
    in nats (natural log).

    Masked keys get weight exactly 0, and $0 \log 0$ counts as 0.
    """,
    entropy,
    cases=_weight_cases,
    hints=[
        "Sum over the keys: the last dim.",
        "`0 * torch.log(0)` is `0 * -inf = nan`. `torch.special.xlogy(w, w)` computes "
        "w log w and gives 0 "
        "where w is 0.",
    ],
    mistakes=Q5_MISTAKES,
)
