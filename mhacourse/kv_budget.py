"""KV-cache bytes of today's attention variants: by formula, and measured.

Most of what changed in multi-head attention since 2017 shrinks the KV cache,
the keys and values a decoder keeps for every earlier token. Per layer, for
T tokens of one sequence, with s bytes per number:

=====================  =================================  =====================
variant                cache bytes                        what is cached
=====================  =================================  =====================
MHA                    2 H E s T                          H keys and values
GQA (H_kv heads)       2 H_kv E s T                       H_kv keys and values
MQA                    2 E s T                            one key, one value
MLA                    (C + R) s T                        latent c, RoPE key
sliding window (GQA)   2 H_kv E s min(T, W + N)           last W, first N sinks
KV sharing (GQA)       2 H_kv E s T / k                   one cache, k layers
=====================  =================================  =====================

Shape legend: H heads, H_kv key/value heads, E head dim, C kv_latent_dim,
R rope_dim, W window, N num_sink_tokens, k layers per cache (KV sharing:
the bytes of one layer, averaged over the k that read one cache), T tokens.
:func:`budget_table`
fills the real caches (:class:`~mhacourse.kv_cache.KVCache`,
:class:`~mhacourse.mla.LatentCache`,
:class:`~mhacourse.kv_cache.SlidingWindowCache`,
:class:`~mhacourse.kv_cache.SharedKVCache`) with T tokens of the
shapes the modules append and reads their bytes back, beside the formulas.
"""

from __future__ import annotations

import torch

from .kv_cache import KVCache, SharedKVCache, SlidingWindowCache
from .mla import LatentCache

__all__ = ["budget_table", "kv_cache_bytes", "latent_cache_bytes"]


def _itemsize(dtype) -> int:
    return torch.empty((), dtype=dtype).element_size()


def kv_cache_bytes(num_tokens, num_kv_heads, head_dim, dtype=torch.float16, *,
                   window=None, num_sink_tokens=0, batch_size=1,
                   layers_per_cache=1):  # fmt: skip
    """Bytes of one layer's key/value cache: 2 B H_kv E s min(T, W + N) / k.

    ``window=None``: no window, every token is kept (MHA, GQA, MQA).
    ``layers_per_cache=k`` > 1: k layers share one cache (KV sharing), so a
    layer costs 1 / k of it (a float unless k divides it).

    >>> kv_cache_bytes(4096, 8, 128)  # GQA, 4096 tokens, fp16: 16 MiB
    16777216
    >>> kv_cache_bytes(10_000, 8, 128, window=4096, num_sink_tokens=4) // 4096
    4100
    """
    kept = num_tokens
    if window is not None:
        kept = min(num_tokens, window + num_sink_tokens)
    total = 2 * batch_size * num_kv_heads * head_dim * _itemsize(dtype) * kept
    return total if layers_per_cache == 1 else total / layers_per_cache


def latent_cache_bytes(num_tokens, kv_latent_dim, rope_dim, dtype=torch.float16,
                       batch_size=1) -> int:  # fmt: skip
    """Bytes of one MLA layer's cache: B T (C + R) s.

    >>> latent_cache_bytes(4096, 512, 64)  # DeepSeek-V2's sizes, fp16
    4718592
    """
    return batch_size * num_tokens * (kv_latent_dim + rope_dim) * _itemsize(dtype)


def budget_table(num_tokens, *, num_heads, head_dim, num_kv_heads, kv_latent_dim,
                 rope_dim, window, num_sink_tokens=0, dtype=torch.float16,
                 layers_per_cache=2, chunk=1024) -> list[dict]:  # fmt: skip
    """One row per variant: the cache's measured bytes and the formula's.

    Each cache gets ``num_tokens`` tokens of one sequence (B = 1), ``chunk``
    at a time, of the shapes its module appends; ``measured`` is what its
    ``nbytes()`` then reads from the tensors' storage. KV sharing fills one
    :class:`~mhacourse.kv_cache.KVCache` and ``layers_per_cache - 1``
    :class:`~mhacourse.kv_cache.SharedKVCache` reading it, and reports their
    bytes summed and divided by ``layers_per_cache``: bytes per layer.

    >>> rows = budget_table(100, num_heads=4, head_dim=8, num_kv_heads=2,
    ...                     kv_latent_dim=6, rope_dim=2, window=32, chunk=7)
    >>> [(r["variant"], r["measured"], r["measured"] == r["formula"]) for r in rows]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('MHA', 12800, True), ('GQA', 6400, True), ('MQA', 3200, True),
     ('MLA', 1600, True), ('sliding window', 2048, True),
     ('KV sharing', 3200.0, True)]
    """
    T, H, E, s = num_tokens, num_heads, head_dim, dtype
    kv = dict(window=window, num_sink_tokens=num_sink_tokens)
    variants = [  # (name, cache, (H_kv, key dim, value dim) appended, formula)
        ("MHA", KVCache(), (H, E, E), kv_cache_bytes(T, H, E, s)),
        ("GQA", KVCache(), (num_kv_heads, E, E), kv_cache_bytes(T, num_kv_heads, E, s)),
        ("MQA", KVCache(), (1, E, E), kv_cache_bytes(T, 1, E, s)),
        ("MLA", LatentCache(), (1, kv_latent_dim, rope_dim),
         latent_cache_bytes(T, kv_latent_dim, rope_dim, s)),
        ("sliding window", SlidingWindowCache(**kv), (num_kv_heads, E, E),
         kv_cache_bytes(T, num_kv_heads, E, s, **kv)),
        ("KV sharing", _shared(layers_per_cache), (num_kv_heads, E, E),
         kv_cache_bytes(T, num_kv_heads, E, s, layers_per_cache=layers_per_cache)),
    ]  # fmt: skip
    rows = []
    for name, caches, (heads, k_dim, v_dim), formula in variants:
        caches = caches if isinstance(caches, list) else [caches]  # the layers
        for start in range(0, T, chunk):
            n = min(chunk, T - start)  # tokens in this chunk
            k = torch.zeros(1, heads, n, k_dim, dtype=dtype)  # (B, H_kv, n, E)
            v = torch.zeros(1, heads, n, v_dim, dtype=dtype)  # (B, H_kv, n, Ev)
            for cache in caches:  # the owner first, as its layer runs first
                cache.append(k, v)
        measured = sum(c.nbytes() for c in caches)
        if len(caches) > 1:
            measured /= len(caches)  # bytes per layer
        rows.append(dict(variant=name, measured=measured, formula=formula,
                         per_token=measured / T))  # fmt: skip
    return rows


def _shared(layers: int) -> list:
    """One owner cache and ``layers - 1`` caches that read it."""
    owner = KVCache()
    return [owner] + [SharedKVCache(owner) for _ in range(layers - 1)]
