"""Splitting a model dimension into heads, and merging it back.

A (B, L, D) tensor becomes (B, H, L, E) with E = D // H: first ``view`` the
last dim as (H, E), then *transpose* so that heads sit next to the batch dim
and each head sees a (L, E) matrix. Forgetting the transpose is the classic
bug: the shape can look plausible while tokens and heads are mixed up.
"""

from __future__ import annotations

import torch

from ._validate import check_divisible

__all__ = ["merge_heads", "split_heads"]


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
