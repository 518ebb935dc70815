"""Chapter 4's "write this function" exercises: q1, q3, q4, q5.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from .cases import (
    _SHAPES,
    Q1_MISTAKES,
    Q3_MISTAKES,
    Q4_MISTAKES,
    Q5_MISTAKES,
    _dtypes,
    _head_cases,
    _mha_cases,
    _sizes,
)

# (B, L, H, E) per case; D = H * E. All sizes within a case differ, to name dims in
# messages.


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
    mistakes=Q1_MISTAKES,
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
    mistakes=Q3_MISTAKES,
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
    mistakes=Q4_MISTAKES,
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
    mistakes=Q5_MISTAKES,
)
