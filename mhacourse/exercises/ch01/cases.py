"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mistake

#: The note of a case on the ``meta`` device (shapes, no values). It comes last:
#: on ``meta`` only shapes, dtypes and devices are compared.
META = "on device 'meta': does your code follow the inputs' device?"

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
            (I.randn(gen, (4, 6), device, scale=5.0) + _levels(gen, device),),
            note="rows at levels hundreds apart, one with a dip of -300: only a "
            "shift by each row's own max keeps exp finite and nonzero",
        ),
        I.Case(
            (I.randn(gen, (4, 6), device, scale=5.0) + _spikes(gen, 4, 6, device),),
            note="rows spanning hundreds: only a shift by the max keeps exp finite",
        ),
    ]


def _levels(gen, device):
    """(4, 6): rows at levels 0, 200, -150 and 0, the last with one entry at -300.

    A shift by the whole tensor's max leaves the low rows at exp(-200) = 0 (0/0);
    a shift by the row's min sends the dipped row's other entries to exp(300) =
    inf; a shift by the row's mean stays finite here (it fails on the spikes).
    """
    levels = torch.tensor([0.0, 200.0, -150.0, 0.0])[:, None]  # (4, 1)
    dip = -_spikes(gen, 1, 6, "cpu")  # (1, 6): one entry at -300
    return (levels + torch.cat([torch.zeros(3, 6), dip])).to(device)


def _spikes(gen, rows, cols, device, height=300.0):
    """(rows, cols): one entry per row at ``height``, at a random place, else 0."""
    where = torch.randint(cols, (rows,), generator=gen)  # (rows,)
    spikes = torch.zeros(rows, cols)
    spikes[torch.arange(rows), where] = height
    return spikes.to(device)


def _exp_over(x, dim, total):
    return x.exp() / total(x.exp())


def _shifted(shift):
    """A softmax along ``dim`` whose scores are shifted by ``shift(x, dim)`` first."""
    return lambda x, dim=-1: _exp_over(
        x - shift(x, dim), dim, lambda e: e.sum(dim, keepdim=True)
    )


Q1_MORE = [
    mistake(
        "global_max_shift",
        _shifted(lambda x, dim: x.amax()),
        message="You shifted by the max of the whole tensor. A row whose scores "
        "lie far below that max (here by 200) gets exp(-200) = 0 everywhere in "
        "float32, and 0/0 = NaN. Shift each slice by its own max: "
        "x.amax(dim=dim, keepdim=True).",
    ),
    mistake(
        "min_shift",
        _shifted(lambda x, dim: x.amin(dim, keepdim=True)),
        message="You shifted by the min: then every exponent is at least 0, and a "
        "row that spans more than about 89 overflows (exp(89) is inf in float32, "
        "inf / inf = NaN). Shift by the max (x.amax(dim=dim, keepdim=True)): then "
        "every exponent is at most 0.",
    ),
    mistake(
        "log_softmax",
        lambda x, dim=-1: x - torch.logsumexp(x, dim, keepdim=True),
        message="That is the *log* of the softmax (x - logsumexp(x)): its entries "
        "are negative. Take .exp() of it, or exponentiate the shifted scores and "
        "divide by their sum.",
    ),
]


_NO_KEEPDIM = (
    "A reduction lost its dim, so the subtraction or division broadcast along the "
    "wrong axis. Use "
    "`keepdim=True` in `amax` and in `sum`."
)


def _value(*numbers):
    return lambda: torch.tensor(numbers)


Q2_MISTAKES = [
    mistake(
        "too_few_decimals",
        lambda: torch.tensor([1.42, 1.58]),
        message="Close, but that is rounded to 2 decimals, and the check allows "
        "only 0.002 either way. Give each number to 3 decimals.",
    ),
    mistake(
        "rounded_weights",
        _value(0.09 * 1 + 0.67 * 2, 0.25 + 0.67 * 2),
        message="You rounded the weights to 2 decimals (0.09, 0.25, 0.67) before "
        "the weighted sum, and the value 2 of key 3 doubles that rounding error. "
        "Keep 3 or more decimals in the weights and round only the output.",
    ),
    mistake(
        "weights_not_output",
        lambda: torch.softmax(torch.tensor([1.0, 2.0, 3.0]), 0),
        message="Those are the three weights. The output is their weighted sum "
        "of the values: weight_1 * value_1 + weight_2 * value_2 + weight_3 * "
        "value_3, two numbers.",
    ),
    mistake(
        "scaled",
        lambda: (
            torch.softmax(torch.tensor([1.0, 2.0, 3.0]) / math.sqrt(2), 0)
            @ torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
        ),
        message="You divided the scores by sqrt(2). This lookup uses the plain dot "
        "products (1, 2, 3), with no scaling: the scaling comes in chapter 2.",
    ),
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


def _hard_lookup_cases(gen, device):
    """Three cases on ``device``, then one on ``meta`` (shapes, dtype, device only)."""
    meta = I.Case(I.qkv(gen, (2,), "meta"), sizes=SIZES, note=META)
    return [*_lookup_cases(gen, device, (None, None, None)), meta]


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
    mistake(
        "log10",
        lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(10),
        message="That is the entropy with log base 10 (torch.log10). Use the "
        "natural log, for nats: torch.log, or torch.special.xlogy(w, w).",
    ),
    mistake(
        "mean_not_sum",
        lambda w: -torch.special.xlogy(w, w).mean(-1),
        message="You took the mean of -w log w over the keys. The entropy is the "
        "*sum*: .sum(dim=-1).",
    ),
    mistake(
        "normalised",
        lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(w.shape[-1]),
        message="You divided by log S, so uniform weights give 1. The statement "
        "asks for the entropy itself, in nats: log S for uniform weights, "
        "without dividing.",
    ),
]


def _one_hot_rows(q, k, v):
    """The hard lookup's one-hot weights (..., L, S), not the values they pick."""
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (..., L)
    return torch.nn.functional.one_hot(best, k.shape[-2]).to(v.dtype)


def _best_query_per_key(q, k, v):
    """argmax over the queries (dim=-2): for each key its best query, (..., L, Ev)."""
    best = (q @ k.transpose(-2, -1)).argmax(-2)  # (..., S): a query index per key
    pick = torch.nn.functional.one_hot(best, q.shape[-2]).to(v.dtype)  # (..., S, L)
    return pick.transpose(-2, -1) @ v  # (..., L, Ev)


Q4_MORE = [
    mistake(
        "returned_weights",
        _one_hot_rows,
        message="You returned the one-hot weights (..., L, S). The lookup returns "
        "the *value* they pick: multiply them with `v` (or gather the rows of `v`).",
    ),
    mistake(
        "argmax_wrong_axis",
        _best_query_per_key,
        message="Your argmax ran over the queries (dim=-2): for each key you found "
        "its best query. Each query needs its best key: argmax over the keys, "
        "dim=-1 of the (..., L, S) scores.",
    ),
]
