"""Tests for mhacourse.studies.subspace_attention: heads on fixed embedding slices."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse import MultiHeadAttention, causal_mask, padding_mask
from mhacourse.studies.subspace_attention import (
    SubspaceAttention,
    contiguous_subspaces,
    random_subspaces,
)


def _copy_from_mha(sub, mha):
    """An MHA's weights in a SubspaceAttention whose heads read every coordinate."""
    H, E = mha.num_heads, mha.head_dim
    with torch.no_grad():
        for name in "qkv":
            proj = getattr(mha, f"{name}_proj")
            getattr(sub, f"{name}_weight").copy_(
                proj.weight.unflatten(0, (H, E))
            )  # (H, E, D)
            getattr(sub, f"{name}_bias").copy_(proj.bias.unflatten(0, (H, E)))  # (H, E)
        sub.out_proj.load_state_dict(mha.out_proj.state_dict())


def test_all_coordinates_equals_multi_head_attention(device):
    torch.manual_seed(0)
    D, H, L, S = 12, 3, 4, 6
    mha = MultiHeadAttention(D, H, device=device, dtype=torch.float64)
    full = torch.arange(D).expand(H, D)  # (H, D): every head reads everything
    sub = SubspaceAttention(
        D, full, head_dim=D // H, device=device, dtype=torch.float64
    )
    _copy_from_mha(sub, mha)
    q = torch.randn(2, L, D, device=device, dtype=torch.float64)
    kv = torch.randn(2, S, D, device=device, dtype=torch.float64)
    mask = causal_mask(L, S, device=device) & padding_mask(torch.tensor([6, 2]), S).to(
        device
    )
    for m in (None, mask):
        o1, w1 = mha(q, kv, kv, mask=m)
        o2, w2 = sub(q, kv, kv, mask=m)
        assert torch.allclose(o1, o2, atol=1e-12) and torch.allclose(w1, w2, atol=1e-12)


def test_a_head_sees_only_its_coordinates():
    torch.manual_seed(0)
    idx = torch.tensor(
        [[0, 1, 2], [2, 3, 4]]
    )  # (H=2, r=3), overlapping at coordinate 2
    att = SubspaceAttention(6, idx, head_dim=4)
    x = torch.randn(1, 5, 6)
    y = x.clone()
    y[..., 5] += 10.0  # a coordinate no head reads
    assert torch.allclose(att(x)[0], att(y)[0])
    y = x.clone()
    y[..., 0] += 1.0  # read by head 0 only
    _, w_x = att(x)
    _, w_y = att(y)
    assert torch.allclose(w_x[:, 1], w_y[:, 1]) and not torch.allclose(
        w_x[:, 0], w_y[:, 0]
    )


@settings(max_examples=20, deadline=None)
@given(D=st.integers(2, 20), H=st.integers(1, 5), data=st.data())
def test_random_subspaces_shape_and_range(D, H, data):
    r = data.draw(st.integers(1, D))
    idx = random_subspaces(D, H, r, seed=data.draw(st.integers(0, 99)))
    assert idx.shape == (H, r)
    assert idx.min() >= 0 and idx.max() < D
    assert all(len(set(row.tolist())) == r for row in idx)


def test_random_subspaces_are_seeded_and_contiguous_ones_partition():
    assert torch.equal(
        random_subspaces(16, 3, 7, seed=1), random_subspaces(16, 3, 7, seed=1)
    )
    assert not torch.equal(
        random_subspaces(16, 3, 7, seed=1), random_subspaces(16, 3, 7, seed=2)
    )
    assert torch.equal(contiguous_subspaces(16, 4).flatten(), torch.arange(16))


def test_head_dim_need_not_divide_embed_dim_and_gradients_flow():
    att = SubspaceAttention(16, random_subspaces(16, 3, 7), head_dim=5)
    out, w = att(torch.randn(2, 4, 16), mask=causal_mask(4))
    assert out.shape == (2, 4, 16) and w.shape == (2, 3, 4, 4)
    out.sum().backward()
    assert att.q_weight.grad.shape == (3, 5, 7) and att.q_weight.grad.abs().sum() > 0
    assert (
        sum(p.numel() for p in att.parameters()) == 3 * 3 * (5 * 7 + 5) + 15 * 16 + 16
    )


def test_fully_masked_queries_give_zeros_and_no_bias_variant():
    att = SubspaceAttention(6, contiguous_subspaces(6, 2), bias=False)
    out, w = att(torch.randn(2, 3, 6), mask=padding_mask([3, 0], 3))
    assert torch.equal(out[1], torch.zeros(3, 6)) and torch.equal(
        w[1], torch.zeros(2, 3, 3)
    )
    assert not torch.isnan(out).any()


@pytest.mark.parametrize(
    "bad, match",
    [
        (dict(indices=torch.tensor([0, 1])), "shape"),
        (dict(indices=torch.tensor([[0, 6]])), "embed_dim=6"),
        (dict(indices=torch.tensor([[0.0, 1.0]])), "long"),
        (dict(indices=torch.tensor([[0, 1]]), head_dim=0), "head_dim"),
    ],
)
def test_bad_construction(bad, match):
    with pytest.raises(ValueError, match=match):
        SubspaceAttention(6, **bad)


def test_bad_inputs():
    att = SubspaceAttention(6, contiguous_subspaces(6, 2))
    with pytest.raises(ValueError, match="query"):
        att(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match="share"):
        att(torch.randn(2, 3, 6), torch.randn(1, 3, 6))
    with pytest.raises(ValueError, match="broadcast"):
        att(torch.randn(2, 3, 6), mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError):
        random_subspaces(4, 2, 5)
    with pytest.raises(ValueError):
        contiguous_subspaces(6, 4)
