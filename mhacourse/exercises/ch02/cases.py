"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import attend, mistake

#: The note of a case on the ``meta`` device (shapes, no values). It comes last:
#: on ``meta`` only shapes, dtypes and devices are compared.
META = "on device 'meta': does your code follow the inputs' device?"

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
        I.Case(  # last: on meta only shapes, dtype and device are compared
            (*I.qkv(gen, (2,), "meta"), I.rand_mask(gen, (2, 5, 7), "meta")),
            sizes=SIZES,
            note=META,
        ),
    ]


def _attend(**kw):
    return lambda q, k, v, mask=None: attend(q, k, v, mask, **kw)


def _scaled_after(q, k, v, mask=None):
    _, w = attend(q, k, v, mask, scale=None)  # (..., L, S), unscaled scores
    w = w / math.sqrt(q.shape[-1])  # the weights scaled instead
    return w @ v, w


def _zeroed_too_late(q, k, v, mask=None):
    out, w = attend(q, k, v, mask, masking="nan")  # NaN rows where all blocked
    return out, w.nan_to_num(0.0)  # the weights fixed, the output not


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
    mistake(
        "scale_by_sqrt_s",
        lambda q, k, v, mask=None: attend(
            q, k, v, mask, scale=1 / math.sqrt(k.shape[-2])
        ),
        message="You scaled by 1/sqrt(S), the number of keys. The scale comes from "
        "the dot products, which have E terms each: divide by sqrt(q.shape[-1]).",
    ),
    mistake(
        "scaled_after_softmax",
        _scaled_after,
        message="You divided the *weights* by sqrt(E), after the softmax: they no "
        "longer sum to 1. Scale the scores, before the softmax: "
        "softmax(q @ k^T / sqrt(E)).",
    ),
    mistake(
        "output_not_zeroed",
        _zeroed_too_late,
        message="Your weights are fixed for the queries that may attend to no key, "
        "but the output was computed from the NaN weights before the fix. Zero the "
        "weights first, then take weights @ v.",
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
    return [*cases, I.Case(I.qkv(gen, (2,), "meta"), sizes=SIZES, note=META)]


def _relu(norm, keep=torch.relu):
    def wrong(q, k, v):
        w = norm(keep(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])))  # (..., L, S)
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
    mistake(
        "softmax_of_relu",
        _relu(lambda r: torch.softmax(r, -1)),
        message="You took a softmax of relu(scores). Here the softmax is replaced, "
        "not kept: divide relu(scores) by its sum over the keys.",
    ),
    mistake(
        "abs_not_relu",
        _relu(lambda r: r / r.sum(-1, keepdim=True).clamp_min(1e-12), torch.abs),
        message="You kept |score| (abs), so a negative score counts as much as a "
        "positive one. relu keeps the positive part and sets negative scores to 0: "
        "torch.relu(scores).",
    ),
    mistake(
        "uniform_zero_rows",
        detect=lambda got, expected, case: _uniform_where_zero(got, case),
        message="A query whose scores are all <= 0 got (about) equal weights 1/S "
        "over the keys: a small number added to every weight spreads them. The "
        "statement asks for zero weights there: divide relu(scores) by "
        "`total.clamp_min(1e-12)` and add nothing to the numerator.",
    ),
]


def _uniform_where_zero(got, case):
    """True if query 0 (all zeros: no positive score) got uniform weights."""
    weights = got[1] if isinstance(got, (tuple, list)) and len(got) == 2 else None
    if not isinstance(weights, torch.Tensor) or weights.shape[-1] < 2:
        return False
    row = weights[..., 0, :].double()  # (..., S)
    return bool(torch.allclose(row, torch.full_like(row, 1 / row.shape[-1]), atol=1e-3))


def _one_query_cases(gen, device):
    dtypes = [torch.float32, torch.float32, I.wide_dtype(device)]
    q, k, v = I.qkv(gen, (), "meta")  # last: on meta only shapes, dtype, device
    return [
        *(
            I.Case((q[0], k, v), sizes=SIZES)
            for q, k, v in (I.qkv(gen, (), device, dt) for dt in dtypes)
        ),
        I.Case((q[0], k, v), sizes=SIZES, note=META),
    ]


def _one(
    scale=lambda E, Ev: 1 / math.sqrt(E),
    norm=lambda s: torch.softmax(s, 0),
    weights_only=False,
    keys=slice(None),
):
    def wrong(q_i, k, v):
        w = norm(k @ q_i * scale(q_i.shape[0], v.shape[-1]))  # (S,)
        return w if weights_only else w[keys] @ v[keys]

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
    mistake("scale_by_e", _one(scale=lambda E, Ev: 1 / E)),
    mistake(
        "overwrote_sum",
        _one(keys=slice(-1, None)),
        message="Your output is only the last key's term, weights[S-1] * v[S-1]: "
        "the loop overwrote the sum (`out = ...`) instead of adding to it. Start "
        "from `out = torch.zeros_like(v[0])` and write `out = out + weights[j] * "
        "v[j]`.",
    ),
    mistake(
        "missed_last_key",
        _one(keys=slice(None, -1)),
        message="The last key is missing from your sum: `range(S - 1)` stops one "
        "short. `range(S)` (or `range(len(k))`) runs j = 0, ..., S - 1.",
    ),
]
