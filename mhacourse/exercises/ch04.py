"""Exercises for chapter 4, multi-head attention: splitting into heads.

q1 split_heads, q2 read the picture: which split is right, q3 E = D / H and
the parameter count, q4 one head's slice of a stacked projection, q5 a full
multi-head attention forward, q6 predict: what more heads cost, q7 read the
picture: which head looks back one token.

>>> from mhacourse.exercises import ch04
>>> ch04.q1.reference(torch.zeros(2, 5, 12), 3).shape
torch.Size([2, 3, 5, 4])
"""

from __future__ import annotations

import math

import torch

from . import inputs as I
from .exercise import Exercise
from .mistakes import mha, mistake, split
from .questions.ch04 import q2, q6, q7

# (B, L, H, E) per case; D = H * E. All sizes within a case differ, to name dims in
# messages.
_SHAPES = [(2, 5, 3, 4), (2, 5, 4, 3), (3, 7, 2, 5)]


def _sizes(B, L, H, E, S=None):
    return {"B": B, "L": L, "H": H, "E": E, "D": H * E, **({"S": S} if S else {})}


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


# q1 -----------------------------------------------------------------------------------
def split_heads(x, num_heads):
    """Split the model dim into heads: (B, L, D) -> (B, H, L, E), with E = D // H.

    Head h gets the features h*E:(h+1)*E of every token.
    """
    B, L, D = x.shape
    E = D // num_heads
    x = x.view(B, L, num_heads, E)  # (B, L, H, E): D cut into H chunks of E
    return x.transpose(1, 2)  # (B, H, L, E): heads next to the batch dim


q1 = Exercise(
    "ch04.q1",
    "Split the heads",
    r"""
    Write `split_heads(x, num_heads)`, which turns `x` of shape (B, L, D) into (B, H,
    L, E) with $E = D / H$:
    head $h$ gets features `h*E:(h+1)*E` of every token, and sees them as an (L, E)
    matrix.

    Two steps: `view` the last dim as (H, E), then move the heads next to the batch dim.
    """,
    split_heads,
    cases=lambda gen, device: [
        I.Case((I.randn(gen, (B, L, H * E), device, dt), H), sizes=_sizes(B, L, H, E))
        for (B, L, H, E), dt in zip(_SHAPES, _dtypes(device), strict=False)
    ],
    hints=[
        "`x.view(B, L, H, E)` cuts each token's features into H chunks of E.",
        "Then `.transpose(1, 2)` swaps L and H: (B, L, H, E) -> (B, H, L, E).",
    ],
    mistakes=[
        mistake("split_no_transpose", lambda x, H: split(x, H, "no_transpose")),
        mistake("heads_length_swapped", lambda x, H: split(x, H, "swapped")),
        mistake("interleaved_heads", lambda x, H: split(x, H, "interleaved")),
    ],
)


# q2 -----------------------------------------------------------------------------------
def merge_heads(x):
    """Undo split_heads: (B, H, L, E) -> (B, L, D), head 0's E features first."""
    B, H, L, E = x.shape
    x = x.transpose(1, 2)  # (B, L, H, E)
    return x.reshape(B, L, H * E)  # (B, L, D): the heads concatenated per token


# q3 -----------------------------------------------------------------------------------
def mha_parameter_count(D, H, bias=True):
    """Head dim E, and the parameter count of multi-head attention (D, H heads).

    Returns ``(E, count)``, counting W^q, W^k, W^v, W^o (D x D each) and,
    if ``bias``, their biases.

    >>> mha_parameter_count(512, 8)
    (64, 1050624)
    """
    E = D // H  # head dim
    weights = 4 * D * D  # W^q, W^k, W^v: H stacked (E, D) blocks each; W^o: (D, D)
    biases = 4 * D if bias else 0
    return E, weights + biases


q3 = Exercise(
    "ch04.q3",
    "Head dim and parameter count",
    r"""
    Multi-head attention with model dim $D$ and $H$ heads gives each head $E = D / H$
    dims. Each head has its own
    $W^q_h, W^k_h, W^v_h$ of shape $E \times D$, stacked into one $D \times D$ matrix
    per projection, and an
    output projection $W^o$ ($D \times D$) mixes the concatenated heads.

    Write `mha_parameter_count(D, H, bias=True)` returning the tuple `(E, count)`,
    where `count` is the number
    of parameters of the layer (with a bias of size $D$ per projection when `bias` is
    True). Compare with
    `sum(p.numel() for p in nn.MultiheadAttention(D, H).parameters())`.
    """,
    mha_parameter_count,
    outputs=("E", "count"),
    cases=lambda gen, device: [
        I.Case((12, 3)),
        I.Case((512, 8), {"bias": True}),
        I.Case((64, 4), {"bias": False}),
    ],
    hints=[
        "The H heads' (E, D) blocks stack into one (D, D) matrix: more heads do not "
        "mean more parameters.",
        "Four D x D matrices (W^q, W^k, W^v, W^o), plus four biases of size D.",
    ],
    mistakes=[
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
    ],
)


# q4 -----------------------------------------------------------------------------------
def head_projection(x, weight, bias, h, num_heads):
    """Head h's part of a stacked projection, computed on its own.

    x: (B, L, D_in); weight: (D, D_in) and bias: (D,), like nn.Linear's, with
    the H heads stacked: rows h*E:(h+1)*E belong to head h. Returns (B, L, E).
    """
    E = weight.shape[0] // num_heads
    rows = slice(h * E, (h + 1) * E)  # head h's rows
    return x @ weight[rows].T + bias[rows]  # (B, L, E)


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


q4 = Exercise(
    "ch04.q4",
    "One head from the stacked projection",
    r"""
    `mhacourse.MultiHeadAttention` (like `nn.MultiheadAttention`) stores the H heads'
    query projections in one
    `nn.Linear`: its weight has shape (D, D_in) and **rows** `h*E:(h+1)*E` (and the
    same slice of the bias) belong
    to head $h$. Write `head_projection(x, weight, bias, h, num_heads)` that computes
    head $h$'s projected tokens
    on their own, shape (B, L, E). Taking this slice for every head gives exactly
    `split_heads` of the full
    projection: a loop over heads and the reshape compute the same thing.
    """,
    head_projection,
    cases=_head_cases,
    hints=[
        "nn.Linear computes `x @ weight.T + bias`, so output feature i comes from row "
        "i of the weight.",
        "`rows = slice(h * E, (h + 1) * E)`, then use `weight[rows]` and `bias[rows]`.",
    ],
    mistakes=[
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
    ],
)


# q5 -----------------------------------------------------------------------------------
def multi_head_attention(query, key, value, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head attention forward (no biases).

    query: (B, L, D); key, value: (B, S, D); W_q, W_k, W_v, W_o: (D, D),
    stored like nn.Linear weights; mask: bool, broadcastable to (B, H, L, S),
    True = may attend (every query may attend to at least one key).
    Returns (B, L, D).
    """
    B, L, D = query.shape
    S, E = key.shape[1], D // num_heads
    q = (query @ W_q.T).view(B, L, num_heads, E).transpose(1, 2)  # (B, H, L, E)
    k = (key @ W_k.T).view(B, S, num_heads, E).transpose(1, 2)  # (B, H, S, E)
    v = (value @ W_v.T).view(B, S, num_heads, E).transpose(1, 2)  # (B, H, S, E)
    scores = q @ k.transpose(-2, -1) / math.sqrt(E)  # (B, H, L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, H, L, S)
    heads = weights @ v  # (B, H, L, E)
    concat = heads.transpose(1, 2).reshape(B, L, D)  # (B, L, D): heads side by side
    return concat @ W_o.T  # (B, L, D)


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


q5 = Exercise(
    "ch04.q5",
    "A multi-head attention forward",
    r"""
    Put it all together. Write
    `multi_head_attention(query, key, value, W_q, W_k, W_v, W_o, num_heads,
    mask=None)` without biases: project (`x @
    W.T`), split into H heads, run scaled dot-product attention in
    every head at once (scale $1/\sqrt{E}$), merge the heads, and apply the output
    projection $W^o$.

    Shapes: `query` (B, L, D), `key` and `value` (B, S, D) (for self-attention pass the
    same tensor three
    times), each `W` (D, D); `mask` is bool, broadcastable to (B, H, L, S), True = may
    attend. Return (B, L, D).
    """,
    multi_head_attention,
    cases=_mha_cases,
    hints=[
        "Reuse your split_heads logic, and merge with a transpose and a reshape; each "
        "head's attention is ordinary scaled dot-product "
        "attention on (B, H, L, E) tensors.",
        "The scale uses the head dim E = D // H, not D.",
        "Finish with `concat @ W_o.T`.",
    ],
    mistakes=[
        mistake("scale_by_sqrt_d", _mha(scale_dim="D")),
        mistake("no_out_proj", _mha(out_proj=False)),
        mistake("split_no_transpose", _mha(split_how="no_transpose")),
        mistake("merge_no_transpose", _mha(merge_how="no_transpose")),
        mistake("softmax_wrong_axis", _mha(axis=-2)),
        mistake("no_scaling", _mha(scale=None)),
        mistake("mask_polarity", _mha(masking="reversed")),
        mistake("weight_not_transposed", _mha(transpose_w=False)),
    ],
)

EXERCISES = [q1, q2, q3, q4, q5, q6, q7]
