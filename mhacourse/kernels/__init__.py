"""Attention kernels with one shared contract.

Every kernel is ``scaled_dot_product_attention(q, k, v, mask=None, scale=None)``
with q (..., L, E), k (..., S, E), v (..., S, Ev) and returns
``(out, weights)`` with out (..., L, Ev) and weights (..., L, S) or None.

* :mod:`mhacourse.kernels.naive` - Python loops that read like the maths.
* :mod:`mhacourse.kernels.vectorized` - the same maths as batched matmuls.
* :mod:`mhacourse.kernels.tiled` - keys in blocks with an online softmax;
  memory linear in L, returns ``(out, None)``.
"""
from . import naive, tiled, vectorized

__all__ = ["naive", "vectorized", "tiled"]
