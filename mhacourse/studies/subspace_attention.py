"""Multi-head attention whose heads read fixed, possibly overlapping, embedding slices.

In :class:`mhacourse.MultiHeadAttention` every head sees *all* D embedding
coordinates through its own learned (E, D) projection. A popular picture of
multi-head attention is different: the embedding is *cut* into H contiguous
segments and head h reads segment h only. A reader of that picture asked
whether the cuts are harmful, and proposed instead to let each head read a
randomly sampled set of coordinates, possibly overlapping with other heads',
which also frees the head size from having to divide D.

:class:`SubspaceAttention` implements both pictures: head h reads only the
``r`` coordinates listed in ``indices[h]`` and projects them with its own
learned (e, r) matrices to queries, keys and values of size e = ``head_dim``.
Shape legend: B batch, H heads, L query length, S key length, D model dim,
r coordinates per head, e head dim.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import kernels
from .._validate import check_mask
from ..heads import merge_heads, split_heads

__all__ = ["SubspaceAttention", "contiguous_subspaces", "random_subspaces"]


def contiguous_subspaces(embed_dim: int, num_heads: int) -> torch.Tensor:
    """The "cut into segments" picture: head h reads h*r .. (h+1)*r - 1, r = D // H.

    Returns:
        long (H, r).

    >>> contiguous_subspaces(6, 3)
    tensor([[0, 1],
            [2, 3],
            [4, 5]])
    """
    if num_heads <= 0 or embed_dim % num_heads:
        raise ValueError(
            f"embed_dim={embed_dim} must be a positive multiple of "
            f"num_heads={num_heads}"
        )
    return torch.arange(embed_dim).reshape(num_heads, embed_dim // num_heads)  # (H, r)


def random_subspaces(
    embed_dim: int, num_heads: int, subspace_dim: int, seed: int = 0
) -> torch.Tensor:
    """Each head reads ``subspace_dim`` random coordinates; heads may overlap.

    Each row is a sorted sample without replacement, drawn with a private
    generator seeded by ``seed`` (the global random state is left alone).

    Returns:
        long (H, r) with r = ``subspace_dim``.

    >>> idx = random_subspaces(10, 3, 4, seed=0)
    >>> idx.shape, bool((idx.diff(dim=1) > 0).all())  # distinct, sorted rows
    (torch.Size([3, 4]), True)
    """
    if not 0 < subspace_dim <= embed_dim or num_heads <= 0:
        raise ValueError(
            "need 0 < subspace_dim <= embed_dim and num_heads > 0, got "
            f"subspace_dim={subspace_dim}, "
            f"embed_dim={embed_dim}, num_heads={num_heads}"
        )
    g = torch.Generator().manual_seed(seed)
    rows = [
        torch.randperm(embed_dim, generator=g)[:subspace_dim].sort().values
        for _ in range(num_heads)
    ]
    return torch.stack(rows)  # (H, r)


class SubspaceAttention(nn.Module):
    """Heads that each read a fixed subset of the D embedding coordinates.

    Args:
        embed_dim: D, size of the inputs and of the output.
        indices: long (H, r): head h reads coordinates ``indices[h]``. Rows
            may overlap, and r need not divide D.
        head_dim: e, size of each head's queries, keys and values
            (default r). H * e need not equal D: W^o maps H * e back to D.
        bias: add biases to the projections.

    ``forward(query, key=None, value=None, mask=None)`` has the contract of
    :class:`mhacourse.MultiHeadAttention`: query (B, L, D), key and value
    (B, S, D), a bool mask broadcastable to (B, H, L, S) with True = may
    attend; returns out (B, L, D) and weights (B, H, L, S).

    >>> att = SubspaceAttention(16, random_subspaces(16, 3, 7), head_dim=5)
    >>> out, w = att(torch.randn(2, 4, 16))
    >>> out.shape, w.shape
    (torch.Size([2, 4, 16]), torch.Size([2, 3, 4, 4]))
    """

    def __init__(
        self,
        embed_dim: int,
        indices: torch.Tensor,
        head_dim: int | None = None,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        indices = torch.as_tensor(indices)
        if indices.dim() != 2 or indices.is_floating_point() or indices.numel() == 0:
            raise ValueError(
                f"indices must be a non-empty long tensor of shape (H, r), got shape "
                f"{tuple(indices.shape)} dtype {indices.dtype}"
            )
        if indices.min() < 0 or indices.max() >= embed_dim:
            raise ValueError(
                f"indices must lie in [0, embed_dim={embed_dim}), got min "
                f"{int(indices.min())} "
                f"and max {int(indices.max())}"
            )
        H, r = indices.shape
        e = r if head_dim is None else head_dim
        if e <= 0:
            raise ValueError(f"head_dim must be positive, got head_dim={head_dim}")
        self.embed_dim, self.num_heads, self.subspace_dim, self.head_dim = (
            embed_dim,
            H,
            r,
            e,
        )
        self.register_buffer("indices", indices.to(device=device, dtype=torch.long))
        # selector[h, j] is the one-hot row of coordinate indices[h, j]: (H, r, D)
        self.register_buffer(
            "selector",
            F.one_hot(self.indices, embed_dim).to(dtype or torch.get_default_dtype()),
        )
        kw = dict(device=device, dtype=dtype)
        bound = 1.0 / math.sqrt(r)  # nn.Linear's default init for fan_in = r
        self.q_weight, self.k_weight, self.v_weight = (
            nn.Parameter(torch.empty(H, e, r, **kw).uniform_(-bound, bound))
            for _ in range(3)
        )  # each (H, e, r)
        if bias:
            self.q_bias, self.k_bias, self.v_bias = (
                nn.Parameter(torch.empty(H, e, **kw).uniform_(-bound, bound))
                for _ in range(3)
            )  # each (H, e)
        else:
            self.q_bias = self.k_bias = self.v_bias = None
        self.out_proj = nn.Linear(H * e, embed_dim, bias=bias, **kw)  # W^o: (D, H * e)

    def extra_repr(self):
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
            f"subspace_dim={self.subspace_dim}, "
            f"head_dim={self.head_dim}"
        )

    def _project(self, x: torch.Tensor, weight: torch.Tensor, bias) -> torch.Tensor:
        """(B, N, D) -> (B, H, N, e): each head projects its own coordinates.

        Head h's (e, r) weight is spread into an (e, D) matrix that is zero
        outside columns ``indices[h]``; stacking the heads gives one (H * e, D)
        matrix, so all heads are computed with a single matmul.
        """
        full = torch.einsum("her,hrd->hed", weight, self.selector).flatten(
            0, 1
        )  # (H * e, D)
        out = F.linear(
            x, full, None if bias is None else bias.flatten()
        )  # (B, N, H * e)
        return split_heads(out, self.num_heads)  # (B, H, N, e)

    def forward(self, query, key=None, value=None, mask=None):
        key = query if key is None else key
        value = key if value is None else value
        for name, t in (("query", query), ("key", key), ("value", value)):
            if t.dim() != 3 or t.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{name} must have shape (B, N, {self.embed_dim}), "
                    f"got {tuple(t.shape)}"
                )
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(
                "query, key, value must share B and key, value must share S, "
                f"got query {tuple(query.shape)}, key {tuple(key.shape)}, "
                f"value {tuple(value.shape)}"
            )
        B, L, S = query.shape[0], query.shape[1], key.shape[1]
        check_mask(mask, (B, self.num_heads, L, S), query.device, what="(B, H, L, S)")
        q = self._project(query, self.q_weight, self.q_bias)  # (B, H, L, e)
        k = self._project(key, self.k_weight, self.k_bias)  # (B, H, S, e)
        v = self._project(value, self.v_weight, self.v_bias)  # (B, H, S, e)
        heads, weights = kernels.vectorized.scaled_dot_product_attention(
            q, k, v, mask
        )  # (B, H, L, e)
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D), (B, H, L, S)
