"""Tests for mhacourse.positions: sinusoidal, learned and rotary encodings."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse.positions import (
    LearnedPositions,
    SinusoidalPositions,
    apply_rotary,
    sinusoidal_encoding,
    sinusoidal_shift,
)

F64 = torch.float64


def test_sinusoidal_table_matches_the_formula():
    pe = sinusoidal_encoding(9, 6, dtype=F64)
    for p in range(9):
        for i in range(3):
            w = 10000.0 ** (-2 * i / 6)
            assert pe[p, 2 * i].item() == pytest.approx(math.sin(p * w), abs=1e-12)
            assert pe[p, 2 * i + 1].item() == pytest.approx(math.cos(p * w), abs=1e-12)


@settings(deadline=None, max_examples=40)
@given(
    k=st.integers(-20, 20),
    dim=st.sampled_from([2, 6, 16]),
    base=st.sampled_from([100.0, 1e4]),
)
def test_shift_is_one_linear_map_for_every_position(k, dim, base):
    pe = sinusoidal_encoding(60, dim, base, dtype=F64)  # (P, D)
    M = sinusoidal_shift(k, dim, base, dtype=F64)  # (D, D)
    p = torch.arange(max(0, -k), min(60, 60 - k))  # positions with p + k in range
    torch.testing.assert_close(pe[p] @ M, pe[p + k], atol=1e-10, rtol=0)
    torch.testing.assert_close(M @ M.T, torch.eye(dim, dtype=F64))  # a rotation


@pytest.mark.parametrize("dim", [0, 5])
def test_odd_or_empty_dim_is_refused(dim):
    with pytest.raises(ValueError, match=f"dim=.*{dim}"):
        sinusoidal_encoding(4, dim)


def _score(q, k, m, n, base=10000.0):
    qm = apply_rotary(q, torch.tensor([m]), base)  # (1, E)
    kn = apply_rotary(k, torch.tensor([n]), base)  # (1, E)
    return (qm @ kn.T).item()


@settings(deadline=None)
@given(
    m=st.integers(0, 500),
    n=st.integers(0, 500),
    shift=st.integers(-300, 300),
    seed=st.integers(0, 2**16),
)
def test_rope_score_depends_only_on_the_offset(m, n, shift, seed):
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(2, 1, 10, generator=g, dtype=F64)  # (1, E) each
    shift = max(shift, -min(m, n))  # keep positions non-negative
    assert _score(q, k, m, n) == pytest.approx(
        _score(q, k, m + shift, n + shift), abs=1e-9
    )


def test_rope_is_a_rotation_and_position_matters():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 5, 8, generator=g, dtype=F64)  # (B, H, L, E)
    r = apply_rotary(x)
    torch.testing.assert_close(r.norm(dim=-1), x.norm(dim=-1))  # norms kept
    torch.testing.assert_close(r[..., 0, :], x[..., 0, :])  # position 0 unchanged
    q, k = x[0, 0, :1], x[0, 1, :1]
    assert abs(_score(q, k, 0, 1) - _score(q, k, 0, 4)) > 1e-3  # offsets differ
    # pairs are (2i, 2i+1): rotating by p*w_0 = p radians for the first pair
    e0 = torch.tensor([[1.0, 0, 0, 0]], dtype=F64)
    rot = apply_rotary(e0, torch.tensor([2]))
    torch.testing.assert_close(
        rot[0, :2], torch.tensor([math.cos(2), math.sin(2)], dtype=F64)
    )


def test_rope_positions_must_match_length():
    with pytest.raises(ValueError, match=r"positions must have shape \(L,\) = \(3,\)"):
        apply_rotary(torch.randn(3, 4), torch.arange(4))


def test_position_modules_add_the_right_rows_and_check_range():
    sin = SinusoidalPositions(8, max_len=10, dtype=F64)
    x = torch.zeros(2, 3, 8, dtype=F64)
    torch.testing.assert_close(
        sin(x, offset=4)[1], sinusoidal_encoding(10, 8, dtype=F64)[4:7]
    )
    learned = LearnedPositions(8, max_len=10)
    assert torch.equal(
        learned(torch.zeros(1, 2, 8), offset=3)[0], learned.weight[3:5].detach()
    )
    assert learned.weight.requires_grad and not list(sin.parameters())
    with pytest.raises(ValueError, match="max_len") as err:
        sin(torch.zeros(1, 4, 8, dtype=F64), offset=7)
    assert str(err.value) == (
        "asked for positions 7..10; the table holds positions 0..9 (max_len=10)"
    )
    with pytest.raises(ValueError, match=r"positions 0\.\.2; .* 0\.\.1 \(max_len=2\)"):
        LearnedPositions(8, max_len=2)(torch.zeros(1, 3, 8))
