"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mistake

SIZES = {"B": 2, "L": 5, "S": 7, "E": 4, "Ev": 6, "Sb": 3}


_FLOP_CASES = [
    (3, 5, 4, 7, 6),
    (1, 8, 128, 256, 64),
    (4, 3, 3, 9, 5),
]  # B, H never 2: half is its own mistake


Q1_MISTAKES = [
    mistake(
        "half",
        lambda B, H, L, S, E: 2 * B * H * L * S * E,
        message="That is half the count: did you "
        "count a multiply-add as one FLOP, or only one of the two matmuls (q @ k^T "
        "and weights @ v)?",
    ),
    mistake(
        "forgot_heads",
        lambda B, H, L, S, E: 4 * B * L * S * E,
        message="Every head does its own matmuls: multiply by H.",
    ),
    mistake(
        "forgot_batch",
        lambda B, H, L, S, E: 4 * H * L * S * E,
        message="Every batch item does its own matmuls: multiply by B.",
    ),
    mistake(
        "l_squared",
        lambda B, H, L, S, E: 4 * B * H * L * L * E,
        message="There are L * S scores "
        "(queries times keys), not L * L: here S differs from L.",
    ),
]


Q2_MISTAKES = [
    mistake(
        "elements",
        lambda B, H, L, S, dtype: B * H * L * S,
        message="That is the number of elements. "
        "Multiply by the bytes per element, dtype.itemsize.",
    ),
    mistake(
        "always_4_bytes",
        lambda B, H, L, S, dtype: B * H * L * S * 4,
        message="Not every dtype takes 4 "
        "bytes: float16 takes 2, float64 takes 8. Use dtype.itemsize.",
    ),
    mistake(
        "bits",
        lambda B, H, L, S, dtype: B * H * L * S * dtype.itemsize * 8,
        message="Those are bits. A byte is 8 bits: dtype.itemsize is already in bytes.",
    ),
    mistake(
        "forgot_heads",
        lambda B, H, L, S, dtype: B * L * S * dtype.itemsize,
        message="Each head has its own scores matrix: multiply by H.",
    ),
    mistake(
        "gib",
        lambda B, H, L, S, dtype: B * H * L * S * dtype.itemsize / 2**30,
        message="That is in GiB. The function returns **bytes** (an int); divide "
        "by 2**30 only to answer the statement's question about GiB.",
    ),
    mistake(
        "gb",
        lambda B, H, L, S, dtype: B * H * L * S * dtype.itemsize / 10**9,
        message="That is in GB (10**9 bytes). The function returns **bytes** (an "
        "int); a GiB is 2**30 bytes.",
    ),
]


def _update(rescale_l=True, rescale_acc=True, normalise=False, inverted=False):
    def wrong(m, l, acc, scores, v):
        m_new = torch.maximum(m, scores.amax(dim=-1))
        rescale = torch.exp(m_new - m) if inverted else torch.exp(m - m_new)
        p = torch.exp(scores - m_new[..., None])
        l_new = (rescale * l if rescale_l else l) + p.sum(-1)
        acc_new = (rescale[..., None] * acc if rescale_acc else acc) + p @ v
        return m_new, l_new, acc_new / l_new[..., None] if normalise else acc_new

    return wrong


Q3_MISTAKES = [
    mistake(
        "no_rescale",
        _update(rescale_l=False, rescale_acc=False),
        message="When the max grows, the old "
        "sums were computed relative to the old max: multiply l and acc by "
        "exp(m_old - m_new).",
    ),
    mistake(
        "no_rescale_acc",
        _update(rescale_acc=False),
        message="You rescaled l but not acc: both hold "
        "terms relative to the old max, so multiply acc by exp(m_old - m_new) too.",
    ),
    mistake(
        "no_rescale_l",
        _update(rescale_l=False),
        message="You rescaled acc but not l: multiply l by exp(m_old - m_new) too.",
    ),
    mistake(
        "rescale_inverted",
        _update(inverted=True),
        message="The rescale factor is exp(m_old - m_new), "
        "which is at most 1 (and 0 on the first block); you used its inverse.",
    ),
    mistake(
        "normalised_acc",
        _update(normalise=True),
        message="Keep acc unnormalised: the division by l "
        "happens once, after the last block.",
    ),
]


def _tiled_cases(gen, device):
    q, k, v = I.qkv(gen, (2,), device)
    k = torch.cat([k[..., :3, :], 40.0 * k[..., 3:, :]], dim=-2)  # (2, S, E)
    return [
        I.Case(
            I.qkv(gen, (), device),
            {"block_size": 3},
            SIZES,
            "S = 7 is not a multiple of block_size",
        ),
        I.Case(I.qkv(gen, (2,), device), {"block_size": 7}, SIZES, "one block"),
        I.Case(
            I.qkv(gen, (2, 3), device, I.wide_dtype(device)), {"block_size": 2}, SIZES
        ),
        I.Case(
            (30.0 * q, 30.0 * k, v),
            {"block_size": 3},
            SIZES,
            "large scores, and the later blocks' keys are 40 times longer than the "
            "first block's",
        ),
        I.Case(  # last: on meta only shapes, dtype and device are compared
            I.qkv(gen, (2,), "meta"),
            {"block_size": 3},
            SIZES,
            "on device 'meta': does your code follow the inputs' device?",
        ),
    ]


def _full_scores(case):
    """The (L, S) shape no tensor may have, when there is more than one block."""
    L, S = case.args[0].shape[-2], case.args[1].shape[-2]
    return (L, S) if case.kwargs["block_size"] < S else None


def _tiled(divide=True, drop_tail=False, scale=True, rescale_acc=True, track=True):
    def wrong(q, k, v, block_size):
        S = k.shape[-2] - (k.shape[-2] % block_size if drop_tail else 0)
        m = torch.full(q.shape[:-1], float("-inf"), dtype=q.dtype, device=q.device)
        l, acc = (
            torch.zeros_like(m),
            torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype, device=q.device),
        )
        for start in range(0, S, block_size):
            s = (
                q
                @ k[..., start : start + block_size, :].transpose(-2, -1)
                / (math.sqrt(q.shape[-1]) if scale else 1)
            )
            m_new = torch.maximum(m, s.amax(-1)) if track or start == 0 else m
            r, p = torch.exp(m - m_new), torch.exp(s - m_new[..., None])
            l = r * l + p.sum(-1)
            acc = (r[..., None] * acc if rescale_acc else acc) + p @ v[
                ..., start : start + block_size, :
            ]
            m = m_new
        return acc / l[..., None] if divide else acc

    return wrong


_RUNNING_MAX = (
    "exp overflowed: your max does not keep up with the scores. Without a running "
    "max, or with the first block's max kept for every block, exp(score - m) is inf "
    "(exp(89) already is, in float32) once a later block scores far above m, and "
    "inf / inf is NaN. At every block take m_new = torch.maximum(m, "
    "scores.amax(dim=-1)), subtract it before exp, and rescale l and acc by "
    "exp(m - m_new)."
)


def _no_max(q, k, v, block_size):
    """Tiled attention that exponentiates the raw scores (no running max)."""
    l = q.new_zeros(q.shape[:-1])  # (..., L)
    acc = q.new_zeros(*q.shape[:-1], v.shape[-1])  # (..., L, Ev)
    for start in range(0, k.shape[-2], block_size):
        s = q @ k[..., start : start + block_size, :].transpose(-2, -1)  # (..., L, Sb)
        p = torch.exp(s / math.sqrt(q.shape[-1]))  # (..., L, Sb)
        l = l + p.sum(-1)
        acc = acc + p @ v[..., start : start + block_size, :]  # (..., L, Ev)
    return acc / l[..., None]  # (..., L, Ev)


def _same_nan(got, wrong):
    """True if ``wrong`` overflowed (NaN) and ``got`` has NaN in the same places."""
    bad = torch.isnan(wrong)
    return bool(bad.any()) and torch.equal(torch.isnan(got), bad)


Q4_MISTAKES = [
    mistake(
        "no_final_division",
        _tiled(divide=False),
        message="You returned acc. Divide by the running sum "
        "l at the end: out = acc / l[..., None].",
    ),
    mistake(
        "dropped_last_block",
        _tiled(drop_tail=True),
        message="You skipped the last, shorter block. When "
        "S is not a multiple of block_size, range(0, S, block_size) with slicing "
        "covers it.",
    ),
    mistake("no_scaling", _tiled(scale=False)),
    mistake(  # one name: on the case that breaks them both give the same NaN
        "no_running_max",
        detect=lambda got, expected, case: any(
            _same_nan(got, wrong(*case.args, **case.kwargs))
            for wrong in (_no_max, _tiled(track=False))
        ),
        message=_RUNNING_MAX,
    ),
    mistake(
        "no_rescale_acc",
        _tiled(rescale_acc=False),
        message="When the max grows, rescale acc by exp(m_old - m_new), like l.",
    ),
]
