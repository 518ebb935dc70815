"""The batched-matmul kernel against PyTorch and against the loop kernel.

Shape legend: B batch, H heads, L query length, S key length, E head dim,
Ev value dim.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_inputs import qkv as _qkv
from kernel_inputs import randn as _randn

from mhacourse.kernels import naive
from mhacourse.kernels.vectorized import scaled_dot_product_attention as attend
from mhacourse.masks import causal_mask, padding_mask

TOL = dict(atol=1e-10, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_equals_the_loop_kernel_with_gradients(device, attention_cases, data):
    case = data.draw(attention_cases(max_batch_dims=1, max_len=4))
    q, k, v, mask = case.tensors(device)
    grad_out = torch.randn(
        *case.batch, case.L, case.Ev, dtype=torch.float64, device=device
    )
    results = []
    for kernel in (naive.scaled_dot_product_attention, attend):
        inputs = [t.clone().requires_grad_() for t in (q, k, v)]
        out, w = kernel(*inputs, mask=mask, scale=case.scale)
        loss = (out * grad_out).sum() + sum(
            0 * t.sum() for t in inputs
        )  # a graph even if all is masked
        results.append((out, w, *torch.autograd.grad(loss, inputs)))
    for a, b in zip(*results):  # out, weights, dq, dk, dv
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_padding_mask_blocks_padded_keys(device, reference):
    q, k, v = _qkv((3, 2), L=4, S=5, E=3, Ev=2, device=device)
    mask = padding_mask(torch.tensor([5, 2, 1], device=device), 5)  # (B, 1, 1, S)
    out, w = attend(q, k, v, mask=mask)
    torch.testing.assert_close(out, reference(q, k, v, mask)[0], **TOL)
    assert not w[1, ..., 2:].any() and not w[2, ..., 1:].any()
    torch.testing.assert_close(
        w[2, ..., 0], torch.ones(2, 4, dtype=torch.float64, device=device)
    )


def test_fully_masked_rows_give_zeros_not_nan(device):
    q, k, v = _qkv((2,), L=4, S=3, E=2, Ev=5, device=device)
    mask = torch.ones(2, 4, 3, dtype=torch.bool, device=device)
    mask[0, 1] = False  # batch 0, query 1 sees nothing
    mask[1, 3] = False
    mask[1, 0, 2] = False  # a partly masked row stays a distribution
    out, w = attend(q, k, v, mask=mask)
    assert not out.isnan().any() and not w.isnan().any()
    assert torch.equal(out[0, 1], torch.zeros(5, dtype=torch.float64, device=device))
    assert torch.equal(w[1, 3], torch.zeros(3, dtype=torch.float64, device=device))
    expected_sums = torch.tensor(
        [[1.0, 0, 1, 1], [1, 1, 1, 0]], dtype=torch.float64, device=device
    )
    torch.testing.assert_close(w.sum(-1), expected_sums, **TOL)
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TOL
    )


@pytest.mark.parametrize("L,S", [(4, 4), (3, 7), (7, 3)])
def test_causal_mask_matches_is_causal(device, L, S):
    q, k, v = _qkv((2, 3), L, S, E=3, Ev=4, device=device)
    out, w = attend(q, k, v, mask=causal_mask(L, S, device=device))
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL
    )
    assert not torch.triu(w, diagonal=1).any(), "a query attended to a later key"


def test_float32_matches_pytorch(device):
    q, k, v = _qkv((2, 4), L=9, S=13, E=8, Ev=6, device=device, dtype=torch.float32)
    mask = _randn(9, 13, device=device, seed=3) > -1.0
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == torch.float32
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_half_precision_within_twice_pytorch_error(device, dtype, seed):
    """FlashAttention's rule: against a float64 reference, our max error is at
    most twice that of PyTorch's own attention in the same dtype (plus 1e-5)."""
    q, k, v = _qkv(
        (2, 4), L=24, S=40, E=16, Ev=12, device=device, dtype=dtype, seed=10 * seed
    )
    mask = _randn(24, 40, device=device, seed=seed) > -1.0
    exact = F.scaled_dot_product_attention(
        q.double(), k.double(), v.double(), attn_mask=mask
    )
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == dtype
    ours = (out.double() - exact).abs().max().item()
    theirs = (
        (F.scaled_dot_product_attention(q, k, v, attn_mask=mask).double() - exact)
        .abs()
        .max()
        .item()
    )
    assert ours <= 2 * theirs + 1e-5, (
        f"{dtype} error {ours:.2e} vs PyTorch {theirs:.2e}"
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_logits_stay_finite(device, reference, dtype):
    q, k, v = _qkv((2, 2), L=5, S=6, E=4, Ev=3, device=device, dtype=dtype)
    mask = causal_mask(5, 6, device=device)
    out, w = attend(
        q * 1000, k, v, mask=mask
    )  # scores in the thousands: exp() alone overflows
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    torch.testing.assert_close(
        w.sum(-1), torch.ones(2, 2, 5, dtype=dtype, device=device)
    )
    ref_out, _ = reference((q * 1000).double(), k.double(), v.double(), mask)
    torch.testing.assert_close(
        out.double(), ref_out, **(TOL if dtype == torch.float64 else {})
    )


@pytest.mark.parametrize("mask", [None, "one fully masked row", "broadcast (1, S)"])
def test_gradcheck(mask):
    q, k, v = _qkv((2,), L=3, S=4, E=2, Ev=3, device="cpu")
    if mask == "one fully masked row":
        mask = torch.tensor(
            [[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 0]], dtype=torch.bool
        )  # (L, S)
    elif mask is not None:
        mask = torch.tensor([[True, False, True, True]])  # (1, S)
    inputs = tuple(t.requires_grad_() for t in (q, k, v))
    assert torch.autograd.gradcheck(
        lambda q, k, v: attend(q, k, v, mask=mask, scale=0.8), inputs
    )


def test_gradients_match_pytorch(device):
    q, k, v = _qkv((2, 3), L=4, S=5, E=2, Ev=3, device=device)
    mask = causal_mask(4, 5, device=device)
    grad_out = _randn(2, 3, 4, 3, device=device, seed=5)
    ours = torch.autograd.grad(
        attend(*(t.requires_grad_() for t in (q, k, v)), mask=mask)[0],
        (q, k, v),
        grad_out,
    )
    theirs = torch.autograd.grad(
        F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v), grad_out
    )
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, **TOL)


def test_fully_masked_row_has_zero_gradient(device):
    q, k, v = _qkv((), L=2, S=3, E=2, Ev=2, device=device)
    mask = torch.tensor([[True, True, False], [False, False, False]], device=device)
    q.requires_grad_()
    out, _ = attend(q, k, v, mask=mask)
    (grad_q,) = torch.autograd.grad(out.sum(), q)
    assert torch.isfinite(grad_q).all()
    assert torch.equal(grad_q[1], torch.zeros(2, dtype=torch.float64, device=device))
    assert grad_q[0].abs().sum() > 0
