"""The tiled kernel with its tile step compiled: equal to PyTorch's SDPA.

The compiled tests run ``torch.compile`` for real (marked ``compiles``; the other
tests run the same step eagerly, see conftest.py) on odd shapes (L != S, E != Ev,
lengths that are no multiple of the blocks) in float64 and float32, and are
skipped where PyTorch cannot compile on this CPU, as tests/test_flex.py does.
"""

import pytest
import torch
import torch.nn.functional as F

import mhacourse
from mhacourse.kernels import compiled, get

PROBLEM = compiled.compile_problem("cpu")


def _qkv(dtype, batch=(2, 3), L=37, S=45, E=12, Ev=7):
    g = torch.Generator().manual_seed(0)
    return [
        torch.randn(*batch, n, d, generator=g, dtype=torch.float64).to(dtype) * 2
        for n, d in ((L, E), (S, E), (S, Ev))
    ]  # q (*batch, L, E), k (*batch, S, E), v (*batch, S, Ev)


def _reference(q, k, v, mask=None):
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (..., L, Ev)
    if mask is not None:  # a query that may attend to nothing: zeros, not NaN
        out = torch.where(mask.any(-1, keepdim=True), out, 0.0)
    return out


@pytest.mark.compiles
@pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))
@pytest.mark.parametrize(
    ("dtype", "tol"), [(torch.float64, 1e-12), (torch.float32, 1e-5)]
)
@pytest.mark.parametrize("blocks", [(16, 10), (64, 64), (5, 45)])
def test_compiled_equals_torch_sdpa(dtype, tol, blocks):
    q, k, v = _qkv(dtype)
    query_block, block = blocks  # 37 queries, 45 keys: the last blocks are shorter
    out, weights = compiled.scaled_dot_product_attention(
        q, k, v, block_size=block, query_block_size=query_block
    )
    assert weights is None and out.dtype == dtype
    torch.testing.assert_close(out, _reference(q, k, v), atol=tol, rtol=tol)


@pytest.mark.compiles
@pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))
def test_compiled_with_masks_and_causal_through_the_registry():
    q, k, v = _qkv(torch.float64, L=9, S=11, E=5, Ev=3)
    mask = torch.rand(2, 3, 9, 11, generator=torch.Generator().manual_seed(1)) > 0.6
    mask[0, 0, 4] = False  # a query that may attend to no key gets zeros
    out, _ = get("tiled-compiled")(q, k, v, mask, block_size=4, query_block_size=5)
    torch.testing.assert_close(out, _reference(q, k, v, mask), atol=1e-12, rtol=0)
    assert (out[0, 0, 4] == 0).all()
    causal = mhacourse.causal_mask(9, 11)  # (L, S)
    out, _ = get("tiled-compiled")(q, k, v, causal=True, block_size=4)
    torch.testing.assert_close(out, _reference(q, k, v, causal), atol=1e-12, rtol=0)


@pytest.mark.compiles
@pytest.mark.skipif(PROBLEM is not None, reason=str(PROBLEM))
def test_compiled_gradients_equal_torch_sdpa_in_float64():
    q, k, v = (t.requires_grad_() for t in _qkv(torch.float64, (1, 2), 13, 17, 6, 5))
    out, _ = compiled.scaled_dot_product_attention(q, k, v, block_size=8)
    grads = torch.autograd.grad(out.square().sum(), (q, k, v))
    ref = _reference(q, k, v)
    expected = torch.autograd.grad(ref.square().sum(), (q, k, v))
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e, atol=1e-10, rtol=1e-10)


def test_eager_step_equals_compiled_kernel_contract():
    """Without compiling (compiled=False), the same step: equal to SDPA, half precision
    computed in float32, bad block sizes named."""
    q, k, v = _qkv(torch.float64, L=6, S=9, E=4, Ev=3)
    out, _ = compiled.scaled_dot_product_attention(
        q, k, v, block_size=4, compiled=False
    )
    torch.testing.assert_close(out, _reference(q, k, v), atol=1e-12, rtol=0)
    half = [t.to(torch.bfloat16) for t in (q, k, v)]
    out16, _ = compiled.scaled_dot_product_attention(*half, compiled=False)
    assert out16.dtype == torch.bfloat16
    torch.testing.assert_close(out16.double(), out, atol=0.05, rtol=0.05)
    with pytest.raises(ValueError, match="block_size must be a positive int"):
        compiled.scaled_dot_product_attention(q, k, v, block_size=0)


def test_registered_with_honest_capabilities():
    spec = get("tiled-compiled")
    assert spec.compiled and not spec.returns_weights and not spec.can_dropout
    assert not spec.causal and not spec.grouped_heads and spec.interpreted_on == ()
