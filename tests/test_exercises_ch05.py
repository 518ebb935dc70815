"""Chapter 5 exercises: reader-style answers, right and wrong."""

import itertools
import math

import torch
import torch.nn.functional as F
from exercise_helpers import named

import mhacourse
from mhacourse.exercises import ch05 as ex
from mhacourse.exercises.ch05 import functions


def test_identical_heads_attend_identically():
    mha = mhacourse.MultiHeadAttention(12, 3)
    with torch.no_grad():
        for proj in (mha.q_proj, mha.k_proj, mha.v_proj):
            proj.weight.copy_(proj.weight[:4].repeat(3, 1))  # (H*E, D)
            proj.bias.copy_(proj.bias[:4].repeat(3))
    _, weights = mha(torch.randn(2, 5, 12))  # (B, H, L, S)
    assert torch.allclose(functions.head_similarity(weights), torch.ones(2))


def pairwise(weights, pairs=lambda H: itertools.combinations(range(H), 2), cosine=True):
    maps = weights.flatten(-2)
    sim = F.cosine_similarity if cosine else (lambda a, b, dim: (a * b).sum(dim))
    return torch.stack(
        [
            sim(maps[..., i, :], maps[..., j, :], dim=-1)
            for i, j in pairs(maps.shape[-2])
        ]
    ).mean(0)


def test_head_similarity(device):
    assert ex.q2.check(pairwise, device=device).passed
    named(
        ex.q2,
        lambda w: pairwise(w, pairs=lambda H: itertools.product(range(H), repeat=2)),
        "self_pairs",
    )
    named(ex.q2, lambda w: pairwise(w, cosine=False), "not_normalised")


def mha_parts(x, W_q, W_k, W_v, H):
    _B, _L, D = x.shape
    q, k, v = (mhacourse.split_heads(x @ W.T, H) for W in (W_q, W_k, W_v))
    return (
        torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D // H), -1) @ v
    )  # (B, H, L, E)


def test_ablation_equals_removing_the_heads_contribution(device):
    def subtract(x, W_q, W_k, W_v, W_o, H, h):
        heads = mha_parts(x, W_q, W_k, W_v, H)
        E = x.shape[-1] // H
        return (
            mhacourse.merge_heads(heads) @ W_o.T
            - heads[:, h] @ W_o[:, h * E : (h + 1) * E].T
        )

    assert ex.q3.check(subtract, device=device).passed


def test_ablation_mistakes():
    def zero_query_rows(x, W_q, W_k, W_v, W_o, H, h):
        E = x.shape[-1] // H
        W_q = W_q.clone()
        W_q[h * E : (h + 1) * E] = 0
        return mhacourse.merge_heads(mha_parts(x, W_q, W_k, W_v, H)) @ W_o.T

    def zero_output(x, W_q, W_k, W_v, W_o, H, h):
        E = x.shape[-1] // H
        out = mhacourse.merge_heads(mha_parts(x, W_q, W_k, W_v, H)) @ W_o.T
        out[..., h * E : (h + 1) * E] = 0
        return out

    def zero_strided(x, W_q, W_k, W_v, W_o, H, h):
        concat = mhacourse.merge_heads(mha_parts(x, W_q, W_k, W_v, H))
        concat[..., h::H] = 0
        return concat @ W_o.T

    def no_w_o(x, W_q, W_k, W_v, W_o, H, h):
        heads = mha_parts(x, W_q, W_k, W_v, H)
        heads[:, h] = 0
        return mhacourse.merge_heads(heads)

    for answer, mistake in (
        (zero_query_rows, "zeroed_w_q"),
        (zero_output, "zeroed_after_w_o"),
        (zero_strided, "interleaved_heads"),
        (no_w_o, "no_out_proj"),
    ):
        named(ex.q3, answer, mistake)
