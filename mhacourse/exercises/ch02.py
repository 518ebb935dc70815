"""Exercises for chapter 2, scaled dot-product attention.

q1 predict: how large raw scores are, q2 scaled dot-product attention with a
mask (the core), q3 ReLU instead of softmax, q4 one query as a loop, q5 masking
scores, q6 experiment: a softmax that saturates.

>>> from mhacourse.exercises import ch02
>>> ch02.q2.id, ch02.q2.reference.__name__
('ch02.q2', 'scaled_dot_product_attention')
"""

from __future__ import annotations

import math

import torch

from . import inputs as I
from .exercise import Exercise
from .mistakes import attend, mistake
from .questions.ch02 import q1, q6

SIZES = {"B": 2, "L": 5, "S": 7, "E": 4, "Ev": 6}


# q1 -----------------------------------------------------------------------------------
def _batched(gen, device, n=3):
    dtypes = [torch.float32, torch.float32, I.wide_dtype(device)]
    return [(b, dt) for b, dt in zip([(), (2,), (2, 3)], dtypes, strict=False)][:n]


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


def _sdpa_cases(gen, device):
    wide = I.wide_dtype(device)
    note = "some queries may attend to no key"
    return [
        I.Case(I.qkv(gen, (), device), sizes=SIZES),
        I.Case(
            (*I.qkv(gen, (2,), device), I.rand_mask(gen, (5, 7), device)), sizes=SIZES
        ),
        I.Case(
            (
                *I.qkv(gen, (2, 3), device, wide),
                I.rand_mask(gen, (2, 1, 5, 7), device, blocked_rows=1),
            ),
            sizes=SIZES,
            note=note,
        ),
        I.Case(
            (
                *I.qkv(gen, (2,), device),
                I.rand_mask(gen, (2, 5, 7), device, blocked_rows=2),
            ),
            sizes=SIZES,
            note=note,
        ),
    ]


def _attend(**kw):
    return lambda q, k, v, mask=None: attend(q, k, v, mask, **kw)


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
    mistakes=[
        mistake("softmax_wrong_axis", _attend(axis=-2)),
        mistake("no_scaling", _attend(scale=None)),
        mistake("scale_by_e", _attend(scale="E")),
        mistake(
            "scale_by_sqrt_ev",
            lambda q, k, v, mask=None: attend(
                q, k, v, mask, scale=1 / math.sqrt(v.shape[-1])
            ),
        ),
        mistake("mask_polarity", _attend(masking="reversed")),
        mistake("mask_after_softmax", _attend(masking="after")),
        mistake("nan_masked_rows", _attend(masking="nan")),
        mistake("finite_fill", _attend(masking="finite")),
    ],
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


def _relu_cases(gen, device):
    cases = []
    for batch, dtype in _batched(gen, device):
        q, k, v = I.qkv(gen, batch, device, dtype)
        q[..., 0, :] = 0.0  # query 0 scores 0 against every key
        cases.append(I.Case((q, k, v), sizes=SIZES, note="query 0 is all zeros"))
    return cases


def _relu(norm):
    def wrong(q, k, v):
        w = norm(
            torch.relu(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]))
        )  # (..., L, S)
        return w @ v, w

    return wrong


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
    mistakes=[
        mistake(
            "softmax_instead",
            lambda q, k, v: attend(q, k, v),
            message="That is softmax attention. Here "
            "the weights are relu(scores) divided by their row sum.",
        ),
        mistake(
            "not_normalised",
            _relu(lambda r: r),
            message="The weights must sum to 1 over the keys: divide "
            "relu(scores) by its sum over the last dim.",
        ),
        mistake(
            "nan_zero_rows",
            _relu(lambda r: r / r.sum(-1, keepdim=True)),
            message="NaN for a query whose "
            "scores are all <= 0: its relu row sums to 0, and 0/0 is NaN. Divide by "
            "`total.clamp_min(1e-12)` so such rows stay 0.",
        ),
        mistake(
            "wrong_axis",
            _relu(lambda r: r / r.sum(-2, keepdim=True).clamp_min(1e-12)),
            message="You divided by the sum over the queries (dim=-2). Each query's "
            "weights must sum to 1 "
            "over the keys: sum over dim=-1.",
        ),
    ],
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


def _one_query_cases(gen, device):
    dtypes = [torch.float32, torch.float32, I.wide_dtype(device)]
    return [
        I.Case((q[0], k, v), sizes=SIZES)
        for q, k, v in (I.qkv(gen, (), device, dt) for dt in dtypes)
    ]


def _one(
    scale=lambda E, Ev: 1 / math.sqrt(E),
    norm=lambda s: torch.softmax(s, 0),
    weights_only=False,
):
    def wrong(q_i, k, v):
        w = norm(k @ q_i * scale(q_i.shape[0], v.shape[-1]))  # (S,)
        return w if weights_only else w @ v

    return wrong


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
    mistakes=[
        mistake("no_scaling", _one(scale=lambda E, Ev: 1.0)),
        mistake("scale_by_sqrt_ev", _one(scale=lambda E, Ev: 1 / math.sqrt(Ev))),
        mistake(
            "returned_weights",
            _one(weights_only=True),
            message="You returned the weights. The output is "
            "the weighted sum of the values: `weights @ v`, shape (Ev,).",
        ),
        mistake(
            "no_softmax",
            _one(norm=lambda s: s),
            message="The scores must become weights through a "
            "softmax before they weight the values.",
        ),
    ],
)


# q5 -----------------------------------------------------------------------------------
def mask_scores(scores, mask):
    """Block the scores where the mask is False.

    scores: (..., L, S); mask: bool, broadcastable to (..., L, S), True = may
    attend. Returns the scores with -inf wherever the mask is False.
    """
    return scores.masked_fill(~mask, float("-inf"))  # (..., L, S)


def _mask_cases(gen, device):
    return [
        I.Case(
            (I.randn(gen, (5, 7), device), I.rand_mask(gen, (5, 7), device)),
            sizes=SIZES,
        ),
        I.Case(
            (I.randn(gen, (2, 3, 5, 7), device), I.rand_mask(gen, (5, 7), device)),
            sizes=SIZES,
        ),
        I.Case(
            (
                I.randn(gen, (2, 5, 7), device, I.wide_dtype(device)),
                I.rand_mask(gen, (2, 1, 7), device),
            ),
            sizes=SIZES,
        ),
    ]


def _finite_fill(got, expected, case):
    blocked = torch.isinf(expected)
    return bool(
        blocked.any()
        and (got[blocked] < -1e3).all()
        and torch.isfinite(got[blocked]).all()
        and torch.equal(got[~blocked], expected[~blocked])
    )


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
    mistakes=[
        mistake("mask_polarity", lambda s, m: s.masked_fill(m, float("-inf"))),
        mistake(
            "zero_fill",
            lambda s, m: s * m,
            message="The blocked scores became 0 (from scores * mask or a "
            "fill with 0). After a softmax a score of 0 still gets weight e^0 > 0: "
            "fill with -inf.",
        ),
        mistake(
            "inf_times_zero",
            lambda s, m: s + (~m).to(s.dtype) * float("-inf"),
            message="NaN at allowed "
            "positions: 0 * (-inf) is NaN, so adding `(~mask) * -inf` poisons the "
            "allowed scores. "
            "Use masked_fill.",
        ),
        mistake(
            "finite_fill",
            detect=_finite_fill,
            message="You filled the blocked scores with a large finite "
            "number. Use float('-inf') here: the blocked keys then get exactly 0 "
            "weight, and a query with "
            "no allowed key stays easy to detect.",
        ),
    ],
)

EXERCISES = [q1, q2, q3, q4, q5, q6]
