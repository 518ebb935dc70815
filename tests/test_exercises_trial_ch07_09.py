"""A learner trial of chapters 7-9's exercises: answers as readers write them.

Each row is one submission and the verdict it must get: ``"correct"``, the name
of the catalogued mistake it makes (checked with :func:`named`: the name *and*
the start of its message), ``Says("...")``, a message that already names the
problem (a wrong type, a rule of the statement) without a catalogue entry.
Read top to bottom, the
file is a catalogue of learner answers per exercise.
"""

import functools
import math

import numpy as np
import pytest
import torch
from exercise_helpers import Says, verdict

from mhacourse.exercises import ch07, ch08, ch09
from mhacourse.exercises.ch08 import questions
from mhacourse.studies.head_analysis import ablate_heads
from mhacourse.studies.real_text import char_losses

# ch07.q1 attention_flops(B, H, L, S, E) -> int ----------------------------------------
Q1 = [
    ("two matmuls of 2E per score", lambda B, H, L, S, E: 2 * (2 * E) * B * H * L * S,
     "correct"),
    ("math.prod", lambda B, H, L, S, E: 4 * math.prod((B, H, L, S, E)), "correct"),
    ("numpy int", lambda B, H, L, S, E: np.int64(4) * B * H * L * S * E, "correct"),
    ("multiply-add as one FLOP", lambda B, H, L, S, E: 2 * B * H * L * S * E, "half"),
    ("one matmul, multiply-add as one", lambda B, H, L, S, E: B * H * L * S * E,
     "quarter"),
    ("E multiplies and E - 1 adds",
     lambda B, H, L, S, E: 2 * (2 * E - 1) * B * H * L * S, "adds_counted_exactly"),
    ("no heads", lambda B, H, L, S, E: 4 * B * L * S * E, "forgot_heads"),
    ("no batch", lambda B, H, L, S, E: 4 * H * L * S * E, "forgot_batch"),
    ("L * L scores", lambda B, H, L, S, E: 4 * B * H * L * L * E, "l_squared"),
    ("S * S scores", lambda B, H, L, S, E: 4 * B * H * S * S * E, "s_squared"),
    ("softmax counted too",
     lambda B, H, L, S, E: 4 * B * H * L * S * E + 3 * B * H * L * S,
     "counted_softmax"),
    ("a float", lambda B, H, L, S, E: 4.0 * B * H * L * S * E,
     Says("asks for an `int`")),
    ("the two matmuls as a tuple",
     lambda B, H, L, S, E: (2 * B * H * L * S * E, 2 * B * H * L * S * E),
     Says("asks for one number")),
    ("a 0-dim tensor", lambda B, H, L, S, E: torch.tensor(4 * B * H * L * S * E),
     Says("asks for an `int`")),
]  # fmt: skip


# ch07.q2 scores_bytes(B, H, L, S, dtype) -> int ---------------------------------------
Q2 = [
    ("itemsize", lambda B, H, L, S, dt: B * H * L * S * dt.itemsize, "correct"),
    ("a meta tensor's nbytes",
     lambda B, H, L, S, dt: torch.empty(B, H, L, S, dtype=dt, device="meta").nbytes,
     "correct"),
    ("finfo bits // 8",
     lambda B, H, L, S, dt: B * H * L * S * torch.finfo(dt).bits // 8, "correct"),
    ("element_size", lambda B, H, L, S, dt: B * H * L * S
     * torch.empty((), dtype=dt).element_size(), "correct"),
    ("elements", lambda B, H, L, S, dt: B * H * L * S, "elements"),
    ("4 bytes each", lambda B, H, L, S, dt: 4 * B * H * L * S, "always_4_bytes"),
    ("bits", lambda B, H, L, S, dt: B * H * L * S * torch.finfo(dt).bits, "bits"),
    ("no heads", lambda B, H, L, S, dt: B * L * S * dt.itemsize, "forgot_heads"),
    ("no batch", lambda B, H, L, S, dt: H * L * S * dt.itemsize, "forgot_batch"),
    ("GiB", lambda B, H, L, S, dt: B * H * L * S * dt.itemsize / 2**30, "gib"),
    ("GB", lambda B, H, L, S, dt: B * H * L * S * dt.itemsize / 1e9, "gb"),
    ("MiB", lambda B, H, L, S, dt: B * H * L * S * dt.itemsize / 2**20, "mib"),
    ("scores and weights both", lambda B, H, L, S, dt: 2 * B * H * L * S * dt.itemsize,
     "scores_and_weights"),
    ("L * L", lambda B, H, L, S, dt: B * H * L * L * dt.itemsize, "l_squared"),
    ("bits / 8 as a float", lambda B, H, L, S, dt: B * H * L * S * torch.finfo(dt).bits
     / 8, Says("asks for an `int`")),
]  # fmt: skip


# ch07.q3 online_softmax_update(m, l, acc, scores, v) -> (m, l, acc) -------------------
def update(
    *,
    rescale_l=True,
    rescale_acc=True,
    inverted=False,
    normalise=False,
    block_max=False,
    p_old_max=False,
    keep_m=False,
):
    """A reader's update with one switchable mistake."""

    def answer(m, l, acc, scores, v):
        m_new = scores.amax(-1) if block_max else torch.maximum(m, scores.amax(-1))
        alpha = torch.exp(m_new - m) if inverted else torch.exp(m - m_new)
        p = torch.exp(scores - (m if p_old_max else m_new)[..., None])
        l_new = (alpha * l if rescale_l else l) + p.sum(-1)
        acc_new = (alpha[..., None] * acc if rescale_acc else acc) + p @ v
        acc_new = acc_new / l_new[..., None] if normalise else acc_new
        return (m if keep_m else m_new), l_new, acc_new

    return answer


def update_einsum(m, l, acc, scores, v):
    m_new = torch.cat([m[..., None], scores], dim=-1).amax(-1)  # (..., L)
    p = (scores - m_new.unsqueeze(-1)).exp()  # (..., L, Sb)
    alpha = (m - m_new).exp()  # (..., L)
    acc_new = torch.einsum("...l,...le->...le", alpha, acc) + torch.einsum(
        "...ls,...se->...le", p, v
    )
    return m_new, alpha * l + p.sum(-1), acc_new


def update_first_block_by_where(m, l, acc, scores, v):
    m_new = torch.max(m, scores.max(-1).values)
    alpha = torch.where(torch.isinf(m), torch.zeros_like(m), torch.exp(m - m_new))
    p = torch.exp(scores - m_new[..., None])
    return m_new, alpha * l + p.sum(-1), alpha[..., None] * acc + p @ v


def update_global_max(m, l, acc, scores, v):
    m_new = torch.max(m, scores.max())  # forgot dim=-1
    alpha, p = torch.exp(m - m_new), torch.exp(scores - m_new.unsqueeze(-1))
    return m_new, alpha * l + p.sum(-1), alpha.unsqueeze(-1) * acc + p @ v


def update_where_on_cpu(m, l, acc, scores, v):
    m_new = torch.max(m, scores.max(-1).values)
    zero = torch.zeros(m.shape, dtype=m.dtype)  # no device=
    alpha = torch.where(torch.isinf(m), zero, torch.exp(m - m_new))
    p = torch.exp(scores - m_new[..., None])
    return m_new, alpha * l + p.sum(-1), alpha[..., None] * acc + p @ v


def update_in_place(m, l, acc, scores, v):
    m_new = torch.maximum(m, scores.amax(-1))
    alpha, p = torch.exp(m - m_new), torch.exp(scores - m_new[..., None])
    return m_new, l.mul_(alpha).add_(p.sum(-1)), alpha[..., None] * acc + p @ v


def update_float32(m, l, acc, scores, v):
    m, l, acc, scores, v = (t.float() for t in (m, l, acc, scores, v))
    return update()(m, l, acc, scores, v)


Q3 = [
    ("torch.maximum and @", update(), "correct"),
    ("einsum and cat", update_einsum, "correct"),
    ("torch.where for the first block", update_first_block_by_where, "correct"),
    ("no rescale at all", update(rescale_l=False, rescale_acc=False), "no_rescale"),
    ("l rescaled, acc not", update(rescale_acc=False), "no_rescale_acc"),
    ("acc rescaled, l not", update(rescale_l=False), "no_rescale_l"),
    ("exp(m_new - m)", update(inverted=True), "rescale_inverted"),
    ("acc divided by l", update(normalise=True), "normalised_acc"),
    ("the block's max only", update(block_max=True), "block_max_only"),
    ("scores.max() without dim", update_global_max, "max_over_whole_block"),
    ("p relative to the old max", update(p_old_max=True), "p_old_max"),
    ("old m returned", update(keep_m=True), "m_not_updated"),
    ("zeros made on the CPU", update_where_on_cpu, "device_not_followed"),
    ("l.mul_(alpha)", update_in_place, "changed_input"),
    ("computed in float32", update_float32, Says("Precision was lost")),
    ("a list", lambda *a: list(update()(*a)), "correct"),
    ("(m, acc, l)", lambda *a: (lambda m, l, acc: (m, acc, l))(*update()(*a)),
     Says("`l` should have shape")),
]  # fmt: skip


# ch07.q4 tiled_attention(q, k, v, block_size) -> (..., L, Ev) -------------------------
def tiled(
    *,
    divide=True,
    drop_tail=False,
    scale="sqrt_e",
    rescale_l=True,
    rescale_acc=True,
    m0=-math.inf,
    p_old_max=False,
):
    """A reader's tiled attention with one switchable mistake."""

    def answer(q, k, v, block_size):
        S, E = k.shape[-2], q.shape[-1]
        factor = {"sqrt_e": 1 / math.sqrt(E), "none": 1.0, "e": 1 / E,
                  "sqrt_ev": 1 / math.sqrt(v.shape[-1])}[scale]  # fmt: skip
        m = q.new_full(q.shape[:-1], m0)  # (..., L)
        l, acc = q.new_zeros(q.shape[:-1]), q.new_zeros(*q.shape[:-1], v.shape[-1])
        stop = S - S % block_size if drop_tail else S
        for s0 in range(0, stop, block_size):
            kb, vb = k[..., s0 : s0 + block_size, :], v[..., s0 : s0 + block_size, :]
            s = q @ kb.transpose(-2, -1) * factor  # (..., L, Sb)
            m_new = torch.maximum(m, s.amax(-1))  # (..., L)
            alpha = torch.exp(m - m_new)
            p = torch.exp(s - (m if p_old_max else m_new)[..., None])
            l = (alpha * l if rescale_l else l) + p.sum(-1)
            acc = (alpha[..., None] * acc if rescale_acc else acc) + p @ vb
            m = m_new
        return acc / l[..., None] if divide else acc

    return answer


def tiled_split(q, k, v, block_size):
    """torch.split into blocks and the logsumexp form of the running state."""
    lse = q.new_full(q.shape[:-1], -math.inf)  # (..., L): log of the running sum
    out = q.new_zeros(*q.shape[:-1], v.shape[-1])  # (..., L, Ev): normalised so far
    for kb, vb in zip(k.split(block_size, -2), v.split(block_size, -2), strict=True):
        s = torch.einsum("...le,...se->...ls", q, kb) / q.shape[-1] ** 0.5
        blk = torch.logsumexp(s, -1)  # (..., L)
        new = torch.logaddexp(lse, blk)  # (..., L)
        out = torch.exp(lse - new)[..., None] * out + torch.exp(s - new[..., None]) @ vb
        lse = new
    return out


def tiled_q_scaled_first(q, k, v, block_size):
    """1/sqrt(E) folded into q once, einsum for both products."""
    q = q / math.sqrt(q.shape[-1])  # a new tensor: the caller's q is untouched
    m = q.new_full(q.shape[:-1], -math.inf)  # (..., L)
    l, acc = q.new_zeros(q.shape[:-1]), q.new_zeros(*q.shape[:-1], v.shape[-1])
    for s0 in range(0, k.shape[-2], block_size):
        s = torch.einsum("...le,...se->...ls", q, k[..., s0 : s0 + block_size, :])
        m_new = torch.maximum(m, s.amax(-1))
        r, p = torch.exp(m - m_new), torch.exp(s - m_new[..., None])
        pv = torch.einsum("...ls,...se->...le", p, v[..., s0 : s0 + block_size, :])
        l, acc, m = r * l + p.sum(-1), r[..., None] * acc + pv, m_new
    return acc / l[..., None]


def tiled_blocks_averaged(q, k, v, block_size):
    """Each block normalised on its own, then the blocks' outputs averaged."""
    outs = []
    for s0 in range(0, k.shape[-2], block_size):
        s = q @ k[..., s0 : s0 + block_size, :].transpose(-2, -1) / q.shape[-1] ** 0.5
        p = torch.exp(s - s.amax(-1, keepdim=True))
        outs.append(p / p.sum(-1, keepdim=True) @ v[..., s0 : s0 + block_size, :])
    return torch.stack(outs).mean(0)


def tiled_without_max(q, k, v, block_size):
    """exp of the raw scores: the max 'cancels out anyway'."""
    num, den = 0.0, 0.0
    for kb, vb in zip(k.split(block_size, -2), v.split(block_size, -2), strict=True):
        p = torch.exp(q @ kb.mT / math.sqrt(q.shape[-1]))  # (..., L, Sb)
        num, den = num + p @ vb, den + p.sum(-1, keepdim=True)
    return num / den


def tiled_scaling_q_in_place(q, k, v, block_size):
    q /= math.sqrt(q.shape[-1])  # changes the caller's q
    return tiled(scale="none")(q, k, v, block_size)


def tiled_with_full_scores(q, k, v, block_size):
    s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, S): not allowed
    p = torch.exp(s - s.amax(-1, keepdim=True))
    return p @ v / p.sum(-1, keepdim=True)


def tiled_returns_state(q, k, v, block_size):
    return tiled()(q, k, v, block_size), None


Q4 = [
    ("the chapter's loop", tiled(), "correct"),
    ("torch.split and logaddexp", tiled_split, "correct"),
    ("q scaled first, einsum", tiled_q_scaled_first, "correct"),
    ("no final division", tiled(divide=False), "no_final_division"),
    ("last short block dropped", tiled(drop_tail=True), "dropped_last_block"),
    ("no 1/sqrt(E)", tiled(scale="none"), "no_scaling"),
    ("scaled by 1/E", tiled(scale="e"), "scale_by_e"),
    ("scaled by 1/sqrt(Ev)", tiled(scale="sqrt_ev"), "scale_by_sqrt_ev"),
    ("acc not rescaled", tiled(rescale_acc=False), "no_rescale_acc"),
    ("l not rescaled", tiled(rescale_l=False), "no_rescale_l"),
    ("neither rescaled", tiled(rescale_l=False, rescale_acc=False), "no_rescale"),
    ("running max starts at 0", tiled(m0=0.0), "zero_initial_max"),
    ("p relative to the old max", tiled(p_old_max=True), "p_old_max"),
    ("no running max at all", tiled_without_max, "no_running_max"),
    ("blocks normalised, then averaged", tiled_blocks_averaged, "blocks_averaged"),
    ("q /= sqrt(E)", tiled_scaling_q_in_place, "changed_input"),
    ("the full scores", tiled_with_full_scores, Says("the full")),
    ("a tuple", tiled_returns_state, Says("Python tuple")),
]


# ch08.q2 previous_share(weights) -> (..., H) ------------------------------------------
def previous_share_loop(weights):
    L = weights.shape[-1]
    return sum(weights[..., i, i - 1] for i in range(1, L)) / (L - 1)


def previous_share_zeros_on_cpu(weights):
    L = weights.shape[-1]
    out = torch.zeros(weights.shape[:-2], dtype=weights.dtype)  # no device=
    for i in range(1, L):
        out = out + weights[..., i, i - 1]
    return out / (L - 1)


CH08_Q2 = [
    ("diagonal offset -1", lambda w: w.diagonal(-1, -2, -1).mean(-1), "correct"),
    ("a loop", previous_share_loop, "correct"),
    ("sliced rows and columns",
     lambda w: w[..., 1:, :-1].diagonal(dim1=-2, dim2=-1).mean(-1), "correct"),
    ("zeros made on the CPU", previous_share_zeros_on_cpu, "device_not_followed"),
    ("main diagonal", lambda w: w.diagonal(0, -2, -1).mean(-1), "self_diagonal"),
    ("offset +1: the next key", lambda w: w.diagonal(1, -2, -1).mean(-1),
     "next_diagonal"),
    ("divided by L", lambda w: w.diagonal(-1, -2, -1).sum(-1) / w.shape[-1],
     "query_zero_counted"),
    ("summed, not averaged", lambda w: w.diagonal(-1, -2, -1).sum(-1),
     "summed_not_averaged"),
    ("in float64", lambda w: w.double().diagonal(-1, -2, -1).mean(-1),
     Says("A torch.float64 tensor joined")),
    ("a list", lambda w: w.diagonal(-1, -2, -1).mean(-1).tolist(), Says("Python list")),
    ("numpy", lambda w: w.diagonal(-1, -2, -1).mean(-1).numpy(), Says("NumPy array")),
]  # fmt: skip


# ch08.q4 role_share(weights, targets) -> (H,) -----------------------------------------
def role_share_loop(weights, targets):
    B, H, L, _ = weights.shape
    shares = [
        [(weights[b, h, i] * targets[b, i]).sum() for b in range(B) for i in range(L)
         if targets[b, i].any()]
        for h in range(H)
    ]  # fmt: skip
    return torch.stack([sum(s) / len(s) for s in shares])


def role_share_where(weights, targets):
    share = torch.where(targets[:, None], weights, 0).sum(-1)  # (B, H, L)
    has = targets.any(-1)[:, None].to(weights.dtype)  # (B, 1, L)
    return (share * has).sum((0, 2)) / has.sum()


def role_share_masking_in_place(weights, targets):
    weights *= targets[:, None]  # zeroes the caller's weights off the targets
    return weights.sum(-1).transpose(0, 1)[:, targets.any(-1)].mean(-1)


def role_share_mean_of_sequences(weights, targets):
    share = (weights * targets[:, None]).sum(-1)  # (B, H, L)
    has = targets.any(-1)[:, None].to(weights.dtype)  # (B, 1, L)
    return ((share * has).sum(-1) / has.sum(-1)).mean(0)  # (H,)


CH08_Q4 = [
    ("a loop over heads and queries", role_share_loop, "correct"),
    ("torch.where and a weighted mean", role_share_where, "correct"),
    ("every query averaged", lambda w, t: (w * t[:, None]).sum(-1).mean((0, 2)),
     "every_query"),
    ("divided by the number of targets",
     lambda w, t: ((w * t[:, None]).sum(-1) / t[:, None].sum(-1).clamp(min=1))
     .transpose(0, 1)[:, t.any(-1)].mean(-1), "per_target"),
    ("weights read key by query",
     lambda w, t: role_share_loop(w.transpose(-2, -1), t), "keys_looking_back"),
    ("weights *= targets", role_share_masking_in_place, "changed_input"),
    ("mean per sequence, then over sequences", role_share_mean_of_sequences,
     "mean_of_sequence_means"),
    ("weights averaged over the keys",
     lambda w, t: (w * t[:, None]).mean(-1).transpose(0, 1)[:, t.any(-1)].mean(-1),
     "mean_over_keys"),
    ("total target weight over all targets",
     lambda w, t: (w * t[:, None]).sum((0, 2, 3)) / t.sum(), "divided_by_targets"),
]  # fmt: skip


# ch09.q1 sliding_window_mask(L, window, num_sink_tokens=0, device=None) -> bool -------
def band(*, strict=False, causal=True, sinks=True, sink_le=False, widen=False,
         follow_device=True, as_int=False):  # fmt: skip
    def answer(L, window, num_sink_tokens=0, device=None):
        d = device if follow_device else None
        i = torch.arange(L, device=d)[:, None]
        j = torch.arange(L, device=d)[None, :]
        W = window + num_sink_tokens if widen else window
        near = (i - j <= W) if strict else (i - j < W)
        if sinks and not widen:
            near = near | ((j <= num_sink_tokens) if sink_le else (j < num_sink_tokens))
        mask = near & (j <= i) if causal else near
        return mask.int() if as_int else mask

    return answer


def window_by_tril(L, window, num_sink_tokens=0, device=None):
    ones = torch.ones(L, L, dtype=torch.bool, device=device)
    band = ones.tril() & ~ones.tril(-window)
    sinks = ones.tril() & (torch.arange(L, device=device) < num_sink_tokens)
    return band | sinks


def window_by_rows(L, window, num_sink_tokens=0, device=None):
    m = torch.zeros(L, L, dtype=torch.bool, device=device)
    for i in range(L):
        m[i, max(0, i - window + 1) : i + 1] = True  # the last `window` keys
        m[i, : min(num_sink_tokens, i + 1)] = True  # the sinks seen so far
    return m


CH09_Q1 = [
    ("arange broadcast", band(), "correct"),
    ("tril minus a lower tril", window_by_tril, "correct"),
    ("row by row, with slices", window_by_rows, "correct"),
    ("inverted", lambda *a, **k: ~band()(*a, **k), "mask_polarity"),
    ("i - j <= window", band(strict=True), "window_off_by_one"),
    ("not causal", band(causal=False), "sinks_see_the_future"),
    ("no sinks", band(sinks=False), "no_sinks"),
    ("j <= num_sink_tokens", band(sink_le=True), "sinks_off_by_one"),
    ("sinks widen the window", band(widen=True), "sinks_widen_window"),
    ("device ignored", band(follow_device=False), "device_not_followed"),
    ("an int mask", band(as_int=True), Says("masks are bool")),
]


# ch09.q2 absorb_key_up(w_uq, w_uk) -> (H, C, D) ---------------------------------------
def absorb_into_zeros_on_cpu(w_uq, w_uk):
    H, _, D = w_uq.shape
    out = torch.zeros(H, w_uk.shape[-1], D, dtype=w_uq.dtype)  # no device=
    for h in range(H):
        out[h] = w_uk[h].T @ w_uq[h]
    return out


CH09_Q2 = [
    ("einsum", lambda uq, uk: torch.einsum("hec,hed->hcd", uk, uq), "correct"),
    ("bmm", lambda uq, uk: torch.bmm(uk.transpose(1, 2), uq), "correct"),
    ("a loop", lambda uq, uk: torch.stack([uk[h].mT @ uq[h] for h in range(len(uq))]),
     "correct"),
    ("zeros made on the CPU", absorb_into_zeros_on_cpu, "device_not_followed"),
    ("all pairs of heads", lambda uq, uk: (uk.sum(0).T @ uq.sum(0))
     .expand(uq.shape[0], -1, -1), "summed_heads"),
    ("w_uk.transpose_(1, 2)", lambda uq, uk: uk.transpose_(1, 2) @ uq, "changed_input"),
    ("W^UQ^T W^UK: the wrong side", lambda uq, uk: uq.transpose(1, 2) @ uk,
     "transposed_result"),
    ("heads summed in the einsum", lambda uq, uk: torch.einsum("hec,hed->cd", uk, uq),
     "heads_summed"),
    ("1/sqrt(E) folded in", lambda uq, uk: uk.transpose(1, 2) @ uq / uq.shape[1] ** 0.5,
     "scaled"),
    ("a GPU-less numpy einsum",
     lambda uq, uk: np.einsum("hec,hed->hcd", uk.numpy(), uq.numpy()),
     Says("NumPy array")),
]  # fmt: skip


# ch09.q3 kv_cache_bytes(T, H_kv, E, dtype, window=None, num_sink_tokens=0) -> int -----
def cache(*, factor=2, itemsize=None, kept=None, divide=1):
    def answer(T, H_kv, E, dtype, window=None, num_sink_tokens=0):
        n = T if window is None else min(T, window + num_sink_tokens)
        if kept is not None:
            n = kept(T, window, num_sink_tokens)
        size = factor * H_kv * E * (itemsize or dtype.itemsize) * n
        return size if divide == 1 else size / divide

    return answer


CH09_Q3 = [
    ("min(T, W + N)", cache(), "correct"),
    ("a meta tensor", lambda T, H_kv, E, dtype, window=None, num_sink_tokens=0: 2
     * torch.empty(H_kv, T if window is None else min(T, window + num_sink_tokens), E,
                   dtype=dtype, device="meta").nbytes, "correct"),
    ("keys only", cache(factor=1), "keys_only"),
    ("W + N even when T is shorter",
     cache(kept=lambda T, W, N: T if W is None else W + N), "window_always_full"),
    ("sinks forgotten", cache(kept=lambda T, W, N: T if W is None else min(T, W)),
     "forgot_sinks"),
    ("sinks added after the min",
     cache(kept=lambda T, W, N: T if W is None else min(T, W) + N),
     "sinks_beyond_tokens"),
    ("4 bytes each", cache(itemsize=4), "always_4_bytes"),
    ("bits", cache(factor=16), "bits"),
    ("numpy", lambda *a, **k: np.array(cache()(*a, **k)), Says("asks for one number")),
    ("GiB", cache(divide=2**30), "gib"),
    ("GB", cache(divide=10**9), "gb"),
]  # fmt: skip


# predict, picture and experiment questions --------------------------------------------
QUESTIONS = [
    (ch07.q5, "b", "correct"), (ch07.q5, "NaN or inf", "correct"),
    (ch07.q5, "a", "chose_a"), (ch07.q5, "c", "chose_c"),
    (ch07.q6, "B", "correct"), (ch07.q6, "4 times", "correct"),
    (ch07.q6, "a", "chose_a"), (ch07.q6, "c", "chose_c"),
    (ch07.q6, 4, Says("Answer with one of these")),
    (ch07.q7, "b", "correct"), (ch07.q7, 3, "correct"), (ch07.q7, "3", "correct"),
    (ch07.q7, "a", "chose_a"), (ch07.q7, "c", "chose_c"),
    (ch07.q8, "c", "correct"), (ch07.q8, "a", "chose_a"), (ch07.q8, "b", "chose_b"),
    (ch08.q1, "b", "correct"), (ch08.q1, "code", "correct"), (ch08.q1, "a", "chose_a"),
    (ch09.q4, "c", "correct"), (ch09.q4, "a", "chose_a"), (ch09.q4, "b", "chose_b"),
    (ch09.q4, "d", "chose_d"),
    (ch09.q5, "b", "correct"), (ch09.q5, "(b)", "correct"), (ch09.q5, "a", "chose_a"),
    (ch09.q5, "c", "chose_c"), (ch09.q5, "d", "chose_d"),
    (ch09.q6, 6, "correct"), (ch09.q6, 6.0, "correct"), (ch09.q6, "6", "correct"),
    (ch09.q6, 10, "one_layer"), (ch09.q6, 5, "window_counts_back"),
    (ch09.q6, 5.5, "not_rounded_up"), (ch09.q6, 9, "one_layer_counts_back"),
    (ch09.q6, "six", Says("Answer with a number")),
]  # fmt: skip


def _rows(exercise, rows):
    return [
        pytest.param(exercise, answer, expected, id=f"{exercise.id}: {label}")
        for label, answer, expected in rows
    ]


@pytest.mark.parametrize(
    "exercise, answer, expected",
    _rows(ch07.q1, Q1)
    + _rows(ch07.q2, Q2)
    + _rows(ch07.q3, Q3)
    + _rows(ch07.q4, Q4)
    + _rows(ch08.q2, CH08_Q2)
    + _rows(ch08.q4, CH08_Q4)
    + _rows(ch09.q1, CH09_Q1)
    + _rows(ch09.q2, CH09_Q2)
    + _rows(ch09.q3, CH09_Q3),
)
def test_function_answer(exercise, answer, expected):
    verdict(exercise, answer, expected)


@pytest.mark.parametrize(
    "exercise, answer, expected",
    [pytest.param(e, a, x, id=f"{e.id}: {a!r}") for e, a, x in QUESTIONS],
)
def test_question_answer(exercise, answer, expected):
    verdict(exercise, answer, expected)


# ch08.q3, an experiment: the loss rise with layer 1 silent, in nats -------------------
@functools.cache
def losses(layer=1, heads=None):
    """A learner's run of the experiment: (normal, silent) mean losses in nats."""
    model = questions.shipped_model()
    win = questions.validation_windows()[::6][:128]  # (128, 65)
    attn = model.heads()[layer]
    with torch.no_grad():
        normal = char_losses(model, win).mean().item()
        with ablate_heads(attn, list(heads or range(attn.num_heads))):
            return normal, char_losses(model, win).mean().item()


CH08_Q3 = [
    ("silent - normal", lambda: losses()[1] - losses()[0], "correct"),
    ("in bits", lambda: (losses()[1] - losses()[0]) / math.log(2), "bits"),
    ("layer 0", lambda: losses(0)[1] - losses(0)[0], "layer_zero"),
    ("normal - silent", lambda: losses()[0] - losses()[1], "sign_flipped"),
    ("the silent loss", lambda: losses()[1], "silent_loss"),
    ("silent / normal", lambda: losses()[1] / losses()[0], "ratio"),
    ("head 0 only", lambda: losses(1, (0,))[1] - losses(1, (0,))[0], "one_head"),
    ("a string", lambda: "0.4 nats", Says("Answer with a number")),
]


@pytest.mark.parametrize(
    "measure, expected", [pytest.param(a, x, id=f"ch08.q3: {t}") for t, a, x in CH08_Q3]
)
def test_experiment_answer(measure, expected):
    verdict(ch08.q3, measure(), expected)
