"""Multi-head latent attention: the plain form, the absorbed form, the latent cache.

Equalities, all in float64 on odd shapes (E != R != C): the plain form
against the maths written out here with PyTorch ops; the absorbed form
against the plain one; cached decoding (token by token and in chunks)
against the full causal pass; and, with a latent as wide as the model and
no RoPE query, MLA against MultiHeadAttention. Shape legend: B batch,
H heads, L length, D model dim, E head dim, C kv latent, C_q query latent,
R RoPE dim.
"""

import math

import pytest
import torch

from mhacourse import KVCache, MultiHeadAttention, MultiHeadLatentAttention
from mhacourse.kernels import REGISTRY
from mhacourse.mla import LatentCache
from mhacourse.positions import apply_rotary

TOL = dict(atol=1e-10, rtol=1e-10)
NAMES = tuple(REGISTRY)
B, L, D, H, C, R = 2, 7, 12, 3, 5, 6  # E = 4


def make(q_latent_dim=None, kernel="vectorized", seed=0, **sizes):
    torch.manual_seed(seed)
    kw = dict(kv_latent_dim=C, rope_dim=R) | sizes
    return MultiHeadLatentAttention(
        kw.pop("embed_dim", D), kw.pop("num_heads", H), q_latent_dim=q_latent_dim,
        kernel=kernel, dtype=torch.float64, **kw,
    )  # fmt: skip


def tokens(n=L, seed=1, d=D):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, n, d, generator=g, dtype=torch.float64)  # (B, L, D)


def reference(mla, x):
    """The DeepSeek-V2 equations, one PyTorch op each: (out, weights)."""
    E, Lx = mla.head_dim, x.shape[1]
    pos = torch.arange(Lx)
    heads = lambda t: t.unflatten(-1, (H, -1)).transpose(1, 2)  # noqa: E731
    q_in = x if mla.q_down is None else x @ mla.q_down.weight.T  # (B, L, C_q)
    q_c = heads(q_in @ mla.q_up.weight.T)  # (B, H, L, E)
    q_r = apply_rotary(heads(q_in @ mla.q_rope.weight.T), pos)  # (B, H, L, R)
    c = x @ mla.kv_down.weight.T  # (B, L, C)
    k_r = apply_rotary(x @ mla.k_rope.weight.T, pos)[:, None]  # (B, 1, L, R)
    k_c, v = heads(c @ mla.k_up.weight.T), heads(c @ mla.v_up.weight.T)  # (B,H,L,E)
    scores = (q_c @ k_c.mT + q_r @ k_r.mT) / math.sqrt(E + R)  # (B, H, L, L)
    causal = torch.ones(Lx, Lx, dtype=torch.bool).tril()
    weights = scores.masked_fill(~causal, float("-inf")).softmax(-1)  # (B,H,L,L)
    out = (weights @ v).transpose(1, 2).flatten(-2) @ mla.out_proj.weight.T
    return out, weights  # (B, L, D), (B, H, L, L)


@pytest.mark.parametrize("q_latent_dim", [None, 7])
def test_plain_form_is_the_deepseek_v2_equations(q_latent_dim):
    mla = make(q_latent_dim)
    x = tokens()
    out, weights = mla(x)
    ref_out, ref_weights = reference(mla, x)
    torch.testing.assert_close(out, ref_out, **TOL)
    torch.testing.assert_close(weights, ref_weights, **TOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("q_latent_dim", [None, 7])
def test_absorbed_equals_plain_for_every_kernel(name, q_latent_dim):
    mla = make(q_latent_dim, kernel=name)
    x = tokens()
    plain, w_plain = mla(x)
    absorbed, w_absorbed = mla(x, absorbed=True)
    torch.testing.assert_close(absorbed, plain, **TOL)
    if REGISTRY[name].returns_weights:
        torch.testing.assert_close(w_absorbed, w_plain, **TOL)
    else:
        assert w_plain is None and w_absorbed is None


@pytest.mark.parametrize("absorbed", [False, True])
@pytest.mark.parametrize("chunks", [[1] * L, [3, 1, 3], [2, 5]])
def test_cached_decoding_equals_the_full_pass(absorbed, chunks):
    mla = make(q_latent_dim=7)
    x = tokens()
    full, _ = mla(x)
    cache, outs, start = mla.new_cache(), [], 0
    for n in chunks:
        out, weights = mla(x[:, start : start + n], cache=cache, absorbed=absorbed)
        start += n
        assert weights.shape == (B, H, n, start)
        outs.append(out)
    torch.testing.assert_close(torch.cat(outs, dim=1), full, **TOL)
    cache.reset()  # a new sequence from scratch gives the same answer again
    torch.testing.assert_close(mla(x, cache=cache, absorbed=absorbed)[0], full, **TOL)


@pytest.mark.parametrize("dtype,size", [(torch.float64, 8), (torch.float32, 4)])
def test_the_cache_holds_only_the_latent_and_the_rope_key(dtype, size):
    mla = make().to(dtype)
    cache = mla.new_cache()
    assert isinstance(cache, LatentCache) and cache.nbytes() == 0
    T = 0
    for n in (3, 1, 2):  # after every step, the first one included
        mla(tokens(n).to(dtype), cache=cache)
        T += n
        shapes = (tuple(cache.latent.shape), tuple(cache.rope_key.shape))
        assert shapes == ((B, 1, T, C), (B, 1, T, R))
        assert cache.nbytes() == B * T * (C + R) * size  # (C + R) x size per token


def test_with_a_full_width_latent_and_no_rope_query_mla_is_causal_mha():
    """C = D and W^DKV = I make the latent the token itself, so W^UK and W^UV
    can be any key and value projections; zero RoPE queries drop the position
    term, and queries scaled by sqrt((E + R) / E) undo the 1/sqrt(E + R)."""
    mha = MultiHeadAttention(D, H, bias=False, dtype=torch.float64)
    mla = make(kv_latent_dim=D)
    E = mla.head_dim
    with torch.no_grad():
        mla.kv_down.weight.copy_(torch.eye(D))
        mla.k_up.weight.copy_(mha.k_proj.weight)
        mla.v_up.weight.copy_(mha.v_proj.weight)
        mla.q_up.weight.copy_(mha.q_proj.weight * math.sqrt((E + R) / E))
        mla.q_rope.weight.zero_()
        mla.out_proj.weight.copy_(mha.out_proj.weight)
    x = tokens()
    expected, _ = mha(x, is_causal=True)
    for absorbed in (False, True):
        torch.testing.assert_close(mla(x, absorbed=absorbed)[0], expected, **TOL)


def test_the_rope_path_carries_relative_position():
    """With the content queries zeroed and one token repeated at every
    position, scores come from RoPE alone: s(i, j) depends on i - j only, so
    log w[i, i - d] - log w[i, i] is the same for every query i."""
    mla = make()
    with torch.no_grad():
        mla.q_up.weight.zero_()
    x = tokens()[:, :1].expand(B, L, D)  # (B, L, D): one token, L positions
    _, weights = mla(x)  # (B, H, L, L)
    i = torch.arange(L)
    by_offset = []
    for d in (1, 2, 3):
        gap = weights[..., i[d:], i[d:] - d].log() - weights[..., i[d:], i[d:]].log()
        torch.testing.assert_close(gap, gap[..., :1].expand_as(gap), **TOL)
        by_offset.append(gap[..., 0])
    assert (by_offset[0] - by_offset[1]).abs().max() > 1e-3  # position matters


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (dict(rope_dim=5), ValueError, "rope_dim must be even.*rope_dim=5"),
        (dict(kv_latent_dim=0), ValueError, "kv_latent_dim must be a positive int"),
        (dict(q_latent_dim=2.0), ValueError, "q_latent_dim must be a positive int"),
        (dict(num_heads=5), ValueError, "embed_dim=12 is not divisible by num_heads=5"),
        (dict(kernel="flash"), ValueError, "kernel must be one of"),
    ],
)
def test_bad_sizes_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**kwargs)


def test_bad_inputs_are_named():
    mla = make()
    with pytest.raises(ValueError, match=r"query must have shape \(B, L, 12\)"):
        mla(tokens(d=11))
    with pytest.raises(TypeError, match=r"cache must be the LatentCache.*KVCache"):
        mla(tokens(), cache=KVCache())
    cache = mla.new_cache()
    mla(tokens(), cache=cache)
    with pytest.raises(ValueError, match="batch B differs"):
        mla(tokens()[:1], cache=cache)


def test_dropout_applies_in_training_only():
    mla = make(dropout=0.5)
    x = tokens()
    torch.testing.assert_close(mla.eval()(x)[0], reference(mla, x)[0], **TOL)
    assert not torch.allclose(mla.train()(x)[0], reference(mla, x)[0])


def test_gradients_reach_every_projection():
    mla = make(q_latent_dim=7)
    mla(tokens(), absorbed=True)[0].sum().backward()
    for name, p in mla.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
