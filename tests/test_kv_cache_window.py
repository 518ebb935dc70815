"""The rolling KV cache of sliding-window attention with attention sinks.

Cached decoding with ``SlidingWindowCache`` and ``mask=cache.next_mask(L)``
equals the full pass with ``sliding_window_mask``, token by token and in
chunks, for every kernel, while the cache never holds more than
window + num_sink_tokens tokens. Shape legend: B batch, H heads, H_kv
key/value heads, L new tokens, T kept tokens, D model dim, E head dim.
"""

import pytest
import torch

from mhacourse import MultiHeadAttention, sliding_window_mask
from mhacourse.kernels import REGISTRY
from mhacourse.kv_cache import SlidingWindowCache

TOL = dict(atol=1e-10, rtol=1e-10)
B, T, D, H, H_kv = 2, 11, 12, 4, 2


def tokens(seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, D, generator=g, dtype=torch.float64)  # (B, T, D)


CASES = [(3, 0, [1] * T), (3, 2, [4, 1, 3, 3]), (1, 1, [2, 9]), (2, 3, [1] * T)]
# Every case for every kernel, but Triton's CPU interpreter takes seconds a call:
# it gets the case with the fewest calls that still evicts and keeps sinks.
KERNEL_CASES = [
    (name, *case)
    for name in REGISTRY
    for case in (CASES if name != "triton" else CASES[2:3])
]


@pytest.mark.parametrize("name,window,sinks,chunks", KERNEL_CASES)
def test_rolling_cache_decoding_equals_the_full_windowed_pass(
    name, window, sinks, chunks
):
    torch.manual_seed(0)
    mha = MultiHeadAttention(D, H, num_kv_heads=H_kv, kernel=name,
                             dtype=torch.float64)  # fmt: skip
    x = tokens()
    full, _ = mha(x, mask=sliding_window_mask(T, window, num_sink_tokens=sinks))
    cache, outs, start = SlidingWindowCache(window, sinks), [], 0
    for n in chunks:
        step = x[:, start : start + n]  # (B, n, D)
        outs.append(mha(step, cache=cache, mask=cache.next_mask(n))[0])
        start += n
        assert len(cache) == min(start, window + sinks)
        E, float64 = D // H, 8  # the evicted tokens' storage is freed too
        assert cache.nbytes() == 2 * B * H_kv * E * float64 * len(cache)
    torch.testing.assert_close(torch.cat(outs, dim=1), full, **TOL)


def test_the_cache_keeps_the_sinks_and_the_last_window():
    cache = SlidingWindowCache(window=3, num_sink_tokens=2)
    kv = torch.zeros(1, 1, 1, 2)  # (B, H_kv, L, E)
    for t in range(8):
        cache.append(kv + t, kv - t)
    assert cache.positions.tolist() == [0, 1, 5, 6, 7]
    assert cache.k.flatten().tolist() == [0, 0, 1, 1, 5, 5, 6, 6, 7, 7]
    assert cache.v.flatten().tolist() == [0, 0, -1, -1, -5, -5, -6, -6, -7, -7]
    assert cache.nbytes() == 2 * 5 * 2 * 4  # k and v, 5 tokens, E = 2, float32
    cache.reset()
    assert len(cache) == 0 and cache.seen == 0 and cache.nbytes() == 0


def test_next_mask_is_the_window_mask_over_the_kept_keys():
    cache = SlidingWindowCache(window=2, num_sink_tokens=1)
    full = sliding_window_mask(9, 2, num_sink_tokens=1)  # (9, 9)
    kv = torch.zeros(1, 1, 3, 2)
    for step in range(3):
        mask = cache.next_mask(3)  # (3, T + 3)
        keys = torch.cat([cache.positions, torch.arange(3 * step, 3 * step + 3)])
        assert torch.equal(mask, full[3 * step : 3 * step + 3][:, keys])
        cache.append(kv, kv)


@pytest.mark.parametrize(
    "args,error,message",
    [((0,), ValueError, "window must be >= 1, got window=0"),
     ((2, -1), ValueError, "num_sink_tokens must be >= 0"),
     ((2.0,), TypeError, "window must be an int, got float")],
)  # fmt: skip
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        SlidingWindowCache(*args)
