"""A learner trial of chapters 4, 5 and 6 (issue 21, items 1 and 6).

Each row is one submission as a learner would write it: a correct answer in
the learner's own style (which must pass), a misconception of the lesson
(which must be named by its catalogued mistake), or careless code (a tuple, a
NumPy array, a tensor made on the CPU, an input changed in place). Read the
lists as a catalogue of learner answers and the verdict each one gets.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import mhacourse
from mhacourse.exercises import ch04, ch05, ch06
from tests.exercise_helpers import Says, named, verdict


def rows(exercise, *entries):
    """pytest params ``(exercise, answer, expected)``, with readable ids."""
    return [
        pytest.param(exercise, answer, expected, id=f"{exercise.id}-{label}")
        for label, answer, expected in entries
    ]


# ch04.q1 split_heads(x, num_heads) ----------------------------------------------------
def _shape(x, H):
    B, L, D = x.shape
    return B, L, H, D // H


def split_reshape_permute(x, num_heads):
    B, L, H, E = _shape(x, num_heads)
    return x.reshape(B, L, H, E).permute(0, 2, 1, 3)  # (B, H, L, E)


def split_by_chunks(x, num_heads):
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)  # (B, H, L, E)


def split_loop(x, num_heads):
    E = x.shape[-1] // num_heads
    heads = [x[..., h * E : (h + 1) * E] for h in range(num_heads)]  # H x (B, L, E)
    return torch.stack(heads, dim=1).contiguous()  # (B, H, L, E)


def split_view_no_transpose(x, num_heads):
    B, L, H, E = _shape(x, num_heads)
    return x.view(B, H, L, E)  # tokens mixed into heads


def split_e_h(x, num_heads):
    B, L, H, E = _shape(x, num_heads)
    return x.view(B, L, E, H).permute(0, 3, 1, 2)  # (B, H, L, E), strided features


def split_stop_early(x, num_heads):
    B, L, H, E = _shape(x, num_heads)
    return x.view(B, L, H, E)  # (B, L, H, E)


def split_by_size(x, num_heads):
    return torch.stack(x.split(num_heads, dim=-1), dim=1)  # chunks of size H, not H of


def split_float_e(x, num_heads):
    B, L, D = x.shape
    return x.view(B, L, num_heads, D / num_heads).transpose(1, 2)  # E = D / H: float


def split_numpy(x, num_heads):
    return split_reshape_permute(x, num_heads).numpy()


def split_with_e(x, num_heads):
    return split_reshape_permute(x, num_heads), x.shape[-1] // num_heads


def split_transpose_wrong_dims(x, num_heads):
    B, L, H, E = _shape(x, num_heads)
    return x.view(B, L, H, E).transpose(1, 3)  # (B, E, H, L)


CH04_Q1 = rows(
    ch04.q1,
    ("reference-style view+transpose", mhacourse.split_heads, "correct"),
    ("reshape+permute", split_reshape_permute, "correct"),
    ("chunk+stack", split_by_chunks, "correct"),
    ("loop over heads", split_loop, "correct"),
    ("unflatten", lambda x, H: x.unflatten(-1, (H, -1)).transpose(1, 2), "correct"),
    (
        "via x.mT",
        lambda x, H: x.mT.reshape(x.shape[0], H, -1, x.shape[1]).mT,
        "correct",
    ),
    ("swapaxes", lambda x, H: x.reshape(*x.shape[:2], H, -1).swapaxes(1, 2), "correct"),
    ("view without transpose", split_view_no_transpose, "split_no_transpose"),
    ("D as (E, H)", split_e_h, "interleaved_heads"),
    ("no transpose at all", split_stop_early, "heads_length_swapped"),
    ("split by size H", split_by_size, "split_size_not_count"),
    ("transpose(1, 3)", split_transpose_wrong_dims, "wrong_dims_transposed"),
    ("E = D / H", split_float_e, Says("error", "D // H")),
    ("numpy", split_numpy, Says("incorrect", "NumPy array")),
    ("returns a tuple", split_with_e, Says("incorrect", "Python tuple")),
)


# ch04.q3 mha_parameter_count(D, H, bias=True) -----------------------------------------
def count_formula(D, H, bias=True):
    return D // H, 4 * D * (D + int(bias))


def count_per_head(D, H, bias=True):
    E = D // H
    per_head = 3 * (E * D + E * bias)  # q, k, v rows of one head
    return E, H * per_head + D * D + D * bias


CH04_Q3 = rows(
    ch04.q3,
    ("closed formula", count_formula, "correct"),
    ("sum over heads", count_per_head, "correct"),
    ("a list", lambda D, H, bias=True: [D // H, 4 * D * D + 4 * D * bias], "correct"),
    (
        "full D x D per head",
        lambda D, H, bias=True: (D // H, H * 3 * (D * D + D * bias) + D * D + D * bias),
        "full_matrix_per_head",
    ),
    (
        "no W^o",
        lambda D, H, bias=True: (D // H, 3 * D * D + 3 * D * bias),
        "no_out_proj",
    ),
    ("no bias", lambda D, H, bias=True: (D // H, 4 * D * D), "forgot_bias"),
    (
        "bias ignored",
        lambda D, H, bias=True: (D // H, 4 * D * D + 4 * D),
        "bias_always",
    ),
    (
        "bias of size E",
        lambda D, H, bias=True: (D // H, 4 * D * D + 4 * (D // H) * bias),
        "bias_per_head",
    ),
    (
        "(count, E)",
        lambda D, H, bias=True: (4 * D * D + 4 * D * bias, D // H),
        "outputs_swapped",
    ),
    (
        "E = D / H",
        lambda D, H, bias=True: (D / H, 4 * D * D + 4 * D * bias),
        Says("incorrect", "asks for an `int`"),
    ),
    (
        "count as a float",
        lambda D, H, bias=True: (D // H, 4.0 * D * D + 4 * D * bias),
        Says("incorrect", "asks for an `int`"),
    ),
    (
        "a tensor",
        lambda D, H, bias=True: torch.tensor([D // H, 4 * D * D + 4 * D * bias]),
        Says("incorrect", "should return a tuple (E, count)"),
    ),
)


# ch04.q4 head_projection(x, weight, bias, h, num_heads) -------------------------------
def proj_linear(x, weight, bias, h, num_heads):
    E = weight.shape[0] // num_heads
    return F.linear(x, weight[h * E : (h + 1) * E], bias[h * E : (h + 1) * E])


def proj_view(x, weight, bias, h, num_heads):
    w = weight.view(num_heads, -1, weight.shape[-1])[h]  # (E, D_in)
    b = bias.view(num_heads, -1)[h]  # (E,)
    return torch.einsum("bld,ed->ble", x, w) + b


def proj_full_then_slice(x, weight, bias, h, num_heads):
    E = weight.shape[0] // num_heads
    return (x @ weight.T + bias)[..., h * E : (h + 1) * E]


def proj_one_based(x, weight, bias, h, num_heads):
    E = weight.shape[0] // num_heads
    rows = slice((h - 1) * E, h * E) if h else slice(-E, None)  # heads counted from 1
    return x @ weight[rows].T + bias[rows]


def proj_e_from_input(x, weight, bias, h, num_heads):
    E = x.shape[-1] // num_heads  # the input dim, not the stacked output dim
    return x @ weight[h * E : (h + 1) * E].T + bias[h * E : (h + 1) * E]


def proj_no_transpose(x, weight, bias, h, num_heads):
    E = weight.shape[0] // num_heads
    return x @ weight[h * E : (h + 1) * E] + bias[h * E : (h + 1) * E]


CH04_Q4 = rows(
    ch04.q4,
    ("F.linear on the slice", proj_linear, "correct"),
    ("view (H, E, D_in) + einsum", proj_view, "correct"),
    ("full projection, then slice", proj_full_then_slice, "correct"),
    ("chunk", lambda x, w, b, h, H: x @ w.chunk(H)[h].T + b.chunk(H)[h], "correct"),
    (
        "columns",
        lambda x, w, b, h, H: (
            x @ w[:, h * (w.shape[0] // H) : (h + 1) * (w.shape[0] // H)]
            + b[h * (w.shape[0] // H) : (h + 1) * (w.shape[0] // H)]
        ),
        "columns",
    ),
    (
        "every H-th row",
        lambda x, w, b, h, H: x @ w[h::H].T + b[h::H],
        "strided_rows",
    ),
    (
        "no bias",
        lambda x, w, b, h, H: (
            x @ w[h * (w.shape[0] // H) : (h + 1) * (w.shape[0] // H)].T
        ),
        "forgot_bias",
    ),
    ("heads counted from 1", proj_one_based, "head_off_by_one"),
    ("E from the input dim", proj_e_from_input, "e_from_input_dim"),
    ("x @ W (no .T)", proj_no_transpose, Says("error", "W.T")),
)


# ch04.q5 multi_head_attention(...) ----------------------------------------------------
def mha_sdpa(query, key, value, W_q, W_k, W_v, W_o, num_heads, mask=None):
    q, k, v = (
        mhacourse.split_heads(t @ W.T, num_heads)
        for t, W in ((query, W_q), (key, W_k), (value, W_v))
    )  # (B, H, L|S, E)
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (B, H, L, E)
    return mhacourse.merge_heads(heads) @ W_o.T  # (B, L, D)


def mha_loop(query, key, value, W_q, W_k, W_v, W_o, num_heads, mask=None):
    E = query.shape[-1] // num_heads
    outs = []
    for h in range(num_heads):
        rows = slice(h * E, (h + 1) * E)
        q, k, v = query @ W_q[rows].T, key @ W_k[rows].T, value @ W_v[rows].T
        scores = q @ k.transpose(-2, -1) / math.sqrt(E)  # (B, L, S)
        if mask is not None:
            m = mask if mask.dim() == 2 else mask[:, 0]  # (L, S) or (B, L, S)
            scores = scores.masked_fill(~m, -1e9)  # every row keeps a key
        outs.append(torch.softmax(scores, -1) @ v)  # (B, L, E)
    return torch.cat(outs, -1) @ W_o.T  # (B, L, D)


def mha_with(**mistakes):
    """A learner's einsum multi-head attention, with switchable mistakes."""

    def answer(query, key, value, W_q, W_k, W_v, W_o, num_heads, mask=None):
        (B, L, D), H = query.shape, num_heads
        E = D // H

        def split(t):
            if mistakes.get("e_h") in (True, "split"):
                return t.view(B, -1, E, H).permute(0, 3, 1, 2)  # (B, H, L, E)
            return t.view(B, -1, H, E).transpose(1, 2)  # (B, H, L, E)

        q, k, v = split(query @ W_q.T), split(key @ W_k.T), split(value @ W_v.T)
        if mistakes.get("self_only"):
            k, v = split(query @ W_k.T), split(query @ W_v.T)
        scale = E if mistakes.get("scale_by_e") else math.sqrt(E)
        scores = torch.einsum("bhle,bhse->bhls", q, k) / scale  # (B, H, L, S)
        if mask is not None and not mistakes.get("after"):
            blocked = (mask == 0) if mistakes.get("eq_zero") else ~mask
            if not mistakes.get("no_mask"):
                scores = scores.masked_fill(blocked, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        if mask is not None and mistakes.get("after"):
            weights = weights * mask  # zeroed after the softmax, not renormalised
        heads = torch.einsum("bhls,bhse->bhle", weights, v)  # (B, H, L, E)
        if mistakes.get("e_h") in (True, "merge"):
            concat = heads.permute(0, 2, 3, 1).reshape(B, L, D)  # head index fastest
        else:
            concat = heads.transpose(1, 2).reshape(B, L, D)
        return concat @ W_o.T

    return answer


CH04_Q5 = rows(
    ch04.q5,
    ("scaled_dot_product_attention", mha_sdpa, "correct"),
    ("loop over heads, -1e9 fill", mha_loop, "correct"),
    ("einsum", mha_with(), "correct"),
    ("mask == 0 as blocked", mha_with(eq_zero=True), "correct"),
    ("mask ignored", mha_with(no_mask=True), "mask_ignored"),
    ("scale by E", mha_with(scale_by_e=True), "scale_by_e"),
    ("mask after softmax", mha_with(after=True), "mask_after_softmax"),
    ("D as (E, H) in split and merge", mha_with(e_h=True), "interleaved_heads"),
    ("D as (E, H) in the split only", mha_with(e_h="split"), "interleaved_heads"),
    ("merge with the head index fastest", mha_with(e_h="merge"), "merge_interleaved"),
    ("keys and values from query", mha_with(self_only=True), "self_attention_only"),
)


# ch05.q2 head_similarity(weights) -----------------------------------------------------
def sim_pairs_loop(weights):
    H, maps = weights.shape[-3], weights.flatten(-2)  # (..., H, L*S)
    sims = [
        F.cosine_similarity(maps[..., i, :], maps[..., j, :], dim=-1)
        for i in range(H)
        for j in range(i + 1, H)
    ]
    return torch.stack(sims, dim=-1).mean(-1)


def sim_off_diagonal(weights):
    H = weights.shape[-3]
    unit = F.normalize(weights.flatten(-2), dim=-1)  # (..., H, L*S)
    sim = unit @ unit.transpose(-2, -1)  # (..., H, H)
    return (sim.sum((-2, -1)) - sim.diagonal(dim1=-2, dim2=-1).sum(-1)) / (H * (H - 1))


def sim_dot(weights):
    H, maps = weights.shape[-3], weights.flatten(-2)  # not unit length
    i, j = torch.triu_indices(H, H, offset=1)
    return (maps @ maps.mT)[..., i, j].mean(-1)


def sim_flatten_2(weights):
    H = weights.shape[-3]
    unit = F.normalize(weights.flatten(2), dim=-1)  # assumes (B, H, L, S)
    i, j = torch.triu_indices(H, H, offset=1)
    return (unit @ unit.mT)[..., i, j].mean(-1)


def sim_per_row(weights):
    H = weights.shape[-3]
    sims = [
        F.cosine_similarity(weights[..., i, :, :], weights[..., j, :, :], dim=-1).mean(
            -1
        )
        for i in range(H)
        for j in range(i + 1, H)
    ]  # the cosine of each query's row, averaged over the rows
    return torch.stack(sims, dim=-1).mean(-1)


def sim_triu_with_diagonal(weights):
    H = weights.shape[-3]
    unit = F.normalize(weights.flatten(-2), dim=-1)
    i, j = torch.triu_indices(H, H, device=weights.device)  # offset 0: h == h' too
    return (unit @ unit.transpose(-2, -1))[..., i, j].mean(-1)


def sim_half(weights):
    H = weights.shape[-3]
    unit = F.normalize(weights.flatten(-2), dim=-1)
    sim = unit @ unit.transpose(-2, -1)
    return sim.triu(1).sum((-2, -1)) / (H * (H - 1))  # H(H-1)/2 pairs, twice the count


def sim_in_place(weights):
    maps = weights.flatten(-2)  # a view of the input
    maps /= maps.norm(dim=-1, keepdim=True)  # writes into the input
    sim = maps @ maps.transpose(-2, -1)
    H = weights.shape[-3]
    i, j = torch.triu_indices(H, H, offset=1)
    return sim[..., i, j].mean(-1)


CH05_Q2 = rows(
    ch05.q2,
    ("loop over pairs", sim_pairs_loop, "correct"),
    ("off-diagonal mean", sim_off_diagonal, "correct"),
    (
        "all H x H pairs",
        lambda w: (lambda u: (u @ u.mT).mean((-2, -1)))(
            F.normalize(w.flatten(-2), dim=-1)
        ),
        "self_pairs",
    ),
    ("dot products", sim_dot, "not_normalised"),
    ("cosine per query row", sim_per_row, "per_row_cosine"),
    ("flatten(2)", sim_flatten_2, "assumed_batch_dim"),
    ("triu with the diagonal", sim_triu_with_diagonal, "diagonal_included"),
    ("divided by H(H-1)", sim_half, "half_the_pairs"),
    (
        "mean over the batch too",
        lambda w: sim_pairs_loop(w).mean(),
        Says("incorrect", "leading dims"),
    ),
    ("normalises in place", sim_in_place, "changed_input"),
    (
        "returns a float",
        lambda w: sim_pairs_loop(w).tolist(),
        Says("incorrect", "torch.Tensor"),
    ),
)


# ch05.q3 ablate_head(x, W_q, W_k, W_v, W_o, num_heads, h) -----------------------------
def _heads(x, W_q, W_k, W_v, H, scale_dim=None):
    q, k, v = (mhacourse.split_heads(x @ W.T, H) for W in (W_q, W_k, W_v))
    E = x.shape[-1] // H
    scores = q @ k.transpose(-2, -1) / math.sqrt(scale_dim or E)
    return torch.softmax(scores, -1), v  # (B, H, L, L), (B, H, L, E)


def ablate_w_o_columns(x, W_q, W_k, W_v, W_o, num_heads, h):
    E = x.shape[-1] // num_heads
    weights, v = _heads(x, W_q, W_k, W_v, num_heads)
    W_o = W_o.clone()
    W_o[:, h * E : (h + 1) * E] = 0.0  # head h's columns of W^o
    return mhacourse.merge_heads(weights @ v) @ W_o.T


def ablate_w_o_in_place(x, W_q, W_k, W_v, W_o, num_heads, h):
    E = x.shape[-1] // num_heads
    weights, v = _heads(x, W_q, W_k, W_v, num_heads)
    W_o[:, h * E : (h + 1) * E] = 0.0  # the caller's W_o
    return mhacourse.merge_heads(weights @ v) @ W_o.T


def ablate_weights(x, W_q, W_k, W_v, W_o, num_heads, h):
    weights, v = _heads(x, W_q, W_k, W_v, num_heads)
    weights = weights.clone()
    weights[:, h] = 0.0  # no attention at all in head h
    return mhacourse.merge_heads(weights @ v) @ W_o.T


def ablate_where(pick, scale_dim=None):
    def answer(x, W_q, W_k, W_v, W_o, num_heads, h):
        weights, v = _heads(x, W_q, W_k, W_v, num_heads, scale_dim and x.shape[-1])
        heads = weights @ v  # (B, H, L, E)
        heads[pick(h, num_heads)] = 0.0
        return mhacourse.merge_heads(heads) @ W_o.T

    return answer


def ablate_w_k_rows(x, W_q, W_k, W_v, W_o, num_heads, h):
    E = x.shape[-1] // num_heads
    W_k = W_k.clone()
    W_k[h * E : (h + 1) * E] = 0.0  # head h's keys: all zero
    weights, v = _heads(x, W_q, W_k, W_v, num_heads)
    return mhacourse.merge_heads(weights @ v) @ W_o.T


def ablate_scores(x, W_q, W_k, W_v, W_o, num_heads, h):
    q, k, v = (mhacourse.split_heads(x @ W.T, num_heads) for W in (W_q, W_k, W_v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(x.shape[-1] // num_heads)
    scores[:, h] = 0.0  # "no signal" in head h
    return mhacourse.merge_heads(torch.softmax(scores, -1) @ v) @ W_o.T


CH05_Q3 = rows(
    ch05.q3,
    ("zero head h's columns of W^o", ablate_w_o_columns, "correct"),
    ("zero head h's weights", ablate_weights, "correct"),
    ("zero heads[:, h]", ablate_where(lambda h, H: (slice(None), h)), "correct"),
    ("zero the scores", ablate_scores, "zeroed_w_q"),
    ("zero head h's rows of W^k", ablate_w_k_rows, "zeroed_w_q"),
    (
        "float64 inside",
        lambda *a: ch05.q3.reference(*a).double(),
        Says("incorrect", "A torch.float64 tensor joined"),
    ),
    (
        "zero heads[:, :, h] (a token)",
        ablate_where(lambda h, H: (slice(None), slice(None), h)),
        "zeroed_position",
    ),
    (
        "heads counted from 1",
        ablate_where(lambda h, H: (slice(None), h - 1)),
        "head_off_by_one",
    ),
    (
        "scale by sqrt(D)",
        ablate_where(lambda h, H: (slice(None), h), scale_dim=True),
        "scale_by_sqrt_d",
    ),
    ("W^o changed in place", ablate_w_o_in_place, "changed_input"),
)


# ch06.q1 causal_mask(L, S=None, device=None) ------------------------------------------
def causal_compare(L, S=None, device=None):
    i = torch.arange(L, device=device)[:, None]  # (L, 1)
    j = torch.arange(L if S is None else S, device=device)[None, :]  # (1, S)
    return j <= i  # (L, S)


def causal_not_triu(L, S=None, device=None):
    S = S or L
    return ~torch.ones(L, S, dtype=torch.bool, device=device).triu(1)


def causal_float_then_bool(L, S=None, device=None):
    return torch.tril(torch.ones(L, S or L, device=device)) == 1


def causal_on_cpu(L, S=None, device=None):
    return torch.ones(L, S or L, dtype=torch.bool).tril()  # device= forgotten


def causal_triu(L, S=None, device=None):
    return torch.ones(L, S or L, dtype=torch.bool, device=device).triu()  # keys >= i


def causal_square(L, S=None, device=None):
    return torch.ones(L, L, dtype=torch.bool, device=device).tril()  # S ignored


def causal_float(L, S=None, device=None):
    return torch.ones(L, S or L, device=device).tril()


def causal_additive(L, S=None, device=None):
    ones = torch.ones(L, S or L, dtype=torch.bool, device=device)
    return torch.zeros(L, S or L, device=device).masked_fill(
        ~ones.tril(), float("-inf")
    )


CH06_Q1 = rows(
    ch06.q1,
    ("compare positions", causal_compare, "correct"),
    ("not triu(1)", causal_not_triu, "correct"),
    ("float tril == 1", causal_float_then_bool, "correct"),
    (
        "triu(1) (blocked)",
        lambda L, S=None, device=None: ~causal_not_triu(L, S, device),
        "mask_polarity",
    ),
    (
        "tril(-1)",
        lambda L, S=None, device=None: causal_not_triu(L, S, device).tril(-1),
        "no_diagonal",
    ),
    ("triu() (future keys)", causal_triu, "future_keys"),
    (
        "tril(1)",
        lambda L, S=None, device=None: torch.ones(
            L, S or L, dtype=torch.bool, device=device
        ).tril(1),
        "next_token_visible",
    ),
    (
        "S=None used as is",
        lambda L, S=None, device=None: torch.ones(L, S, device=device).bool().tril(),
        Says("error", "S = L if S is None"),
    ),
    ("S ignored", causal_square, "square_mask"),
    ("device= forgotten", causal_on_cpu, "device_not_followed"),
    ("float ones.tril()", causal_float, Says("incorrect", "masks are bool")),
    ("additive -inf mask", causal_additive, "additive_mask"),
)


# ch06.q2 padding_mask(lengths, S) -----------------------------------------------------
def pad_expand(lengths, S):
    positions = torch.arange(S, device=lengths.device).expand(len(lengths), S)  # (B, S)
    return (positions < lengths.unsqueeze(1)).view(-1, 1, 1, S)


def pad_loop(lengths, S):
    rows = [torch.arange(S, device=lengths.device) < n for n in lengths]
    return torch.stack(rows)[:, None, None, :]


def pad_on(pick):
    def answer(lengths, S):
        real = torch.arange(S, device=lengths.device) < lengths[:, None]  # (B, S)
        return pick(real)

    return answer


CH06_Q2 = rows(
    ch06.q2,
    ("arange.expand + view", pad_expand, "correct"),
    ("loop over lengths", pad_loop, "correct"),
    ("the library's", mhacourse.padding_mask, "correct"),
    ("reversed", pad_on(lambda r: ~r[:, None, None, :]), "mask_polarity"),
    (
        "<= length",
        lambda n, S: (torch.arange(S, device=n.device) <= n[:, None])[:, None, None],
        "off_by_one",
    ),
    (
        "< length - 1",
        lambda n, S: (torch.arange(S, device=n.device) < n[:, None] - 1)[:, None, None],
        "one_short",
    ),
    ("(B, S)", pad_on(lambda r: r), "no_singleton_dims"),
    ("(B, 1, S)", pad_on(lambda r: r[:, None, :]), "no_singleton_dims"),
    (
        "on the queries (B, 1, S, 1)",
        pad_on(lambda r: r[:, None, :, None]),
        "queries_not_keys",
    ),
    (
        "padding at the front",
        lambda n, S: (torch.arange(S, device=n.device) >= S - n[:, None])[
            :, None, None
        ],
        "left_padding",
    ),
    (
        "as int",
        pad_on(lambda r: r[:, None, None].long()),
        Says("incorrect", "masks are bool"),
    ),
    (
        "arange on the CPU",
        lambda n, S: (torch.arange(S) < n[:, None])[:, None, None, :],
        "device_not_followed",
    ),
)


# ch06.q3 to_key_padding_mask(mask) ----------------------------------------------------
def kpm_in_place(mask):
    return mask.logical_not_()[:, 0, 0, :]


CH06_Q3 = rows(
    ch06.q3,
    ("squeeze(1) twice", lambda m: ~m.squeeze(1).squeeze(1), "correct"),
    ("flatten(1) == False", lambda m: m.flatten(1) == False, "correct"),  # noqa: E712
    ("reshape(B, -1)", lambda m: ~m.reshape(m.shape[0], -1), "correct"),
    ("logical_not", lambda m: torch.logical_not(m[:, 0, 0]), "correct"),
    ("the library's", mhacourse.masks.to_torch_key_padding_mask, "correct"),
    ("not flipped", lambda m: m[:, 0, 0, :], "not_flipped"),
    ("squeeze()", lambda m: ~m.squeeze(), "squeezed_batch"),
    ("not squeezed", lambda m: ~m, "kept_singleton_dims"),
    (
        "1 - mask as int",
        lambda m: 1 - m[:, 0, 0].int(),
        Says("incorrect", "masks are bool"),
    ),
    ("1 - mask, then bool", lambda m: (1 - m[:, 0, 0].int()).bool(), "correct"),
    ("flipped in place", kpm_in_place, "changed_input"),
)


# ch06.q4 to_attn_mask(mask, num_heads) ------------------------------------------------
def attn_mask_cat(mask, num_heads):
    return torch.cat(
        [(~m)[None].expand(num_heads, -1, -1) for m in mask]
    )  # (B*H, L, S)


CH06_Q4 = rows(
    ch06.q4,
    (
        "repeat(1, H, 1, 1) + flatten",
        lambda m, H: (~m)[:, None].repeat(1, H, 1, 1).flatten(0, 1),
        "correct",
    ),
    ("cat over the batch", attn_mask_cat, "correct"),
    ("repeat", lambda m, H: (~m).repeat(H, 1, 1), "repeat_not_interleave"),
    (
        "expand over heads, transpose, flatten",
        lambda m, H: (~m).expand(H, *m.shape).transpose(0, 1).flatten(0, 1),
        "correct",
    ),
    (
        "(H, B) flattened",
        lambda m, H: (~m)[None].expand(H, -1, -1, -1).reshape(-1, *m.shape[1:]),
        "repeat_not_interleave",
    ),
    ("not flipped", lambda m, H: m.repeat_interleave(H, 0), "not_flipped"),
    ("(B, H, L, S)", lambda m, H: (~m)[:, None].expand(-1, H, -1, -1), "not_flattened"),
    ("repeat and not flipped", lambda m, H: m.repeat(H, 1, 1), "repeat_not_flipped"),
    ("one head only", lambda m, H: ~m, "not_repeated"),
    (
        "additive float mask",
        lambda m, H: (
            torch.zeros(m.shape, device=m.device)
            .masked_fill(~m, float("-inf"))
            .repeat_interleave(H, 0)
        ),
        Says("incorrect", "masks are bool"),
    ),
)


# ch06.q5 cross_attention(mha, x, memory, memory_lengths) ------------------------------
def cross_with(make_mask, q="x", kv="memory", shift=0, cpu=False, over="memory"):
    def answer(mha, x, memory, memory_lengths):
        inputs = {"x": x, "memory": memory}
        S = inputs[over].shape[1]
        positions = torch.arange(S, device=None if cpu else memory.device)
        real = positions < memory_lengths[:, None] + shift  # (B, S)
        return mha(inputs[q], inputs[kv], inputs[kv], mask=make_mask(real))[0]

    return answer


CH06_Q5 = rows(
    ch06.q5,
    ("mask (B, 1, 1, S)", cross_with(lambda r: r[:, None, None, :]), "correct"),
    (
        "mask from the library",
        lambda mha, x, m, n: mha(x, m, m, mask=mhacourse.padding_mask(n, m.shape[1]))[
            0
        ],
        "correct",
    ),
    (
        "queries from memory",
        cross_with(lambda r: None, q="memory", kv="x"),
        "queries_swapped",
    ),
    ("no mask", cross_with(lambda r: None), "no_padding_mask"),
    ("reversed", cross_with(lambda r: ~r[:, None, None, :]), "mask_polarity"),
    (
        "is_causal=True too",
        lambda mha, x, m, n: mha(
            x, m, m, mask=mhacourse.padding_mask(n, m.shape[1]), is_causal=True
        )[0],
        "causal_cross",
    ),
    (
        "causal & padding mask",
        lambda mha, x, m, n: mha(
            x,
            m,
            m,
            mask=mhacourse.padding_mask(n, m.shape[1])
            & mhacourse.causal_mask(x.shape[1], m.shape[1], device=m.device),
        )[0],
        "causal_cross",
    ),
    (
        "positions <= length",
        cross_with(lambda r: r[:, None, None, :], shift=1),
        "off_by_one",
    ),
    (
        "arange on the CPU",
        cross_with(lambda r: r[:, None, None, :], cpu=True),
        "device_not_followed",
    ),
    (
        "lengths over the queries",
        cross_with(lambda r: r[:, None, None, :], over="x"),
        Says("error", "cannot broadcast"),
    ),
    (
        "torch's key_padding_mask=",
        lambda mha, x, m, n: mha(
            x, m, m, key_padding_mask=~mhacourse.padding_mask(n, m.shape[1])[:, 0, 0]
        )[0],
        Says("error", "unexpected keyword argument 'key_padding_mask'"),
    ),
    ("mask (B, S)", cross_with(lambda r: r), Says("error", "mask")),
    ("mask (B, 1, S)", cross_with(lambda r: r[:, None, :]), Says("error", "mask")),
    (
        "returns (out, weights)",
        lambda mha, x, m, n: mha(x, m, m, mask=mhacourse.padding_mask(n, m.shape[1])),
        Says("incorrect", "is a Python tuple"),
    ),
)


# ch06.q6 encoder_block(x, attn, ff, norm1, norm2, pre_norm=True) ----------------------
def block_loop(x, attn, ff, norm1, norm2, pre_norm=True):
    for sub, norm in ((lambda t: attn(t)[0], norm1), (ff, norm2)):
        x = x + sub(norm(x)) if pre_norm else norm(x + sub(x))
    return x


def block_stale(x, attn, ff, norm1, norm2, pre_norm=True):
    if not pre_norm:
        h = norm1(x + attn(x)[0])
        return norm2(h + ff(h))
    h = x + attn(norm1(x))[0]
    return x + ff(norm2(h))  # adds the block's input, not h


def block_parallel(x, attn, ff, norm1, norm2, pre_norm=True):
    if not pre_norm:
        h = norm1(x + attn(x)[0])
        return norm2(h + ff(h))
    return x + attn(norm1(x))[0] + ff(norm2(x))  # both sublayers read x


def block_no_ff(x, attn, ff, norm1, norm2, pre_norm=True):
    return x + attn(norm1(x))[0] if pre_norm else norm1(x + attn(x)[0])


def block_always_pre(x, attn, ff, norm1, norm2, pre_norm=True):
    x = x + attn(norm1(x))[0]
    return x + ff(norm2(x))


def block_in_place(x, attn, ff, norm1, norm2, pre_norm=True):
    if not pre_norm:
        h = norm1(x + attn(x)[0])
        return norm2(h + ff(h))
    x += attn(norm1(x))[0]  # writes into the caller's x
    return x + ff(norm2(x))


CH06_Q6 = rows(
    ch06.q6,
    ("loop over sublayers", block_loop, "correct"),
    ("the reference", ch06.q6.reference, "correct"),
    ("ff residual from the block input", block_stale, "stale_residual"),
    ("parallel sublayers", block_parallel, "parallel_sublayers"),
    ("no feed-forward", block_no_ff, "no_feed_forward"),
    ("pre-norm whatever pre_norm says", block_always_pre, "pre_post_swapped"),
    ("x += ...", block_in_place, "changed_input"),
)


FUNCTIONS = [
    *CH04_Q1,
    *CH04_Q3,
    *CH04_Q4,
    *CH04_Q5,
    *CH05_Q2,
    *CH05_Q3,
    *CH06_Q1,
    *CH06_Q2,
    *CH06_Q3,
    *CH06_Q4,
    *CH06_Q5,
    *CH06_Q6,
]


@pytest.mark.parametrize("exercise, answer, expected", FUNCTIONS)
def test_function_submission(exercise, answer, expected):
    verdict(exercise, answer, expected)


# Predict, experiment and picture questions --------------------------------------------
def choices(exercise, right, spelled):
    """The right choice as given, in the learner's spellings, and every wrong choice."""
    entries = [(f"{right!r}", right, "correct")]
    entries += [(f"{s!r}", s, "correct") for s in spelled]
    entries += [(f"{k!r}", k, f"chose_{k}") for k in exercise.choices if k != right]
    return rows(exercise, *entries)


QUESTIONS = [
    *choices(ch04.q2, "c", ["C", "(c)", " c ", "panel (c)", "panel c"]),
    *choices(ch04.q6, "a", ["A", "the same"]),
    *choices(ch04.q7, "c", ["head (c)", "head c"]),
    *choices(ch05.q1, "a", ["stay identical"]),
    *choices(ch05.q4, "b", ["B", "2"]),
    *choices(ch05.q5, "c", ["worse"]),
    *choices(ch05.q6, "b", ["(b)"]),
    *choices(ch05.q8, "a", ["A"]),
    *choices(ch05.q10, "l1h3", ["L1H3", " l1h3"]),
    *choices(ch06.q7, "a", ["A"]),
    *choices(ch06.q9, "c", ["5/8"]),
    *choices(ch06.q10, "c", ["panel (c)", "panel c"]),
    *choices(ch06.q11, "b", ["anti-diagonal"]),
    *rows(
        ch05.q7,
        ("rounded", 105, "correct"),
        ("unrounded", 104.7, "correct"),
        ("as a string", "105", "correct"),
        ("another seed for the noise", 91.07, "correct"),
        ("proportional to the noise", 10, "linear"),
        ("the other way round", 0.0095, "inverted"),
        ("orders of magnitude", 2, "log_ratio"),
        ("one generator for both", 163.5, "generator_shared"),
        ("one diversity, rounded", 0, "not_a_ratio"),
        ("one diversity", 1.9e-4, "not_a_ratio"),
    ),
    *rows(
        ch05.q9,
        ("rounded", 0.07, "correct"),
        ("a tensor", torch.tensor(0.07), "correct"),
        ("head still on", 1.0, "marker_head_still_on"),
        ("percent", 7, "percent"),
        ("mean of both", 0.53, "mean_accuracy"),
        ("the loss", 4.29, "loss"),
        ("the drop in accuracy", 0.93, "accuracy_drop"),
        ("one decimal", 0.1, "one_decimal"),
        ("a word", "chance", Says("incorrect", "Answer with a number")),
    ),
    *rows(
        ch05.q11,
        ("unrounded", 2.2793, "correct"),
        ("layer 1", 4.71, "other_layer"),
        ("base minus ablated", -2.28, "sign_reversed"),
        ("one decimal", 2.3, "one_decimal"),
    ),
    *rows(
        ch06.q8,
        ("bytes", 12288, "correct"),
        ("as a string", "12288", "correct"),
        ("a tensor", torch.tensor(12288), "correct"),
        ("keys only, or numbers not bytes", 6144, "keys_only"),
        ("query heads", 49152, "query_heads"),
        ("float32", 24576, "float32"),
        ("bits", 98304, "bits"),
        ("one layer", 1024, "one_layer"),
        ("KiB", 12, "kib"),
        ("one kv head", 3072, "one_kv_head"),
    ),
]


@pytest.mark.parametrize("exercise, answer, expected", QUESTIONS)
def test_question_submission(exercise, answer, expected):
    verdict(exercise, answer, expected)


def test_misleading_messages_now_fit_the_answers():
    """Zeroed scores or W^k rows were told only about W^q; 6144 only about keys
    (it is also what counting numbers instead of bytes gives)."""
    assert "scores" in named(ch05.q3, ablate_scores, "zeroed_w_q").message
    assert "W^k" in named(ch05.q3, ablate_w_k_rows, "zeroed_w_q").message
    assert "numbers instead of bytes" in named(ch06.q8, 6144, "keys_only").message
