"""Scaled dot-product attention written as explicit loops.

This kernel is for reading, not for speed. Each query is handled on its own:
score it against every key, turn the scores into a probability distribution,
then take the weighted sum of the values. Compare it line by line with
:mod:`mhacourse.kernels.vectorized`, which does the same with two matmuls.
"""

from __future__ import annotations

import math

import torch

from .._validate import check_mask, check_qkv

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(q, k, v, mask=None, scale=None):
    """Attention with one Python loop per batch item, query and key.

    Args:
        q: queries, shape (..., L, E).
        k: keys, shape (..., S, E).
        v: values, shape (..., S, Ev).
        mask: optional bool tensor broadcastable to (..., L, S);
            True means "this query may attend to this key".
        scale: factor for the scores; defaults to 1 / sqrt(E).

    Returns:
        ``(out, weights)``: out (..., L, Ev) and weights (..., L, S).
        A query that may attend to no key gets zero output and zero weights.
        Half-precision inputs are computed in float32 and the results cast back.

    >>> q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 6)
    >>> out, w = scaled_dot_product_attention(q, k, v)
    >>> out.shape, w.shape
    (torch.Size([2, 3, 6]), torch.Size([2, 3, 5]))
    """
    check_qkv(q, k, v)
    *batch, L, E = q.shape
    S, Ev = k.shape[-2], v.shape[-1]
    check_mask(mask, (*batch, L, S), q.device)
    if scale is None:
        scale = 1.0 / math.sqrt(E)
    N = math.prod(batch)  # batch items (and heads) to loop over
    if (
        N * L * S == 0
    ):  # nothing to loop over: no weights, and zeros when there is no key
        return q.new_zeros(*batch, L, Ev), q.new_zeros(*batch, L, S)
    if mask is None:
        mask = torch.ones(L, S, dtype=torch.bool, device=q.device)
    mask = mask.expand(*batch, L, S).reshape(N, L, S)  # (N, L, S)
    # Sum in at least float32 (bfloat16 loses too many digits), cast back at the end.
    work = torch.promote_types(q.dtype, torch.float32)
    q3 = q.to(work).reshape(N, L, E)  # (N, L, E)
    k3 = k.to(work).reshape(N, S, E)  # (N, S, E)
    v3 = v.to(work).reshape(N, S, Ev)  # (N, S, Ev)

    outs, weights = [], []
    for n in range(N):  # every batch item (and head) on its own
        for i in range(L):  # every query
            allowed = [j for j in range(S) if mask[n, i, j]]
            # Step 1: score query i against each key it may see.
            scores = {j: torch.dot(q3[n, i], k3[n, j]) * scale for j in allowed}
            # Step 2: normalise with a softmax; subtracting the max keeps exp() finite.
            if scores:
                top = max(scores.values())
                exps = {j: torch.exp(s - top) for j, s in scores.items()}
                total = sum(exps.values())
            row = [
                exps[j] / total if j in scores else q3.new_zeros(()) for j in range(S)
            ]
            # Step 3: weighted sum of the values.
            out_i = q3.new_zeros(Ev)
            for j in allowed:
                out_i = out_i + row[j] * v3[n, j]
            outs.append(out_i)
            weights.append(torch.stack(row))
    out = torch.stack(outs).reshape(*batch, L, Ev)  # (..., L, Ev)
    w = torch.stack(weights).reshape(*batch, L, S)  # (..., L, S)
    return out.to(q.dtype), w.to(q.dtype)
