"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mha, mistake, split

_SHAPES = [(2, 5, 3, 4), (2, 5, 4, 3), (3, 7, 2, 5)]


def _sizes(B, L, H, E, S=None):
    return {"B": B, "L": L, "H": H, "E": E, "D": H * E, **({"S": S} if S else {})}


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


Q1_MISTAKES = [
    mistake("split_no_transpose", lambda x, H: split(x, H, "no_transpose")),
    mistake("heads_length_swapped", lambda x, H: split(x, H, "swapped")),
    mistake("interleaved_heads", lambda x, H: split(x, H, "interleaved")),
]


Q3_MISTAKES = [
    mistake(
        "full_matrix_per_head",
        lambda D, H, bias=True: (
            D // H,
            H * 3 * (D * D + bias * D) + D * D + bias * D,
        ),
        message="Each head's projections are only E x D (its rows of the stacked D "
        "x D matrices). "
        "Splitting into heads does not multiply the parameters.",
    ),
    mistake(
        "no_out_proj",
        lambda D, H, bias=True: (D // H, 3 * D * D + 3 * D * bias),
        message="Count the output projection W^o too: another D x D matrix (and D "
        "biases).",
    ),
    mistake(
        "forgot_bias",
        lambda D, H, bias=True: (D // H, 4 * D * D),
        message="With bias=True, add a bias of size D for each of the four "
        "projections.",
    ),
]


def _head_cases(gen, device):
    cases = []
    for (B, L, H, E), dt, d_in, h in zip(
        _SHAPES, _dtypes(device), (12, 12, 8), (1, 2, 0), strict=False
    ):
        w, b = (
            I.randn(gen, (H * E, d_in), device, dt),
            I.randn(gen, (H * E,), device, dt),
        )
        cases.append(
            I.Case(
                (I.randn(gen, (B, L, d_in), device, dt), w, b, h, H),
                sizes=_sizes(B, L, H, E),
            )
        )
    return cases


def _rows_of(pick, use_bias=True):
    def wrong(x, weight, bias, h, H):
        E = weight.shape[0] // H
        w, b = pick(weight, h, H, E), pick(bias[:, None], h, H, E)[:, 0]
        return x @ w.T + (b if use_bias else 0)

    return wrong


Q4_MISTAKES = [
    mistake(
        "columns",
        lambda x, w, b, h, H: _rows_of(lambda t, h, H, E: t[h * E : (h + 1) * E])(
            x, w.T, b, h, H
        ),
        message="You took columns of the weight. In nn.Linear's layout "
        "(out_features, in_features), "
        "head h owns *rows* h*E:(h+1)*E.",
    ),
    mistake(
        "strided_rows",
        _rows_of(lambda t, h, H, E: t[h::H]),
        message="You took every H-th row "
        "(h, h+H, ...). Head h owns the contiguous rows h*E:(h+1)*E.",
    ),
    mistake(
        "forgot_bias",
        _rows_of(lambda t, h, H, E: t[h * E : (h + 1) * E], use_bias=False),
        message="Add head h's slice of the bias: bias[h*E:(h+1)*E].",
    ),
]


def _mha_cases(gen, device):
    cases = []
    for (B, L, H, E), dt, S, mask_shape in zip(
        _SHAPES, _dtypes(device), (None, 7, 6), (None, "B1LS", "LS"), strict=False
    ):
        D = H * E
        x = I.randn(gen, (B, L, D), device, dt)
        kv = x if S is None else I.randn(gen, (B, S, D), device, dt)
        W = [I.randn(gen, (D, D), device, dt, 1 / math.sqrt(D)) for _ in range(4)]
        mask = (
            None
            if mask_shape is None
            else I.rand_mask(
                gen, (B, 1, L, S) if mask_shape == "B1LS" else (L, S), device
            )
        )
        cases.append(
            I.Case(
                (x, kv, kv, *W, H),
                {} if mask is None else {"mask": mask},
                _sizes(B, L, H, E, S),
            )
        )
    return cases


def _mha(**kw):
    return lambda *args, mask=None: mha(*args, mask=mask, **kw)


Q5_MISTAKES = [
    mistake("scale_by_sqrt_d", _mha(scale_dim="D")),
    mistake("no_out_proj", _mha(out_proj=False)),
    mistake("split_no_transpose", _mha(split_how="no_transpose")),
    mistake("merge_no_transpose", _mha(merge_how="no_transpose")),
    mistake("softmax_wrong_axis", _mha(axis=-2)),
    mistake("no_scaling", _mha(scale=None)),
    mistake("mask_polarity", _mha(masking="reversed")),
    mistake("weight_not_transposed", _mha(transpose_w=False)),
]
