"""Grouped-query and multi-query attention: fewer key/value heads than query heads.

Shape legend: B batch, H query heads, H_kv key/value heads, L query length,
S key length, E head dim. With H_kv < H, the H query heads form H_kv groups of
G = H // H_kv consecutive heads, and every head of group g reads key/value head
g. H_kv = H is ordinary multi-head attention, H_kv = 1 is multi-query attention
(Shazeer, 2019), anything in between is grouped-query attention (Ainslie et
al., 2023). The savings: ``k_proj`` and ``v_proj`` shrink from D x D to
(H_kv * E) x D, and a KV cache holds H_kv heads instead of H.
"""

from __future__ import annotations

import torch

__all__ = ["check_num_kv_heads", "repeat_kv"]


def check_num_kv_heads(num_kv_heads, num_heads: int) -> int:
    """Resolve ``num_kv_heads`` (None means ``num_heads``) and check that it divides H.

    >>> check_num_kv_heads(None, 8), check_num_kv_heads(2, 8)
    (8, 2)
    >>> check_num_kv_heads(3, 8)
    Traceback (most recent call last):
    ...
    ValueError: num_kv_heads=3 must be a positive divisor of num_heads=8
    """
    if num_kv_heads is None:
        return num_heads
    if isinstance(num_kv_heads, bool) or not isinstance(num_kv_heads, int):
        raise TypeError(
            f"num_kv_heads must be an int or None, got "
            f"{type(num_kv_heads).__name__} {num_kv_heads!r}"
        )
    if num_kv_heads <= 0 or num_heads % num_kv_heads:
        raise ValueError(
            f"num_kv_heads={num_kv_heads} must be a positive divisor of "
            f"num_heads={num_heads}"
        )
    return num_kv_heads


def repeat_kv(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Repeat each key/value head ``groups`` times: (B, H_kv, S, E) -> (B, H, S, E).

    Head g of the input becomes heads g*G .. g*G + G - 1 of the output, the
    grouping that ``F.scaled_dot_product_attention(..., enable_gqa=True)`` uses.

    >>> k = torch.arange(2.).reshape(1, 2, 1, 1)  # (B, H_kv, S, E) = (1, 2, 1, 1)
    >>> repeat_kv(k, 3).flatten().tolist()
    [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    """
    if groups == 1:
        return x
    return x.repeat_interleave(groups, dim=-3)  # (B, H, S, E)
