"""Scaled dot-product attention as batched matrix products.

The same computation as :mod:`mhacourse.kernels.naive`, but every query of
every batch item is scored at once: ``softmax(q k^T * scale) v``.
"""

from __future__ import annotations

import math

import torch

from .._validate import check_mask, check_qkv

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(q, k, v, mask=None, scale=None):
    """Attention with two batched matmuls and a softmax.

    Args:
        q: queries, shape (..., L, E).
        k: keys, shape (..., S, E).
        v: values, shape (..., S, Ev).
        mask: optional bool tensor broadcastable to (..., L, S);
            True means "this query may attend to this key".
        scale: factor for the scores; defaults to 1 / sqrt(E).

    Returns:
        ``(out, weights)``: out (..., L, Ev) and weights (..., L, S).
        A query that may attend to no key gets zero output and zero weights,
        like ``torch.nn.functional.scaled_dot_product_attention``.
        Half-precision inputs are computed in float32 and the results cast back.

    >>> q, k = torch.randn(2, 8, 3, 4), torch.randn(2, 8, 5, 4)  # (B, H, L|S, E)
    >>> v = torch.randn(2, 8, 5, 6)  # (B, H, S, Ev)
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> out.shape, w.shape
    (torch.Size([2, 8, 3, 6]), torch.Size([2, 8, 3, 5]))
    """
    check_qkv(q, k, v)
    *batch, L, E = q.shape
    S = k.shape[-2]
    check_mask(mask, (*batch, L, S), q.device)
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    # Like fused kernels, compute in at least float32: bfloat16 scores and
    # softmax lose too many digits. float32/float64 inputs are not copied.
    dtype = q.dtype
    work = torch.promote_types(dtype, torch.float32)
    q, k, v = q.to(work), k.to(work), v.to(work)
    # (q * scale) @ k^T equals (q @ k^T) * scale; scaling the (L, E) queries is
    # cheaper than scaling the (L, S) scores when S > E.
    scores = (q * scale) @ k.transpose(-2, -1)  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # (..., L, S)
        # A row with no allowed key would be softmax(-inf, ..., -inf) = NaN.
        # Give such rows finite scores, then zero their weights afterwards.
        has_key = mask.any(dim=-1, keepdim=True)  # (..., L, 1)
        scores = scores.masked_fill(~has_key, 0.0)
        weights = torch.softmax(scores, dim=-1).masked_fill(
            ~has_key, 0.0
        )  # (..., L, S)
    else:
        weights = torch.softmax(scores, dim=-1)  # (..., L, S)
    out = weights @ v  # (..., L, Ev)
    return out.to(dtype), weights.to(dtype)
