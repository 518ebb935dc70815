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
* :mod:`mhacourse.kernels.compiled` (``"tiled-compiled"``) - the tiled
  kernel with each tile's update compiled by ``torch.compile``.
* :mod:`mhacourse.kernels.fused` (``"sdpa"``) - PyTorch's fused
  ``F.scaled_dot_product_attention`` under the same contract (a query that
  may attend to nothing gets zeros).
* :mod:`mhacourse.kernels.triton` - FlashAttention-2 written in Triton,
  compiled on CUDA and interpreted on the CPU; registered as ``"triton"``
  only when the optional ``triton`` package is installed. Importing it does
  not import triton; the first call does.

:data:`REGISTRY` maps each name to a :class:`Kernel` that states what the
kernel can do (see :mod:`mhacourse.kernels.registry`);
``MultiHeadAttention(kernel=...)`` and ``python -m mhacourse.bench`` read it
at every call, so :func:`register` adds a kernel to both.

>>> [name for name in REGISTRY if get(name).returns_weights]
['naive', 'vectorized']
"""

from __future__ import annotations

from . import compiled, fused, naive, tiled, triton, vectorized
from .registry import FLOATS, REGISTRY, Kernel, get, register

__all__ = [
    "REGISTRY",
    "Kernel",
    "compiled",
    "fused",
    "get",
    "naive",
    "register",
    "sdpa",
    "tiled",
    "triton",
    "vectorized",
]

sdpa = fused.scaled_dot_product_attention  # the fused kernel under our contract

register(
    "naive",
    naive.scaled_dot_product_attention,
    returns_weights=True,
    loops_over_heads=True,
)
register("vectorized", vectorized.scaled_dot_product_attention, returns_weights=True)
register("tiled", tiled.scaled_dot_product_attention, causal=True)
register("sdpa", sdpa, native_dropout=True, grouped_heads=True, causal=True)
# No causal path (the registry builds the mask), every dtype (half in float32).
register("tiled-compiled", compiled.scaled_dot_product_attention, compiled=True)
if triton.is_available():  # optional: a machine without triton lists one kernel less
    register(
        "triton",
        triton.scaled_dot_product_attention,
        causal=True,
        dtypes=FLOATS,
        devices=("cpu", "cuda"),
        interpreted_on=("cpu",),
    )
