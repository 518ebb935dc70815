"""Chapter 2 exercises: reader-style answers, right and wrong."""

import math

import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import named

import mhacourse
from mhacourse.exercises import ch02 as ex
from mhacourse.exercises.ch02 import functions


# q1 scores
# q2 scaled dot-product attention
def test_package_kernels_pass(device):
    for kernel in (mhacourse.kernels.naive, mhacourse.kernels.vectorized):
        assert ex.q2.check(kernel.scaled_dot_product_attention, device=device).passed


def test_reference_equals_torch_on_odd_shapes(device):
    q, k, v = (
        torch.randn(2, 3, n, d, dtype=torch.float64, device=device)
        for n, d in ((5, 4), (7, 4), (7, 6))
    )
    mask = torch.rand(5, 7, device=device) < 0.6
    mask[:, 0] = True
    out, _ = functions.scaled_dot_product_attention(q, k, v, mask)
    assert torch.allclose(
        out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask), atol=1e-12
    )


def sdpa(
    dim=-1,
    scale=lambda E, Ev: 1 / math.sqrt(E),
    fill=float("-inf"),
    after=False,
    flip=False,
    guard=True,
):
    """A reader's attention, with a switchable mistake."""

    def answer(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) * scale(q.shape[-1], v.shape[-1])
        if mask is not None and not after:
            scores = scores.masked_fill(mask if flip else ~mask, fill)
        weights = torch.softmax(scores, dim=dim)
        if mask is not None and after:
            weights = weights * mask
        if mask is not None and guard:
            weights = torch.nan_to_num(weights, nan=0.0)
        return weights @ v, weights

    return answer


@pytest.mark.parametrize(
    "answer, mistake",
    [
        (sdpa(dim=-2), "softmax_wrong_axis"),
        (sdpa(scale=lambda E, Ev: 1.0), "no_scaling"),
        (sdpa(scale=lambda E, Ev: 1 / E), "scale_by_e"),
        (sdpa(scale=lambda E, Ev: 1 / math.sqrt(Ev)), "scale_by_sqrt_ev"),
        (sdpa(flip=True), "mask_polarity"),
        (sdpa(after=True), "mask_after_softmax"),
        (sdpa(guard=False), "nan_masked_rows"),
        (sdpa(fill=-1e9), "finite_fill"),
        (sdpa(fill=-1e4), "finite_fill"),
    ],
)
def test_sdpa_mistakes(answer, mistake):
    named(ex.q2, answer, mistake)


def test_renormalising_after_the_mask_gives_nan_rows():
    def answer(q, k, v, mask=None):
        w = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), -1)
        if mask is not None:
            w = w * mask
            w = w / w.sum(-1, keepdim=True)
        return w @ v, w

    named(ex.q2, answer, "nan_masked_rows")


# q3 ReLU normalisation
def relu_attn(norm):
    def answer(q, k, v):
        r = torch.relu(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]))
        w = norm(r)
        return w @ v, w

    return answer


def test_relu_attention():
    def total(r):
        return r.sum(-1, keepdim=True)

    assert ex.q3.check(
        relu_attn(lambda r: torch.where(total(r) > 0, r / total(r), 0.0)), device="cpu"
    ).passed
    assert ex.q3.check(relu_attn(lambda r: r / (total(r) + 1e-9)), device="cpu").passed
    named(
        ex.q3,
        lambda q, k, v: functions.scaled_dot_product_attention(q, k, v),
        "softmax_instead",
    )
    named(ex.q3, relu_attn(lambda r: r), "not_normalised")
    named(ex.q3, relu_attn(lambda r: r / total(r)), "nan_zero_rows")
    named(
        ex.q3,
        relu_attn(lambda r: r / r.sum(-2, keepdim=True).clamp_min(1e-12)),
        "wrong_axis",
    )


# q4 one query
def one_query(scale=lambda E, Ev: 1 / math.sqrt(E), softmax=True, ret="out"):
    def answer(q_i, k, v):
        scores = torch.stack([torch.dot(q_i, k_j) for k_j in k]) * scale(
            q_i.shape[0], v.shape[1]
        )
        w = torch.softmax(scores, 0) if softmax else scores
        return w if ret == "weights" else sum(w[j] * v[j] for j in range(len(v)))

    return answer


def test_one_query():
    assert ex.q4.check(one_query(), device="cpu").passed
    assert ex.q4.check(
        lambda q_i, k, v: torch.softmax(k @ q_i / math.sqrt(len(q_i)), 0) @ v,
        device="cpu",
    ).passed
    named(ex.q4, one_query(scale=lambda E, Ev: 1.0), "no_scaling")
    named(ex.q4, one_query(scale=lambda E, Ev: 1 / math.sqrt(Ev)), "scale_by_sqrt_ev")
    named(ex.q4, one_query(ret="weights"), "returned_weights")
    named(ex.q4, one_query(softmax=False), "no_softmax")


# q5 masking scores
def test_mask_scores():
    assert ex.q5.check(
        lambda s, m: torch.where(m, s, float("-inf")), device="cpu"
    ).passed
    named(ex.q5, lambda s, m: s.masked_fill(m, float("-inf")), "mask_polarity")
    named(ex.q5, lambda s, m: s * m, "zero_fill")
    named(ex.q5, lambda s, m: s.masked_fill(~m, 0.0), "zero_fill")
    named(ex.q5, lambda s, m: s + (~m) * float("-inf"), "inf_times_zero")
    named(ex.q5, lambda s, m: s.masked_fill(~m, -1e9), "finite_fill")
    named(
        ex.q5, lambda s, m: s.masked_fill(~m, torch.finfo(s.dtype).min), "finite_fill"
    )


def test_a_half_finished_answer_is_an_error_not_not_attempted():
    def half_finished(q, k, v, mask=None):
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if mask is not None:
            raise NotImplementedError  # the masked branch is still to do
        weights = F.softmax(scores, dim=-1)
        return weights @ v, weights

    result = ex.q2.check(half_finished, device="cpu")
    assert result.status == "error", result
    assert "NotImplementedError" in result.message
    assert ex.q2.check(_stub_of(ex.q2), device="cpu").status == "not attempted"


def _stub_of(exercise):
    namespace = {}
    exec(exercise.stub, namespace)
    return namespace[exercise.reference.__name__]
