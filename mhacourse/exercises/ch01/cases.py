"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mistake

SIZES = {"B": 2, "L": 5, "S": 7, "E": 4, "Ev": 6}


def _softmax_cases(gen, device):
    wide = I.wide_dtype(device)
    return [
        I.Case((I.randn(gen, (4, 4), device),)),
        I.Case((I.randn(gen, (5, 7), device),), {"dim": -1}),
        I.Case((I.randn(gen, (2, 3, 7), device),), {"dim": 1}),
        I.Case((I.randn(gen, (3, 5), device, wide),), {"dim": 0}),
        I.Case(
            (I.randn(gen, (5, 7), device, scale=5.0) + 100.0,),
            note="large scores, around 100",
        ),
        I.Case(
            (I.randn(gen, (4, 6), device, scale=5.0) + _spikes(gen, 4, 6, device),),
            note="rows spanning hundreds: only a shift by the max keeps exp finite",
        ),
    ]


def _spikes(gen, rows, cols, device, height=300.0):
    """(rows, cols): one entry per row at ``height``, at a random place, else 0."""
    where = torch.randint(cols, (rows,), generator=gen)  # (rows,)
    spikes = torch.zeros(rows, cols)
    spikes[torch.arange(rows), where] = height
    return spikes.to(device)


def _exp_over(x, dim, total):
    return x.exp() / total(x.exp())


_NO_KEEPDIM = (
    "A reduction lost its dim, so the subtraction or division broadcast along the "
    "wrong axis. Use "
    "`keepdim=True` in `amax` and in `sum`."
)


def _value(*numbers):
    return lambda: torch.tensor(numbers)


Q2_MISTAKES = [
    mistake(
        "unnormalised",
        _value(7.0, 8.0),
        message="You used the raw scores (1, 2, 3) as weights. Turn "
        "them into a distribution with a softmax first.",
    ),
    mistake(
        "linear",
        _value(7 / 6, 8 / 6),
        message="You divided the scores by their sum (1/6, 2/6, 3/6). "
        "Attention uses a softmax: exponentiate first, then divide by the sum.",
    ),
    mistake(
        "uniform",
        _value(1.0, 1.0),
        message="That is the plain average of the values: every key got "
        "the same weight. The weights come from the scores, through a softmax.",
    ),
    mistake(
        "hard",
        _value(2.0, 2.0),
        message="That is a hard lookup: only the best key's value. A soft "
        "lookup mixes all three values, weighted by the softmax of the scores.",
    ),
    mistake(
        "keys_not_values",
        _value(0.7552, 0.9100),
        message="You averaged the keys. The weights multiply the values.",
    ),
]


def _lookup_cases(gen, device, temperatures=(1.0, 0.3, 3.0)):
    batches = [(), (2,), (2, 3)]
    dtypes = [torch.float32, torch.float32, I.wide_dtype(device)]
    return [
        I.Case(
            I.qkv(gen, b, device, dt),
            {"temperature": t} if t is not None else {},
            SIZES,
        )
        for b, dt, t in zip(batches, dtypes, temperatures, strict=False)
    ]


def _hard(scores_to_index, table=lambda k, v: v):
    def wrong(q, k, v):
        best = scores_to_index(q @ k.transpose(-2, -1))  # (..., L)
        return torch.nn.functional.one_hot(best, k.shape[-2]).to(v.dtype) @ table(k, v)

    return wrong


def _weight_cases(gen, device):
    cases = []
    for batch, dtype in (
        ((), torch.float32),
        ((2,), torch.float32),
        ((2, 3), I.wide_dtype(device)),
    ):
        scores = I.randn(gen, (*batch, 5, 7), device, dtype, scale=2.0)  # (..., L, S)
        w = torch.softmax(
            scores.masked_fill(~I.rand_mask(gen, scores.shape, device), float("-inf")),
            -1,
        )
        w[..., 0, :] = 0.0
        w[..., 0, 2] = 1.0  # a one-hot row: entropy 0
        w[..., 1, :] = 1.0 / 7  # a uniform row: entropy log(7)
        cases.append(I.Case((w,), sizes=SIZES, note="some weights are exactly 0"))
    return cases


Q5_MISTAKES = [
    mistake(
        "nan_at_zero",
        lambda w: -(w * w.log()).sum(-1),
        message="NaN where a weight is 0: 0 * log(0) is "
        "0 * -inf = NaN in floating point. Use torch.special.xlogy(w, w), which is "
        "0 where w is 0.",
    ),
    mistake(
        "log2",
        lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(2),
        message="Those are bits (log base 2). Use the natural log, for nats.",
    ),
    mistake(
        "no_minus",
        lambda w: torch.special.xlogy(w, w).sum(-1),
        message="Missing minus sign: the entropy is -sum w log w, which is never "
        "negative.",
    ),
    mistake(
        "wrong_axis",
        lambda w: -torch.special.xlogy(w, w).sum(-2),
        message="You summed over the queries (dim=-2). Each row, one query's "
        "weights over the keys, "
        "is one distribution: sum over dim=-1.",
    ),
]
