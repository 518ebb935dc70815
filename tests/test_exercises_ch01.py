"""Chapter 1 exercises: reader-style answers, right and wrong."""

import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import named

from mhacourse.exercises import ch01 as ex
from mhacourse.exercises.ch01 import functions


# q1 softmax
def test_softmax_alternatives_pass(device):
    forbidden = ex.q1.check(lambda x, dim=-1: torch.softmax(x, dim), device=device)
    assert forbidden.status == "incorrect" and "not to call" in forbidden.message
    assert ex.q1.check(
        lambda x, dim=-1: torch.exp(x - torch.logsumexp(x, dim, keepdim=True)),
        device=device,
    ).passed


def no_max_shift(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)


def no_keepdim(x, dim=-1):
    e = torch.exp(x - x.max(dim=dim).values)
    return e / e.sum(dim=dim)


def keepdim_on_max_only(x, dim=-1):
    e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim)


def ignores_dim(x, dim=-1):
    e = torch.exp(x - x.amax(-1, keepdim=True))
    return e / e.sum(-1, keepdim=True)


def columns(x, dim=-1):
    e = torch.exp(x - x.amax(0, keepdim=True))
    return e / e.sum(0, keepdim=True)


def global_sum(x, dim=-1):
    e = torch.exp(x - x.max())
    return e / e.sum()


def no_division(x, dim=-1):
    return torch.exp(x - x.amax(dim, keepdim=True))


@pytest.mark.parametrize(
    "answer, mistake",
    [
        (no_max_shift, "no_max_shift"),
        (no_keepdim, "no_keepdim"),
        (keepdim_on_max_only, "no_keepdim_sum"),
        (ignores_dim, "ignored_dim"),
        (columns, "softmax_wrong_axis"),
        (global_sum, "sum_of_everything"),
        (no_division, "not_normalised"),
    ],
)
def test_softmax_mistakes(answer, mistake):
    named(ex.q1, answer, mistake)


# q2 by hand
@pytest.mark.parametrize(
    "answer, mistake",
    [
        ([7.0, 8.0], "unnormalised"),
        ([1.167, 1.333], "linear"),
        ([1.0, 1.0], "uniform"),
        ([2.0, 2.0], "hard"),
        ([0.755, 0.910], "keys_not_values"),
    ],
)
def test_by_hand_mistakes(answer, mistake):
    named(ex.q2, torch.tensor(answer), mistake)


def test_by_hand_to_three_decimals_passes():
    assert ex.q2.check(torch.tensor([1.420, 1.575])).passed
    assert torch.allclose(ex.q2.reference, torch.tensor([1.4205, 1.5752]), atol=1e-4)


# q3 soft lookup, q4 hard lookup
def _soft(scale, dim=-1):
    def answer(q, k, v, temperature=1.0):
        w = torch.softmax(
            q @ k.transpose(-2, -1) * scale(temperature, q.shape[-1]), dim=dim
        )
        return w @ v, w

    return answer


def test_soft_lookup_is_sdpa_with_scale(device):
    q, k, v = (
        torch.randn(2, n, d, dtype=torch.float64, device=device)
        for n, d in ((5, 4), (7, 4), (7, 6))
    )
    out, _ = functions.soft_lookup(q, k, v, temperature=0.5)
    assert torch.allclose(
        out, F.scaled_dot_product_attention(q, k, v, scale=2.0), atol=1e-12
    )


def gather_lookup(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (..., L)
    return torch.gather(v, -2, best[..., None].expand(*best.shape, v.shape[-1]))


def test_hard_lookup_is_the_cold_limit_and_gather_passes(device):
    assert ex.q4.check(gather_lookup, device=device).passed
    q, k, v = (
        torch.randn(3, n, d, dtype=torch.float64) for n, d in ((5, 4), (7, 4), (7, 6))
    )
    assert torch.allclose(
        functions.soft_lookup(q, k, v, temperature=1e-4)[0],
        functions.hard_lookup(q, k, v),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "answer, mistake",
    [
        (
            lambda q, k, v: torch.gather(
                v,
                -2,
                (q @ k.transpose(-2, -1))
                .argmin(-1)[..., None]
                .expand(*q.shape[:-1], v.shape[-1]),
            ),
            "argmin",
        ),
        (lambda q, k, v: gather_lookup(q, k, k), "returned_key"),
        (
            lambda q, k, v: torch.softmax(q @ k.transpose(-2, -1), -1) @ v,
            "soft_instead",
        ),
    ],
)
def test_hard_lookup_mistakes(answer, mistake):
    named(ex.q4, answer, mistake)


# q5 entropy
def test_entropy_alternatives_pass(device):
    categorical = torch.distributions.Categorical
    assert ex.q5.check(lambda w: categorical(probs=w).entropy(), device=device).passed
    assert ex.q5.check(
        lambda w: -(w * torch.where(w > 0, w.log(), 0.0)).sum(-1), device=device
    ).passed


@pytest.mark.parametrize(
    "answer, mistake",
    [
        (lambda w: -(w * torch.log(w)).sum(-1), "nan_at_zero"),
        (lambda w: -(w * torch.log2(w.clamp_min(1e-30))).sum(-1), "log2"),
        (lambda w: torch.special.xlogy(w, w).sum(-1), "no_minus"),
        (lambda w: -torch.special.xlogy(w, w).sum(-2), "wrong_axis"),
    ],
)
def test_entropy_mistakes(answer, mistake):
    named(ex.q5, answer, mistake)


def test_a_shift_by_the_mean_is_named_on_a_row_spanning_hundreds():
    def mean_shifted(x, dim=-1):
        e = (x - x.mean(dim, keepdim=True)).exp()
        return e / e.sum(dim, keepdim=True)

    named(ex.q1, mean_shifted, "mean_shift")


def test_autograd_is_allowed_in_an_answer():
    def by_autograd(x, dim=-1):
        x = x.detach().requires_grad_()
        (grad,) = torch.autograd.grad(torch.logsumexp(x, dim).sum(), x)
        return grad  # d logsumexp / dx is the softmax

    result = ex.q1.check(by_autograd, device="cpu")
    assert result.status == "correct", result.message


def test_a_choice_may_be_given_by_its_label_as_in_the_figure():
    label = ex.q6.choices[ex.q6.reference]  # e.g. "key b"
    assert ex.q6.check(label).status == "correct"
    assert ex.q6.check(label.upper()).status == "correct"
