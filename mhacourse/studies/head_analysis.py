"""Tools to look inside the heads of a multi-head attention layer.

* :func:`head_diversity` -- how different the heads' attention maps are,
  a number in [0, 1] (0: all heads attend identically).
* :func:`ablate_heads` -- a context manager that silences heads by zeroing
  their outputs before W^o, to measure what each head contributes.
* :func:`make_heads_identical` -- copies head 0 into every head, the
  symmetric starting point from which heads can never become different.

Shape legend: B batch, H heads, L query length, S key length, D model dim,
E = D // H head dim. The functions work with :class:`mhacourse.MultiHeadAttention`
and with any module that has ``num_heads``, ``head_dim`` and an ``out_proj``
whose input is the heads' outputs concatenated, head 0 first.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

__all__ = ["ablate_heads", "head_diversity", "make_heads_identical"]

METRICS = ("cosine", "js")


def head_diversity(weights: torch.Tensor, metric: str = "cosine") -> torch.Tensor:
    """Mean dissimilarity between the attention maps of every pair of heads.

    For each pair of heads (h, h') and each query row, compare the two
    attention distributions over the S keys, then average over pairs, rows
    and batch items:

    * ``"cosine"``: 1 - cosine similarity of the two rows;
    * ``"js"``: the Jensen-Shannon divergence in bits (0 for equal rows,
      1 for rows with disjoint support).

    Both are 0 when all heads attend identically and at most 1. Query rows
    that are all zero in either head (fully masked queries) are skipped.

    Args:
        weights: attention weights (B, H, L, S) or (H, L, S); H >= 2.
        metric: "cosine" or "js".

    Returns:
        A 0-dim tensor.

    >>> same = torch.full((2, 3, 4, 4), 0.25)               # (B, H, L, S)
    >>> float(head_diversity(same))
    0.0
    >>> eye = torch.eye(4)                                  # head 0: itself
    >>> prev = torch.roll(eye, 1, dims=0)                   # head 1: another key
    >>> round(float(head_diversity(torch.stack([eye, prev]), metric="js")), 6)
    1.0
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got metric={metric!r}")
    if weights.dim() not in (3, 4) or weights.shape[-3] < 2:
        raise ValueError(
            "weights must have shape (B, H, L, S) or (H, L, S) with H >= 2, "
            f"got {tuple(weights.shape)}"
        )
    w = weights if weights.dim() == 4 else weights[None]  # (B, H, L, S)
    w = w.detach().double()
    i, j = torch.triu_indices(
        w.shape[1], w.shape[1], offset=1
    )  # the P = H (H - 1) / 2 pairs
    a, b = w[:, i], w[:, j]  # (B, P, L, S)
    valid = (a.sum(-1) > 0) & (b.sum(-1) > 0)  # (B, P, L)
    if metric == "cosine":
        norms = (a.norm(dim=-1) * b.norm(dim=-1)).clamp_min(
            torch.finfo(w.dtype).tiny
        )  # (B, P, L)
        score = 1.0 - (a * b).sum(-1) / norms  # (B, P, L)
    else:
        m = (a + b) / 2  # (B, P, L, S)
        score = 0.5 * (_kl_bits(a, m) + _kl_bits(b, m))  # (B, P, L)
    if not valid.any():
        raise ValueError("every query row is fully masked: there is nothing to compare")
    return score[valid].mean().clamp(0.0, 1.0).to(weights.dtype)


def _kl_bits(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p || q) in bits along the last dim, with 0 log 0 = 0."""
    terms = torch.where(p > 0, p * torch.log2(p / q), torch.zeros_like(p))  # (..., S)
    return terms.sum(-1)


def _head_layout(module: nn.Module) -> tuple[int, int]:
    for name in ("num_heads", "head_dim", "out_proj"):
        if not hasattr(module, name):
            raise TypeError(
                "module must have num_heads, head_dim and out_proj, got a "
                f"{type(module).__name__} "
                f"without {name!r}"
            )
    return module.num_heads, module.head_dim


@contextlib.contextmanager
def ablate_heads(module: nn.Module, heads):
    """Silence some heads inside a ``with`` block.

    While the block runs, the outputs of the given heads are set to zero
    right before W^o (``module.out_proj``), so the layer behaves as if those
    heads had never been there. The attention *weights* it returns are not
    changed. On leaving the block the module works normally again.

    Args:
        module: a :class:`mhacourse.MultiHeadAttention` (or any module with
            ``num_heads``, ``head_dim`` and ``out_proj``).
        heads: one head index or a list of them.

    >>> from mhacourse import MultiHeadAttention
    >>> mha, x = MultiHeadAttention(8, 2), torch.randn(1, 3, 8)
    >>> with ablate_heads(mha, [0, 1]):                     # all heads silent:
    ...     out, _ = mha(x)                                 # only W^o's bias is left
    >>> torch.allclose(out, mha.out_proj.bias.expand(1, 3, 8))
    True
    >>> torch.allclose(mha(x)[0], out)                      # back to normal afterwards
    False
    """
    H, E = _head_layout(module)
    heads = [heads] if isinstance(heads, int) else list(heads)
    bad = [h for h in heads if not 0 <= h < H]
    if bad:
        raise ValueError(f"heads must lie in [0, num_heads={H}), got {heads}")

    def zero_heads(_, args):
        (concat,) = args  # (B, L, H * E): head h in columns h*E:(h+1)*E
        keep = torch.ones(H, E, dtype=concat.dtype, device=concat.device)  # (H, E)
        keep[heads] = 0
        return (concat * keep.flatten(),)  # (B, L, H * E)

    handle = module.out_proj.register_forward_pre_hook(zero_heads)
    try:
        yield module
    finally:
        handle.remove()


@torch.no_grad()
def make_heads_identical(module: nn.Module) -> nn.Module:
    """Copy head 0 into every head, in place, and return the module.

    Head 0's rows of W^q, W^k, W^v (and of their biases) are copied into the
    rows of every other head, and W^o's first column block into every column
    block. All heads then compute the same thing, receive the same gradient,
    and stay identical under any gradient-based training. Modules that keep
    per-head parameters ``q_weight`` ... ``v_bias`` with a leading H dim (like
    :class:`~mhacourse.studies.subspace_attention.SubspaceAttention`) get head
    0's slice copied along that dim; for them "identical" also needs every
    head to read the same coordinates, which this function cannot change.

    >>> from mhacourse import MultiHeadAttention
    >>> mha = make_heads_identical(MultiHeadAttention(8, 2))
    >>> _, w = mha(torch.randn(1, 3, 8))                    # w: (B, H, L, S)
    >>> torch.equal(w[:, 0], w[:, 1])
    True
    """
    H, E = _head_layout(module)
    if hasattr(module, "q_proj"):  # MultiHeadAttention: stacked (H * E, D) rows
        for proj in (module.q_proj, module.k_proj, module.v_proj):
            proj.weight.copy_(proj.weight[:E].repeat(H, 1))  # (H * E, D)
            if proj.bias is not None:
                proj.bias.copy_(proj.bias[:E].repeat(H))  # (H * E,)
    else:  # per-head parameters with a leading H dim, e.g. SubspaceAttention
        for name in ("q_weight", "k_weight", "v_weight", "q_bias", "k_bias", "v_bias"):
            p = getattr(module, name, None)
            if p is not None:
                p.copy_(p[:1].expand_as(p).clone())  # (H, ...): head 0's slice, H times
    w_o = module.out_proj.weight  # (D, H * E)
    w_o.copy_(w_o[:, :E].repeat(1, H))  # column block 0, H times
    return module
