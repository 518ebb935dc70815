"""Chapter 2's "write this function" exercises: q2, q3, q4, q5.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`.
"""

from __future__ import annotations

import math

import torch

from ..core.exercise import Exercise
from .cases import (
    Q2_MISTAKES,
    Q3_MISTAKES,
    Q4_MISTAKES,
    _one_query_cases,
    _relu_cases,
    _sdpa_cases,
)
from .mask_cases import Q5_MISTAKES, _mask_cases

# q1 -----------------------------------------------------------------------------------


# q2 -----------------------------------------------------------------------------------
def scaled_dot_product_attention(q, k, v, mask=None):
    """Scaled dot-product attention with an optional boolean mask.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev); mask: bool, broadcastable
    to (..., L, S), True = may attend. Returns ``(out, weights)``: out
    (..., L, Ev) and weights (..., L, S). A query that may attend to no key
    gets zero weights and a zero output.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # blocked: weight 0
    weights = torch.softmax(scores, dim=-1)  # (..., L, S); NaN where all blocked
    if mask is not None:
        sees_a_key = mask.any(dim=-1, keepdim=True)  # (..., L, 1)
        weights = weights.masked_fill(~sees_a_key, 0.0)  # those rows: zeros
    return weights @ v, weights  # (..., L, Ev), (..., L, S)


q2 = Exercise(
    "ch02.q2",
    "Scaled dot-product attention",
    r"""
    Write `scaled_dot_product_attention(q, k, v, mask=None)`:

    $$\mathrm{weights} = \mathrm{softmax}\!\left(\frac{q k^\top}{\sqrt{E}}\right),
    \qquad
    \mathrm{out} = \mathrm{weights}\; v,$$

    with the softmax over the keys. Shapes: `q` (..., L, E), `k` (..., S, E), `v` (...,
    S, Ev); return
    `(out, weights)` with `out` (..., L, Ev) and `weights` (..., L, S).

    The optional `mask` is a bool tensor that broadcasts to (..., L, S); **True means
    "may attend"**. A blocked
    key must get weight exactly 0, and a query whose keys are *all* blocked must get
    zero weights and a zero
    output (not NaN).
    """,
    scaled_dot_product_attention,
    cases=_sdpa_cases,
    outputs=("out", "weights"),
    hints=[
        "Scores: `q @ k.transpose(-2, -1) / math.sqrt(E)`, with E = `q.shape[-1]`. "
        "Softmax with `dim=-1`.",
        "Block keys *before* the softmax: `scores.masked_fill(~mask, float('-inf'))`.",
        "A row of all -inf gives NaN after the softmax. Find such rows with "
        "`mask.any(dim=-1, keepdim=True)` "
        "and set their weights to 0 with `masked_fill`.",
    ],
    mistakes=Q2_MISTAKES,
)


# q3 -----------------------------------------------------------------------------------
def relu_attention(q, k, v):
    """Attention that normalises ReLU(scores) instead of taking a softmax.

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev). Returns ``(out, weights)``:
    weights (..., L, S) are relu(scaled scores) divided by their row sum (a
    row whose scores are all <= 0 gets zero weights) and out = weights @ v.
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, S)
    positive = torch.relu(scores)  # (..., L, S)
    total = positive.sum(dim=-1, keepdim=True)  # (..., L, 1); 0 if all <= 0
    weights = positive / total.clamp_min(1e-12)  # (..., L, S); such rows stay 0
    return weights @ v, weights  # (..., L, Ev), (..., L, S)


q3 = Exercise(
    "ch02.q3",
    "Normalising with ReLU instead of softmax",
    r"""
    The softmax is one way to turn scores into weights. Another: keep the positive part
    of each score and
    divide by the row's sum. Write `relu_attention(q, k, v)` returning `(out, weights)`
    with

    $$w_{ij} = \frac{\mathrm{relu}(s_{ij})}{\sum_{j'} \mathrm{relu}(s_{ij'})}, \qquad s
    = \frac{q k^\top}{\sqrt{E}},$$

    and `out = weights @ v`, same shapes as in the previous exercise. When all of a
    query's scores are
    $\le 0$ the sum is 0: give that query zero weights (and so a zero output), not NaN.
    """,
    relu_attention,
    cases=_relu_cases,
    outputs=("out", "weights"),
    hints=[
        "`torch.relu(scores)`, then divide by `.sum(dim=-1, keepdim=True)`.",
        "To avoid 0/0, divide by `total.clamp_min(1e-12)`: a row of zeros stays zeros.",
        "Does the 1/sqrt(E) scale change these weights? Try it.",
    ],
    mistakes=Q3_MISTAKES,
)


# q4 -----------------------------------------------------------------------------------
def attend_one_query(q_i, k, v):
    """Attention for one query, as a loop over the keys.

    q_i: one query (E,); k: keys (S, E); v: values (S, Ev). Returns its output (Ev,).
    """
    E, S = q_i.shape[0], k.shape[0]
    scores = torch.stack([q_i @ k[j] for j in range(S)]) / math.sqrt(E)  # (S,)
    weights = torch.softmax(scores, dim=0)  # (S,): sums to 1
    out = torch.zeros_like(v[0])  # (Ev,)
    for j in range(S):
        out = out + weights[j] * v[j]  # add value j, weighted
    return out


q4 = Exercise(
    "ch02.q4",
    "One query at a time",
    r"""
    The loop version of attention handles one query at a time, and is the best way to
    see what happens.
    Write `attend_one_query(q_i, k, v)` for a single query `q_i` of shape (E,), keys
    `k` (S, E) and values
    `v` (S, Ev): score the query against each key ($q_i \cdot k_j / \sqrt{E}$), softmax
    the S scores, and
    return the weighted sum of the values, shape (Ev,). Loops are welcome here.
    """,
    attend_one_query,
    cases=_one_query_cases,
    hints=[
        "`q_i @ k[j]` is the dot product with key j; `torch.stack` turns a list of "
        "scores into a tensor.",
        "The output is `sum_j weights[j] * v[j]`, which is also `weights @ v`.",
    ],
    mistakes=Q4_MISTAKES,
)


# q5 -----------------------------------------------------------------------------------
def mask_scores(scores, mask):
    """Block the scores where the mask is False.

    scores: (..., L, S); mask: bool, broadcastable to (..., L, S), True = may
    attend. Returns the scores with -inf wherever the mask is False.
    """
    return scores.masked_fill(~mask, float("-inf"))  # (..., L, S)


q5 = Exercise(
    "ch02.q5",
    "Masking the scores",
    r"""
    Write `mask_scores(scores, mask)`: return a copy of `scores` (..., L, S) with
    $-\infty$ wherever the bool
    `mask` is False; `mask` broadcasts to the scores' shape, and True means "may
    attend". After a softmax,
    a score of $-\infty$ becomes a weight of exactly 0.
    """,
    mask_scores,
    cases=_mask_cases,
    hints=[
        "`Tensor.masked_fill(where, value)` writes `value` where `where` is True.",
        "You want -inf where the mask is *False*: fill where `~mask`, with "
        "`float('-inf')`.",
    ],
    mistakes=Q5_MISTAKES,
)
