"""Chapter 7's "write this function" exercises: q1, q2, q3, q4.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases` (q4's in :mod:`.tiled`).
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from .cases import _FLOP_CASES, Q1_MISTAKES, Q2_MISTAKES, Q3_MISTAKES, SIZES
from .tiled import Q4_MISTAKES, _full_scores, _tiled_cases


# q1 -----------------------------------------------------------------------------------
def attention_flops(B, H, L, S, E):
    """Floating-point operations (an int) of q @ k^T and weights @ v in attention.

    B batch, H heads, L queries, S keys, E head dim (and value dim).
    """
    scores = 2 * B * H * L * S * E  # q @ k^T: (L, E) @ (E, S) per batch item and head
    mix = 2 * B * H * L * S * E  # weights @ v: (L, S) @ (S, E)
    return scores + mix


q1 = Exercise(
    "ch07.q1",
    "Counting FLOPs",
    r"""
    To turn a measured time into a speed you need the number of floating-point
    operations (FLOPs). Write
    `attention_flops(B, H, L, S, E)`: the FLOPs of the two matrix products of
    attention, $q k^\top$ and
    $\mathrm{weights}\, v$ (take $E_v = E$; ignore the softmax). Count a multiply and
    an add as 2 FLOPs, so a dot
    product of length $E$ costs $2E$. Return an `int`.
    """,
    attention_flops,
    cases=lambda gen, device: [I.Case(c) for c in _FLOP_CASES],
    hints=[
        "q @ k^T computes L * S dot products of length E, in each of the B * H (batch, "
        "head) pairs.",
        "weights @ v has the same cost. Total: 2 matmuls x 2 FLOPs x B H L S E.",
    ],
    mistakes=Q1_MISTAKES,
)


# q2 -----------------------------------------------------------------------------------
def scores_bytes(B, H, L, S, dtype):
    """Bytes taken by the (B, H, L, S) scores matrix, for a torch dtype.

    >>> scores_bytes(1, 1, 1024, 1024, torch.float32)
    4194304
    """
    return B * H * L * S * dtype.itemsize  # elements x bytes per element


q2 = Exercise(
    "ch07.q2",
    "Memory of the scores matrix",
    r"""
    The plain attention kernel stores the full (B, H, L, S) matrix of scores (and then
    of weights), which is
    what limits the sequence length. Write `scores_bytes(B, H, L, S, dtype)` returning
    its size in **bytes** as an
    `int`, for a torch dtype such as `torch.float16`. Then use it (this part is not
    checked): how many GiB, that is bytes / 2**30, does the matrix take for B = 1,
    H = 16, L = S = 32768 in float16?
    """,
    scores_bytes,
    cases=lambda gen, device: [  # the first case tells every catalogued mistake apart
        I.Case((3, 16, 1024, 4096, torch.float64)),  # (GiB and GB, B and 2, L and S)
        I.Case((1, 16, 4096, 4096, torch.float16)),
        I.Case((2, 3, 5, 7, torch.float32)),
        I.Case((2, 8, 1024, 512, torch.float64)),
    ],
    hints=[
        "Number of elements times bytes per element.",
        "`dtype.itemsize` is the number of bytes of one element.",
    ],
    mistakes=Q2_MISTAKES,
)


# q3 -----------------------------------------------------------------------------------
def online_softmax_update(m, l, acc, scores, v):
    """Fold one new block of keys into the running state of the online softmax.

    m: (..., L) running max of the scores so far (-inf before the first block);
    l: (..., L) running sum of exp(score - m); acc: (..., L, Ev) running sum of
    exp(score - m) * value, not yet divided by l; scores: (..., L, Sb) the new
    block's scores; v: (..., Sb, Ev) its values. Returns the new ``(m, l, acc)``.
    """
    m_new = torch.maximum(m, scores.amax(dim=-1))  # (..., L)
    # Old terms were relative to m; now to m_new. 0 while m is -inf.
    rescale = torch.exp(m - m_new)  # (..., L)
    p = torch.exp(scores - m_new[..., None])  # (..., L, Sb)
    l_new = rescale * l + p.sum(dim=-1)  # (..., L)
    acc_new = rescale[..., None] * acc + p @ v  # (..., L, Ev)
    return m_new, l_new, acc_new


def _online_cases(gen, device):
    cases = []
    for batch, dtype, shift in (
        ((), torch.float32, None),
        ((2,), torch.float32, 3.0),
        ((2, 3), I.wide_dtype(device), -3.0),
    ):
        L, Sb, Ev = 5, 3, 6
        m = torch.full((*batch, L), float("-inf"), dtype=dtype, device=device)
        l, acc = (
            torch.zeros_like(m),
            torch.zeros(*batch, L, Ev, dtype=dtype, device=device),
        )
        note = "the first block: m is -inf"
        if (
            shift is not None
        ):  # fold in one earlier block, then a block with higher or lower scores
            m, l, acc = online_softmax_update(
                m,
                l,
                acc,
                I.randn(gen, (*batch, L, 4), device, dtype),
                I.randn(gen, (*batch, 4, Ev), device, dtype),
            )
            note = (
                "a block with higher scores"
                if shift > 0
                else "a block with lower scores"
            )
        scores = I.randn(gen, (*batch, L, Sb), device, dtype, 2.0) + (shift or 0.0)
        cases.append(
            I.Case(
                (m, l, acc, scores, I.randn(gen, (*batch, Sb, Ev), device, dtype)),
                sizes=SIZES,
                note=note,
            )
        )
    return [*cases, _first_block_on_meta(gen)]


def _first_block_on_meta(gen):
    """The first block on ``meta`` (shapes, no values): last, like ch07.q4's."""
    L, Sb, Ev = 5, 3, 6
    m = torch.full((2, L), float("-inf"), device="meta")  # (B, L)
    return I.Case(
        (m, torch.zeros_like(m), torch.zeros(2, L, Ev, device="meta"),
         I.randn(gen, (2, L, Sb), "meta"), I.randn(gen, (2, Sb, Ev), "meta")),
        sizes=SIZES,
        note="on device 'meta': does your code follow the inputs' device?",
    )  # fmt: skip


q3 = Exercise(
    "ch07.q3",
    "One step of the online softmax",
    r"""
    A fast kernel never stores all the scores: it visits the keys block by block and
    keeps, for every query, a
    running max $m$, a running sum $\ell = \sum_j e^{s_j - m}$ and an accumulator
    $\mathrm{acc} = \sum_j e^{s_j - m} v_j$ (divided by $\ell$ only at the very end).
    When a new block arrives with
    a larger max, the old terms must be rescaled by $e^{m_\text{old} - m_\text{new}}$.

    Write `online_softmax_update(m, l, acc, scores, v)` with `m`, `l` of shape (...,
    L), `acc` (..., L, Ev), the
    new block's `scores` (..., L, Sb) and values `v` (..., Sb, Ev); return the updated
    `(m, l, acc)`. Before the
    first block, `m` is $-\infty$ and `l`, `acc` are 0. Do not modify the inputs in
    place.
    """,
    online_softmax_update,
    cases=_online_cases,
    outputs=("m", "l", "acc"),
    hints=[
        "New max: `torch.maximum(m, scores.amax(dim=-1))`.",
        "`rescale = torch.exp(m - m_new)` is 0 when m is -inf, which handles the first "
        "block.",
        "`l_new = rescale * l + p.sum(-1)` and "
        "`acc_new = rescale[..., None] * acc + p @ v`, with "
        "`p = torch.exp(scores - m_new[..., None])`.",
    ],
    mistakes=Q3_MISTAKES,
)


# q4 -----------------------------------------------------------------------------------
def tiled_attention(q, k, v, block_size):
    """softmax(q k^T / sqrt(E)) v, one block of keys at a time (online softmax).

    q: (..., L, E), k: (..., S, E), v: (..., S, Ev); block_size: keys per block
    (the last block may be shorter). Returns (..., L, Ev).
    """
    S, E = k.shape[-2], q.shape[-1]
    m = q.new_full(q.shape[:-1], float("-inf"))  # (..., L): running max
    l = q.new_zeros(q.shape[:-1])  # (..., L): running sum of exp(score - m)
    acc = q.new_zeros(*q.shape[:-1], v.shape[-1])  # (..., L, Ev): weighted values
    for start in range(0, S, block_size):
        k_blk = k[..., start : start + block_size, :]  # (..., Sb, E)
        v_blk = v[..., start : start + block_size, :]  # (..., Sb, Ev)
        scores = q @ k_blk.transpose(-2, -1) / math.sqrt(E)  # (..., L, Sb)
        m_new = torch.maximum(m, scores.amax(dim=-1))  # (..., L)
        rescale = torch.exp(m - m_new)  # (..., L)
        p = torch.exp(scores - m_new[..., None])  # (..., L, Sb)
        l = rescale * l + p.sum(dim=-1)  # (..., L)
        acc = rescale[..., None] * acc + p @ v_blk  # (..., L, Ev)
        m = m_new
    return acc / l[..., None]  # (..., L, Ev)


q4 = Exercise(
    "ch07.q4",
    "Tiled attention",
    r"""
    Now the whole loop. Write `tiled_attention(q, k, v, block_size)`, which computes
    ordinary scaled dot-product
    attention $\mathrm{softmax}(q k^\top / \sqrt{E})\, v$ without ever forming the full
    (..., L, S) scores: visit
    the keys and values in blocks of `block_size` (the last block may be shorter), fold
    each block into
    $(m, \ell, \mathrm{acc})$ with the update of the previous exercise, and divide by
    $\ell$ at the end.
    Do not call `torch.softmax` or `F.scaled_dot_product_attention`: the checker
    enforces both rules. Shapes:
    `q` (..., L, E), `k` (..., S, E), `v` (..., S, Ev); return (..., L, Ev).
    """,
    tiled_attention,
    cases=_tiled_cases,
    forbid=("softmax", "log_softmax", "sdpa"),
    watch_shape=_full_scores,
    hints=[
        "Start from m = -inf, l = 0, acc = 0, with shapes (..., L), (..., L) and (..., "
        "L, Ev).",
        "`for start in range(0, S, block_size)` with slices `start:start + block_size` "
        "also covers a shorter "
        "last block.",
        "Return `acc / l[..., None]`.",
    ],
    mistakes=Q4_MISTAKES,
)
