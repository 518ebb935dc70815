"""Tests for mhacourse.studies.normalization: ReLU normalisation, saturation gauges."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse.studies.normalization import (
    entropy,
    relu_normalize,
    softmax_jacobian_norm,
)

rows = st.lists(
    st.floats(-50, 50, allow_nan=False, allow_subnormal=False), min_size=1, max_size=12
)


# ---------------------------------------------------------------- relu_normalize
def test_relu_normalize_known_values(device):
    s = torch.tensor(
        [[1.0, -2.0, 3.0, 0.0], [-1.0, 2.0, -3.0, 2.0]],
        dtype=torch.float64,
        device=device,
    )  # (L, S)
    w = relu_normalize(s, eps=0.0)
    expected = torch.tensor(
        [[0.25, 0.0, 0.75, 0.0], [0.0, 0.5, 0.0, 0.5]], dtype=torch.float64
    )
    assert w.shape == s.shape and w.device.type == device.type
    assert torch.equal(w.cpu(), expected)  # exact: powers of two
    # eps only enlarges the denominator: both rows sum to 4, so w = 4 / (4 + eps).
    w_eps = relu_normalize(s, eps=1.0)
    assert torch.allclose(w_eps.cpu(), expected * 4 / 5, atol=1e-15)


def test_relu_normalize_batched_rows_are_independent():
    s = torch.randn(2, 3, 5, 7, dtype=torch.float64)  # (B, H, L, S)
    w = relu_normalize(s)
    assert torch.equal(w[1, 2, 3], relu_normalize(s[1, 2, 3]))


def test_relu_normalize_all_negative_row_is_zero_not_nan(device):
    s = torch.tensor([[-1.0, -2.0, -0.5], [1.0, -1.0, 3.0]], device=device)  # (L, S)
    w = relu_normalize(s)
    assert not torch.isnan(w).any()
    assert torch.equal(w[0], torch.zeros(3, device=device))
    assert torch.allclose(
        w[1], torch.tensor([0.25, 0.0, 0.75], device=device), atol=1e-5
    )


def test_relu_normalize_with_zero_eps_gives_nan_on_all_negative_row():
    # Documents why eps exists: without it an all-negative row is 0 / 0.
    assert torch.isnan(relu_normalize(torch.tensor([-1.0, -2.0]), eps=0.0)).all()


def test_relu_normalize_other_dim():
    s = torch.randn(4, 6, dtype=torch.float64)
    assert torch.allclose(
        relu_normalize(s, dim=0), relu_normalize(s.T, dim=-1).T, atol=1e-15
    )


@settings(max_examples=60, deadline=None)
@given(rows, st.floats(0.01, 100))
def test_relu_normalize_properties(values, c):
    s = torch.tensor(values, dtype=torch.float64)
    w = relu_normalize(s, eps=1e-9)
    assert (w >= 0).all()
    assert torch.equal(w == 0, s <= 0)  # exactly sparse on the non-positive scores
    if (s > 1e-3).any():
        assert math.isclose(w.sum().item(), 1.0, abs_tol=1e-6)
        # Positive rescaling does not change the weights (up to eps).
        assert torch.allclose(relu_normalize(s * c, eps=1e-9), w, atol=1e-6)
    else:
        assert w.sum().item() <= 1.0


def test_relu_normalize_bad_input():
    with pytest.raises(TypeError, match="scores"):
        relu_normalize(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="scores"):
        relu_normalize([1.0, 2.0])
    with pytest.raises(ValueError, match="eps"):
        relu_normalize(torch.ones(3), eps=-1.0)


# ---------------------------------------------------------------- entropy
def test_entropy_extremes(device):
    S = 6
    w = torch.stack([torch.full((S,), 1 / S), torch.eye(S)[2]]).to(device)  # (2, S)
    h = entropy(w)
    assert h.shape == (2,)
    assert math.isclose(h[0].item(), math.log(S), rel_tol=1e-6)
    assert h[1].item() == 0.0


@settings(max_examples=60, deadline=None)
@given(rows)
def test_entropy_of_softmax_is_between_0_and_log_s(values):
    p = torch.softmax(torch.tensor(values, dtype=torch.float64), -1)
    h = entropy(p).item()
    assert -1e-12 <= h <= math.log(len(values)) + 1e-12
    # Independent fact: the entropy of a softmax is log Z - E_p[s] (Z = sum exp s).
    s = torch.tensor(values, dtype=torch.float64)
    assert math.isclose(h, (torch.logsumexp(s, 0) - (p * s).sum()).item(), abs_tol=1e-9)


def test_entropy_known_values():
    w = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.25, 0.25]], dtype=torch.float64)
    assert torch.allclose(
        entropy(w),
        torch.tensor([math.log(2), 1.5 * math.log(2)], dtype=torch.float64),
        atol=1e-15,
    )


def test_entropy_bad_input():
    with pytest.raises(TypeError, match="weights"):
        entropy(torch.tensor([1, 0]))
    with pytest.raises(ValueError, match="weights"):
        entropy(torch.tensor(1.0))


# ---------------------------------------------------------------- softmax_jacobian_norm
def test_jacobian_norm_matches_autograd(device):
    torch.manual_seed(0)
    s = (3 * torch.randn(4, 5, dtype=torch.float64)).to(device)  # (L, S)
    got = softmax_jacobian_norm(s)
    assert got.shape == (4,)
    for i in range(4):
        J = torch.autograd.functional.jacobian(
            lambda x: torch.softmax(x, -1), s[i]
        )  # (S, S)
        assert math.isclose(
            got[i].item(),
            torch.linalg.matrix_norm(J).item(),
            rel_tol=1e-9,
            abs_tol=1e-12,
        )


@settings(max_examples=40, deadline=None)
@given(rows)
def test_jacobian_norm_matches_autograd_property(values):
    s = torch.tensor(values, dtype=torch.float64)
    J = torch.autograd.functional.jacobian(lambda x: torch.softmax(x, -1), s)
    assert math.isclose(
        softmax_jacobian_norm(s).item(),
        torch.linalg.matrix_norm(J).item(),
        abs_tol=1e-7,
    )


def test_jacobian_norm_shrinks_as_scores_grow():
    s = torch.tensor([2.0, 1.0, 0.0, -1.0], dtype=torch.float64)  # one clear winner
    norms = [softmax_jacobian_norm(c * s).item() for c in (1, 5, 50)]
    assert norms[0] > norms[1] > norms[2]
    assert norms[2] < 1e-6


def test_jacobian_norm_is_accurate_for_saturated_float32_rows():
    # 1 - p_top rounds to 0 in float32 here (not in float64); the norm must be right.
    s64 = torch.tensor(
        [[18.0, 0.0, -2.0, 1.0], [25.0, 3.0, 2.0, 0.0]], dtype=torch.float64
    )
    got = softmax_jacobian_norm(s64.float())
    expected = torch.stack(
        [
            torch.linalg.matrix_norm(
                torch.autograd.functional.jacobian(lambda x: torch.softmax(x, -1), row)
            )
            for row in s64
        ]
    )
    assert (got > 0).all()
    assert torch.allclose(got.double(), expected, rtol=1e-4, atol=0)


def test_jacobian_norm_other_dim():
    s = torch.randn(3, 5, dtype=torch.float64)
    assert torch.allclose(
        softmax_jacobian_norm(s, dim=0), softmax_jacobian_norm(s.T), atol=1e-15
    )


def test_jacobian_norm_bad_input():
    with pytest.raises(TypeError, match="scores"):
        softmax_jacobian_norm(torch.tensor([1, 2]))
