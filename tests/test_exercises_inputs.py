"""mhacourse.exercises.core.inputs: fresh, private, well-formed random inputs."""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse.exercises.core import inputs as I
from mhacourse.mha import MultiHeadAttention


def test_generators_are_fresh_unless_seeded():
    assert torch.equal(
        I.randn(I.generator(3), (4,), "cpu"), I.randn(I.generator(3), (4,), "cpu")
    )
    assert not torch.equal(
        I.randn(I.generator(), (4,), "cpu"), I.randn(I.generator(), (4,), "cpu")
    )


def test_drawing_inputs_leaves_the_global_state_alone():
    state = torch.get_rng_state()
    gen = I.generator()
    I.qkv(gen, (2,), "cpu")
    I.rand_mask(gen, (5, 7), "cpu")
    I.lengths(gen, 3, 7, "cpu")
    I.init_module(MultiHeadAttention(12, 3, device="meta"), gen, "cpu")
    assert torch.equal(state, torch.get_rng_state())


def test_qkv_shapes_and_dtype():
    q, k, v = I.qkv(I.generator(0), (2, 3), "cpu", torch.float64, L=5, S=7, E=4, Ev=6)
    assert (q.shape, k.shape, v.shape) == ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6))
    assert q.dtype == torch.float64
    assert I.wide_dtype("cpu") == torch.float64 and I.wide_dtype("mps") == torch.float32


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4),
    st.integers(1, 6),
    st.integers(2, 8),
    st.integers(0, 3),
    st.integers(0, 2**31),
)
def test_rand_mask_rows(batch, L, S, blocked, seed):
    blocked = min(blocked, L)
    mask = I.rand_mask(I.generator(seed), (batch, L, S), "cpu", blocked_rows=blocked)
    assert mask.dtype == torch.bool and mask.shape == (batch, L, S)
    assert not mask[:, :blocked].any()
    assert mask[:, blocked:].any(-1).all() and (~mask[:, blocked:]).any(-1).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(2, 9), st.integers(1, 3), st.integers(0, 2**31))
def test_lengths(B, S, min_pad, seed):
    lengths = I.lengths(I.generator(seed), B, S, "cpu", min_pad=min_pad)
    assert lengths.dtype == torch.int64 and lengths.shape == (B,)
    assert lengths.min() >= 1 and lengths.max() == S
    assert (lengths[lengths != S] <= max(S - min_pad, 1)).all()


def test_init_module_fills_every_parameter():
    mha = I.init_module(
        MultiHeadAttention(12, 3, device="meta"), I.generator(0), "cpu", torch.float64
    )
    assert all(
        p.device.type == "cpu" and p.dtype == torch.float64 and p.abs().sum() > 0
        for p in mha.parameters()
    )
    assert not mha.training


def test_case_defaults():
    case = I.Case((1,))
    assert case.kwargs == {} and case.sizes == {} and case.note == ""
