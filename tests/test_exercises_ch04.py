"""Chapter 4 exercises: reader-style answers, right and wrong."""

import math

import torch
import torch.nn.functional as F
from exercise_helpers import named
from torch import nn

import mhacourse
from mhacourse.exercises import ch04 as ex
from mhacourse.exercises.ch04 import functions


def test_split_heads(device):
    assert ex.q1.check(mhacourse.split_heads, device=device).passed
    assert ex.q1.check(
        lambda x, H: x.unflatten(-1, (H, -1)).permute(0, 2, 1, 3), device=device
    ).passed
    named(
        ex.q1,
        lambda x, H: x.reshape(x.shape[0], H, x.shape[1], -1),
        "split_no_transpose",
    )
    named(
        ex.q1,
        lambda x, H: x.view(x.shape[0], x.shape[1], H, -1),
        "heads_length_swapped",
    )
    named(
        ex.q1,
        lambda x, H: x.view(*x.shape[:2], -1, H).permute(0, 3, 1, 2),
        "interleaved_heads",
    )


def test_parameter_count_matches_torch():
    def count(D, H, bias=True):
        return D // H, sum(
            p.numel() for p in nn.MultiheadAttention(D, H, bias=bias).parameters()
        )

    assert ex.q3.check(count, device="cpu").passed
    named(
        ex.q3,
        lambda D, H, bias=True: (
            D // H,
            H * (3 * D * D + 3 * D * bias) + D * D + D * bias,
        ),
        "full_matrix_per_head",
    )
    named(
        ex.q3, lambda D, H, bias=True: (D // H, 3 * (D * D + D * bias)), "no_out_proj"
    )
    named(ex.q3, lambda D, H, bias=True: (D // H, 4 * D * D), "forgot_bias")


def test_one_head_equals_its_slice_of_split_heads(device):
    def whole(x, w, b, h, H):
        return mhacourse.split_heads(F.linear(x, w, b), H)[:, h]

    assert ex.q4.check(whole, device=device).passed

    def sliced(pick, bias=True):
        def answer(x, w, b, h, H):
            E = w.shape[0] // H
            idx = pick(h, H, E)
            return x @ w[idx].T + (b[idx] if bias else 0)

        return answer

    def columns(x, w, b, h, H):
        E = w.shape[0] // H
        return x @ w[:, h * E : (h + 1) * E] + b[h * E : (h + 1) * E]

    named(ex.q4, columns, "columns")
    named(ex.q4, sliced(lambda h, H, E: slice(h, None, H)), "strided_rows")
    named(
        ex.q4,
        sliced(lambda h, H, E: slice(h * E, (h + 1) * E), bias=False),
        "forgot_bias",
    )


def mha(
    scale_d=False,
    out_proj=True,
    split_t=True,
    merge_t=True,
    dim=-1,
    scale=True,
    flip=False,
    wt=True,
):
    """A reader's multi-head attention, with a switchable mistake."""

    def answer(query, key, value, W_q, W_k, W_v, W_o, num_heads, mask=None):
        (B, L, D), S, H = query.shape, key.shape[1], num_heads
        E = D // H
        proj = (lambda x, W: x @ W.T) if wt else (lambda x, W: x @ W)
        split = (
            (lambda x, n: x.view(B, n, H, E).transpose(1, 2))
            if split_t
            else (lambda x, n: x.view(B, H, n, E))
        )
        q, k, v = (
            split(proj(query, W_q), L),
            split(proj(key, W_k), S),
            split(proj(value, W_v), S),
        )
        scores = (
            q @ k.transpose(-2, -1) / (math.sqrt(D if scale_d else E) if scale else 1.0)
        )
        if mask is not None:
            scores = scores.masked_fill(mask if flip else ~mask, float("-inf"))
        heads = torch.nan_to_num(torch.softmax(scores, dim=dim)) @ v
        concat = (
            heads.transpose(1, 2).reshape(B, L, D)
            if merge_t
            else heads.reshape(B, L, D)
        )
        return proj(concat, W_o) if out_proj else concat

    return answer


def test_mha_forward(device):
    assert ex.q5.check(mha(), device=device).passed
    named(ex.q5, mha(scale_d=True), "scale_by_sqrt_d")
    named(ex.q5, mha(out_proj=False), "no_out_proj")
    named(ex.q5, mha(split_t=False), "split_no_transpose")
    named(ex.q5, mha(merge_t=False), "merge_no_transpose")
    named(ex.q5, mha(dim=-2), "softmax_wrong_axis")
    named(ex.q5, mha(scale=False), "no_scaling")
    named(ex.q5, mha(flip=True), "mask_polarity")
    named(ex.q5, mha(wt=False), "weight_not_transposed")


def test_mha_reference_equals_torch_with_cross_attention_and_mask(device):
    ref = nn.MultiheadAttention(
        12, 3, bias=False, batch_first=True, dtype=torch.float64, device=device
    )
    query = torch.randn(2, 5, 12, dtype=torch.float64, device=device)
    kv = torch.randn(2, 7, 12, dtype=torch.float64, device=device)
    mask = torch.rand(2, 1, 5, 7, device=device) < 0.6
    mask[..., 0] = True
    W_q, W_k, W_v = ref.in_proj_weight.detach().split(12)
    ours = functions.multi_head_attention(
        query, kv, kv, W_q, W_k, W_v, ref.out_proj.weight.detach(), 3, mask
    )
    attn_mask = (~mask).expand(2, 3, 5, 7).reshape(6, 5, 7)
    assert torch.allclose(ours, ref(query, kv, kv, attn_mask=attn_mask)[0], atol=1e-12)
