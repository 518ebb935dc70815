"""The kernels' registry: capabilities, shared checks, and the contract for all.

Every test here runs over every registered kernel, ``sdpa`` and ``triton``
included. Shape legend: B batch, H heads, H_kv key/value heads, L query
length, S key length, E head dim, Ev value dim.
"""

import dataclasses
import types

import pytest
import torch
import torch.nn.functional as F
from kernel_inputs import qkv as _qkv

from mhacourse import MultiHeadAttention, kernels
from mhacourse.kernels import REGISTRY, fused
from mhacourse.masks import causal_mask

NAMES = tuple(REGISTRY)
TOL = dict(atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_every_kernel_refuses_a_float_mask(name):
    """A float mask must never become a silent score bias, sdpa included."""
    q, k, v = _qkv((2,), 3, 5, 4, 6, "cpu")
    bias = torch.zeros(3, 5, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"torch\.bool"):
        kernels.get(name)(q, k, v, bias)
    with pytest.raises(TypeError, match=r"torch\.bool"):
        kernels.get(name).fn(q, k, v, bias)  # the bare function checks too


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("S", [0, 5])
def test_zero_queries_give_an_empty_output(name, S):
    q, k, v = _qkv((2, 3), 0, S, 4, 6, "cpu")
    for fn in (kernels.get(name), kernels.get(name).fn):
        out, _ = fn(q, k, v)
        assert out.shape == (2, 3, 0, 6)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("L,S", [(5, 7), (7, 5), (6, 6)])
def test_causal_equals_the_explicit_mask_and_pytorch(name, L, S):
    """causal=True is top-left aligned like SDPA's is_causal, for every kernel."""
    q, k, v = _qkv((2, 3), L, S, 4, 6, "cpu", seed=3)
    keep = torch.rand(2, 1, 1, S, generator=torch.Generator().manual_seed(1)) < 0.8
    keep[..., 0] = True  # every query keeps key 0
    kernel = kernels.get(name)
    got, _ = kernel(q, k, v, keep, causal=True)
    explicit, _ = kernel(q, k, v, keep & causal_mask(L, S))
    expected = F.scaled_dot_product_attention(
        q, k, v, attn_mask=keep.expand(2, 3, L, S) & causal_mask(L, S)
    )
    torch.testing.assert_close(got, explicit, **TOL)
    torch.testing.assert_close(got, expected, **TOL)
    alone, _ = kernel(q, k, v, causal=True)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(alone, expected, **TOL)


@pytest.mark.parametrize(
    "name,block",
    [("tiled", dict(block_size=4, query_block_size=4))]
    + ([("triton", dict(block_size=(16, 16)))] if "triton" in REGISTRY else []),
)
def test_causal_skips_the_key_blocks_it_hides(name, block):
    """Values after the last query's block are never read: NaN there stays out.

    A masked key still multiplies its value by a weight 0, and 0 * NaN = NaN,
    so a finite output proves the hidden blocks were skipped, not masked.
    """
    q, k, v = _qkv((1, 2), 4, 40, 4, 3, "cpu")
    v[..., 16:, :] = float("nan")  # beyond every causal query's first block
    out, _ = kernels.get(name)(q, k, v, causal=True, **block)
    expected = F.scaled_dot_product_attention(q, k[..., :4, :], v[..., :4, :],
                                              is_causal=True)  # fmt: skip
    torch.testing.assert_close(out, expected, **TOL)


def test_capabilities_are_declared_not_guessed_from_names():
    table = {n: (REGISTRY[n].returns_weights, REGISTRY[n].can_dropout) for n in NAMES}
    assert table["naive"] == table["vectorized"] == (True, True)
    assert table["tiled"] == (False, False) and table["sdpa"] == (False, True)
    assert REGISTRY["sdpa"].grouped_heads and REGISTRY["tiled"].causal
    if "triton" in REGISTRY:
        assert table["triton"] == (False, False) and REGISTRY["triton"].causal


@pytest.mark.parametrize("name", [n for n in NAMES if not REGISTRY[n].can_dropout])
def test_a_kernel_that_cannot_drop_out_refuses_dropout(name):
    q, k, v = _qkv((1, 2), 3, 5, 4, 4, "cpu")
    with pytest.raises(ValueError, match=rf"kernel='{name}'.*dropout=0\.1"):
        kernels.get(name)(q, k, v, dropout_p=0.1)
    mha = MultiHeadAttention(8, 2, kernel=name, dropout=0.1, dtype=torch.float64)
    with pytest.raises(ValueError, match=rf"kernel='{name}'.*dropout"):
        mha(torch.randn(1, 3, 8, dtype=torch.float64))
    out, _ = mha.eval()(torch.randn(1, 3, 8, dtype=torch.float64))  # eval: no dropout
    assert out.shape == (1, 3, 8)


def test_the_registry_is_live_for_multi_head_attention(monkeypatch):
    """A kernel registered after import is usable by name at once."""
    calls = []

    def doubled(q, k, v, mask=None, scale=None):
        calls.append(q.shape)
        out, w = kernels.vectorized.scaled_dot_product_attention(q, k, v, mask, scale)
        return 2 * out, w

    monkeypatch.setitem(REGISTRY, "doubled", None)  # removed again afterwards
    kernels.register("doubled", doubled, returns_weights=True)
    mha = MultiHeadAttention(8, 2, kernel="doubled", dtype=torch.float64)
    x = torch.randn(1, 3, 8, dtype=torch.float64)
    out, w = mha(x)
    mha.kernel = "vectorized"
    ref, ref_w = mha(x)
    heads = (ref - mha.out_proj.bias) @ torch.linalg.inv(mha.out_proj.weight.T)
    torch.testing.assert_close(out, 2 * heads @ mha.out_proj.weight.T
                               + mha.out_proj.bias, **TOL)  # fmt: skip
    torch.testing.assert_close(w, ref_w)
    assert calls == [(1, 2, 3, 4)]


def _sdpa_with_nan_rows(q, k, v, attn_mask=None, **kw):
    """A fused backend that gives NaN for a query seeing no key (some do)."""
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, **kw)
    if attn_mask is not None:
        out = out.masked_fill(~attn_mask.any(-1, keepdim=True), float("nan"))
    return out


def test_sdpa_wrapper_zeroes_rows_that_see_no_key(monkeypatch):
    """Kills the mutant that drops the wrapper's zeroing: PyTorch's CPU backends
    already give zeros, so the test stands in a backend that gives NaN."""
    monkeypatch.setattr(
        fused,
        "F",
        types.SimpleNamespace(scaled_dot_product_attention=_sdpa_with_nan_rows),
    )
    q, k, v = _qkv((2, 3), 5, 7, 4, 6, "cpu", seed=5)
    keep = torch.rand(2, 3, 5, 7, generator=torch.Generator().manual_seed(2)) < 0.5
    keep[:, :, 1] = False  # query 1 sees no key
    keep[:, :, 2, 0] = True  # query 2 sees at least one
    out, w = kernels.get("sdpa")(q, k, v, keep)
    expected, _ = kernels.vectorized.scaled_dot_product_attention(q, k, v, keep)
    assert w is None and torch.equal(out[:, :, 1], torch.zeros_like(out[:, :, 1]))
    torch.testing.assert_close(out, expected, **TOL)


def test_a_kernel_is_a_frozen_record():
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGISTRY["tiled"].causal = False


def test_a_kernel_refuses_dtypes_and_devices_it_does_not_declare(monkeypatch):
    fn = kernels.vectorized.scaled_dot_product_attention
    monkeypatch.setitem(REGISTRY, "gpu_only", None)  # removed again afterwards
    kernels.register("gpu_only", fn, devices=("cuda",), dtypes=(torch.float16,))
    q, k, v = _qkv((1, 2), 3, 5, 4, 4, "cpu")
    with pytest.raises(TypeError, match=r"kernel='gpu_only'.*torch\.float64"):
        kernels.get("gpu_only")(q, k, v)
    with pytest.raises(ValueError, match=r"kernel='gpu_only' runs on \('cuda',\)"):
        kernels.get("gpu_only")(q.half(), k.half(), v.half())
