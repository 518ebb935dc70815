"""Masks: causal alignment, padding, and polarity conversions for nn.MultiheadAttention.

Our masks are bool with True = may attend; PyTorch's nn.MultiheadAttention
uses True = blocked.
"""

import pytest
import torch
import torch.nn.functional as F

from mhacourse import causal_mask, padding_mask
from mhacourse.masks import (
    from_torch_masks,
    to_torch_attn_mask,
    to_torch_key_padding_mask,
)


def test_causal_mask_values(device):
    expected = torch.tensor(
        [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]], dtype=torch.bool
    )
    mask = causal_mask(3, 5, device=device)
    assert mask.dtype == torch.bool and mask.device.type == device.type
    assert torch.equal(mask.cpu(), expected)
    assert torch.equal(causal_mask(4), causal_mask(4, 4))
    assert torch.equal(causal_mask(5, 2), torch.ones(5, 2, dtype=torch.bool).tril())


@pytest.mark.parametrize("L,S", [(4, 4), (2, 6), (6, 2)])
def test_causal_mask_is_aligned_like_is_causal(device, L, S):
    g = torch.Generator().manual_seed(L * 10 + S)
    q, k, v = (
        torch.randn(2, n, 3, generator=g, dtype=torch.float64).to(device)
        for n in (L, S, S)
    )
    ours = F.scaled_dot_product_attention(
        q, k, v, attn_mask=causal_mask(L, S, device=device)
    )
    torch.testing.assert_close(
        ours,
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
        atol=1e-12,
        rtol=0,
    )
    # Bottom-right alignment, the other common convention, differs when L != S.
    if L != S:
        bottom_right = torch.ones(L, S, dtype=torch.bool, device=device).tril(
            diagonal=S - L
        )
        other = F.scaled_dot_product_attention(q, k, v, attn_mask=bottom_right)
        assert not torch.allclose(other, ours)


def test_causal_mask_rejects_negative_lengths():
    with pytest.raises(ValueError, match="L=-1, S=3"):
        causal_mask(-1, 3)


def test_padding_mask_values(device):
    mask = padding_mask(torch.tensor([3, 0, 5, 1], device=device), 5)
    assert (
        mask.shape == (4, 1, 1, 5)
        and mask.dtype == torch.bool
        and mask.device.type == device.type
    )
    assert torch.equal(
        mask[:, 0, 0].int().cpu(),
        torch.tensor(
            [[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]],
            dtype=torch.int32,
        ),
    )
    assert torch.equal(
        padding_mask([2, 1], 3), padding_mask(torch.tensor([2, 1]), 3)
    )  # list or tensor


def test_padding_mask_broadcasts_over_heads_and_queries(device):
    mask = padding_mask(torch.tensor([1, 2], device=device), 3)
    scores = torch.zeros(2, 4, 5, 3, device=device)  # (B, H, L, S)
    assert torch.equal(
        scores.masked_fill(~mask, 1).sum((1, 2)).cpu(),
        torch.tensor([[0.0, 20, 20], [0, 0, 20]]),
    )


@pytest.mark.parametrize("lengths", [[2, 6], [-1, 2]])
def test_padding_mask_rejects_lengths_out_of_range(lengths):
    with pytest.raises(
        ValueError,
        match=r"lengths must lie in \[0, S=5\], got "
        + str(lengths).replace("[", r"\["),
    ):
        padding_mask(lengths, 5)


@pytest.mark.parametrize("lengths", [[[1, 2]], [1.5, 2.0]])
def test_padding_mask_rejects_non_1d_integer_lengths(lengths):
    with pytest.raises(
        ValueError, match=r"lengths must be a 1-D integer sequence \(B,\), got shape"
    ):
        padding_mask(lengths, 5)


def test_to_torch_attn_mask_flips_polarity(device):
    ours = causal_mask(2, 3, device=device)
    theirs = to_torch_attn_mask(ours)
    assert theirs.dtype == torch.bool
    assert torch.equal(
        theirs.cpu(), torch.tensor([[False, True, True], [False, False, True]])
    )


def test_to_torch_key_padding_mask(device):
    theirs = to_torch_key_padding_mask(
        padding_mask(torch.tensor([1, 3], device=device), 3)
    )
    assert theirs.shape == (2, 3)
    assert torch.equal(
        theirs.cpu(), torch.tensor([[False, True, True], [False, False, False]])
    )


def test_to_torch_key_padding_mask_rejects_other_shapes():
    with pytest.raises(ValueError, match=r"\(B, 1, 1, S\), got \(2, 3\)"):
        to_torch_key_padding_mask(torch.ones(2, 3, dtype=torch.bool))


def test_from_torch_masks_round_trips(device):
    causal = causal_mask(3, 4, device=device)
    pad = padding_mask(torch.tensor([2, 4], device=device), 4)
    both = from_torch_masks(to_torch_attn_mask(causal), to_torch_key_padding_mask(pad))
    assert both.shape == (2, 1, 3, 4)
    assert torch.equal(both, causal & pad)
    assert torch.equal(from_torch_masks(attn_mask=to_torch_attn_mask(causal)), causal)
    assert torch.equal(
        from_torch_masks(key_padding_mask=to_torch_key_padding_mask(pad)), pad
    )
    assert from_torch_masks() is None


def test_from_torch_masks_reads_float_additive_masks(device):
    additive = torch.zeros(3, 3, device=device).masked_fill(
        ~causal_mask(3, device=device), float("-inf")
    )
    assert torch.equal(from_torch_masks(additive), causal_mask(3, device=device))
    kpm = torch.tensor([[0.0, float("-inf")]], device=device)
    assert torch.equal(
        from_torch_masks(key_padding_mask=kpm).flatten().cpu(),
        torch.tensor([True, False]),
    )


def test_from_torch_masks_rejects_additive_biases():
    bias = torch.tensor(
        [[0.0, -0.5], [float("-inf"), 0.0]]
    )  # -0.5 is a bias, not a mask
    with pytest.raises(
        ValueError, match=r"float attn_mask of shape \(2, 2\) may only hold 0"
    ):
        from_torch_masks(bias)


def test_from_torch_masks_unpacks_per_head_masks(device):
    B, H, L, S = 2, 3, 4, 5
    ours = (
        torch.rand(B, H, L, S, generator=torch.Generator().manual_seed(0)).to(device)
        > 0.4
    )
    theirs = to_torch_attn_mask(
        ours.reshape(B * H, L, S)
    )  # nn.MultiheadAttention's (B*H, L, S) layout
    assert torch.equal(from_torch_masks(theirs, num_heads=H), ours)


@pytest.mark.parametrize("num_heads", [None, 4])
def test_from_torch_masks_needs_a_dividing_num_heads_for_3d(num_heads):
    with pytest.raises(ValueError, match=rf"\(6, 2, 2\).*num_heads={num_heads}"):
        from_torch_masks(torch.zeros(6, 2, 2, dtype=torch.bool), num_heads=num_heads)


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64])
def test_from_torch_masks_rejects_integer_masks(dtype):
    """~ on an integer 0/1 mask gives 255/254 or -1/-2, all truthy.

    Refuse it instead of blocking nothing."""
    with pytest.raises(
        TypeError,
        match=rf"key_padding_mask must be bool.*got dtype {dtype} with shape \(1, 2\)",
    ):
        from_torch_masks(key_padding_mask=torch.tensor([[0, 1]], dtype=dtype))
    with pytest.raises(TypeError, match=r"attn_mask must be bool"):
        from_torch_masks(attn_mask=torch.zeros(2, 2, dtype=dtype))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.int64, torch.float32])
def test_to_torch_converters_refuse_non_bool_masks(dtype):
    """~ on a uint8 0/1 mask gives 255/254, all truthy: it must not pass as flipped."""
    ours = torch.ones(2, 1, 1, 3, dtype=dtype)
    with pytest.raises(TypeError, match=rf"mask must be a bool tensor.*{dtype}"):
        to_torch_attn_mask(ours[:, 0])
    with pytest.raises(TypeError, match=r"shape \(2, 1, 1, 3\); convert.*\.bool\(\)"):
        to_torch_key_padding_mask(ours)


def test_causal_mask_offset_is_a_keyword_int():
    with pytest.raises(TypeError):
        causal_mask(3, 3, None, 1)  # offset is keyword-only: device stays third
    for bad in (True, 1.5):
        with pytest.raises(TypeError, match="offset"):
            causal_mask(3, 3, offset=bad)
    assert causal_mask(2, 4, "cpu", offset=2).all(dim=-1).tolist() == [False, True]
