"""Sliding-window masks with attention sinks: the definition, and every kernel.

``sliding_window_mask(L, window, num_sink_tokens)``: query i may attend to
key j iff j <= i and (i - j < window or j < num_sink_tokens). The reference
mask here is built another way (two ``tril`` calls and a column slice), so a
slip in the module cannot hide in both. Shape legend: B batch, H heads,
L = S tokens, E head dim, Ev value dim.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_inputs import qkv as _qkv

from mhacourse import MultiHeadAttention, causal_mask, kernels, sliding_window_mask
from mhacourse.kernels import REGISTRY

TOL = dict(atol=1e-10, rtol=1e-10)
NAMES = tuple(REGISTRY)


def explicit_window_mask(L, window, sinks):
    """The same mask from triangles: causal minus the keys window or more back."""
    ones = torch.ones(L, L, dtype=torch.bool)
    mask = ones.tril() & ~ones.tril(-window)  # (L, L): 0 <= i - j < window
    mask[:, :sinks] |= ones.tril()[:, :sinks]  # sink columns, causally
    return mask


@settings(max_examples=200, deadline=None)
@given(L=st.integers(0, 12), window=st.integers(1, 14), sinks=st.integers(0, 14))
def test_sliding_window_mask_is_its_definition(L, window, sinks):
    mask = sliding_window_mask(L, window, num_sink_tokens=sinks)
    assert mask.shape == (L, L) and mask.dtype == torch.bool
    for i in range(L):
        for j in range(L):
            allowed = j <= i and (i - j < window or j < sinks)
            assert bool(mask[i, j]) == allowed, (i, j)


@pytest.mark.parametrize("L", [1, 5, 9])
def test_a_window_as_long_as_the_sequence_is_causal(L):
    assert torch.equal(sliding_window_mask(L, L), causal_mask(L))
    assert torch.equal(sliding_window_mask(L, 3, num_sink_tokens=L), causal_mask(L))
    diagonal = sliding_window_mask(L, 1)  # each token sees itself only
    assert torch.equal(diagonal, torch.eye(L, dtype=torch.bool))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("L,window,sinks", [(7, 3, 0), (9, 2, 2), (6, 4, 1)])
def test_every_kernel_equals_sdpa_with_the_explicit_mask(name, L, window, sinks):
    q, k, v = _qkv((2, 3), L, L, 5, 3, "cpu", seed=L + window)  # E=5 != Ev=3
    mask = sliding_window_mask(L, window, num_sink_tokens=sinks)  # (L, L)
    got, _ = kernels.get(name)(q, k, v, mask)
    expected = F.scaled_dot_product_attention(
        q, k, v, attn_mask=explicit_window_mask(L, window, sinks)
    )
    torch.testing.assert_close(got, expected, **TOL)
    both, _ = kernels.get(name)(q, k, v, mask, causal=True)  # causal is a no-op
    torch.testing.assert_close(both, expected, **TOL)


@pytest.mark.parametrize("name", NAMES)
def test_multi_head_attention_takes_it_as_mask(name):
    """Through the module: GQA heads, every kernel, equal to SDPA by hand."""
    B, L, D, H, H_kv, window, sinks = 2, 7, 12, 4, 2, 3, 1
    mha = MultiHeadAttention(D, H, num_kv_heads=H_kv, kernel=name,
                             dtype=torch.float64)  # fmt: skip
    x = torch.randn(B, L, D, generator=torch.Generator().manual_seed(2),
                    dtype=torch.float64)  # fmt: skip
    out, _ = mha(x, mask=sliding_window_mask(L, window, num_sink_tokens=sinks))
    q = mha.q_proj(x).unflatten(-1, (H, -1)).transpose(1, 2)  # (B, H, L, E)
    k = mha.k_proj(x).unflatten(-1, (H_kv, -1)).transpose(1, 2)  # (B, H_kv, L, E)
    v = mha.v_proj(x).unflatten(-1, (H_kv, -1)).transpose(1, 2)  # (B, H_kv, L, E)
    heads = F.scaled_dot_product_attention(
        q, k, v, attn_mask=explicit_window_mask(L, window, sinks), enable_gqa=True
    )  # (B, H, L, E)
    expected = mha.out_proj(heads.transpose(1, 2).flatten(-2))  # (B, L, D)
    torch.testing.assert_close(out, expected, **TOL)


@pytest.mark.parametrize(
    "args,error,message",
    [
        ((-1, 2), ValueError, "L must be >= 0, got L=-1"),
        ((4, 0), ValueError, "window must be >= 1, got window=0"),
        ((4, 2, -1), ValueError, "num_sink_tokens must be >= 0, got num_sink_tokens"),
        ((4, 2.5), TypeError, "window must be an int, got float 2.5"),
        ((4, True), TypeError, "window must be an int, got bool"),
        ((4, 2, None), TypeError, "num_sink_tokens must be an int, got NoneType"),
    ],
)
def test_bad_arguments_are_named(args, error, message):
    with pytest.raises(error, match=message):
        sliding_window_mask(*args)


@pytest.mark.cuda
def test_sliding_window_mask_on_cuda():
    mask = sliding_window_mask(6, 2, num_sink_tokens=1, device="cuda")
    assert mask.device.type == "cuda"
    assert torch.equal(mask.cpu(), explicit_window_mask(6, 2, 1))
