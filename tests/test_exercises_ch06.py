"""Chapter 6 exercises: reader-style answers, right and wrong."""

import torch
import torch.nn.functional as F
from exercise_helpers import named
from torch import nn

import mhacourse
from mhacourse.exercises import ch06 as ex
from mhacourse.exercises.ch06 import masks


def test_causal_mask(device):
    assert ex.q1.check(mhacourse.causal_mask, device=device).passed

    def by_positions(L, S=None, device=None):
        rows = torch.arange(L, device=device)[:, None]  # (L, 1)
        return rows >= torch.arange(S or L, device=device)  # (L, S)

    assert ex.q1.check(by_positions, device=device).passed

    def ones(L, S=None, device=None):
        return torch.ones(L, S or L, dtype=torch.bool, device=device)

    named(
        ex.q1,
        lambda L, S=None, device=None: ones(L, S, device).triu(1),
        "mask_polarity",
    )
    named(
        ex.q1, lambda L, S=None, device=None: ones(L, S, device).tril(-1), "no_diagonal"
    )
    named(
        ex.q1,
        lambda L, S=None, device=None: ones(L, S, device).tril((S or L) - L),
        "bottom_right",
    )
    result = ex.q1.check(
        lambda L, S=None, device=None: ones(L, S, device).tril().float(), device="cpu"
    )
    assert result.status == "incorrect" and "masks are bool tensors" in result.message


def test_causal_mask_is_sdpa_is_causal():
    q, k, v = (torch.randn(2, n, 4, dtype=torch.float64) for n in (5, 7, 7))
    assert torch.allclose(
        F.scaled_dot_product_attention(q, k, v, attn_mask=masks.causal_mask(5, 7)),
        F.scaled_dot_product_attention(q, k, v, is_causal=True),
        atol=1e-12,
    )


def test_padding_mask(device):
    assert ex.q2.check(mhacourse.padding_mask, device=device).passed

    def positions(lengths, S):
        return torch.arange(S, device=lengths.device)

    named(
        ex.q2,
        lambda lengths, S: (positions(lengths, S) >= lengths[:, None])[:, None, None],
        "mask_polarity",
    )
    named(
        ex.q2,
        lambda lengths, S: (positions(lengths, S) <= lengths[:, None])[:, None, None],
        "off_by_one",
    )
    named(
        ex.q2,
        lambda lengths, S: positions(lengths, S) < lengths[:, None],
        "no_singleton_dims",
    )


def test_key_padding_mask(device):
    assert ex.q3.check(mhacourse.masks.to_torch_key_padding_mask, device=device).passed
    named(ex.q3, lambda mask: mask.squeeze(1).squeeze(1), "not_flipped")
    named(ex.q3, lambda mask: ~mask, "kept_singleton_dims")


def test_attn_mask(device):
    def expand(m, H):
        blocked = (~m)[:, None].expand(-1, H, -1, -1)  # (B, H, L, S)
        return blocked.reshape(-1, *m.shape[1:])  # (B * H, L, S)

    assert ex.q4.check(expand, device=device).passed
    named(ex.q4, lambda m, H: (~m).repeat(H, 1, 1), "repeat_not_interleave")
    named(ex.q4, lambda m, H: m.repeat_interleave(H, 0), "not_flipped")
    named(ex.q4, lambda m, H: (~m).unsqueeze(1).repeat(1, H, 1, 1), "not_flattened")


def test_attn_mask_agrees_with_nn_multihead_attention():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(12, 3, batch_first=True, dtype=torch.float64)
    x = torch.randn(2, 5, 12, dtype=torch.float64)
    mask = torch.rand(2, 5, 5) < 0.6
    mask[..., 0] = True
    ours = mhacourse.MultiHeadAttention.from_torch(ref)
    expected, _ = ours(x, mask=mask[:, None])
    got, _ = ref(x, x, x, attn_mask=masks.to_attn_mask(mask, 3))
    assert torch.allclose(got, expected, atol=1e-12)
    wrong, _ = ref(x, x, x, attn_mask=(~mask).repeat(3, 1, 1))
    assert not torch.allclose(wrong, expected, atol=1e-6)


def test_cross_attention(device):
    def via_package(mha, x, mem, n):
        return mha(x, mem, mem, mask=mhacourse.padding_mask(n, mem.shape[1]))[0]

    assert ex.q5.check(via_package, device=device).passed

    def reader(mask_fn, swap=False):
        def answer(mha, x, memory, lengths):
            mask = mask_fn(
                torch.arange(memory.shape[1], device=memory.device), lengths[:, None]
            )
            if swap:
                return mha(memory, x, x)[0]
            return mha(
                x, memory, memory, mask=None if mask is None else mask[:, None, None, :]
            )[0]

        return answer

    named(ex.q5, reader(lambda pos, n: pos < n, swap=True), "queries_swapped")
    named(ex.q5, reader(lambda pos, n: None), "no_padding_mask")
    named(ex.q5, reader(lambda pos, n: pos >= n), "mask_polarity")
    named(ex.q5, reader(lambda pos, n: pos <= n), "off_by_one")
    result = ex.q5.check(
        lambda mha, x, mem, n: mha(
            x, mem, mem, mask=mhacourse.padding_mask(n, mem.shape[1])
        )
    )
    assert result.status == "incorrect" and "is a Python tuple" in result.message


def test_encoder_block():
    def block(x, attn, ff, norm1, norm2, pre_norm=True):
        if pre_norm:
            h = x + attn(norm1(x))[0]
            return h + ff(norm2(h))
        h = norm1(x + attn(x)[0])
        return norm2(h + ff(h))

    assert ex.q6.check(block, device="cpu").passed
    named(
        ex.q6,
        lambda x, a, f, n1, n2, pre_norm=True: block(x, a, f, n1, n2, not pre_norm),
        "pre_post_swapped",
    )
    named(
        ex.q6,
        lambda x, a, f, n1, n2, pre_norm=True: block(x, a, f, n1, n1, pre_norm),
        "norm1_twice",
    )

    def no_residual(x, attn, ff, norm1, norm2, pre_norm=True):
        h = attn(norm1(x))[0]
        return ff(norm2(h))

    def normed_residual(x, attn, ff, norm1, norm2, pre_norm=True):
        x = norm1(x)
        x = x + attn(x)[0]
        x = norm2(x)
        return x + ff(x)

    named(ex.q6, no_residual, "no_residual")
    named(ex.q6, normed_residual, "normed_residual")
    result = ex.q6.check(
        lambda x, attn, ff, norm1, norm2, pre_norm=True: x + attn(norm1(x)),
        device="cpu",
    )
    assert result.status == "error" and "take [0]" in result.message


def test_squeeze_is_named_with_a_batch_of_one():
    named(ex.q3, lambda mask: ~mask.squeeze(), "squeezed_batch")
