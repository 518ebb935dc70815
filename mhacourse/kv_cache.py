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

__all__ = ["KVCache", "cache_bytes_per_token", "causal_mask_with_offset"]


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

    def append(self, k: torch.Tensor, v: torch.Tensor):
        """Add new keys and values (B, H_kv, L, E); return all, (B, H_kv, T, E)."""
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


def causal_mask_with_offset(L: int, T: int, device=None) -> torch.Tensor:
    """Causal (L, T) mask for the last L of T tokens: query i sees keys 0..T-L+i.

    >>> causal_mask_with_offset(2, 4).int().tolist()
    [[1, 1, 1, 0], [1, 1, 1, 1]]
    """
    queries = torch.arange(T - L, T, device=device)  # (L,) absolute positions
    keys = torch.arange(T, device=device)  # (T,)
    return keys[None, :] <= queries[:, None]  # (L, T)
