"""The loop kernel against PyTorch: float64 to 1e-10, float32, bfloat16, masks, gradients.

Shape legend: B batch, H heads, L query length, S key length, E head dim,
Ev value dim. Sizes stay tiny because this kernel loops in Python.
"""

import pytest
import torch
import torch.nn.functional as F
from kernel_inputs import qkv as _qkv
from kernel_inputs import randn as _randn

from mhacourse.kernels.naive import scaled_dot_product_attention as attend
from mhacourse.masks import causal_mask

TOL = dict(atol=1e-10, rtol=1e-10)


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
    torch.testing.assert_close(
        w.sum(-1),
        (~torch.tensor([[0, 1, 0, 0], [0, 0, 0, 1]], device=device).bool()).double(),
    )
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), **TOL
    )


@pytest.mark.parametrize("L,S", [(3, 3), (2, 5), (5, 2)])
def test_causal_mask_matches_is_causal(device, L, S):
    q, k, v = _qkv((2,), L, S, E=3, Ev=4, device=device)
    out, w = attend(q, k, v, mask=causal_mask(L, S, device=device))
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL
    )
    assert not torch.triu(w, diagonal=1).any(), "a query attended to a later key"


def test_float32_matches_pytorch(device):
    q, k, v = _qkv((2, 2), L=3, S=5, E=4, Ev=6, device=device, dtype=torch.float32)
    mask = causal_mask(3, 5, device=device)
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == torch.float32
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bfloat16_within_twice_pytorch_error(device, seed):
    """FlashAttention's rule: against a float64 reference, our max error is at
    most twice that of PyTorch's own bfloat16 attention (plus 1e-5)."""
    q, k, v = _qkv(
        (2,), L=6, S=7, E=8, Ev=5, device=device, dtype=torch.bfloat16, seed=10 * seed
    )
    mask = _randn(6, 7, device=device, seed=seed) > -0.5
    exact = F.scaled_dot_product_attention(
        q.double(), k.double(), v.double(), attn_mask=mask
    )
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == torch.bfloat16
    ours = (out.double() - exact).abs().max().item()
    theirs = (
        (F.scaled_dot_product_attention(q, k, v, attn_mask=mask).double() - exact)
        .abs()
        .max()
        .item()
    )
    assert ours <= 2 * theirs + 1e-5, f"bf16 error {ours:.2e} vs PyTorch {theirs:.2e}"


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_logits_stay_finite(device, reference, dtype):
    q, k, v = _qkv((2,), L=3, S=4, E=4, Ev=3, device=device, dtype=dtype)
    mask = causal_mask(3, 4, device=device)
    out, w = attend(
        q * 1000, k, v, mask=mask
    )  # scores in the thousands: exp() alone overflows
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 3, dtype=dtype, device=device))
    ref_out, ref_w = reference((q * 1000).double(), k.double(), v.double(), mask)
    torch.testing.assert_close(
        out.double(), ref_out, **(TOL if dtype == torch.float64 else {})
    )


def test_gradcheck_with_a_fully_masked_row():
    q, k, v = _qkv((1,), L=2, S=3, E=2, Ev=2, device="cpu")
    mask = torch.tensor([[True, False, True], [False, False, False]])
    q, k, v = (t.requires_grad_() for t in (q, k, v))
    assert torch.autograd.gradcheck(
        lambda q, k, v: attend(q, k, v, mask=mask), (q, k, v)
    )


def test_gradients_match_pytorch(device):
    q, k, v = _qkv((2,), L=3, S=4, E=2, Ev=3, device=device)
    mask = causal_mask(3, 4, device=device)
    grad_out = _randn(2, 3, 3, device=device, seed=5)
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


@pytest.mark.parametrize(
    "batch,L,S", [((2,), 0, 3), ((2,), 3, 0), ((0,), 3, 2), ((2, 3), 0, 0)]
)
def test_empty_lengths_give_pytorchs_empty_or_zero_result(device, batch, L, S):
    """No query, no key or no batch item: nothing to loop over, same result as PyTorch."""
    q, k, v = _qkv(batch, L, S, E=4, Ev=5, device=device)
    out, w = attend(q, k, v, mask=torch.ones(L, S, dtype=torch.bool, device=device))
    assert out.shape == (*batch, L, 5) and w.shape == (*batch, L, S)
    assert out.dtype == w.dtype == torch.float64 and out.device == w.device == q.device
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), **TOL)
