"""The tiled (online-softmax) kernel: equal to PyTorch's SDPA, memory linear in L."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import mhacourse
from mhacourse.bench.memory import peak_memory
from mhacourse.kernels import tiled, vectorized

sdpa = tiled.scaled_dot_product_attention


def reference(q, k, v, mask=None, scale=None):
    """F.scaled_dot_product_attention, zero rows where a query sees no key (not NaN)."""
    if mask is not None and mask.dim() < 2:  # SDPA wants the (L, S) dims
        mask = mask.expand(q.shape[-2], k.shape[-2])  # (L, S)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    if mask is not None:
        out = torch.where(mask.any(dim=-1, keepdim=True), out, 0.0)
    return out


@st.composite
def problems(draw):
    batch = draw(st.lists(st.integers(1, 3), min_size=0, max_size=2))
    L, S = draw(st.integers(1, 9)), draw(st.integers(1, 12))
    E, Ev = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    block, query_block = draw(st.integers(1, S + 3)), draw(st.integers(1, L + 2))
    mask_kind = draw(st.sampled_from(["none", "full", "row", "key", "causal"]))
    g = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    q = (
        torch.randn(*batch, L, E, generator=g, dtype=torch.float64) * 3
    )  # large scores test the running max
    k = torch.randn(*batch, S, E, generator=g, dtype=torch.float64) * 3
    v = torch.randn(*batch, S, Ev, generator=g, dtype=torch.float64)
    mask = {
        "none": None,
        "full": torch.rand(*batch, L, S, generator=g) > 0.6,  # some rows fully masked
        "row": torch.rand(L, 1, generator=g)
        > 0.3,  # broadcast over keys: whole rows on or off
        "key": torch.rand(S, generator=g)
        > 0.3,  # broadcast over queries (a padding-style mask)
        "causal": mhacourse.causal_mask(L, S),
    }[mask_kind]
    return q, k, v, mask, (block, query_block)


@settings(max_examples=60, deadline=None)
@given(problems())
def test_float64_equals_torch_sdpa(problem):
    q, k, v, mask, (block, query_block) = problem
    out, weights = sdpa(q, k, v, mask, block_size=block, query_block_size=query_block)
    assert weights is None
    assert out.shape == (*q.shape[:-1], v.shape[-1])
    assert not out.isnan().any()
    torch.testing.assert_close(out, reference(q, k, v, mask), atol=1e-10, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_autograd_gets_the_same_output_as_the_reused_tile_buffer(problem):
    # Outside autograd the kernel writes every tile into one buffer; with gradients
    # it allocates each tile. Both paths must agree, and only the second may record.
    q, k, v, mask, (block, query_block) = problem
    sizes = dict(block_size=block, query_block_size=query_block)
    with torch.no_grad():
        buffered, _ = sdpa(q, k, v, mask, **sizes)
    qkv = [t.clone().requires_grad_() for t in (q, k, v)]
    recorded, _ = sdpa(*qkv, mask, **sizes)
    assert recorded.requires_grad and not buffered.requires_grad
    torch.testing.assert_close(recorded.detach(), buffered, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize(
    "block", [1, 3, 7, 16, 100]
)  # 7 does not divide S = 16; 100 > S
def test_block_sizes_and_causal(block, device):
    g = torch.Generator().manual_seed(0)
    q = torch.randn(2, 3, 11, 5, generator=g, dtype=torch.float64).to(
        device
    )  # (B, H, L, E), L != S
    k = torch.randn(2, 3, 16, 5, generator=g, dtype=torch.float64).to(
        device
    )  # (B, H, S, E)
    v = torch.randn(2, 3, 16, 4, generator=g, dtype=torch.float64).to(
        device
    )  # (B, H, S, Ev), Ev != E
    mask = mhacourse.causal_mask(11, 16, device=device)
    torch.testing.assert_close(
        sdpa(q, k, v, mask, block_size=block)[0],
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
        atol=1e-10,
        rtol=1e-10,
    )
    torch.testing.assert_close(
        sdpa(q, k, v, block_size=block, scale=0.3)[0],
        F.scaled_dot_product_attention(q, k, v, scale=0.3),
        atol=1e-10,
        rtol=1e-10,
    )


def test_fully_masked_rows_are_zero_without_nan(device):
    q, k, v = (
        torch.randn(1, 2, n, 4, dtype=torch.float64, device=device) for n in (4, 6, 6)
    )
    mask = torch.ones(1, 2, 4, 6, dtype=torch.bool, device=device)
    mask[0, 1, 2] = False  # query 2 of head 1 may see nothing
    mask[0, 0, 0, :3] = (
        False  # the first blocks of query 0 are all masked: m stays -inf for a while
    )
    out, _ = sdpa(q, k, v, mask, block_size=2)
    assert not out.isnan().any()
    assert torch.equal(out[0, 1, 2], torch.zeros(4, dtype=torch.float64, device=device))
    torch.testing.assert_close(out, reference(q, k, v, mask), atol=1e-10, rtol=1e-10)


def test_float32_and_bfloat16_close_to_torch(device):
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 4, n, 16, generator=g).to(device) for n in (33, 70, 70))
    ref = F.scaled_dot_product_attention(q.double(), k.double(), v.double())
    out32, _ = sdpa(q, k, v, block_size=16)
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32, ref.float())
    out16, _ = sdpa(q.bfloat16(), k.bfloat16(), v.bfloat16(), block_size=16)
    assert out16.dtype == torch.bfloat16
    torch.testing.assert_close(out16.double(), ref, atol=2e-2, rtol=2e-2)


def test_gradcheck_float64():
    g = torch.Generator().manual_seed(2)
    q = torch.randn(1, 2, 4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    k = torch.randn(1, 2, 5, 3, generator=g, dtype=torch.float64, requires_grad=True)
    v = torch.randn(1, 2, 5, 2, generator=g, dtype=torch.float64, requires_grad=True)
    mask = torch.rand(4, 5, generator=g) > 0.3
    mask[1] = False  # a fully masked row must have zero (not NaN) gradients
    assert torch.autograd.gradcheck(
        lambda q, k, v: sdpa(q, k, v, mask, block_size=2)[0], (q, k, v)
    )
    out, _ = sdpa(q, k, v, mask, block_size=2)
    out.sum().backward()
    assert not any(t.grad.isnan().any() for t in (q, k, v))


@pytest.mark.parametrize(
    "bad, error",
    [
        (0, ValueError),
        (-3, ValueError),
        (2.0, TypeError),
        (True, TypeError),
        ("4", TypeError),
    ],
)
def test_bad_block_size(bad, error):
    q = torch.randn(2, 3, 4)
    with pytest.raises(error, match="block_size"):
        sdpa(q, q, q, block_size=bad)


def test_bad_inputs_name_the_argument():
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    with pytest.raises(ValueError, match="k and v"):
        sdpa(q, k, torch.randn(2, 6, 4))
    with pytest.raises(ValueError, match="mask"):
        sdpa(q, k, k, mask=torch.ones(3, 6, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask"):
        sdpa(q, k, k, mask=torch.ones(3, 5))


def _peaks(kernel, lengths):
    peaks = []
    for L in lengths:
        q = torch.randn(1, 1, L, 64)  # (B, H, L, E) with S = L
        kernel(q, q, q)  # warm-up: one-time allocations are not the kernel's
        peaks.append(peak_memory(lambda q=q: kernel(q, q, q)))
    return peaks


def test_measured_memory_is_linear_in_L_for_tiled_and_quadratic_for_vectorized():
    lengths = (512, 1024, 2048)
    # Small (128, 128) tiles: their fixed size is dwarfed by the (L, E) tensors.
    tiled_peaks = _peaks(
        lambda q, k, v: sdpa(q, k, v, block_size=128, query_block_size=128), lengths
    )
    vec_peaks = _peaks(vectorized.scaled_dot_product_attention, lengths)
    for small, big in itertools.pairwise(tiled_peaks):
        assert 1.7 < big / small < 2.3, tiled_peaks  # doubling L doubles the memory
    for small, big in itertools.pairwise(vec_peaks):
        assert 3.4 < big / small < 4.6, vec_peaks  # doubling L quadruples it
    assert vec_peaks[-1] > 4 * tiled_peaks[-1]


def _errors(kernel, q, k, v, mask, grad_out):
    """Max abs error of out, dq, dk, dv against float64 PyTorch, inputs in q's dtype."""
    ins = [t.detach().clone().requires_grad_() for t in (q, k, v)]
    out = kernel(*ins, mask)
    out.backward(grad_out.to(out.dtype))
    ref_ins = [t.detach().double().requires_grad_() for t in (q, k, v)]
    ref = reference(*ref_ins, mask)
    ref.backward(grad_out.double())
    pairs = [(out, ref)] + [(a.grad, b.grad) for a, b in zip(ins, ref_ins, strict=True)]
    return [(a.double() - b).abs().max().item() for a, b in pairs]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("masked", [False, True])
def test_half_precision_errors_at_most_twice_pytorchs(dtype, masked, device):
    """Forward and backward: err <= 2 * err(PyTorch SDPA, same dtype) + 1e-5."""
    g = torch.Generator().manual_seed(3)
    q = (torch.randn(2, 3, 37, 24, generator=g) * 2).to(device, dtype)  # (B, H, L, E)
    k = (torch.randn(2, 3, 53, 24, generator=g) * 2).to(device, dtype)  # (B, H, S, E)
    v = torch.randn(2, 3, 53, 16, generator=g).to(device, dtype)  # (B, H, S, Ev)
    grad_out = torch.randn(2, 3, 37, 16, generator=g).to(device)  # (B, H, L, Ev)
    mask = mhacourse.causal_mask(37, 53, device=device) if masked else None
    ours = _errors(
        lambda q, k, v, m: sdpa(q, k, v, m, block_size=16)[0], q, k, v, mask, grad_out
    )
    torch_err = _errors(reference, q, k, v, mask, grad_out)
    for what, a, b in zip(("out", "dq", "dk", "dv"), ours, torch_err, strict=True):
        assert a <= 2 * b + 1e-5, (what, a, b)


def test_float16_large_scores_do_not_overflow(device):
    """PyTorch's regression input for its issue 160841: scores ~6e5 overflow float16."""
    q = k = v = torch.full((1, 32, 23, 80), 256.0, dtype=torch.float16, device=device)
    out, _ = sdpa(q, k, v)
    assert not out.isnan().any()
    torch.testing.assert_close(out, v)  # equal scores: the mean of equal values
