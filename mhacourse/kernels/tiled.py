"""Memory-efficient attention: keys and values in blocks, with an online softmax.

The vectorized kernel builds the whole (..., L, S) score matrix, so its memory
grows with L * S. This kernel never does: it walks over the keys and values in
blocks of ``block_size`` and keeps, for every query, three running summaries

* ``m``   (..., L, 1)  the largest score seen so far,
* ``l``   (..., L, 1)  the sum of ``exp(score - m)`` over the keys seen so far,
* ``acc`` (..., L, Ev) the sum of ``exp(score - m) * value`` over those keys.

When a new block raises the maximum from ``m_old`` to ``m_new``, everything
summed so far was measured against the old maximum, so ``l`` and ``acc`` are
rescaled by ``exp(m_old - m_new)`` before the block's terms are added. After
the last block, ``acc / l`` is exactly ``softmax(scores) @ v``. This is the
idea behind FlashAttention (Dao et al., 2022), written with PyTorch ops: all
queries are processed at once, so the extra memory is O(L * block_size + L * Ev),
linear in L, instead of O(L * S).
"""

from __future__ import annotations

import math

import torch

from .._validate import check_mask, check_qkv

__all__ = ["DEFAULT_BLOCK_SIZE", "scaled_dot_product_attention"]

#: Keys per block. Large enough that each block is a decent matmul, small
#: enough that a (L, block) tile stays in cache; chosen by measurement with
#: ``python -m mhacourse.bench`` on a CPU.
DEFAULT_BLOCK_SIZE = 256


def _check_block_size(block_size) -> None:
    if isinstance(block_size, bool) or not isinstance(block_size, int):
        raise TypeError(
            f"block_size must be a positive int, got {type(block_size).__name__} {block_size!r}"
        )
    if block_size < 1:
        raise ValueError(
            f"block_size must be a positive int, got block_size={block_size}"
        )


def scaled_dot_product_attention(
    q, k, v, mask=None, scale=None, block_size=DEFAULT_BLOCK_SIZE
):
    """Attention computed block by block over the keys, never storing (L, S) weights.

    Args:
        q: queries, shape (..., L, E).
        k: keys, shape (..., S, E).
        v: values, shape (..., S, Ev).
        mask: optional bool tensor broadcastable to (..., L, S);
            True means "this query may attend to this key".
        scale: factor for the scores; defaults to 1 / sqrt(E).
        block_size: number of keys handled per step (a positive int; the
            last block may be shorter).

    Returns:
        ``(out, None)``: out (..., L, Ev). There are no weights to return:
        the (..., L, S) matrix is never built. A query that may attend to no
        key gets a zero output, like the other kernels.

    >>> q, k, v = torch.randn(2, 8, 3, 4), torch.randn(2, 8, 5, 4), torch.randn(2, 8, 5, 6)
    >>> out, w = scaled_dot_product_attention(q, k, v, block_size=2)
    >>> out.shape, w
    (torch.Size([2, 8, 3, 6]), None)
    >>> from mhacourse.kernels import vectorized
    >>> torch.allclose(out, vectorized.scaled_dot_product_attention(q, k, v)[0], atol=1e-6)
    True
    """
    check_qkv(q, k, v)
    *batch, L, E = q.shape
    S, Ev = k.shape[-2], v.shape[-1]
    check_mask(mask, (*batch, L, S), q.device)
    _check_block_size(block_size)
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    if mask is not None:
        if mask.dim() == 0:
            mask = mask.reshape(1)  # (1,)
        mask = mask.expand(
            *mask.shape[:-1], S
        )  # (..., L or 1, S): a view, so it can be sliced per block

    neg_inf = float("-inf")
    q = q * scale  # (..., L, E): scale once, not once per block
    # Half-precision inputs keep their running sums in float32, as fused kernels do.
    kw = dict(
        dtype=torch.float32 if q.dtype in (torch.float16, torch.bfloat16) else q.dtype,
        device=q.device,
    )
    m = torch.full((*batch, L, 1), neg_inf, **kw)  # (..., L, 1) running max
    l = torch.zeros((*batch, L, 1), **kw)  # (..., L, 1) running sum of exp(score - m)
    acc = torch.zeros(
        (*batch, L, Ev), **kw
    )  # (..., L, Ev) running sum of exp(score - m) * value
    for start in range(0, S, block_size):
        stop = min(start + block_size, S)
        s = q @ k[..., start:stop, :].transpose(
            -2, -1
        )  # (..., L, Sb) with Sb = stop - start
        if mask is not None:
            s = s.masked_fill(~mask[..., start:stop], neg_inf)  # (..., L, Sb)
        # The output does not depend on which reference m we subtract (it
        # cancels in acc / l), so m carries no gradient.
        m_new = torch.maximum(m, s.detach().amax(dim=-1, keepdim=True))  # (..., L, 1)
        # While a row has seen only masked keys, m_new is -inf and
        # score - m_new would be -inf - -inf = NaN. Measure such rows against
        # 0 instead: exp(-inf - 0) = 0, so they keep l = 0 and acc = 0.
        ref = m_new.masked_fill(m_new == neg_inf, 0.0)  # (..., L, 1)
        # In-place updates below save one (L, Sb) allocation per step; none of
        # them overwrites a value that autograd saved for the backward pass.
        p = s.sub_(ref).exp_()  # (..., L, Sb) unnormalised weights of this block
        rescale = torch.exp(
            m - ref
        )  # (..., L, 1) = exp(m_old - m_new); 0 on the first real block
        l = l.mul_(rescale).add_(p.sum(dim=-1, keepdim=True))  # (..., L, 1)
        acc = acc.mul_(rescale).add_(p @ v[..., start:stop, :])  # (..., L, Ev)
        m = m_new
    # l == 0 exactly when a query may attend to no key; its acc is 0 as well.
    out = acc / l.masked_fill(l == 0, 1.0)  # (..., L, Ev)
    return out.to(v.dtype), None
