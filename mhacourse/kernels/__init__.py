"""Attention kernels with one shared contract.

Every kernel is ``scaled_dot_product_attention(q, k, v, mask=None, scale=None)``
with q (..., L, E), k (..., S, E), v (..., S, Ev) and returns
``(out, weights)`` with out (..., L, Ev) and weights (..., L, S) or None.

* :mod:`mhacourse.kernels.naive` - Python loops that read like the maths.
* :mod:`mhacourse.kernels.vectorized` - the same maths as batched matmuls.
"""
from . import naive, vectorized

__all__ = ["naive", "vectorized"]
