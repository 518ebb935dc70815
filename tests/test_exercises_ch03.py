"""Chapter 3 exercises: reader-style answers, right and wrong."""

import math

import torch
import torch.nn.functional as F
from exercise_helpers import named
from torch import nn

from mhacourse.exercises import ch03 as ex
from mhacourse.exercises.ch03 import functions


def vector_view(swap=False, scale=True, project=True):
    def answer(a, W_q, W_k, W_v, i):
        scores = []
        for j in range(len(a)):
            q, k = (W_q @ a[j], W_k @ a[i]) if swap else (W_q @ a[i], W_k @ a[j])
            scores.append(q @ k / (math.sqrt(len(q)) if scale else 1.0))
        weights = torch.softmax(torch.stack(scores), dim=0)
        return sum(
            w * (W_v @ a_j if project else a_j)
            for w, a_j in zip(weights, a, strict=False)
        )

    return answer


def test_vector_view(device):
    assert ex.q1.check(vector_view(), device=device).passed
    assert ex.q1.check(
        lambda a, Wq, Wk, Wv, i: functions.self_attention_rows(a, Wq, Wk, Wv)[i],
        device=device,
    ).passed
    named(ex.q1, vector_view(swap=True), "qk_swapped")
    named(ex.q1, vector_view(scale=False), "no_scaling")
    named(ex.q1, vector_view(project=False), "values_not_projected")


def columns(dim=0, scale=True, qk=False, transpose=False):
    def answer(I, W_q, W_k, W_v):
        Q, K, V = W_q @ I, W_k @ I, W_v @ I
        A = (Q.T @ K if qk else K.T @ Q) / (math.sqrt(Q.shape[0]) if scale else 1.0)
        O = V @ torch.softmax(A, dim=dim)
        return O.T if transpose else O

    return answer


def test_column_view(device):
    assert ex.q2.check(
        lambda I, Wq, Wk, Wv: functions.self_attention_rows(I.T, Wq, Wk, Wv).T,
        device=device,
    ).passed
    named(ex.q2, columns(dim=1), "softmax_rows")
    named(ex.q2, columns(transpose=True), "transposed_output")
    named(ex.q2, columns(scale=False), "no_scaling")
    named(ex.q2, columns(qk=True), "qt_k")


def rows(dim=-1, scale=None, kq=False):
    def answer(x, W_q, W_k, W_v):
        q, k, v = F.linear(x, W_q), F.linear(x, W_k), F.linear(x, W_v)
        s = (k @ q.transpose(-2, -1) if kq else q @ k.transpose(-2, -1)) / math.sqrt(
            scale or q.shape[-1]
        )
        return torch.softmax(s, dim) @ v

    return answer


def test_parameter_count_matches_linear_layers():
    def count(r, dq, dv, bias=False):
        return sum(
            p.numel()
            for d in (dq, dq, dv)
            for p in nn.Linear(r, d, bias=bias).parameters()
        )

    assert ex.q4.check(count, device="cpu").passed
    named(
        ex.q4,
        lambda r, dq, dv, bias=False: 3 * (dq * r + (dq if bias else 0)),
        "dv_as_dq",
    )
    named(ex.q4, lambda r, dq, dv, bias=False: 2 * dq * r + dv * r, "forgot_bias")
    named(
        ex.q4, lambda r, dq, dv, bias=False: 3 * (r * r + (r if bias else 0)), "square"
    )


def test_equivariance_gap():
    assert ex.q5.check(
        lambda f, x, p: torch.max(torch.abs(f(x[..., p, :]) - f(x)[..., p, :])),
        device="cpu",
    ).passed
    named(
        ex.q5,
        lambda f, x, p: (f(x[..., p, :]) - f(x)).abs().max(),
        "output_not_permuted",
    )
    named(
        ex.q5,
        lambda f, x, p: (f(x[..., p, :]) - f(x)[..., torch.argsort(p), :]).abs().max(),
        "inverse_permutation",
    )
    named(
        ex.q5,
        lambda f, x, p: (f(x[..., p, :]) - f(x)[..., p, :]).abs().mean(),
        "mean_not_max",
    )


def test_self_attention_is_equivariant_and_positions_break_it():
    W = [torch.randn(d, 6, dtype=torch.float64) for d in (4, 4, 3)]
    x, perm = torch.randn(5, 6, dtype=torch.float64), torch.tensor([2, 0, 4, 1, 3])

    def attend(x):
        return functions.self_attention_rows(x, *W)

    assert functions.equivariance_gap(attend, x, perm) < 1e-12
    pos = torch.randn(5, 6, dtype=torch.float64)
    assert functions.equivariance_gap(lambda x: attend(x + pos), x, perm) > 1e-3


def test_types_are_as_the_statements_say():
    as_float = ex.q4.check(lambda *a: float(ex.q4.reference(*a)), device="cpu")
    assert as_float.status == "incorrect" and "asks for an `int`" in as_float.message
    as_tensor = ex.q4.check(lambda *a: torch.tensor(ex.q4.reference(*a)), device="cpu")
    assert as_tensor.status == "incorrect" and "0-dim tensor" in as_tensor.message
    as_number = ex.q5.check(lambda *a: ex.q5.reference(*a).item(), device="cpu")
    assert as_number.status == "incorrect" and "torch.Tensor" in as_number.message
