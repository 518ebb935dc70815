"""exercises.core.causes: an answer that raises is told the likely cause, in a
learner's words, with the sizes involved named as the statement names them.

Issue 21: the trial found answers that got PyTorch's error line without the cause.
Each answer here is one a learner writes, checked against a real exercise.
"""

import math

import pytest
import torch

from mhacourse.exercises import ch01, ch02

SDPA, SOFTMAX = ch02.q2, ch01.q1


def no_transpose(q, k, v, mask=None):
    w = (q @ k / math.sqrt(q.shape[-1])).softmax(-1)  # k, not k^T
    return w @ v, w


def elementwise_scores(q, k, v, mask=None):
    w = ((q * k).sum(-1) / math.sqrt(q.shape[-1])).softmax(-1)  # L against S
    return w @ v, w


def made_float32(q, k, v, mask=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s.masked_fill(~mask, float("-inf"))
    w = s.softmax(-1).float()  # the inputs are float64 in some cases
    return w @ v, w


def one_minus_mask(q, k, v, mask=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s - (1 - mask) * 1e9  # mask is bool
    w = s.softmax(-1)
    return w @ v, w


def float_mask(q, k, v, mask=None):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        s = s.masked_fill(mask.float() == 0, float("-inf")).masked_fill(
            mask.float(), 0.0
        )
    w = s.softmax(-1)
    return w @ v, w


def no_mask_argument(q, k, v):
    w = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(-1)
    return w @ v, w


def loop_one_too_far(x, dim=-1):
    out = torch.empty_like(x)
    for i in range(x.shape[0] + 1):
        e = torch.exp(x[i] - x[i].max())
        out[i] = e / e.sum()
    return out


def dim_two(x, dim=-1):
    e = torch.exp(x - x.amax(dim=2, keepdim=True))
    return e / e.sum(dim, keepdim=True)


def max_as_item(x, dim=-1):
    e = torch.exp(x - x.amax(dim).item())
    return e / e.sum(dim, keepdim=True)


def if_on_a_tensor(x, dim=-1):
    if x > 50:  # meant for each score
        x = x - 50
    e = torch.exp(x)
    return e / e.sum(dim, keepdim=True)


ANSWERS = {  # answer: (exercise, words its message must hold)
    no_transpose: (SDPA, ["`a @ b`", "4 (E) meets 7 (S)", "k.transpose(-2, -1)"]),
    elementwise_scores: (SDPA, ["do not line up", "5 (L)", "7 (S)"]),
    made_float32: (SDPA, ["float32 and float64", "dtype=x.dtype", ".float()"]),
    one_minus_mask: (SDPA, ["bool mask is not a number", "~mask"]),
    float_mask: (SDPA, ["must be a bool tensor", "comparison"]),
    no_mask_argument: (SDPA, ["statement's 4 arguments", "`mask=None`"]),
    loop_one_too_far: (SOFTMAX, ["from 0 to 3", "4 is past the end", "range(n)"]),
    dim_two: (SOFTMAX, ["has 2 dims", "you asked for dim 2", "dim=-1"]),
    max_as_item: (SOFTMAX, ["exactly one element", "this one has 4", "keepdim"]),
    if_on_a_tensor: (SOFTMAX, ["many values", "torch.where"]),
}


@pytest.mark.parametrize("answer", list(ANSWERS), ids=lambda f: f.__name__)
def test_an_error_is_told_its_cause(answer):
    exercise, words = ANSWERS[answer]
    result = exercise.check(answer, device="cpu", seed=0)
    assert result.status == "error", result
    cause = result.message.split("Inputs:")[0]
    missing = [w for w in words if w not in cause]
    assert not missing, (missing, result.message)


def test_a_wrong_call_of_a_helper_is_not_blamed_on_the_signature():
    def helper(scores):
        return scores.softmax(-1)

    def attention(q, k, v, mask=None):
        w = helper(q @ k.transpose(-2, -1), mask)  # the helper takes one argument
        return w @ v, w

    result = SDPA.check(attention, device="cpu", seed=0)
    assert result.status == "error" and "helper()" in result.message
    assert "The checker calls your function" not in result.message
