"""The contract both weight-returning kernels share, checked once for each.

The same tests run against ``kernels.naive`` and ``kernels.vectorized``; what is
particular to one kernel stays in tests/test_kernels_<name>.py. Shape legend:
B batch, H heads, L query length, S key length, E head dim, Ev value dim.
Sizes stay small because the naive kernel loops in Python.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_inputs import qkv as _qkv
from kernel_inputs import randn as _randn

from mhacourse.kernels import naive, vectorized
from mhacourse.masks import causal_mask

TOL = dict(atol=1e-10, rtol=1e-10)


@pytest.fixture(params=[naive, vectorized], ids=["naive", "vectorized"])
def attend(request):
    return request.param.scaled_dot_product_attention


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_matches_pytorch_on_random_shapes_and_masks(
    attend, device, attention_cases, reference, data
):
    case = data.draw(attention_cases())
    q, k, v, mask = case.tensors(device)
    out, w = attend(q, k, v, mask=mask, scale=case.scale)
    ref_out, ref_w = reference(q, k, v, mask, case.scale)
    assert out.shape == (*case.batch, case.L, case.Ev) and w.shape == (
        *case.batch,
        case.L,
        case.S,
    )
    assert out.dtype == w.dtype == torch.float64 and out.device == w.device == q.device
    torch.testing.assert_close(out, ref_out, **TOL)
    torch.testing.assert_close(w, ref_w, **TOL)
    allowed = torch.ones(
        *case.batch, case.L, case.S, dtype=torch.bool, device=device
    )  # (..., L, S)
    if mask is not None:
        allowed = allowed & mask
    torch.testing.assert_close(
        w.sum(-1), allowed.any(-1).double(), **TOL
    )  # 1, or 0 for a row that sees nothing
    assert torch.isfinite(out).all()


@pytest.mark.parametrize(
    "mask_shape",
    [
        (),
        (1, 1),
        (5,),
        (1, 5),
        (3, 1),
        (3, 5),
        (2, 1, 3, 5),
        (1, 4, 3, 5),
        (2, 4, 3, 5),
        (2, 4, 1, 5),
        (4, 1, 1),
    ],
)
def test_every_broadcastable_mask_shape(attend, device, reference, mask_shape):
    q, k, v = _qkv(
        (2, 4), L=3, S=5, E=4, Ev=6, device=device
    )  # (B, H, L, E), (B, H, S, E), (B, H, S, Ev)
    mask = _randn(*mask_shape, device=device, seed=7) > -0.3
    out, w = attend(q, k, v, mask=mask)
    ref_out, ref_w = reference(q, k, v, mask)
    torch.testing.assert_close(out, ref_out, **TOL)
    torch.testing.assert_close(w, ref_w, **TOL)
    assert not w[~mask.expand(2, 4, 3, 5)].any(), "a blocked key got weight"


def test_no_mask_weights_are_softmax_by_hand(attend, device):
    q, k, v = _qkv((2,), L=3, S=5, E=4, Ev=6, device=device)
    out, w = attend(q, k, v)
    scores = torch.einsum("ble,bse->bls", q, k) / 2.0  # (B, L, S); 1/sqrt(E) = 1/2
    by_hand = scores.exp() / scores.exp().sum(-1, keepdim=True)  # (B, L, S)
    torch.testing.assert_close(w, by_hand, **TOL)
    torch.testing.assert_close(out, by_hand @ v, **TOL)


def test_everything_masked(attend, device):
    q, k, v = _qkv((), L=2, S=3, E=2, Ev=2, device=device)
    out, w = attend(q, k, v, mask=torch.zeros(2, 3, dtype=torch.bool, device=device))
    assert torch.equal(out, torch.zeros_like(out)) and torch.equal(
        w, torch.zeros_like(w)
    )


@pytest.mark.parametrize("scale", [0.0, 0.37, 2.5])
def test_custom_scale(attend, device, reference, scale):
    q, k, v = _qkv((2,), L=3, S=4, E=5, Ev=2, device=device)
    out, w = attend(q, k, v, scale=scale)
    ref_out, ref_w = reference(q, k, v, scale=scale)
    torch.testing.assert_close(out, ref_out, **TOL)
    torch.testing.assert_close(w, ref_w, **TOL)
    if scale == 0.0:  # no preference: every key gets 1/S
        torch.testing.assert_close(w, torch.full_like(w, 0.25), **TOL)


def test_default_scale_is_one_over_sqrt_e(attend, device):
    q, k, v = _qkv((1,), L=2, S=3, E=9, Ev=2, device=device)
    torch.testing.assert_close(
        attend(q, k, v)[0], attend(q, k, v, scale=1 / 3)[0], **TOL
    )
    assert not torch.allclose(attend(q, k, v)[0], attend(q, k, v, scale=1.0)[0])


def test_fully_masked_rows_give_zeros_not_nan(attend, device):
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


def test_fully_masked_row_has_zero_gradient(attend, device):
    q, k, v = _qkv((), L=2, S=3, E=2, Ev=2, device=device)
    mask = torch.tensor([[True, True, False], [False, False, False]], device=device)
    q.requires_grad_()
    out, _ = attend(q, k, v, mask=mask)
    (grad_q,) = torch.autograd.grad(out.sum(), q)
    assert torch.isfinite(grad_q).all()
    assert torch.equal(grad_q[1], torch.zeros(2, dtype=torch.float64, device=device))
    assert grad_q[0].abs().sum() > 0


@pytest.mark.parametrize("L,S", [(3, 3), (2, 5), (5, 2)])
def test_causal_mask_matches_is_causal(attend, device, L, S):
    q, k, v = _qkv((2, 3), L, S, E=3, Ev=4, device=device)
    out, w = attend(q, k, v, mask=causal_mask(L, S, device=device))
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL
    )
    assert not torch.triu(w, diagonal=1).any(), "a query attended to a later key"


def test_float32_matches_pytorch(attend, device):
    q, k, v = _qkv((2, 2), L=5, S=7, E=4, Ev=6, device=device, dtype=torch.float32)
    mask = _randn(5, 7, device=device, seed=3) > -1.0
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == torch.float32
    torch.testing.assert_close(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    )


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_half_precision_within_twice_pytorch_error(attend, device, dtype, seed):
    """FlashAttention's rule: against a float64 reference, our max error is at
    most twice that of PyTorch's own attention in the same dtype (plus 1e-5)."""
    q, k, v = _qkv(
        (2, 2), L=12, S=20, E=16, Ev=12, device=device, dtype=dtype, seed=10 * seed
    )
    mask = _randn(12, 20, device=device, seed=seed) > -1.0
    exact = F.scaled_dot_product_attention(
        q.double(), k.double(), v.double(), attn_mask=mask
    )
    out, w = attend(q, k, v, mask=mask)
    assert out.dtype == w.dtype == dtype
    ours = (out.double() - exact).abs().max().item()
    theirs = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).double()
    theirs = (theirs - exact).abs().max().item()
    assert ours <= 2 * theirs + 1e-5, (
        f"{dtype} error {ours:.2e} vs PyTorch {theirs:.2e}"
    )


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_logits_stay_finite(attend, device, reference, dtype):
    q, k, v = _qkv((2, 2), L=5, S=6, E=4, Ev=3, device=device, dtype=dtype)
    mask = causal_mask(5, 6, device=device)
    # Scores in the thousands: exp() alone overflows.
    out, w = attend(q * 1000, k, v, mask=mask)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    torch.testing.assert_close(
        w.sum(-1), torch.ones(2, 2, 5, dtype=dtype, device=device)
    )
    ref_out, _ = reference((q * 1000).double(), k.double(), v.double(), mask)
    torch.testing.assert_close(
        out.double(), ref_out, **(TOL if dtype == torch.float64 else {})
    )


@pytest.mark.parametrize("mask", [None, "one fully masked row", "broadcast (1, S)"])
def test_gradcheck(attend, mask):
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


def test_gradients_match_pytorch(attend, device):
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
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b, **TOL)
