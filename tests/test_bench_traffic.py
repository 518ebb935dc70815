"""The memory-traffic model: hand counts, and the growth the chapter explains."""

import pytest

from mhacourse.bench.traffic import TILE_PASSES, bytes_moved


def test_hand_counts():
    # vectorized, (L, S, E, Ev) = (2, 3, 4, 5): q 8 + k 12 + v 15 + out 10 + 4 * 6
    assert bytes_moved("vectorized", 1, 1, 2, 3, 4, Ev=5) == 4 * (8 + 12 + 15 + 10 + 24)
    assert bytes_moved("naive", 2, 3, 2, 3, 4, itemsize=2) == 2 * 6 * (8 + 24 + 8 + 24)
    # fused: q and out once, k and v once per block of 256 queries: 4 blocks
    assert bytes_moved("sdpa", 1, 1, 1024, 512, 64, query_block=256) == 4 * (
        1024 * 128 + 4 * 512 * 128
    )


def test_tiles_cost_traffic_only_when_they_spill_from_the_cache():
    kw = dict(query_block=512, key_block=512)
    fits = bytes_moved("tiled", 1, 1, 4096, 4096, 64, cache_bytes=2**20, **kw)
    assert fits == bytes_moved("sdpa", 1, 1, 4096, 4096, 64, **kw)
    spills = bytes_moved("tiled", 1, 1, 4096, 4096, 64, cache_bytes=2**20 - 1, **kw)
    assert spills - fits == 4 * TILE_PASSES * 4096 * 4096


def test_growth_with_length():
    def ratio(name, **kw):
        return bytes_moved(name, 1, 1, 8192, 8192, 64, **kw) / bytes_moved(
            name, 1, 1, 4096, 4096, 64, **kw
        )

    assert ratio("vectorized") == pytest.approx(4, rel=0.01)  # the L*S matrices
    assert 3.5 < ratio("sdpa") < 4  # k and v are re-read once per query block
    assert ratio("sdpa", query_block=10**6) == 2  # one block: linear in L
    big = bytes_moved("vectorized", 1, 1, 4096, 4096, 64)
    assert big > 10 * bytes_moved("sdpa", 1, 1, 4096, 4096, 64)


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(name="flash"), "name"), (dict(L=0), "L"), (dict(query_block=0), "query")],
)
def test_bad_arguments(kwargs, match):
    args = dict(name="tiled", B=1, H=1, L=8, S=8, E=4) | kwargs
    with pytest.raises(ValueError, match=match):
        bytes_moved(**args)
