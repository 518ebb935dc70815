"""Decode time per token with a KV cache, for each attention variant of today's LLMs.

One decoding step of a generating model runs every layer on one new token
against the cache of all earlier ones; the cache is read in full at every
step, so the time of a step grows with the bytes cached. :func:`decode_times`
builds two layers of each variant at a real model's width, fills their caches
with ``context`` earlier tokens, and times one step (both layers) of each, in
interleaved rounds (:func:`~mhacourse.bench.timing.compare`), so that the
ratios to multi-head attention come from one run. Before each timed step the
caches are put back as they were, so every step sees the same context. The
course's caches grow by concatenation, which copies the cache once per step:
that copy is part of the time measured, as it would be in a learner's decoder.

Shape legend: B = 1 sequence, D model dim, H heads, H_kv key/value heads,
E = D // H, C latent dim, R RoPE dim, W window, N sinks, T cached tokens.
"""

from __future__ import annotations

import time

import torch

from ..kv_cache import KVCache, SharedKVCache, SlidingWindowCache
from ..mha import MultiHeadAttention
from ..mla import MultiHeadLatentAttention
from .timing import compare

__all__ = ["REAL_SIZED", "decode_times"]

REAL_SIZED = dict(embed_dim=1024, num_heads=16, num_kv_heads=4, kv_latent_dim=256,
                  rope_dim=32, window=512, num_sink_tokens=4)  # fmt: skip
"""A layer of a small real model (D = 1024, H = 16, E = 64) and its variants."""


def _variants(cfg: dict) -> dict:
    """name -> (two attention layers, their caches, call keywords)."""
    D, H, Hkv = cfg["embed_dim"], cfg["num_heads"], cfg["num_kv_heads"]
    mla = dict(kv_latent_dim=cfg["kv_latent_dim"], rope_dim=cfg["rope_dim"])
    W, N = cfg["window"], cfg["num_sink_tokens"]

    def mha(kv=None):
        return [MultiHeadAttention(D, H, num_kv_heads=kv) for _ in range(2)]

    owner = KVCache()
    return {
        "MHA": (mha(), [KVCache(), KVCache()], {}),
        f"GQA ({Hkv} KV heads)": (mha(Hkv), [KVCache(), KVCache()], {}),
        "MQA": (mha(1), [KVCache(), KVCache()], {}),
        "MLA, plain": ([MultiHeadLatentAttention(D, H, **mla) for _ in range(2)],
                       None, {"absorbed": False}),
        "MLA, absorbed": ([MultiHeadLatentAttention(D, H, **mla) for _ in range(2)],
                          None, {"absorbed": True}),
        f"window {W} + {N} sinks": (
            mha(), [SlidingWindowCache(W, N), SlidingWindowCache(W, N)], {}),
        "KV sharing (2 layers)": (mha(), [owner, SharedKVCache(owner)], {}),
    }  # fmt: skip


def _fill(layers, caches, context: int):
    """Caches holding ``context`` earlier tokens (random keys and values)."""
    if caches is None:  # MLA: the layers' own latent caches
        caches = [layer.new_cache() for layer in layers]
    g = torch.Generator().manual_seed(0)
    for layer, cache in zip(layers, caches, strict=True):
        if isinstance(cache, SharedKVCache):
            cache.seen = len(cache.owner)  # it read the owner at every step
            continue
        if isinstance(layer, MultiHeadLatentAttention):
            shapes = (layer.kv_latent_dim, layer.rope_dim)  # latent, RoPE key
            k = torch.randn(1, 1, context, shapes[0], generator=g)  # (B, 1, T, C)
            v = torch.randn(1, 1, context, shapes[1], generator=g)  # (B, 1, T, R)
        else:
            Hkv, E = layer.num_kv_heads, layer.head_dim
            k = torch.randn(1, Hkv, context, E, generator=g)  # (B, H_kv, T, E)
            v = torch.randn(1, Hkv, context, E, generator=g)  # (B, H_kv, T, E)
        cache.append(k, v)
    return caches


def _step(layers, caches, kwargs, x):
    """One decoding step of both layers, from the same saved caches every call."""
    saved = [dict(vars(c)) for c in caches]

    def step():
        for cache, state in zip(caches, saved, strict=True):
            vars(cache).clear()
            vars(cache).update(state)
        for layer, cache in zip(layers, caches, strict=True):
            extra = dict(kwargs)
            if isinstance(cache, SlidingWindowCache):
                extra["mask"] = cache.next_mask(1)  # (1, T + 1)
            layer(x, cache=cache, **extra)

    return step


@torch.no_grad()
def decode_times(cfg: dict = REAL_SIZED, context=2048, rounds=5, min_run_time=0.2):
    """Median CPU seconds of one decoding step (two layers) of each variant.

    Returns a dict with the config, ``context`` (T), and ``rows``: one per
    variant with ``step_s`` (median, process time), ``ratio_to_mha`` and
    ``cache_bytes_per_token`` (float32, per layer, read from the caches after
    the fill). Use one thread: process time then counts only this step.

    >>> cfg = dict(REAL_SIZED, embed_dim=64, num_heads=4, num_kv_heads=2,
    ...            kv_latent_dim=16, rope_dim=4, window=8, num_sink_tokens=1)
    >>> r = decode_times(cfg, context=32, rounds=1, min_run_time=0.001)
    >>> [row["cache_bytes_per_token"] for row in r["rows"]]  # 4 bytes each
    [512.0, 256.0, 128.0, 80.0, 80.0, 144.0, 256.0]
    """
    torch.manual_seed(0)
    fns, bytes_per_token = {}, {}
    x = torch.randn(1, 1, cfg["embed_dim"])  # (B, 1, D): the new token
    for name, (layers, caches, kwargs) in _variants(cfg).items():
        caches = _fill(layers, caches, context)
        bytes_per_token[name] = sum(c.nbytes() for c in caches) / len(caches) / context
        fns[name] = _step(layers, caches, kwargs, x)
    times = compare(fns, rounds=rounds, min_run_time=min_run_time,
                    timer=time.process_time)  # fmt: skip
    mha = times["MHA"]["median_s"]
    rows = [
        dict(variant=name, step_s=t["median_s"], ratio_to_mha=t["median_s"] / mha,
             cache_bytes_per_token=bytes_per_token[name])
        for name, t in times.items()
    ]  # fmt: skip
    return {"config": dict(cfg), "context": context, "threads": torch.get_num_threads(),
            "rounds": rounds, "timer": "process_time", "rows": rows}  # fmt: skip
