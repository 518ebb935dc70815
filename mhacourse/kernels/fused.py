"""PyTorch's fused ``F.scaled_dot_product_attention`` under the course's contract.

The fused kernel picks a backend (FlashAttention, memory-efficient, or the
plain math one) by device, dtype and arguments. This wrapper adds what the
course's contract promises and the fused kernel alone does not: the shared
input checks (a float mask is refused, never added to the scores as a bias),
and zeros for a query that may attend to no key (some backends give NaN).
Shape legend: H query heads, H_kv key/value heads, L queries, S keys,
E head dim, Ev value dim.
"""

from __future__ import annotations

import torch  # noqa: F401  (the examples use it)
import torch.nn.functional as F

from .._validate import check_mask, check_qkv
from ..masks import causal_mask

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(
    q, k, v, mask=None, scale=None, causal=False, dropout_p=0.0
):
    """PyTorch's fused kernel under the course's contract: ``(out, None)``.

    Args:
        q: queries (..., H, L, E); k: keys (..., H_kv, S, E); v: values
            (..., H_kv, S, Ev). For q (B, H, L, E) of rank 4 or more, H_kv
            may divide H (grouped heads, passed on as ``enable_gqa``).
        mask: optional bool tensor broadcastable to (..., H, L, S), True =
            may attend.
        scale: factor for the scores; defaults to 1 / sqrt(E).
        causal: also hide every key after the query, top-left aligned.
            Alone it is the fused kernel's own ``is_causal`` (its causal
            fast paths); with a mask, the two are combined into one mask.
        dropout_p: dropout on the attention weights, inside the fused kernel.

    Returns:
        ``(out, None)``: out (..., H, L, Ev). A query row whose mask is all
        False gets zeros instead of NaN.

    >>> q = k = v = torch.randn(2, 3, 4)
    >>> out, w = scaled_dot_product_attention(q, k, v, torch.zeros(3, 3).bool())
    >>> out.abs().sum().item(), w
    (0.0, None)
    """
    check_qkv(q, k, v, grouped=q.dim() >= 4)
    *batch, L, _ = q.shape
    S = k.shape[-2]
    check_mask(mask, (*batch, L, S), q.device)
    if L == 0:  # nothing to compute; some backends refuse empty inputs
        return q.new_zeros(*batch, 0, v.shape[-1]), None
    if causal and mask is not None:  # the fused kernel takes one or the other
        mask, causal = mask & causal_mask(L, S, device=q.device), False
    if mask is not None and mask.dim() < 2:  # SDPA wants the (L, S) dims
        mask = mask.expand(L, S)  # (L, S)
    grouped = q.dim() >= 4 and q.shape[-3] != k.shape[-3]
    out = F.scaled_dot_product_attention(
        q,
        k,
        v,
        attn_mask=mask,
        dropout_p=dropout_p,
        is_causal=causal,
        scale=scale,
        enable_gqa=grouped,
    )  # (..., H, L, Ev)
    if mask is not None:  # not every fused backend zeroes a query that sees no key
        out = out.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)  # (..., L, Ev)
    return out, None
