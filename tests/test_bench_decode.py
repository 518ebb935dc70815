"""The decode benchmark: one step per variant, timed in turns, caches read back."""

import torch

from mhacourse.bench.decode import REAL_SIZED, _fill, _step, _variants, decode_times
from mhacourse.kv_budget import kv_cache_bytes, latent_cache_bytes

SMALL = dict(REAL_SIZED, embed_dim=64, num_heads=4, num_kv_heads=2, kv_latent_dim=16,
             rope_dim=4, window=8, num_sink_tokens=1)  # fmt: skip


def test_rows_carry_the_cache_bytes_of_the_formulas_and_mha_is_the_unit():
    T, E, f32 = 32, 16, torch.float32
    r = decode_times(SMALL, context=T, rounds=1, min_run_time=0.001)
    rows = {row["variant"]: row for row in r["rows"]}
    assert rows["MHA"]["ratio_to_mha"] == 1.0
    want = {
        "MHA": kv_cache_bytes(T, 4, E, f32),
        "GQA (2 KV heads)": kv_cache_bytes(T, 2, E, f32),
        "MQA": kv_cache_bytes(T, 1, E, f32),
        "MLA, absorbed": latent_cache_bytes(T, 16, 4, f32),
        "window 8 + 1 sinks": kv_cache_bytes(T, 4, E, f32, window=8, num_sink_tokens=1),
        "KV sharing (2 layers)": kv_cache_bytes(T, 4, E, f32, layers_per_cache=2),
    }
    for name, bytes_ in want.items():
        assert rows[name]["cache_bytes_per_token"] == bytes_ / T, name
    assert all(row["step_s"] > 0 for row in r["rows"])


def test_a_timed_step_leaves_the_caches_as_they_were():
    x = torch.randn(1, 1, SMALL["embed_dim"])  # (B, 1, D)
    for name, (layers, caches, kwargs) in _variants(SMALL).items():
        caches = _fill(layers, caches, 20)
        grow = 0 if "window" in name else 1  # a full rolling cache evicts one
        lengths = [len(c) for c in caches]
        step = _step(layers, caches, kwargs, x)
        step()
        first = [c.k.clone() if c.k is not None else None for c in caches]
        step()  # a second step starts from the same context as the first
        assert [len(c) for c in caches] == [n + grow for n in lengths], name
        for c, k in zip(caches, first, strict=True):
            assert k is None or torch.equal(c.k, k), name
