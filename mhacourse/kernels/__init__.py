"""Attention kernels with one shared contract, and the registry that names them.

Every kernel is ``scaled_dot_product_attention(q, k, v, mask=None, scale=None)``
with q (..., L, E), k (..., S, E), v (..., S, Ev) and a bool mask broadcastable
to (..., L, S), True = may attend. It returns ``(out, weights)`` with
out (..., L, Ev) and weights (..., L, S), or None for kernels that never build
the (L, S) matrix.

* :mod:`mhacourse.kernels.naive` - Python loops that read like the maths.
* :mod:`mhacourse.kernels.vectorized` - the same maths as batched matmuls.
* :mod:`mhacourse.kernels.tiled` - keys in blocks with an online softmax;
  memory linear in L, returns ``(out, None)``.
* ``"sdpa"`` - PyTorch's fused ``F.scaled_dot_product_attention`` under the
  same contract (a query that may attend to nothing gets zeros).
* :mod:`mhacourse.kernels.triton` - FlashAttention-2 written in Triton,
  compiled on CUDA and interpreted on the CPU; registered as ``"triton"``
  only when the optional ``triton`` package is installed. Importing it does
  not import triton; the first call does.

:data:`REGISTRY` maps each name to its function; ``MultiHeadAttention(kernel=...)``
and ``python -m mhacourse.bench`` both read it.
"""

from __future__ import annotations

import torch.nn.functional as F

from . import naive, tiled, triton, vectorized

__all__ = ["REGISTRY", "get", "naive", "sdpa", "tiled", "triton", "vectorized"]


def sdpa(q, k, v, mask=None, scale=None):
    """PyTorch's fused kernel under the course's contract: ``(out, None)``.

    q (..., L, E), k (..., S, E), v (..., S, Ev), bool mask broadcastable to
    (..., L, S) with True = may attend. Unlike the fused kernel alone, a query
    row whose mask is all False gets zeros instead of NaN.

    >>> import torch
    >>> q = k = v = torch.randn(2, 3, 4)
    >>> out, w = sdpa(q, k, v, mask=torch.zeros(3, 3, dtype=torch.bool))
    >>> out.abs().sum().item(), w
    (0.0, None)
    """
    if (
        mask is not None and mask.dim() < 2
    ):  # SDPA wants the (L, S) dims, even for 0-d or (S,)
        mask = mask.expand(q.shape[-2], k.shape[-2])  # (L, S)
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, scale=scale
    )  # (..., L, Ev)
    if mask is not None:  # not every fused backend zeroes a query that sees no key
        out = out.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)  # (..., L, Ev)
    return out, None


REGISTRY = {
    "naive": naive.scaled_dot_product_attention,
    "vectorized": vectorized.scaled_dot_product_attention,
    "tiled": tiled.scaled_dot_product_attention,
    "sdpa": sdpa,
}
if triton.is_available():  # optional: a machine without triton lists one kernel less
    REGISTRY["triton"] = triton.scaled_dot_product_attention


def get(name: str):
    """The kernel function registered under ``name``.

    >>> get("tiled") is tiled.scaled_dot_product_attention
    True
    >>> get("flash")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: kernel must be one of [...], got kernel='flash'
    """
    if name not in REGISTRY:
        raise ValueError(f"kernel must be one of {list(REGISTRY)}, got kernel={name!r}")
    return REGISTRY[name]
