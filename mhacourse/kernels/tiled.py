"""Memory-efficient attention: keys and values in blocks, with an online softmax.

The vectorized kernel builds the whole (..., L, S) score matrix, so its memory
grows with L * S. This kernel never does: it walks over the keys and values in
blocks of ``block_size`` and keeps, for every query, three running summaries

* ``m``   (..., Lb, 1)  the largest score seen so far,
* ``l``   (..., Lb, 1)  the sum of ``exp(score - m)`` over the keys seen so far,
* ``acc`` (..., Lb, Ev) the sum of ``exp(score - m) * value`` over those keys.

When a new block raises the maximum from ``m_old`` to ``m_new``, everything
summed so far was measured against the old maximum, so ``l`` and ``acc`` are
rescaled by ``exp(m_old - m_new)`` before the block's terms are added. After
the last block, ``acc / l`` is exactly ``softmax(scores) @ v``. This is the
idea behind FlashAttention (Dao et al., 2022), written with PyTorch ops.

The queries are processed in blocks of ``query_block_size`` too (``Lb`` above),
one after the other, so that one (Lb, Sb) tile of scores stays in the CPU's
cache while it is scaled, exponentiated, summed and multiplied by the values.
Extra memory: O(Lb * Sb) for the tile plus O(L * Ev) for the output.

Two measured speed-ups (chapter 7) change no result beyond rounding:

* powers of 2 instead of e: the queries are scaled by ``scale * log2(e)``
  once, so that ``2 ** s`` of these scores equals ``e ** (scale * q . k)``,
  and ``exp2`` costs about half of ``exp`` on a CPU;
* outside autograd, every tile is written into one buffer allocated once per
  call: a fresh tile per step costs the operating system's page faults.
"""

from __future__ import annotations

import math

import torch

from .._validate import check_mask, check_qkv
from ..masks import causal_mask

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_QUERY_BLOCK_SIZE",
    "scaled_dot_product_attention",
]

#: Keys and queries per block, chosen by measurement at (B, H, L, E) =
#: (1, 1, 4096, 64), float32, one thread, among 256 to 4096 (see chapter 7):
#: big enough that each tile is a decent matmul and the Python loop runs few
#: times, small enough that a (Lb, Sb) float32 tile (2 MiB) stays in the CPU's
#: cache instead of streaming (L, Sb) scores through main memory.
DEFAULT_BLOCK_SIZE = 512
DEFAULT_QUERY_BLOCK_SIZE = 1024
LOG2E = math.log2(math.e)  # 2 ** (x * LOG2E) == e ** x


def _check_inputs(q, k, v, mask, block_size, query_block_size) -> None:
    check_qkv(q, k, v)
    check_mask(mask, (*q.shape[:-1], k.shape[-2]), q.device)
    _check_block_size("block_size", block_size)
    _check_block_size("query_block_size", query_block_size)


def _check_block_size(name, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(
            f"{name} must be a positive int, got {type(value).__name__} {value!r}"
        )
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {name}={value}")


def _online_softmax(q, k, v, mask, block_size, tile, first_row=None):
    """softmax(q k^T) v for one block of queries, base 2, keys in blocks.

    q (..., Lb, E), already multiplied by scale * log2(e); k (..., S, E),
    v (..., S, Ev), mask None or (..., Lb, S); tile None (allocate each tile)
    or a flat buffer with room for one (..., Lb, block_size) tile. With
    ``first_row`` (the index of q's first query) the attention is causal:
    key blocks after the last query are skipped, not computed and masked.
    """
    neg_inf = float("-inf")
    m = q.new_full((*q.shape[:-1], 1), neg_inf)  # (..., Lb, 1) running max
    l = q.new_zeros((*q.shape[:-1], 1))  # (..., Lb, 1) running sum of 2^(s - m)
    acc = q.new_zeros((*q.shape[:-1], v.shape[-1]))  # (..., Lb, Ev) sum of p * v
    end = v.shape[-2] if first_row is None else first_row + q.shape[-2]
    for start in range(0, min(v.shape[-2], end), block_size):
        kT = k[..., start : start + block_size, :].transpose(-2, -1)  # (..., E, Sb)
        s = torch.matmul(q, kT, out=_view(tile, q, kT))  # (..., Lb, Sb)
        if mask is not None:
            s = s.masked_fill_(~mask[..., start : start + block_size], neg_inf)
        if first_row is not None and start + s.shape[-1] > first_row + 1:
            hide = causal_mask(
                s.shape[-2], s.shape[-1], q.device, offset=first_row - start
            )
            s = s.masked_fill_(~hide, neg_inf)  # (..., Lb, Sb) keys after the query
        # The output does not depend on which reference m we subtract (it
        # cancels in acc / l), so m carries no gradient.
        m_new = torch.maximum(m, s.detach().amax(-1, keepdim=True))  # (..., Lb, 1)
        # With a mask, a row that has seen only masked keys has m_new = -inf,
        # and score - m_new would be -inf - -inf = NaN. Measure such rows
        # against 0 instead: 2^(-inf - 0) = 0, so they keep l = 0 and acc = 0.
        may_be_empty = mask is not None or first_row is not None
        ref = m_new.masked_fill(m_new == neg_inf, 0.0) if may_be_empty else m_new
        # In place: no (Lb, Sb) allocation per step, and none of these
        # overwrites a value that autograd saved for the backward pass.
        p = s.sub_(ref).exp2_()  # (..., Lb, Sb) unnormalised weights of this block
        rescale = torch.exp2(m - ref)  # (..., Lb, 1) 2^(m_old - m_new); 0 at first
        l = l.mul_(rescale).add_(p.sum(dim=-1, keepdim=True))  # (..., Lb, 1)
        acc = acc.mul_(rescale).add_(p @ v[..., start : start + block_size, :])
        m = m_new
    # l == 0 exactly when a query may attend to no key; its acc is 0 as well.
    return acc / l.masked_fill(l == 0, 1.0)  # (..., Lb, Ev)


def _full_mask(mask, L, S):
    """A view of ``mask`` with explicit L and S dims, to slice per tile."""
    if mask is None:
        return None
    dims = (1,) * max(0, 2 - mask.dim()) + tuple(mask.shape)  # (..., 1|L, 1|S)
    return mask.reshape(dims).expand(*dims[:-2], L, S)  # (..., L, S)


def _tile_buffer(q, k, v, query_block_size, block_size):
    """A flat buffer that holds one (..., Lb, Sb) tile, or None under autograd.

    Autograd keeps every tile for the backward pass, so it needs fresh ones.
    """
    if torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v)):
        return None
    Lb, Sb = min(query_block_size, q.shape[-2]), min(block_size, k.shape[-2])
    batch_size = math.prod(torch.broadcast_shapes(q.shape[:-2], k.shape[:-2]))
    return q.new_empty(batch_size * Lb * Sb)


def _view(tile, q, kT):
    """The tile for q @ kT as a view of the flat buffer ``tile``, or None."""
    if tile is None:
        return None
    shape = (
        *torch.broadcast_shapes(q.shape[:-2], kT.shape[:-2]),
        q.shape[-2],
        kT.shape[-1],
    )
    return tile[: math.prod(shape)].view(shape)  # (..., Lb, Sb)


def scaled_dot_product_attention(
    q,
    k,
    v,
    mask=None,
    scale=None,
    block_size=DEFAULT_BLOCK_SIZE,
    query_block_size=DEFAULT_QUERY_BLOCK_SIZE,
    causal=False,
):
    """Attention computed tile by tile, never storing the (L, S) weights.

    Args:
        q: queries, shape (..., L, E).
        k: keys, shape (..., S, E).
        v: values, shape (..., S, Ev).
        mask: optional bool tensor broadcastable to (..., L, S);
            True means "this query may attend to this key".
        scale: factor for the scores; defaults to 1 / sqrt(E).
        block_size: keys handled per step (a positive int; the last block
            may be shorter).
        query_block_size: queries handled per outer step (a positive int).
        causal: also hide every key after the query (top-left aligned, like
            ``is_causal`` in PyTorch), skipping the key blocks it hides.

    Returns:
        ``(out, None)``: out (..., L, Ev). There are no weights to return:
        the (..., L, S) matrix is never built. A query that may attend to no
        key gets a zero output, like the other kernels. Half-precision inputs
        are computed in float32 and the output cast back.

    >>> q, k = torch.randn(2, 8, 3, 4), torch.randn(2, 8, 5, 4)  # (B, H, L|S, E)
    >>> v = torch.randn(2, 8, 5, 6)  # (B, H, S, Ev)
    >>> out, w = scaled_dot_product_attention(q, k, v, block_size=2, query_block_size=2)
    >>> out.shape, w
    (torch.Size([2, 8, 3, 6]), None)
    >>> from mhacourse.kernels import vectorized
    >>> ref, _ = vectorized.scaled_dot_product_attention(q, k, v)
    >>> torch.allclose(out, ref, atol=1e-6)
    True
    """
    _check_inputs(q, k, v, mask, block_size, query_block_size)
    *batch, L, E = q.shape
    S = k.shape[-2]
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    mask = _full_mask(mask, L, S)  # (..., L, S) or None
    # Like the other kernels, compute in at least float32: half-precision
    # scores overflow (256 * 256 * 80 > 65504) and lose digits in exp.
    dtype = v.dtype
    work = torch.promote_types(dtype, torch.float32)
    # Scale once, not once per tile, and by log2(e) too: 2^(x log2 e) = e^x.
    q = q.to(work) * (scale * LOG2E)  # (..., L, E)
    k, v = k.to(work), v.to(work)  # (..., S, E), (..., S, Ev); no copy if float32
    tile = _tile_buffer(q, k, v, query_block_size, block_size)
    outs = (
        [
            _online_softmax(
                q[..., i : i + query_block_size, :],  # (..., Lb, E)
                k,
                v,
                None if mask is None else mask[..., i : i + query_block_size, :],
                block_size,
                tile,
                i if causal else None,
            )  # (..., Lb, Ev)
            for i in range(0, L, query_block_size)
        ]
        or [v.new_zeros(*batch, 0, v.shape[-1])]
    )  # no query: an empty output
    return torch.cat(outs, dim=-2).to(dtype), None  # (..., L, Ev)
