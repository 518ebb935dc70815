"""Splitting a model dimension into heads, and merging it back.

A (B, L, D) tensor becomes (B, H, L, E) with E = D // H: first ``view`` the
last dim as (H, E), then *transpose* so that heads sit next to the batch dim
and each head sees a (L, E) matrix. Forgetting the transpose is the classic
bug: the shape can look plausible while tokens and heads are mixed up.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._validate import check_divisible

__all__ = ["head_rows", "merge_heads", "split_heads"]


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Split (..., L, D) into (..., H, L, E) with E = D // H.

    Args:
        x: tensor of shape (B, L, D) (any number of leading dims is allowed).
        num_heads: H; must divide D.

    >>> x = torch.arange(3 * 4 * 16.).reshape(3, 4, 16)
    >>> split_heads(x, 8).shape
    torch.Size([3, 8, 4, 2])
    """
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., L, D), got shape {tuple(x.shape)}")
    try:
        E = check_divisible(x.shape[-1], num_heads)
    except ValueError as err:
        raise ValueError(
            f"cannot split x with shape {tuple(x.shape)} into heads: {err}"
        ) from None
    x = x.unflatten(-1, (num_heads, E))  # (..., L, H, E)
    return x.transpose(-3, -2)  # (..., H, L, E)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`split_heads`: (..., H, L, E) -> (..., L, H * E).

    The heads' outputs end up concatenated along the last dim, head 0 first.

    >>> x = torch.randn(3, 4, 16)
    >>> torch.equal(merge_heads(split_heads(x, 8)), x)
    True
    """
    if x.dim() < 3:
        raise ValueError(
            f"x must have shape (..., H, L, E), got shape {tuple(x.shape)}"
        )
    x = x.transpose(-3, -2)  # (..., L, H, E)
    return x.flatten(-2)  # (..., L, D)


def head_rows(linear, rows: slice, x: torch.Tensor) -> torch.Tensor:
    """Apply only the output rows ``rows`` of an ``nn.Linear``: one head's projection.

    x (..., D_in) -> (..., len(rows)). Rows ``h*E:(h+1)*E`` of a stacked
    projection are head h's.

    >>> lin = torch.nn.Linear(16, 16)
    >>> x = torch.randn(3, 4, 16)
    >>> torch.allclose(head_rows(lin, slice(2, 4), x), lin(x)[..., 2:4], atol=1e-6)
    True
    """
    bias = None if linear.bias is None else linear.bias[rows]
    return F.linear(x, linear.weight[rows], bias)  # (..., len(rows))
