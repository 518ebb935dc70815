"""The statements' rules hold whatever door the answer uses (issue 21, item 2).

"Do not call torch.softmax" was bypassed by ``torch._softmax``; "never build the
full (L, S) scores" by einsum writing them as (S, L). The sandbox now watches
every torch function the answer calls, by name, and every tensor's sizes.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from mhacourse.exercises import ch01, ch07


def _rule_broken(result, words):
    assert result.status == "incorrect", result
    assert result.message.startswith("Not allowed here:"), result.message
    assert words in result.message, result.message


@pytest.mark.parametrize(
    "door",
    [
        lambda x, dim: torch._softmax(x, dim, False),
        lambda x, dim: torch.ops.aten._softmax(x, dim, False),
        lambda x, dim: torch.ops.aten._softmax.default(x, dim, False),
        lambda x, dim: torch.special.softmax(x, dim),
        lambda x, dim: torch._C._VariableFunctions.softmax(x, dim),
        lambda x, dim: F.softmin(-x, dim),
        lambda x, dim: torch.nn.Softmax(dim)(x),
        lambda x, dim: F.log_softmax(x, dim).exp(),
        lambda x, dim: torch.ops.aten._log_softmax(x, dim, False).exp(),
    ],
    ids=[
        "_softmax",
        "aten",
        "aten.default",
        "special",
        "VariableFunctions",
        "softmin",
        "nn.Softmax",
        "log_softmax",
        "aten_log_softmax",
    ],
)
def test_softmax_through_another_door_is_refused(door):
    def answer(x, dim=-1):
        return door(x, dim)

    _rule_broken(ch01.q1.check(answer, device="cpu"), "not to call torch.")


def _via_einsum(q, k, v, block_size):
    s = torch.einsum("...le,...se->...sl", q, k) / math.sqrt(q.shape[-1])  # (S, L)
    w = torch.exp(s - s.amax(-2, keepdim=True))  # (..., S, L)
    return torch.einsum("...sl,...se->...le", w / w.sum(-2, keepdim=True), v)


def _flattened(q, k, v, block_size):
    s = (q[..., :, None, :] * k[..., None, :, :]).sum(-1)  # (..., L, S) by broadcast
    s = s.flatten(-2) / math.sqrt(q.shape[-1])  # (..., L * S)
    w = torch.exp(s - s.amax(-1, keepdim=True)).unflatten(-1, (q.shape[-2], -1))
    return (w / w.sum(-1, keepdim=True)) @ v


@pytest.mark.parametrize("answer", [_via_einsum, _flattened])
def test_full_scores_in_another_layout_are_refused(answer):
    _rule_broken(ch07.q4.check(answer, device="cpu"), "never to build")


def test_the_rules_still_pass_honest_answers():
    assert ch07.q4.check(ch07.q4.reference, device="cpu").passed
    assert ch01.q1.check(ch01.q1.reference, device="cpu").passed

    def by_gradient(x, dim=-1):  # issue 21, item 7: autograd stays allowed
        x = x.detach().requires_grad_()
        return torch.autograd.grad(torch.logsumexp(x, dim).sum(), x)[0]

    assert ch01.q1.check(by_gradient, device="cpu").passed
