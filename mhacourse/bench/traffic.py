"""Bytes moved between main memory and the processor, counted per kernel.

A matmul or an element-wise op is often limited not by arithmetic but by how
many bytes it must read and write. This module counts, with a simple model,
the main-memory traffic of one attention call for each kernel of the course:

* every tensor that does not fit in the cache is read from (or written to)
  main memory once per pass over it;
* a tile that fits in ``cache_bytes`` (a core's cache) costs nothing after it
  has been computed: the next op finds it there.

``vectorized``: read q, k, v; write the (L, S) scores; the softmax reads them
and writes the weights; the second matmul reads the weights; write the
output. That is ``4 L S`` numbers on top of the inputs and output.

``tiled``: the keys and values are read once per block of queries
(``ceil(L / Lb)`` times). Each (Lb, Sb) tile is read or written 8 times
(written by the matmul; read by amax; read and written by the subtraction
and by exp; read by the sum and by the second matmul), and these reach main
memory only when the tile does not fit in the cache.

``sdpa`` (a fused kernel): like ``tiled`` with tiles that always stay on chip.

Counts are approximations (they ignore the small running statistics and the
cache lines shared between neighbours) meant to explain orders of magnitude.
"""

from __future__ import annotations

import math

__all__ = ["TILE_PASSES", "bytes_moved"]

TILE_PASSES = 8  # reads and writes of one (Lb, Sb) tile in the tiled kernel
KERNELS = ("naive", "vectorized", "tiled", "sdpa")


def bytes_moved(
    name: str,
    B: int,
    H: int,
    L: int,
    S: int,
    E: int,
    Ev: int | None = None,
    itemsize: int = 4,
    query_block: int = 512,
    key_block: int = 512,
    cache_bytes: int = 2**20,
) -> int:
    """Bytes one attention call moves to and from main memory (model above).

    Args:
        name: "vectorized", "tiled" or "sdpa" ("naive" counts as "vectorized":
            same tensors, built one number at a time).
        B, H, L, S, E, Ev: shapes (Ev defaults to E).
        itemsize: bytes per number (4 for float32).
        query_block, key_block: the tile (Lb, Sb) of "tiled" and "sdpa".
        cache_bytes: a tile at most this big stays in the cache.

    >>> bytes_moved("vectorized", 1, 1, 2, 3, 4) // 4  # q 8, k 12, v 12, out 8, 4*6
    64
    >>> bytes_moved("sdpa", 1, 1, 1024, 1024, 64) // 4  # k and v read twice
    393216
    >>> bytes_moved("tiled", 1, 1, 1024, 1024, 64, query_block=1024, cache_bytes=0) // 4
    8650752
    """
    if name not in KERNELS:
        raise ValueError(f"name must be one of {list(KERNELS)}, got name={name!r}")
    for arg, n in (("L", L), ("S", S), ("E", E), ("query_block", query_block)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{arg} must be a positive int, got {arg}={n!r}")
    Ev = E if Ev is None else Ev
    q_out = L * E + L * Ev  # read q once, write the output once
    if name in ("naive", "vectorized"):
        numbers = q_out + S * (E + Ev) + 4 * L * S
    else:
        reads_of_kv = math.ceil(L / query_block) * S * (E + Ev)
        tile = min(query_block, L) * min(key_block, S) * itemsize
        spills = name == "tiled" and tile > cache_bytes
        numbers = q_out + reads_of_kv + (TILE_PASSES * L * S if spills else 0)
    return B * H * numbers * itemsize
