"""A key/value cache for incremental (token-by-token) decoding.

A decoder that generates one token at a time would, without a cache, project
the keys and values of the whole prefix again at every step. Thanks to the
causal mask, the keys and values of earlier tokens never change, so each
self-attention layer can keep them: a step projects only the new token,
appends its key and value to the cache, and attends over everything cached.
``MultiHeadAttention(...)(x_new, cache=KVCache())`` does this; the result
equals the full masked pass.

Shape legend: B batch, H_kv key/value heads, T cached tokens, E head dim.
:class:`SlidingWindowCache` keeps only what sliding-window attention with
attention sinks can still read: at most ``window + num_sink_tokens`` tokens.
:class:`SharedKVCache` lets a layer read another layer's cache instead of
keeping its own (KV sharing across layers).
"""

from __future__ import annotations

import torch

from .masks import sliding_window_mask

__all__ = ["KVCache", "SharedKVCache", "SlidingWindowCache", "cache_bytes_per_token"]


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


class SlidingWindowCache(KVCache):
    """A rolling KV cache: the first ``num_sink_tokens`` tokens and the last ``window``.

    The cache of sliding-window attention with attention sinks (Mistral's
    rolling buffer; StreamingLLM), for query i seeing key j iff j <= i and
    (i - j < window or j < num_sink_tokens), as in
    :func:`~mhacourse.masks.sliding_window_mask`. However long the sequence,
    it holds at most ``window + num_sink_tokens`` tokens. ``append`` returns
    the kept tokens plus the new ones, then forgets every token no later
    query can see. The returned keys are no longer positions 0..T-1, so pass
    ``mask=cache.next_mask(L)`` with the next L tokens to
    ``MultiHeadAttention(..., cache=cache)``; ``positions`` holds the
    position of each kept token.

    >>> cache = SlidingWindowCache(window=2, num_sink_tokens=1)
    >>> for _ in range(5):
    ...     _ = cache.append(torch.zeros(1, 1, 1, 4), torch.zeros(1, 1, 1, 4))
    >>> len(cache), cache.positions.tolist()  # sink 0, then the last two
    (3, [0, 3, 4])
    >>> cache.next_mask(1).int().tolist()  # token 5 sees 0 (sink), 4 and itself
    [[1, 0, 1, 1]]
    """

    def __init__(self, window: int, num_sink_tokens: int = 0):
        super().__init__()
        sliding_window_mask(0, window, num_sink_tokens)  # checks both, names them
        self.window, self.num_sink_tokens = window, num_sink_tokens
        self.reset()

    def reset(self) -> None:
        """Forget every cached token and start again at position 0.

        >>> cache = SlidingWindowCache(window=2)
        >>> _ = cache.append(torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 2))
        >>> cache.reset(); len(cache), cache.seen
        (0, 0)
        """
        super().reset()
        self.positions = torch.zeros(0, dtype=torch.long)  # (T,) kept positions
        self.seen = 0  # tokens appended since the last reset

    def next_mask(self, L: int, device=None) -> torch.Tensor:
        """Bool (L, T + L) mask for the next L tokens over what append returns.

        >>> SlidingWindowCache(window=3).next_mask(2).int().tolist()
        [[1, 0], [1, 1]]
        """
        queries = torch.arange(self.seen, self.seen + L)  # (L,) positions
        keys = torch.cat([self.positions, queries])  # (T + L,)
        back = queries[:, None] - keys[None, :]  # (L, T + L): i - j
        sink = keys[None, :] < self.num_sink_tokens  # (1, T + L)
        device = device if device is not None or self.k is None else self.k.device
        return ((back >= 0) & ((back < self.window) | sink)).to(device)  # (L, T + L)

    def append(self, k: torch.Tensor, v: torch.Tensor):
        """Add (B, H_kv, L, E) keys and values; return kept + new, then evict.

        >>> cache = SlidingWindowCache(window=2)
        >>> k, v = cache.append(torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 2))
        >>> tuple(k.shape), len(cache)  # all 3 returned, the last 2 kept
        ((1, 1, 3, 2), 2)
        """
        k_all, v_all = super().append(k, v)  # (B, H_kv, T + L, E)
        L = k.shape[-2]
        new = torch.arange(self.seen, self.seen + L)  # (L,)
        self.positions = torch.cat([self.positions, new])  # (T + L,)
        self.seen += L
        keep = (self.positions < self.num_sink_tokens) | (
            self.positions >= self.seen - self.window
        )  # (T + L,)
        if not keep.all():
            index = keep.nonzero().squeeze(-1).to(k.device)  # (T',) kept indices
            self.k = self.k.index_select(-2, index)  # (B, H_kv, T', E): own storage
            self.v = self.v.index_select(-2, index)  # (B, H_kv, T', Ev)
            self.positions = self.positions[keep]  # (T',)
        return k_all, v_all


class SharedKVCache(KVCache):
    """Another layer's cache, read instead of kept: KV sharing across layers.

    Cross-layer attention (Brandon et al., 2024) and Gemma's KV sharing let
    a layer attend over the keys and values an earlier layer cached, so only
    one of them keeps a cache. Pass ``SharedKVCache(owner)`` to the sharing
    layer: ``append`` ignores the layer's own new keys and values (checking
    only that they fit: same B, H_kv, E and L new tokens) and returns the
    owner's, which must already hold this step's tokens (run the owner's
    layer first). It holds no tensor of its own: ``nbytes()`` is 0.

    >>> owner = KVCache()
    >>> _ = owner.append(torch.ones(1, 2, 3, 4), torch.ones(1, 2, 3, 4))
    >>> shared = SharedKVCache(owner)
    >>> k, v = shared.append(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
    >>> k is owner.k, len(shared), shared.nbytes()
    (True, 3, 0)
    """

    def __init__(self, owner: KVCache):
        if not isinstance(owner, KVCache):
            raise TypeError(f"owner must be a KVCache, got {type(owner).__name__}")
        super().__init__()
        self.owner, self.seen = owner, 0

    def __len__(self) -> int:
        return len(self.owner)

    def reset(self) -> None:
        """Start a new sequence (reset the owner too, it is not reset here).

        >>> owner = KVCache()
        >>> shared = SharedKVCache(owner)
        >>> owner.reset(); shared.reset(); len(shared)
        0
        """
        self.seen = 0

    def append(self, k: torch.Tensor, v: torch.Tensor):
        """Check that the new (B, H_kv, L, E) keys fit; return the owner's, T tokens.

        >>> owner = KVCache()
        >>> _ = owner.append(torch.ones(1, 1, 2, 4), torch.ones(1, 1, 2, 4))
        >>> k, _ = SharedKVCache(owner).append(torch.zeros(1, 1, 2, 4),
        ...                                    torch.zeros(1, 1, 2, 4))
        >>> k.sum().item()  # the owner's keys, not the zeros passed in
        8.0
        """
        _check_step(k, v, self.owner.k, self.owner.v)
        self.seen += k.shape[-2]
        if self.seen != len(self.owner):
            raise ValueError(
                f"the owner cache holds {len(self.owner)} tokens but this layer "
                f"has seen {self.seen}: run the owner's layer first at every step"
            )
        return self.owner.k, self.owner.v


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
        if (t.dtype, t.device) != (held.dtype, held.device):
            raise ValueError(
                f"{name} of shape {tuple(t.shape)} is {t.dtype} on {t.device} but "
                f"the cache holds {held.dtype} on {held.device}"
            )
        for dim, what in ((0, "batch B"), (1, "heads H_kv"), (3, "head size E")):
            if t.shape[dim] != held.shape[dim]:
                raise ValueError(
                    f"{name} has shape {tuple(t.shape)} but the cache holds "
                    f"(B, H_kv, T, E) = {tuple(held.shape)}: {what} differs"
                )
