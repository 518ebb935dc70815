"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import attend, mistake

SIZES = {"B": 2, "L": 5, "S": 7, "E": 4, "Ev": 6}


def _batched(gen, device, n=3):
    dtypes = [torch.float32, torch.float32, I.wide_dtype(device)]
    return [(b, dt) for b, dt in zip([(), (2,), (2, 3)], dtypes, strict=False)][:n]


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


Q2_MISTAKES = [
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
]


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


Q3_MISTAKES = [
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
]


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


Q4_MISTAKES = [
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
]


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


Q5_MISTAKES = [
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
]
