"""KV sharing across layers: a layer attends over an earlier layer's cache.

Two layers decode with one cache (``SharedKVCache`` in the second); the
result equals the full pass in which layer 2's queries attend over layer 1's
keys and values, computed here with ``F.scaled_dot_product_attention``.
Shape legend: B batch, H heads, H_kv key/value heads, T tokens, D model dim,
E head dim.
"""

import pytest
import torch
import torch.nn.functional as F

from mhacourse import KVCache, MultiHeadAttention
from mhacourse.kv_budget import kv_cache_bytes
from mhacourse.kv_cache import SharedKVCache

TOL = dict(atol=1e-10, rtol=1e-10)
B, T, D, H, H_kv = 2, 7, 12, 4, 2


def layers():
    torch.manual_seed(0)
    make = lambda: MultiHeadAttention(D, H, num_kv_heads=H_kv, dtype=torch.float64)  # noqa: E731
    return make(), make()


def shared_kv_reference(first, second, x):
    """Full pass: layer 2's queries over layer 1's keys and values, causally."""
    y = x + first(x, is_causal=True)[0]  # (B, T, D): layer 2's input
    heads = lambda t, n: t.unflatten(-1, (n, -1)).transpose(1, 2)  # noqa: E731
    q = heads(second.q_proj(y), H)  # (B, H, T, E)
    k, v = heads(first.k_proj(x), H_kv), heads(first.v_proj(x), H_kv)  # (B,H_kv,T,E)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True)
    return second.out_proj(out.transpose(1, 2).flatten(-2))  # (B, T, D)


@pytest.mark.parametrize("chunks", [[1] * T, [3, 1, 3], [7]])
def test_the_sharing_layer_reads_the_first_layers_keys_and_values(chunks):
    first, second = layers()
    x = torch.randn(B, T, D, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64)  # fmt: skip
    owner = KVCache()
    shared, outs, start = SharedKVCache(owner), [], 0
    for n in chunks:
        step = x[:, start : start + n]  # (B, n, D)
        y = step + first(step, cache=owner)[0]  # (B, n, D)
        outs.append(second(y, cache=shared)[0])
        start += n
    torch.testing.assert_close(
        torch.cat(outs, dim=1), shared_kv_reference(first, second, x), **TOL
    )
    E, float64 = D // H, torch.float64
    assert shared.nbytes() == 0 and len(shared) == T
    assert owner.nbytes() == kv_cache_bytes(T, H_kv, E, float64, batch_size=B)


def test_the_owner_must_run_first_and_shapes_must_fit():
    owner = KVCache()
    shared = SharedKVCache(owner)
    kv = torch.zeros(1, 2, 3, 4)  # (B, H_kv, L, E)
    with pytest.raises(ValueError, match=r"owner cache holds 0 tokens.*seen 3"):
        shared.append(kv, kv)
    owner.append(kv, kv)
    with pytest.raises(ValueError, match="heads H_kv differs"):
        SharedKVCache(owner).append(torch.zeros(1, 1, 3, 4), torch.zeros(1, 1, 3, 4))
    with pytest.raises(TypeError, match="owner must be a KVCache, got dict"):
        SharedKVCache({})
