"""Tests for mhacourse.kv_cache and mhacourse.gqa helpers."""

import pytest
import torch

from mhacourse import MultiHeadAttention
from mhacourse.gqa import check_num_kv_heads, repeat_kv
from mhacourse.kv_cache import KVCache, cache_bytes_per_token
from mhacourse.masks import causal_mask


def test_cache_grows_and_counts_its_bytes():
    mha = MultiHeadAttention(16, 4, num_kv_heads=2, dtype=torch.float64).eval()
    cache = KVCache()
    assert len(cache) == 0 and cache.nbytes() == 0
    for _ in range(5):
        mha(torch.randn(3, 1, 16, dtype=torch.float64), cache=cache)
    assert cache.k.shape == cache.v.shape == (3, 2, 5, 4)  # (B, H_kv, T, E)
    per_token = cache_bytes_per_token(1, 2, 4, torch.float64) * 3  # 3 sequences
    assert cache.nbytes() == 5 * per_token


@pytest.mark.parametrize(
    "layers, h_kv, e, dtype, expected",
    [(1, 1, 1, torch.float32, 8), (32, 32, 128, torch.float16, 524288),
     (32, 8, 128, torch.bfloat16, 131072), (2, 3, 5, torch.float64, 480)],
)  # fmt: skip
def test_cache_bytes_per_token_formula(layers, h_kv, e, dtype, expected):
    assert cache_bytes_per_token(layers, h_kv, e, dtype) == expected


def test_offset_causal_mask_matches_the_bottom_rows_of_the_full_one():
    full = torch.ones(6, 6, dtype=torch.bool).tril()
    for L in range(1, 7):
        assert torch.equal(causal_mask(L, 6, offset=6 - L), full[6 - L :])


def test_repeat_kv_groups_consecutive_heads():
    k = torch.arange(3.0).reshape(1, 3, 1, 1)  # (B, H_kv, S, E)
    assert repeat_kv(k, 2).flatten().tolist() == [0, 0, 1, 1, 2, 2]
    assert repeat_kv(k, 1) is k


def test_check_num_kv_heads():
    assert check_num_kv_heads(None, 6) == 6
    assert [check_num_kv_heads(n, 6) for n in (1, 2, 3, 6)] == [1, 2, 3, 6]
    for bad in (4, 0, 12):
        with pytest.raises(ValueError, match=f"num_kv_heads={bad} must be"):
            check_num_kv_heads(bad, 6)


@pytest.mark.parametrize(
    "shape,words",
    [
        ((3, 4, 1, 8), "batch B"),
        ((2, 2, 1, 8), "heads H_kv"),
        ((2, 4, 1, 6), "head size E"),
    ],
)
def test_append_refuses_a_step_that_does_not_match_the_cache(shape, words):
    cache = KVCache()
    cache.append(torch.zeros(2, 4, 3, 8), torch.zeros(2, 4, 3, 8))
    with pytest.raises(ValueError, match=words):
        cache.append(torch.zeros(shape), torch.zeros(shape))
    assert len(cache) == 3  # nothing was appended


def test_append_refuses_keys_and_values_of_different_lengths():
    with pytest.raises(ValueError, match="share"):
        KVCache().append(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 2, 4))


def test_reset_starts_a_new_sequence():
    mha = MultiHeadAttention(16, 4, dtype=torch.float64).eval()
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    cache = KVCache()
    first, _ = mha(x, cache=cache)
    cache.reset()
    assert len(cache) == 0 and cache.nbytes() == 0
    again, _ = mha(x, cache=cache)
    torch.testing.assert_close(again, first)
    assert len(cache) == 5


@pytest.mark.parametrize("kernel", ["vectorized", "tiled"])
def test_a_refused_step_leaves_the_cache_as_it_was(kernel):
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 4, kernel=kernel, dropout=0.1)
    cache = KVCache()
    mha.eval()(torch.randn(2, 3, 16), cache=cache)
    k, v = cache.k, cache.v
    bad_mask = torch.ones(2, 4, 1, 99, dtype=torch.bool)  # (B, H, L, T) with T wrong
    with pytest.raises(ValueError, match="mask"):
        mha(torch.randn(2, 1, 16), mask=bad_mask, cache=cache)
    if kernel == "tiled":  # tiled cannot drop out: refused in training
        with pytest.raises(ValueError, match="dropout"):
            mha.train()(torch.randn(2, 1, 16), cache=cache)
    assert len(cache) == 3 and cache.k is k and cache.v is v


def test_the_cache_refuses_another_dtype_or_device():
    cache = KVCache()
    cache.append(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))
    new = torch.zeros(1, 2, 1, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"float64.*float32"):
        cache.append(new, new)
    meta = torch.zeros(1, 2, 1, 4, device="meta")
    with pytest.raises(ValueError, match="meta"):
        cache.append(meta, meta)
    assert cache.k.dtype == torch.float32 and len(cache) == 3
