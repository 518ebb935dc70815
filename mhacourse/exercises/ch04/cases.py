"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import itertools
import math

import torch

from ..core import inputs as I
from ..core.mistakes import mha, mistake, split

_SHAPES = [(2, 5, 3, 4), (2, 5, 4, 3), (3, 7, 2, 5)]


def _sizes(B, L, H, E, S=None):
    return {"B": B, "L": L, "H": H, "E": E, "D": H * E, **({"S": S} if S else {})}


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


def _permuted(got, expected, case):
    """True if ``got`` is ``expected`` with its dims in another order."""
    if not isinstance(got, torch.Tensor) or got.shape == expected.shape:
        return False
    return any(
        expected.permute(p).shape == got.shape and torch.equal(expected.permute(p), got)
        for p in itertools.permutations(range(expected.dim()))
    )


Q1_MISTAKES = [
    mistake("split_no_transpose", lambda x, H: split(x, H, "no_transpose")),
    mistake("heads_length_swapped", lambda x, H: split(x, H, "swapped")),
    mistake("interleaved_heads", lambda x, H: split(x, H, "interleaved")),
    mistake(
        "split_size_not_count",
        lambda x, H: torch.stack(x.split(H, dim=-1), dim=1),  # (B, E, L, H)
        message="`x.split(H, dim=-1)` cuts the features into pieces of size H, "
        "so you get E heads of H features. Cut them into H pieces of E: "
        "`x.split(E, dim=-1)` or `x.chunk(H, dim=-1)`, or view the last dim as "
        "(H, E).",
    ),
    mistake(
        "wrong_dims_transposed",
        detect=_permuted,
        message="Your output holds the right numbers, but its dims are in another "
        "order than (B, H, L, E). After the view to (B, L, H, E) only dims 1 and 2 "
        "change places: `transpose(1, 2)` (or `permute(0, 2, 1, 3)`).",
    ),
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
    mistake(
        "bias_always",
        lambda D, H, bias=True: (D // H, 4 * D * D + 4 * D),
        message="You counted the biases also with bias=False. Add the four biases "
        "of size D only when `bias` is True.",
    ),
    mistake(
        "bias_per_head",
        lambda D, H, bias=True: (D // H, 4 * D * D + 4 * (D // H) * bias),
        message="Each projection's bias has size D (one per output feature: E for "
        "each of the H heads), not E.",
    ),
    mistake(
        "outputs_swapped",
        lambda D, H, bias=True: (4 * D * D + 4 * D * bias, D // H),
        message="Your tuple is the wrong way round: return `(E, count)`, the head "
        "dim first.",
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
    mistake(
        "head_off_by_one",
        _rows_of(lambda t, h, H, E: t[(h - 1) % H * E : ((h - 1) % H + 1) * E]),
        message="That is the previous head's slice. Heads count from 0: head h "
        "owns rows h*E:(h+1)*E, so head 0 owns rows 0:E.",
    ),
    mistake(
        "e_from_input_dim",
        lambda x, w, b, h, H: (
            (lambda E: x @ w[h * E : (h + 1) * E].T)(x.shape[-1] // H)
            + b[h * (x.shape[-1] // H) : (h + 1) * (x.shape[-1] // H)]
        ),
        message="E comes from the stacked *output* features, `weight.shape[0] // "
        "num_heads`, not from the input dim `x.shape[-1]`: the input dim D_in "
        "can differ from D.",
    ),
]


def _mha_cases(gen, device):
    cases = []
    for (B, L, H, E), dt, S, mask_shape in zip(
        [_SHAPES[0], *_SHAPES],  # self-attention, then L != S without and with masks
        [torch.float32, *_dtypes(device)],
        (None, 7, 7, 6),
        (None, None, "B1LS", "LS"),
        strict=True,
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


def _any_of(*wrong):
    """A detector: the output equals what one of the ``wrong`` functions gives."""

    def detect(got, expected, case):
        outs = [f(*case.args, **case.kwargs) for f in wrong]
        return any(torch.allclose(got, o, rtol=1e-4, atol=1e-5) for o in outs)

    return detect


Q5_MISTAKES = [
    mistake("scale_by_sqrt_d", _mha(scale_dim="D")),
    mistake("no_out_proj", _mha(out_proj=False)),
    mistake("split_no_transpose", _mha(split_how="no_transpose")),
    mistake("merge_no_transpose", _mha(merge_how="no_transpose")),
    mistake("softmax_wrong_axis", _mha(axis=-2)),
    mistake("no_scaling", _mha(scale=None)),
    mistake("mask_polarity", _mha(masking="reversed")),
    mistake("weight_not_transposed", _mha(transpose_w=False)),
    mistake("scale_by_e", _mha(scale="E")),
    mistake("mask_after_softmax", _mha(masking="after")),
    mistake(  # D as (E, H) in the split, with or without the same merge
        "interleaved_heads",
        detect=_any_of(
            _mha(split_how="interleaved", merge_how="interleaved"),
            _mha(split_how="interleaved"),
        ),
    ),
    mistake(
        "merge_interleaved",
        _mha(merge_how="interleaved"),
        message="Your merge puts the head index fastest (head 0's feature 0, head "
        "1's feature 0, ...). Transpose (B, H, L, E) to (B, L, H, E), then reshape "
        "to (B, L, D): head h's E features must land at h*E:(h+1)*E.",
    ),
    mistake(
        "mask_ignored",
        lambda *args, mask=None: mha(*args),
        message="Your function ignores `mask`. Before the softmax, block the "
        "scores where the mask is False: `scores.masked_fill(~mask, "
        "float('-inf'))` (the mask broadcasts against (B, H, L, S)).",
    ),
    mistake(
        "self_attention_only",
        lambda q, k, v, *rest, mask=None: mha(q, q, q, *rest, mask=mask),
        message="Your keys and values come from `query`. They come from `key` and "
        "`value` (S tokens, here S != L): project `key @ W_k.T` and "
        "`value @ W_v.T`.",
    ),
]
