"""KV-cache bytes per variant: what the modules' caches hold equals the formulas.

Each module decodes T tokens with its own cache; the bytes the cache's
tensors occupy must equal :mod:`mhacourse.kv_budget`'s formula. Shape
legend: B batch, H heads, H_kv key/value heads, D model dim, E head dim,
C kv latent, R RoPE dim, W window, N sinks, T tokens.
"""

import pytest
import torch

from mhacourse import MultiHeadAttention, MultiHeadLatentAttention
from mhacourse.kv_budget import budget_table, kv_cache_bytes, latent_cache_bytes
from mhacourse.kv_cache import KVCache, SharedKVCache, SlidingWindowCache

B, T, D, H, E, H_kv, C, R, W, N = 2, 9, 24, 4, 6, 2, 5, 4, 3, 1


def decode(module, cache, dtype, windowed=False):
    """Feed T tokens one at a time; return the cache's bytes."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(B, T, D, generator=g).to(dtype)  # (B, T, D)
    for t in range(T):
        mask = cache.next_mask(1) if windowed else None
        module(x[:, t : t + 1], cache=cache, **({"mask": mask} if windowed else {}))
    return cache.nbytes()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("h_kv", [H, H_kv, 1])  # MHA, GQA, MQA
def test_mha_gqa_mqa_caches_equal_the_formula(dtype, h_kv):
    mha = MultiHeadAttention(D, H, num_kv_heads=h_kv, dtype=dtype)
    measured = decode(mha, KVCache(), dtype)
    assert measured == kv_cache_bytes(T, h_kv, E, dtype, batch_size=B)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_mla_cache_equals_the_formula(dtype):
    mla = MultiHeadLatentAttention(D, H, kv_latent_dim=C, rope_dim=R, dtype=dtype)
    measured = decode(mla, mla.new_cache(), dtype)
    assert measured == latent_cache_bytes(T, C, R, dtype, batch_size=B)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sliding_window_cache_equals_the_formula(dtype):
    mha = MultiHeadAttention(D, H, num_kv_heads=H_kv, dtype=dtype)
    measured = decode(mha, SlidingWindowCache(W, N), dtype, windowed=True)
    formula = kv_cache_bytes(T, H_kv, E, dtype, window=W, num_sink_tokens=N,
                             batch_size=B)  # fmt: skip
    assert T > W + N and measured == formula == 2 * B * H_kv * E * (W + N) * (
        dtype.itemsize
    )


def test_budget_table_measures_what_the_formulas_say():
    rows = budget_table(1000, num_heads=8, head_dim=16, num_kv_heads=2,
                        kv_latent_dim=24, rope_dim=8, window=256,
                        num_sink_tokens=4, chunk=300)  # fmt: skip
    table = {r["variant"]: r for r in rows}
    names = ["MHA", "GQA", "MQA", "MLA", "sliding window", "KV sharing"]
    assert list(table) == names
    for r in rows:
        assert r["measured"] == r["formula"] and r["per_token"] == r["measured"] / 1000
    assert table["MHA"]["per_token"] == 2 * 8 * 16 * 2  # fp16
    assert table["MLA"]["per_token"] == (24 + 8) * 2
    assert table["sliding window"]["measured"] == 2 * 2 * 16 * 2 * (256 + 4)
    assert table["KV sharing"]["measured"] == table["GQA"]["measured"] / 2


@pytest.mark.parametrize("k", [2, 3])
def test_shared_layers_cost_one_cache(k):
    """k layers decoding with one cache: 1 / k of a cache per layer."""
    mhas = [MultiHeadAttention(D, H, num_kv_heads=H_kv) for _ in range(k)]
    owner = KVCache()
    caches = [owner] + [SharedKVCache(owner) for _ in range(k - 1)]
    x = torch.randn(B, T, D, generator=torch.Generator().manual_seed(0))
    for t in range(T):
        for mha, cache in zip(mhas, caches, strict=True):
            mha(x[:, t : t + 1], cache=cache)
    per_layer = sum(c.nbytes() for c in caches) / k
    formula = kv_cache_bytes(T, H_kv, E, torch.float32, batch_size=B,
                             layers_per_cache=k)  # fmt: skip
    assert per_layer == formula == kv_cache_bytes(T, H_kv, E, batch_size=B,
                                                  dtype=torch.float32) / k  # fmt: skip
