"""A key/value cache for incremental (token-by-token) decoding.

A decoder that generates one token at a time would, without a cache, project
the keys and values of the whole prefix again at every step. Thanks to the
causal mask, the keys and values of earlier tokens never change, so each
self-attention layer can keep them: a step projects only the new token,
appends its key and value to the cache, and attends over everything cached.
``MultiHeadAttention(...)(x_new, cache=KVCache())`` does this; the result
equals the full masked pass.

Shape legend: B batch, H_kv key/value heads, T cached tokens, E head dim.
"""

from __future__ import annotations

import torch

__all__ = ["KVCache", "cache_bytes_per_token"]


class KVCache:
    """The keys and values one attention layer has seen so far.

    ``k`` and ``v`` are (B, H_kv, T, E) tensors (None before the first step).
    Pass one cache per layer to ``MultiHeadAttention.forward(..., cache=...)``.

    >>> cache = KVCache()
    >>> k, v = cache.append(torch.zeros(2, 4, 3, 8), torch.zeros(2, 4, 3, 8))
    >>> len(cache), tuple(k.shape), cache.nbytes()
    (3, (2, 4, 3, 8), 1536)
    """

    def __init__(self):
        self.k = None
        self.v = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.shape[-2]

    def reset(self) -> None:
        """Forget every cached token, to start a new sequence with the same cache.

        >>> cache = KVCache()
        >>> _ = cache.append(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
        >>> cache.reset(); len(cache)
        0
        """
        self.k = None
        self.v = None

    def append(self, k: torch.Tensor, v: torch.Tensor):
        """Add new keys and values (B, H_kv, L, E); return all, (B, H_kv, T, E).

        The new tokens must match the cached ones in batch B, heads H_kv and
        head size E (the value size may differ from the key size).

        >>> cache = KVCache()
        >>> _ = cache.append(torch.zeros(2, 4, 1, 8), torch.zeros(2, 4, 1, 8))
        >>> cache.append(torch.zeros(3, 4, 1, 8), torch.zeros(3, 4, 1, 8))
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: k has shape (3, 4, 1, 8) but the cache holds ...: batch B differs
        """
        _check_step(k, v, self.k, self.v)
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k = torch.cat([self.k, k], dim=-2)  # (B, H_kv, T, E)
            self.v = torch.cat([self.v, v], dim=-2)  # (B, H_kv, T, E)
        return self.k, self.v

    def nbytes(self) -> int:
        """Bytes held by the cached keys and values (read from their storage)."""
        if self.k is None:
            return 0
        return self.k.untyped_storage().nbytes() + self.v.untyped_storage().nbytes()


def cache_bytes_per_token(num_layers, num_kv_heads, head_dim, dtype=torch.float32):
    """Cache memory per token: 2 (keys and values) * layers * H_kv * E * bytes.

    >>> cache_bytes_per_token(32, 8, 128, torch.float16)  # a GQA model in fp16
    131072
    """
    itemsize = torch.empty((), dtype=dtype).element_size()
    return 2 * num_layers * num_kv_heads * head_dim * itemsize


def _check_step(k, v, cached_k, cached_v) -> None:
    """Refuse new keys/values whose B, H_kv or head size differ from the cache's."""
    for name, t in (("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.dim() != 4:
            shape = tuple(getattr(t, "shape", ()))
            raise ValueError(f"{name} must be a (B, H_kv, L, E) tensor, got {shape}")
    if k.shape[:3] != v.shape[:3]:
        raise ValueError(
            f"k and v must share (B, H_kv, L), got k {tuple(k.shape)} and "
            f"v {tuple(v.shape)}"
        )
    if cached_k is None:
        return
    for name, t, held in (("k", k, cached_k), ("v", v, cached_v)):
        for dim, what in ((0, "batch B"), (1, "heads H_kv"), (3, "head size E")):
            if t.shape[dim] != held.shape[dim]:
                raise ValueError(
                    f"{name} has shape {tuple(t.shape)} but the cache holds "
                    f"(B, H_kv, T, E) = {tuple(held.shape)}: {what} differs"
                )
