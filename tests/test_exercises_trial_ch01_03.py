"""A learner trial of chapters 1-3's exercises (issue 21, items 1 and 6).

Each entry is one submission a learner could plausibly write, with the verdict it
must get: ``"correct"``, the name of the catalogued mistake it makes, or
``Says(status, words)`` for careless code the checker answers with a message of
its own (a list where a tensor is asked, the wrong dtype, ...). Read top to
bottom, this is a catalogue of learner answers per exercise.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from exercise_helpers import Says, verdict

from mhacourse.exercises import ch01, ch02, ch03

INF = float("-inf")


def _t(*rows):
    return torch.tensor(rows)


# ch01.q1 softmax --------------------------------------------------------------------
def sm_max_values(x, dim=-1):
    e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)


def sm_unsqueeze(x, dim=-1):
    e = (x - x.amax(dim).unsqueeze(dim)).exp()
    return e / e.sum(dim).unsqueeze(dim)


def sm_in_float64(x, dim=-1):
    y = x.double()
    e = (y - y.amax(dim, keepdim=True)).exp()
    return (e / e.sum(dim, keepdim=True)).to(x.dtype)


def sm_moved_dim(x, dim=-1):
    y = x.movedim(dim, -1)  # the softmax dim last
    rows = [r - r.max() for r in y.reshape(-1, y.shape[-1])]
    e = torch.stack(rows).exp()  # (rows, n)
    return (e / e.sum(-1, keepdim=True)).reshape(y.shape).movedim(-1, dim)


def sm_on_a_clone(x, dim=-1):
    y = x.clone()
    y -= y.amax(dim, keepdim=True)
    y.exp_()
    y /= y.sum(dim, keepdim=True)
    return y


def sm_global_max(x, dim=-1):
    e = (x - x.max()).exp()  # one shift for the whole tensor
    return e / e.sum(dim, keepdim=True)


def sm_min_shift(x, dim=-1):
    e = (x - x.amin(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def sm_log(x, dim=-1):
    return x - torch.logsumexp(x, dim, keepdim=True)  # the log of the softmax


def sm_max_no_values(x, dim=-1):
    e = torch.exp(x - x.max(dim=dim, keepdim=True))  # a (values, indices) pair
    return e / e.sum(dim=dim, keepdim=True)


def sm_in_place(x, dim=-1):
    x -= x.amax(dim, keepdim=True)
    x.exp_()
    return x / x.sum(dim, keepdim=True)


def sm_printed(x, dim=-1):
    print(sm_max_values(x, dim))


def sm_float64_out(x, dim=-1):
    return sm_max_values(x.double(), dim)


def sm_dim_one(x, dim=-1):
    e = (x - x.amax(1, keepdim=True)).exp()  # dim=1: the last dim of the examples
    return e / e.sum(1, keepdim=True)


Q1 = [
    ("max().values", sm_max_values, "correct"),
    ("unsqueeze instead of keepdim", sm_unsqueeze, "correct"),
    ("in float64, cast back", sm_in_float64, "correct"),
    ("loop over rows, movedim", sm_moved_dim, "correct"),
    ("in place on a clone", sm_on_a_clone, "correct"),
    ("shift by the global max", sm_global_max, "global_max_shift"),
    ("shift by the min", sm_min_shift, "min_shift"),
    ("log-softmax, no exp", sm_log, "log_softmax"),
    (
        "max(...) without .values",
        sm_max_no_values,
        Says("error", "take `.values`"),
    ),
    ("changes x in place", sm_in_place, "changed_input"),
    ("prints instead of returning", sm_printed, Says("incorrect", "`return`")),
    (
        "returns NumPy",
        lambda x, dim=-1: sm_max_values(x, dim).numpy(),
        Says("incorrect", "NumPy array"),
    ),
    (
        "returns a list",
        lambda x, dim=-1: sm_max_values(x, dim).tolist(),
        Says("incorrect", "Python list"),
    ),
    ("returns float64", sm_float64_out, Says("incorrect", "dtype torch.float64")),
    ("dim hard-coded to 1", sm_dim_one, "ignored_dim"),
]


# ch01.q2 one lookup by hand ---------------------------------------------------------
Q2 = [
    ("3 decimals", _t(1.420, 1.575), "correct"),
    (
        "computed, float64",
        torch.tensor([1.4205, 1.5752], dtype=torch.float64),
        "correct",
    ),
    ("2 decimals", _t(1.42, 1.58), "too_few_decimals"),
    ("weights rounded first", _t(1.43, 1.59), "rounded_weights"),
    ("the weights, not the output", _t(0.090, 0.245, 0.665), "weights_not_output"),
    ("scores scaled by sqrt(2)", _t(1.292, 1.436), "scaled"),
    ("a list", [1.420, 1.575], Says("incorrect", "Python list")),
]


# ch01.q3 predict: cooling --------------------------------------------------------
Q3 = [
    ("b", "b", "correct"),
    ("B", "B", "correct"),
    ("(b)", "(b)", "correct"),
    ("its label", "almost 1", "correct"),
    ("a", "a", "chose_a"),
    ("c", "c", "chose_c"),
    ("a number", 1.0, Says("incorrect", "one of these")),
]


# ch01.q4 hard lookup ----------------------------------------------------------------
def hl_take_along(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1, keepdim=True)  # (..., L, 1)
    return torch.take_along_dim(v, best, dim=-2)


def hl_scaled(q, k, v):
    best = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).argmax(-1)
    return F.one_hot(best, k.shape[-2]).to(v.dtype) @ v


def hl_v_best(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (..., L)
    return v[best]  # right only without batch dims


def hl_one_hot_int(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1)
    return F.one_hot(best, k.shape[-2]) @ v  # int64 one-hot


def hl_weights(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1)
    return F.one_hot(best, k.shape[-2]).to(v.dtype)


def hl_argmax_queries(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-2)  # (..., S): best query per key
    return F.one_hot(best, q.shape[-2]).to(v.dtype).transpose(-2, -1) @ v


def hl_soft_cold(q, k, v):
    w = torch.softmax(q @ k.transpose(-2, -1) / 1e-6, dim=-1)
    return w @ v


def hl_k_T(q, k, v):
    best = (q @ k.T).argmax(-1)  # k.T: right only for 2-D keys
    return F.one_hot(best, k.shape[-2]).to(v.dtype) @ v


def hl_zeros_loop(q, k, v):
    best = (q @ k.transpose(-2, -1)).argmax(-1)  # (..., L)
    pick = torch.zeros(*best.shape, k.shape[-2])  # on the CPU, float32
    pick.scatter_(-1, best[..., None], 1.0)
    return pick.to(v.dtype) @ v


Q4 = [
    ("take_along_dim", hl_take_along, "correct"),
    ("scaled scores, same argmax", hl_scaled, "correct"),
    ("v[best]: no batch dims", hl_v_best, Says("error", "picks along the *first* dim")),
    ("int64 one-hot", hl_one_hot_int, Says("error", "different dtypes")),
    ("the one-hot weights", hl_weights, "returned_weights"),
    ("argmax over the queries", hl_argmax_queries, "argmax_wrong_axis"),
    (
        "returns (out, weights)",
        lambda q, k, v: (hl_scaled(q, k, v), None),
        Says("incorrect", "tuple"),
    ),
    ("k.T: 2-D only", hl_k_T, Says("error", "k.transpose(-2, -1)")),
    ("one-hot built in zeros without device=", hl_zeros_loop, "device_not_followed"),
]


# ch01.q5 entropy ----------------------------------------------------------------
def en_clamped(w):
    return -(w * w.clamp_min(1e-30).log()).sum(-1)


def en_nansum(w):
    return torch.nansum(-w * w.log(), dim=-1)


def en_entr(w):
    return torch.special.entr(w).sum(-1)


def en_eps(w):
    return -(w * torch.log(w + 1e-12)).sum(-1)


def en_in_place(w):
    w.clamp_(min=1e-30)
    return -(w * w.log()).sum(-1)


Q5 = [
    ("clamp_min before log", en_clamped, "correct"),
    ("nansum", en_nansum, "correct"),
    ("special.entr", en_entr, "correct"),
    ("log(w + eps)", en_eps, "correct"),
    ("log10", lambda w: -(torch.special.xlogy(w, w) / math.log(10)).sum(-1), "log10"),
    ("mean, not sum", lambda w: -torch.special.xlogy(w, w).mean(-1), "mean_not_sum"),
    (
        "divided by log S",
        lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(w.shape[-1]),
        "normalised",
    ),
    (
        "sum of everything",
        lambda w: -torch.special.xlogy(w, w).sum(),
        Says("incorrect", "shape"),
    ),
    (
        "keepdim",
        lambda w: -torch.special.xlogy(w, w).sum(-1, keepdim=True),
        Says("incorrect", "size-1"),
    ),
    ("clamps w in place", en_in_place, "changed_input"),
    (
        "sum(1): right for 2-D only",
        lambda w: -torch.special.xlogy(w, w).sum(1),
        "wrong_axis",
    ),
    ("returns NumPy", lambda w: en_entr(w).numpy(), Says("incorrect", "NumPy array")),
]


# ch01.q6 picture --------------------------------------------------------------
Q6 = [
    ("b", "b", "correct"),
    ("the figure's label", "key b", "correct"),
    ("a column read", "a", "read_the_column"),
    ("the darkest", "e", "darkest"),
]


# ch02.q1 predict: raw scores ----------------------------------------------------
C2Q1 = [
    ("b", "b", "correct"),
    ("its label", "about 8", "correct"),
    ("a", "a", "chose_a"),
    ("c: the variance", "c", "chose_c"),
]


# ch02.q2 scaled dot-product attention -------------------------------------------
def sd(
    score=lambda q, k: q @ k.transpose(-2, -1),
    scale=lambda q, k, v: 1 / math.sqrt(q.shape[-1]),
    block=lambda s, m: s.masked_fill(~m, INF),
    normalise=lambda s: torch.softmax(s, dim=-1),
    fix=lambda w, m: w.masked_fill(~m.any(-1, keepdim=True), 0.0),
    after=lambda w: w,
):
    def answer(q, k, v, mask=None):
        s = score(q, k) * scale(q, k, v)
        if mask is not None:
            s = block(s, mask)
        w = normalise(s)
        if mask is not None:
            w = fix(w, mask)
        w = after(w)
        return w @ v, w

    return answer


def sd_fixed_weights_not_output(q, k, v, mask=None):
    w = torch.softmax(
        (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).masked_fill(~mask, INF)
        if mask is not None
        else q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]),
        -1,
    )
    out = w @ v
    return out, w.nan_to_num(0.0)  # the weights are fixed, the output is not


def sd_scaled_after(q, k, v, mask=None):
    E = q.shape[-1]
    return sd(scale=lambda q, k, v: 1.0, after=lambda w: w / math.sqrt(E))(
        q, k, v, mask
    )


def sd_k_dot_T(q, k, v, mask=None):
    return sd(score=lambda q, k: q @ k.T)(q, k, v, mask)


def sd_if_mask(q, k, v, mask=None):
    if mask:
        pass
    return sd()(q, k, v, mask)


def sd_scaled_q_in_place(q, k, v, mask=None):
    q /= math.sqrt(q.shape[-1])
    return sd(scale=lambda q, k, v: 1.0)(q, k, v, mask)


C2Q2 = [
    (
        "einsum, where, nan_to_num",
        sd(
            score=lambda q, k: torch.einsum("...le,...se->...ls", q, k),
            scale=lambda q, k, v: q.shape[-1] ** -0.5,
            block=lambda s, m: torch.where(m, s, INF),
            fix=lambda w, m: w.nan_to_num(0.0),
        ),
        "correct",
    ),
    (
        "finfo.min fill, then weights * mask",
        sd(
            block=lambda s, m: s.masked_fill(~m, torch.finfo(s.dtype).min),
            fix=lambda w, m: w * m,
        ),
        "correct",
    ),
    (
        "k scaled first",
        sd(
            score=lambda q, k: q @ (k / math.sqrt(k.shape[-1])).transpose(-2, -1),
            scale=lambda q, k, v: 1.0,
        ),
        "correct",
    ),
    (
        "scale by sqrt(S)",
        sd(scale=lambda q, k, v: 1 / math.sqrt(k.shape[-2])),
        "scale_by_sqrt_s",
    ),
    ("scaled after the softmax", sd_scaled_after, "scaled_after_softmax"),
    (
        "weights fixed, output still NaN",
        sd_fixed_weights_not_output,
        "output_not_zeroed",
    ),
    (
        "softmax over the queries",
        sd(normalise=lambda s: torch.softmax(s, -2)),
        "softmax_wrong_axis",
    ),
    (
        "mask polarity: mask == 0",
        sd(block=lambda s, m: s.masked_fill(m == 1, INF)),
        "mask_polarity",
    ),
    ("k.T on batched keys", sd_k_dot_T, Says("error", "k.transpose(-2, -1)")),
    ("if mask:", sd_if_mask, Says("error", "`if mask is not None:`")),
    ("q scaled in place", sd_scaled_q_in_place, "changed_input"),
    (
        "returns (weights, out)",
        lambda q, k, v, mask=None: sd()(q, k, v, mask)[::-1],
        Says("incorrect", "wrong order"),
    ),
    (
        "returns out only",
        lambda q, k, v, mask=None: sd()(q, k, v, mask)[0],
        Says("incorrect", "tuple"),
    ),
    (
        "k.transpose(1, 2): 3-D only",
        sd(score=lambda q, k: q @ k.transpose(1, 2)),
        Says("error", "Count dims from the end"),
    ),
    (
        "torch.bmm: 3-D only",
        sd(score=lambda q, k: torch.bmm(q, k.transpose(-2, -1))),
        Says("error", "Your function raised"),
    ),
    (
        "where(mask, s, full(-inf)) without device=",
        sd(
            block=lambda s, m: torch.where(
                m, s, torch.full(s.shape, INF, dtype=s.dtype)
            )
        ),
        "device_not_followed",
    ),
    (
        "where with a 0-dim -inf tensor: fine on any device",
        sd(block=lambda s, m: torch.where(m, s, torch.tensor(INF, dtype=s.dtype))),
        "correct",
    ),
]


# ch02.q3 ReLU normalisation -----------------------------------------------------
def rl(norm, scale=True):
    def answer(q, k, v):
        s = q @ k.transpose(-2, -1) / (math.sqrt(q.shape[-1]) if scale else 1.0)
        w = norm(s)
        return w @ v, w

    return answer


def _rs(r):
    return r.sum(-1, keepdim=True)


def rl_scaled_q_in_place(q, k, v):
    q /= math.sqrt(q.shape[-1])
    r = (q @ k.transpose(-2, -1)).relu()
    w = r / _rs(r).clamp_min(1e-12)
    return w @ v, w


C2Q3 = [
    (
        "no scaling: it cancels",
        rl(lambda s: s.relu() / _rs(s.relu()).clamp_min(1e-12), False),
        "correct",
    ),
    ("nan_to_num", rl(lambda s: (s.relu() / _rs(s.relu())).nan_to_num(0.0)), "correct"),
    (
        "softmax of the relu",
        rl(lambda s: torch.softmax(s.relu(), -1)),
        "softmax_of_relu",
    ),
    (
        "abs, not relu",
        rl(lambda s: s.abs() / _rs(s.abs()).clamp_min(1e-12)),
        "abs_not_relu",
    ),
    (
        "eps in the numerator too",
        rl(lambda s: (s.relu() + 1e-6) / (_rs(s.relu()) + s.shape[-1] * 1e-6)),
        "uniform_zero_rows",
    ),
    (
        "maximum(s, zeros) without device=",
        rl(
            lambda s: (
                (r := torch.maximum(s, torch.zeros(s.shape, dtype=s.dtype)))
                / _rs(r).clamp_min(1e-12)
            )
        ),
        "device_not_followed",
    ),
    ("q scaled in place", rl_scaled_q_in_place, "changed_input"),
    (
        "returns float64",
        lambda q, k, v: tuple(
            t.double()
            for t in rl(lambda s: s.relu() / _rs(s.relu()).clamp_min(1e-12))(q, k, v)
        ),
        Says("incorrect", "dtype torch.float64"),
    ),
]


# ch02.q4 one query --------------------------------------------------------------
def oq_zeros_no_device(q_i, k, v):
    w = torch.softmax(k @ q_i / math.sqrt(q_i.shape[0]), 0)
    out = torch.zeros(v.shape[-1], dtype=v.dtype)  # on the CPU whatever v's device
    for j in range(k.shape[0]):
        out = out + w[j] * v[j]
    return out


def oq_overwrite(q_i, k, v):
    w = torch.softmax(k @ q_i / math.sqrt(q_i.shape[0]), 0)
    for j in range(k.shape[0]):
        out = w[j] * v[j]  # overwritten every step
    return out


def oq_off_by_one(q_i, k, v):
    w = torch.softmax(k @ q_i / math.sqrt(q_i.shape[0]), 0)
    out = torch.zeros_like(v[0])
    for j in range(k.shape[0] - 1):
        out = out + w[j] * v[j]
    return out


def oq_python_floats(q_i, k, v):
    scores = [float(q_i @ k_j) / math.sqrt(len(q_i)) for k_j in k]
    w = torch.softmax(torch.tensor(scores, dtype=v.dtype, device=v.device), 0)
    return sum(w[j] * v[j] for j in range(len(v)))


def oq_float32_sum(q_i, k, v):
    w = torch.softmax(k @ q_i / math.sqrt(q_i.shape[0]), 0)
    out = torch.zeros(v.shape[-1], device=v.device)  # float32 whatever v's dtype
    for j in range(k.shape[0]):
        out += w[j] * v[j]
    return out


C2Q4 = [
    ("python floats, then a tensor", oq_python_floats, "correct"),
    ("zeros without device=", oq_zeros_no_device, "device_not_followed"),
    (
        "scale by E",
        lambda q_i, k, v: torch.softmax(k @ q_i / q_i.shape[0], 0) @ v,
        "scale_by_e",
    ),
    ("overwrites the sum", oq_overwrite, "overwrote_sum"),
    ("range(S - 1)", oq_off_by_one, "missed_last_key"),
    (
        "returns a list of floats",
        lambda q_i, k, v: (torch.softmax(k @ q_i / 2.0, 0) @ v).tolist(),
        Says("incorrect", "Python list"),
    ),
    (
        "float32 accumulator, +=",
        oq_float32_sum,
        Says("incorrect", "made without dtype="),
    ),
]


# ch02.q5 masking scores -----------------------------------------------------------
def ms_clone(s, m):
    out = s.clone()
    out.masked_fill_(~m, INF)
    return out


def ms_in_place(s, m):
    s.masked_fill_(~m, INF)
    return s


def ms_index_assign(s, m):
    s[~m.expand_as(s)] = INF
    return s


C2Q5 = [
    ("masked_fill on a clone", ms_clone, "correct"),
    ("plus where(mask, 0, -inf)", lambda s, m: s + torch.where(m, 0.0, INF), "correct"),
    (
        "logical_not, -math.inf",
        lambda s, m: s.masked_fill(m.logical_not(), -math.inf),
        "correct",
    ),
    ("masked_fill_ on the input", ms_in_place, "changed_input"),
    ("+inf", lambda s, m: s.masked_fill(~m, float("inf")), "plus_inf"),
    (
        "softmax too",
        lambda s, m: torch.softmax(s.masked_fill(~m, INF), -1),
        "softmax_applied",
    ),
    ("scores[~mask] = -inf", ms_index_assign, "changed_input"),
    (
        "where(mask, s, full(-inf)) without device=",
        lambda s, m: torch.where(m, s, torch.full(s.shape, INF, dtype=s.dtype)),
        "device_not_followed",
    ),
    (
        "prints instead of returning",
        lambda s, m: print(s.masked_fill(~m, INF)),
        Says("incorrect", "`return`"),
    ),
]


# ch02.q6 experiment: saturation ---------------------------------------------------
def _sat(scale=1.0, dim=-1, reduce=lambda w: w.amax(dim=-1).mean()):
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(32, 256, generator=gen), torch.randn(32, 256, generator=gen)
    return round(reduce(torch.softmax(q @ k.T * scale, dim=dim)).item(), 2)


C2Q6 = [
    ("the value", _sat(), "correct"),
    ("as a tensor", torch.tensor(_sat()), "correct"),
    ("scaled", _sat(1 / 16), "scaled"),
    ("mean of all weights", _sat(reduce=lambda w: w.mean()), "mean_weight"),
    ("softmax over the queries", _sat(dim=0), "softmax_wrong_axis"),
    ("percent", 100 * _sat(), "percent"),
]


# ch03.q1 one output vector ----------------------------------------------------
def sv_rows(a, W_q, W_k, W_v, i):
    q, k, v = a @ W_q.T, a @ W_k.T, a @ W_v.T
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), -1)[i] @ v


def sv_scores_zeros(a, W_q, W_k, W_v, i):
    q_i = W_q @ a[i]
    scores = torch.zeros(a.shape[0], dtype=a.dtype)  # on the CPU
    for j in range(a.shape[0]):
        scores[j] = q_i @ (W_k @ a[j]) / math.sqrt(len(q_i))
    return torch.softmax(scores, 0) @ (a @ W_v.T)


def sv_out_zeros(a, W_q, W_k, W_v, i):
    q_i = W_q @ a[i]
    w = torch.softmax(torch.stack([q_i @ (W_k @ a_j) for a_j in a]) / 2.0, 0)
    out = torch.zeros(W_v.shape[0], dtype=a.dtype)  # on the CPU
    for w_j, a_j in zip(w, a, strict=True):
        out = out + w_j * (W_v @ a_j)
    return out


def sv_one_based(a, W_q, W_k, W_v, i):
    return sv_rows(a, W_q, W_k, W_v, i - 1)


def sv_scale_r(a, W_q, W_k, W_v, i):
    q, k, v = a @ W_q.T, a @ W_k.T, a @ W_v.T
    return torch.softmax(q[i] @ k.T / math.sqrt(a.shape[-1]), 0) @ v


def sv_columns(a, W_q, W_k, W_v, i):
    q, k, v = a @ W_q.T, a @ W_k.T, a @ W_v.T
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), 0)[i] @ v


C3Q1 = [
    ("row view, row i", sv_rows, "correct"),
    ("output in zeros without device=", sv_out_zeros, "device_not_followed"),
    (
        "scores written into zeros without device=",
        sv_scores_zeros,
        "device_not_followed",
    ),
    ("a[i - 1]: 1-based", sv_one_based, "one_based_index"),
    ("scale by sqrt(r)", sv_scale_r, "scale_by_sqrt_r"),
    ("softmax over the queries", sv_columns, "softmax_wrong_axis"),
    (
        "a @ W_q: not transposed",
        lambda a, W_q, W_k, W_v, i: sv_rows(a, W_q.T, W_k.T, W_v.T, i),
        Says("error", "x @ W.T"),
    ),
    (
        "keeps a size-1 dim",
        lambda a, W_q, W_k, W_v, i: sv_rows(a, W_q, W_k, W_v, i)[None],
        Says("incorrect", "size-1 dims"),
    ),
]


# ch03.q2 columns ------------------------------------------------------------------
def sc_softmax_transposed(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax((Q.T @ K / math.sqrt(Q.shape[0])), -1).T


def sc_a_v_t(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return (torch.softmax(K.T @ Q / math.sqrt(Q.shape[0]), 0) @ V.T).T


def sc_einsum(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A = torch.einsum("dj,di->ji", K, Q) / math.sqrt(Q.shape[0])
    return torch.einsum("vj,ji->vi", V, torch.softmax(A, 0))


def sc_scale_r(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(K.T @ Q / math.sqrt(I.shape[0]), 0)


def sc_qtk_dim0(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(Q.T @ K / math.sqrt(Q.shape[0]), 0)


def sc_rows_function(I, W_q, W_k, W_v):
    q, k, v = I.T @ W_q.T, I.T @ W_k.T, I.T @ W_v.T  # rows: (n, dq), (n, dv)
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), -1) @ v  # (n, dv)


def sc_transposes_w_in_place(I, W_q, W_k, W_v):
    W_q.t_()  # now (r, dq): the input itself is transposed
    Q, K, V = W_q.T @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(K.T @ Q / math.sqrt(Q.shape[0]), 0)


C3Q2 = [
    ("softmax of Q^T K over rows, transposed back", sc_softmax_transposed, "correct"),
    ("einsum", sc_einsum, "correct"),
    ("(A'^T V^T)^T", sc_a_v_t, "at_not_a"),
    ("scale by sqrt(r)", sc_scale_r, "scale_by_sqrt_r"),
    ("Q^T K, softmax over dim 0", sc_qtk_dim0, "qt_k"),
    ("rows inside, not transposed back", sc_rows_function, "transposed_output"),
    (
        "W_q.t_(): transposes an input in place",
        sc_transposes_w_in_place,
        "changed_input",
    ),
    (
        "returns NumPy",
        lambda I, W_q, W_k, W_v: sc_einsum(I, W_q, W_k, W_v).numpy(),
        Says("incorrect", "NumPy array"),
    ),
]


# ch03.q3 picture ---------------------------------------------------------------
C3Q3 = [
    ("a", "a", "correct"),
    ("its label", "the diagonal", "correct"),
    ("b", "b", "chose_b"),
    ("c", "c", "chose_c"),
]


# ch03.q4 parameters ------------------------------------------------------------
C3Q4 = [
    (
        "int of a float",
        lambda r, dq, dv, bias=False: int((2 * dq + dv) * (r + bias)),
        "correct",
    ),
    (
        "numpy int",
        lambda r, dq, dv, bias=False: np.int64((2 * dq + dv) * (r + bias)),
        "correct",
    ),
    ("forgot W^k", lambda r, dq, dv, bias=False: (dq + dv) * (r + bias), "forgot_wk"),
    (
        "bias always counted",
        lambda r, dq, dv, bias=False: (2 * dq + dv) * (r + 1),
        "always_bias",
    ),
    (
        "one bias per input feature",
        lambda r, dq, dv, bias=False: (2 * dq + dv) * r + 3 * r * bias,
        "bias_per_input",
    ),
    (
        "a 0-dim tensor",
        lambda r, dq, dv, bias=False: torch.tensor((2 * dq + dv) * (r + bias)),
        Says("incorrect", "`int`"),
    ),
    (
        "prints instead of returning",
        lambda r, dq, dv, bias=False: print((2 * dq + dv) * (r + bias)),
        Says("incorrect", "`return`"),
    ),
]


# ch03.q5 equivariance gap -------------------------------------------------------
def eg_scatter(f, x, perm):
    y = torch.empty_like(x)
    y[..., perm, :] = x  # sends token j to place perm[j]: the inverse permutation
    out = f(x)
    moved = torch.empty_like(out)
    moved[..., perm, :] = out
    return (f(y) - moved).abs().max()


C3Q5 = [
    (
        "torch.max(torch.abs(...))",
        lambda f, x, p: torch.max(torch.abs(f(x[..., p, :]) - f(x)[..., p, :])),
        "correct",
    ),
    (
        "index_select",
        lambda f, x, p: (
            (f(x.index_select(-2, p)) - f(x).index_select(-2, p)).abs().amax()
        ),
        "correct",
    ),
    ("no abs", lambda f, x, p: (f(x[..., p, :]) - f(x)[..., p, :]).max(), "no_abs"),
    (
        "norm, not max",
        lambda f, x, p: (f(x[..., p, :]) - f(x)[..., p, :]).norm(),
        "norm_not_max",
    ),
    (
        "x[perm]: the first dim",
        lambda f, x, p: (f(x[p]) - f(x)[p]).abs().max(),
        Says("error", "picks along the *first* dim"),
    ),
    (
        "a Python bool",
        lambda f, x, p: torch.allclose(f(x[..., p, :]), f(x)[..., p, :]),
        Says("incorrect", "bool"),
    ),
]


# ch03.q6 predict: doubled values --------------------------------------------------
C3Q6 = [
    ("a", "a", "correct"),
    ("b", "b", "chose_b"),
    ("c", "c", "chose_c"),
]


TRIAL = {
    ch01.q1: Q1,
    ch01.q2: Q2,
    ch01.q3: Q3,
    ch01.q4: Q4,
    ch01.q5: Q5,
    ch01.q6: Q6,
    ch02.q1: C2Q1,
    ch02.q2: C2Q2,
    ch02.q3: C2Q3,
    ch02.q4: C2Q4,
    ch02.q5: C2Q5,
    ch02.q6: C2Q6,
    ch03.q1: C3Q1,
    ch03.q2: C3Q2,
    ch03.q3: C3Q3,
    ch03.q4: C3Q4,
    ch03.q5: C3Q5,
    ch03.q6: C3Q6,
}

PARAMS = [
    pytest.param(
        ex,
        answer,
        expected,
        id=f"{ex.id}: {label}",
    )
    for ex, entries in TRIAL.items()
    for label, answer, expected in entries
]


@pytest.mark.parametrize("exercise, answer, expected", PARAMS)
def test_learner_answer_gets_its_verdict(exercise, answer, expected):
    verdict(exercise, answer, expected)
