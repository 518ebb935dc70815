"""FLOP counts, checked against PyTorch's own FlopCounterMode on the computation."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import mhacourse
from mhacourse.bench.flops import (
    attention_flops,
    flops_per_second,
    format_rate,
    mha_flops,
)
from mhacourse.kernels import vectorized


def counted(fn):
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


@pytest.mark.parametrize(
    "B, H, L, S, E", [(1, 1, 4, 4, 8), (2, 3, 5, 7, 4), (2, 8, 16, 9, 64)]
)
def test_attention_flops_match_counted_matmuls(B, H, L, S, E):
    q, k, v = torch.randn(B, H, L, E), torch.randn(B, H, S, E), torch.randn(B, H, S, E)
    assert attention_flops(B, H, L, S, E) == counted(
        lambda: vectorized.scaled_dot_product_attention(q, k, v)
    )


@pytest.mark.parametrize("B, L, S, D, H", [(2, 5, 5, 16, 4), (3, 4, 7, 8, 2)])
def test_mha_flops_match_counted(B, L, S, D, H):
    mha = mhacourse.MultiHeadAttention(D, H)
    x, y = torch.randn(B, L, D), torch.randn(B, S, D)
    assert mha_flops(B, L, S, D) == counted(lambda: mha(x, y, y))


def test_rates_and_bad_values():
    assert flops_per_second(3e9, 1.5) == 2e9
    assert format_rate(2.5e9) == "2.50 GFLOP/s"
    assert format_rate(1.5e12) == "1.5 TFLOP/s"
    with pytest.raises(ValueError, match="seconds"):
        flops_per_second(1, 0.0)
    with pytest.raises(ValueError, match="L"):
        attention_flops(1, 1, -1, 2, 3)


@pytest.mark.parametrize("B, L, S, D, H", [(2, 5, 5, 16, 4), (3, 4, 7, 8, 2)])
def test_backward_counts_match_counted_except_the_recomputation(B, L, S, D, H):
    """Autograd's backward is 2x the forward; attention's counts 2.5x (recompute)."""
    mha = mhacourse.MultiHeadAttention(D, H)
    x = torch.randn(B, L, D, requires_grad=True)  # (B, L, D); grads of inputs count
    y = torch.randn(B, S, D, requires_grad=True)  # (B, S, D)
    total = counted(lambda: mha(x, y, y)[0].sum().backward())
    forward = mha_flops(B, L, S, D)
    recompute = attention_flops(B, 1, L, S, D) // 2  # q @ k^T once more
    assert (
        mha_flops(B, L, S, D, backward=True)
        == 3 * forward + recompute
        == (total + recompute)
    )
    assert attention_flops(B, H, L, S, D // H, backward=True) == (
        7 * attention_flops(B, H, L, S, D // H) // 2
    )
