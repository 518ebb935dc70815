"""Peak-memory measurement: checked against allocations whose size we know."""

import pytest
import torch

from mhacourse.bench.memory import peak_memory, replay_peak


def test_replay_peak():
    assert replay_peak([]) == 0
    assert replay_peak([10, -10, 5, 5, -7]) == 10
    assert replay_peak([3, 4, -1, 6]) == 12


def test_one_known_allocation():
    assert peak_memory(lambda: torch.empty(1000, 1000)) == 4_000_000  # float32


def test_temporaries_count_even_when_freed():
    def two_temporaries():
        a = torch.ones(500, 1000, dtype=torch.float64)  # 4 MB
        b = a * 2  # 4 MB more while a is alive
        del a
        return b.sum()  # a scalar survives

    peak = peak_memory(two_temporaries)
    assert 8_000_000 <= peak < 8_100_000


def test_existing_tensors_are_not_counted():
    big = torch.ones(1000, 1000)
    assert peak_memory(lambda: big.sum()) < 10_000


def test_bad_device():
    with pytest.raises(ValueError, match="device"):
        peak_memory(lambda: None, device="meta")


@pytest.mark.cuda
def test_cuda_known_allocation():
    assert (
        peak_memory(lambda: torch.empty(1024, 1024, device="cuda"), device="cuda")
        == 4 * 1024 * 1024
    )
