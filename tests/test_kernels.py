"""The contract both weight-returning kernels share, checked once for each.

The same tests run against ``kernels.naive`` and ``kernels.vectorized``; what is
particular to one kernel stays in tests/test_kernels_<name>.py.
"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_inputs import qkv as _qkv
from kernel_inputs import randn as _randn

from mhacourse.kernels import naive, vectorized

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
