"""split_heads / merge_heads: shapes, the round trip, which columns each head gets.

Shape legend: B batch, H heads, L length, D model dim, E = D // H.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse import merge_heads, split_heads


def _x(*shape, device):
    return torch.arange(
        torch.Size(shape).numel(), dtype=torch.float64, device=device
    ).reshape(shape)


def test_shapes_of_the_seed_example(device):
    x = _x(3, 4, 16, device=device)  # (B, L, D) = (3, 4, 16), H = 8
    heads = split_heads(x, 8)
    assert heads.shape == (3, 8, 4, 2)  # (B, H, L, E)
    assert heads.device == x.device and heads.dtype == x.dtype
    assert merge_heads(heads).shape == (3, 4, 16)


def test_head_h_is_columns_h_e_to_h_plus_one_e(device):
    B, L, D, H = 2, 5, 12, 3
    E = D // H
    x = torch.randn(B, L, D, dtype=torch.float64, device=device)
    heads = split_heads(x, H)  # (B, H, L, E)
    for h in range(H):
        assert torch.equal(heads[:, h], x[:, :, h * E : (h + 1) * E]), (
            f"head {h} got the wrong columns"
        )


def test_reshape_without_transpose_is_the_classic_bug(device):
    x = _x(2, 4, 6, device=device)  # (B, L, D), H = 3, E = 2
    wrong = x.reshape(
        2, 3, 4, 2
    )  # right shape (B, H, L, E), wrong contents: mixes tokens and heads
    right = split_heads(x, 3)
    assert wrong.shape == right.shape
    assert not torch.equal(wrong, right)
    # Head 0 of the wrong version holds token 0's *and token 1's* features.
    assert torch.equal(wrong[0, 0, 1], x[0, 0, 2:4])
    assert torch.equal(right[0, 0, 1], x[0, 1, 0:2])


def test_reshape_without_transpose_only_agrees_when_l_is_one(device):
    x = _x(2, 1, 6, device=device)  # with a single token there is nothing to mix up
    assert torch.equal(x.reshape(2, 3, 1, 2), split_heads(x, 3))


@settings(max_examples=40, deadline=None)
@given(
    batch=st.lists(st.integers(1, 3), max_size=2),
    L=st.integers(1, 5),
    H=st.integers(1, 4),
    E=st.integers(1, 4),
)
def test_round_trip(device, batch, L, H, E):
    x = torch.randn(*batch, L, H * E, dtype=torch.float64, device=device)  # (..., L, D)
    heads = split_heads(x, H)
    assert heads.shape == (*batch, H, L, E)
    assert torch.equal(merge_heads(heads), x)
    assert torch.equal(split_heads(merge_heads(heads), H), heads)
    for h in range(H):
        assert torch.equal(heads[..., h, :, :], x[..., h * E : (h + 1) * E])


def test_split_heads_keeps_gradients(device):
    x = torch.randn(2, 3, 4, dtype=torch.float64, device=device, requires_grad=True)
    w = torch.randn(2, 2, 3, 2, dtype=torch.float64, device=device)
    (split_heads(x, 2) * w).sum().backward()
    assert torch.equal(x.grad, merge_heads(w))


def test_split_heads_rejects_indivisible_d(device):
    with pytest.raises(
        ValueError,
        match=r"shape \(2, 3, 10\).*embed_dim=10 is not divisible by num_heads=4",
    ):
        split_heads(torch.zeros(2, 3, 10, device=device), 4)


@pytest.mark.parametrize("H", [0, -2])
def test_split_heads_rejects_non_positive_heads(H):
    with pytest.raises(ValueError, match=f"num_heads={H}"):
        split_heads(torch.zeros(2, 3, 4), H)


def test_split_heads_rejects_1d_input():
    with pytest.raises(
        ValueError, match=r"x must have shape \(\.\.\., L, D\), got shape \(8,\)"
    ):
        split_heads(torch.zeros(8), 2)


def test_merge_heads_rejects_2d_input():
    with pytest.raises(
        ValueError, match=r"x must have shape \(\.\.\., H, L, E\), got shape \(4, 2\)"
    ):
        merge_heads(torch.zeros(4, 2))
