"""The inputs (cases) and catalogued mistakes of ch07.q4, tiled attention.

The statement, hints and reference are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mistake
from .cases import SIZES

__all__ = ["Q4_MISTAKES", "_full_scores", "_tiled_cases"]


def _far_below_zero(gen, device):
    """(q, k, v), float32, whose every score is below -100: exp(score) is 0."""
    q, k, v = I.qkv(gen, (2,), device)
    q = -(60.0 + 10.0 * q.abs())  # (2, L, E), every entry <= -60
    k = 1.0 + k.abs()  # (2, S, E), every entry >= 1: q . k / 2 <= -120
    return q, k, v


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
        I.Case(
            _far_below_zero(gen, device),
            {"block_size": 3},
            SIZES,
            "every score is below -100, so exp(score) is 0 in float32",
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


def _factor(scale, q, v):
    """The scores' factor: right (1/sqrt(E)) or one of the scaling mistakes."""
    E, Ev = q.shape[-1], v.shape[-1]
    return {"sqrt": 1 / math.sqrt(E), None: 1.0, "E": 1 / E, "Ev": 1 / math.sqrt(Ev)}[
        scale
    ]


def _tiled(divide=True, drop_tail=False, scale="sqrt", rescale_acc=True, track=True,
           rescale_l=True, m0=float("-inf"), p_old_max=False):  # fmt: skip
    def wrong(q, k, v, block_size):
        S = k.shape[-2] - (k.shape[-2] % block_size if drop_tail else 0)
        m = q.new_full(q.shape[:-1], m0)  # (..., L)
        l, acc = q.new_zeros(q.shape[:-1]), q.new_zeros(*q.shape[:-1], v.shape[-1])
        for start in range(0, S, block_size):
            blk = slice(start, start + block_size)
            s = q @ k[..., blk, :].transpose(-2, -1) * _factor(scale, q, v)
            m_new = torch.maximum(m, s.amax(-1)) if track or start == 0 else m
            r = torch.exp(m - m_new)  # (..., L)
            p = torch.exp(s - (m if p_old_max else m_new)[..., None])  # (..., L, Sb)
            l = (r * l if rescale_l else l) + p.sum(-1)
            acc = (r[..., None] * acc if rescale_acc else acc) + p @ v[..., blk, :]
            m = m_new
        return acc / l[..., None] if divide else acc

    return wrong


def _blocks_averaged(q, k, v, block_size):
    """Each block's own softmax output, averaged over the blocks."""
    outs = []
    for start in range(0, k.shape[-2], block_size):
        blk = slice(start, start + block_size)
        s = q @ k[..., blk, :].transpose(-2, -1) / math.sqrt(q.shape[-1])
        p = torch.exp(s - s.amax(-1, keepdim=True))  # (..., L, Sb)
        outs.append(p / p.sum(-1, keepdim=True) @ v[..., blk, :])  # (..., L, Ev)
    return torch.stack(outs).mean(0)  # (..., L, Ev)


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
    mistake("no_scaling", _tiled(scale=None)),
    mistake("scale_by_e", _tiled(scale="E")),
    mistake("scale_by_sqrt_ev", _tiled(scale="Ev")),
    mistake(  # before no_running_max: on its case both give NaN everywhere
        "zero_initial_max",
        _tiled(m0=0.0),
        message="Your running max starts at 0 instead of -inf. When every score of "
        "a row is far below 0, m stays 0, exp(score - 0) underflows to 0 and l = 0 "
        "gives 0 / 0 = NaN. Start with m = -inf (q.new_full(..., float('-inf'))): "
        "exp(m - m_new) is then 0 on the first block.",
    ),
    mistake(  # one name: on the case that breaks them both give the same NaN
        "no_running_max",
        detect=lambda got, expected, case: any(
            _same_nan(got, wrong(*case.args, **case.kwargs))
            for wrong in (_no_max, _tiled(track=False))
        ),
        message=_RUNNING_MAX,
    ),
    mistake(  # after no_running_max: its NaN is everywhere, theirs may be too
        "p_old_max",
        _tiled(p_old_max=True),
        message="You exponentiated the block's scores relative to the old max m: on "
        "the first block m is -inf and exp(score - m) is inf. Take m_new first, "
        "then p = torch.exp(scores - m_new[..., None]).",
    ),
    mistake(
        "no_rescale_acc",
        _tiled(rescale_acc=False),
        message="When the max grows, rescale acc by exp(m_old - m_new), like l.",
    ),
    mistake(
        "no_rescale_l",
        _tiled(rescale_l=False),
        message="When the max grows, rescale l by exp(m_old - m_new), like acc: "
        "both are sums relative to the old max.",
    ),
    mistake(
        "no_rescale",
        _tiled(rescale_l=False, rescale_acc=False),
        message="When the max grows, the sums l and acc so far are relative to the "
        "old max: multiply both by exp(m_old - m_new) before adding the new block.",
    ),
    mistake(
        "blocks_averaged",
        _blocks_averaged,
        message="You normalised each block on its own and averaged the blocks' "
        "outputs. A block's softmax only sums to 1 over its own keys: keep the "
        "unnormalised sums l and acc across blocks (rescaled by exp(m_old - "
        "m_new)) and divide once, at the end.",
    ),
]
