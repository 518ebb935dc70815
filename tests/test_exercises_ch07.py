"""Chapter 7 exercises: reader-style answers, right and wrong."""

import math

import torch
import torch.nn.functional as F
from exercise_helpers import named

from mhacourse.exercises import ch07 as ex
from mhacourse.exercises.ch07 import functions


def test_flops():
    assert ex.q1.check(
        lambda B, H, L, S, E: 2 * (2 * E) * B * H * L * S, device="cpu"
    ).passed
    for wrong_type in (float, torch.tensor):  # the statement asks for an int
        result = ex.q1.check(
            lambda B, H, L, S, E, t=wrong_type: t(4 * B * H * L * S * E), device="cpu"
        )
        assert result.status == "incorrect" and "asks for an `int`" in result.message
    named(ex.q1, lambda B, H, L, S, E: B * H * L * S * (2 * E), "half")
    named(ex.q1, lambda B, H, L, S, E: 4 * B * L * S * E, "forgot_heads")
    named(ex.q1, lambda B, H, L, S, E: 4 * H * L * S * E, "forgot_batch")
    named(ex.q1, lambda B, H, L, S, E: 4 * B * H * L * L * E, "l_squared")


def test_scores_bytes():
    def on_meta(B, H, L, S, dtype):
        return torch.empty(B, H, L, S, dtype=dtype, device="meta").nbytes

    assert ex.q2.check(on_meta, device="cpu").passed
    named(ex.q2, lambda B, H, L, S, dtype: B * H * L * S, "elements")
    named(ex.q2, lambda B, H, L, S, dtype: 4 * B * H * L * S, "always_4_bytes")
    named(
        ex.q2, lambda B, H, L, S, dtype: B * H * L * S * torch.finfo(dtype).bits, "bits"
    )
    named(ex.q2, lambda B, H, L, S, dtype: B * L * S * dtype.itemsize, "forgot_heads")


def update(rescale_l=True, rescale_acc=True, inverted=False, normalise=False):
    """A reader's online-softmax update, with a switchable mistake."""

    def answer(m, l, acc, scores, v):
        m_new = torch.max(m, scores.max(dim=-1).values)
        alpha = torch.exp(m_new - m) if inverted else torch.exp(m - m_new)
        p = torch.exp(scores - m_new.unsqueeze(-1))
        l_new = (alpha * l if rescale_l else l) + p.sum(-1)
        acc_new = (alpha.unsqueeze(-1) * acc if rescale_acc else acc) + p @ v
        return m_new, l_new, (acc_new / l_new.unsqueeze(-1) if normalise else acc_new)

    return answer


def test_online_update(device):
    assert ex.q3.check(update(), device=device).passed
    named(ex.q3, update(rescale_l=False, rescale_acc=False), "no_rescale")
    named(ex.q3, update(rescale_acc=False), "no_rescale_acc")
    named(ex.q3, update(rescale_l=False), "no_rescale_l")
    named(ex.q3, update(inverted=True), "rescale_inverted")
    named(ex.q3, update(normalise=True), "normalised_acc")


def test_online_update_in_place_is_caught():
    def in_place(m, l, acc, scores, v):
        m_new = torch.maximum(m, scores.amax(-1))
        alpha = torch.exp(m - m_new)
        p = torch.exp(scores - m_new[..., None])
        acc *= alpha[..., None]
        acc += p @ v
        return m_new, alpha * l + p.sum(-1), acc

    result = ex.q3.check(in_place, device="cpu")
    assert (
        result.status == "incorrect"
        and "changed its input `acc` in place" in result.message
    )


def test_two_updates_equal_one_softmax():
    scores, v = (
        torch.randn(4, 5, 9, dtype=torch.float64),
        torch.randn(4, 9, 6, dtype=torch.float64),
    )
    state = (
        torch.full((4, 5), -math.inf, dtype=torch.float64),
        torch.zeros(4, 5, dtype=torch.float64),
        torch.zeros(4, 5, 6, dtype=torch.float64),
    )
    state = functions.online_softmax_update(*state, scores[..., :4], v[:, :4])
    m, l, acc = functions.online_softmax_update(*state, scores[..., 4:] + 3.0, v[:, 4:])
    full = torch.cat([scores[..., :4], scores[..., 4:] + 3.0], dim=-1)
    assert torch.allclose(acc / l[..., None], torch.softmax(full, -1) @ v, atol=1e-12)
    assert torch.allclose(m, full.amax(-1)) and torch.allclose(
        l, torch.exp(full - m[..., None]).sum(-1)
    )


def tiled(divide=True, drop_tail=False, scale=True, rescale_acc=True):
    def answer(q, k, v, block_size):
        S = k.shape[-2]
        m = torch.full(q.shape[:-1], -math.inf, dtype=q.dtype, device=q.device)
        l, acc = (
            torch.zeros_like(m),
            torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype, device=q.device),
        )
        blocks = S // block_size if drop_tail else math.ceil(S / block_size)
        for b in range(blocks):
            blk = slice(b * block_size, (b + 1) * block_size)
            s = (
                q
                @ k[..., blk, :].transpose(-2, -1)
                / (math.sqrt(q.shape[-1]) if scale else 1.0)
            )
            m_new = torch.maximum(m, s.amax(-1))
            alpha, p = torch.exp(m - m_new), torch.exp(s - m_new[..., None])
            l = alpha * l + p.sum(-1)
            acc = (alpha[..., None] * acc if rescale_acc else acc) + p @ v[..., blk, :]
            m = m_new
        return acc / l[..., None] if divide else acc

    return answer


def test_tiled_attention(device):
    assert ex.q4.check(tiled(), device=device).passed
    named(ex.q4, tiled(divide=False), "no_final_division")
    named(ex.q4, tiled(drop_tail=True), "dropped_last_block")
    named(ex.q4, tiled(scale=False), "no_scaling")
    named(ex.q4, tiled(rescale_acc=False), "no_rescale_acc")


def test_tiled_reference_equals_sdpa(device):
    q, k, v = (
        torch.randn(2, 3, n, d, dtype=torch.float64, device=device)
        for n, d in ((5, 4), (11, 4), (11, 6))
    )
    for block in (1, 4, 11, 32):
        assert torch.allclose(
            functions.tiled_attention(q, k, v, block),
            F.scaled_dot_product_attention(q, k, v),
            atol=1e-12,
        )
