"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import torch

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
    mistake(
        "s_squared",
        lambda B, H, L, S, E: 4 * B * H * S * S * E,
        message="There are L * S scores (queries times keys), not S * S: here L "
        "differs from S.",
    ),
    mistake(
        "quarter",
        lambda B, H, L, S, E: B * H * L * S * E,
        message="That is a quarter of the count: one matmul with a multiply-add as "
        "one FLOP. A dot product of length E costs 2E FLOPs (E multiplies, E adds), "
        "and attention has two matmuls, q @ k^T and weights @ v.",
    ),
    mistake(
        "adds_counted_exactly",
        lambda B, H, L, S, E: 2 * (2 * E - 1) * B * H * L * S,
        message="You counted E multiplies and E - 1 adds per dot product. The "
        "statement's convention (the usual one) is 2E FLOPs per dot product of "
        "length E: count 2 * E.",
    ),
    mistake(
        "counted_softmax",
        detect=lambda got, expected, case: _softmax_added(got, expected, case.args),
        message="You added FLOPs for the softmax (or the scaling): a few per score. "
        "The statement asks for the two matmuls only, 4 * B * H * L * S * E.",
    ),
]


def _softmax_added(got, expected, sizes):
    """True if ``got`` is the count plus 1 to 10 FLOPs per score (B H L S)."""
    B, H, L, S, _ = sizes
    extra = got - expected
    scores = B * H * L * S
    return isinstance(got, int) and extra % scores == 0 and 0 < extra // scores <= 10


def _in_unit(unit):
    """The scores' size in ``unit`` bytes (2**30: GiB, 10**9: GB) instead of bytes."""
    return lambda B, H, L, S, dtype: B * H * L * S * dtype.itemsize / unit


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
        "forgot_batch",
        lambda B, H, L, S, dtype: H * L * S * dtype.itemsize,
        message="Each batch item has its own scores matrix: multiply by B.",
    ),
    mistake(
        "l_squared",
        lambda B, H, L, S, dtype: B * H * L * L * dtype.itemsize,
        message="The matrix is L x S (queries times keys), not L x L: here S "
        "differs from L.",
    ),
    mistake(
        "scores_and_weights",
        lambda B, H, L, S, dtype: 2 * B * H * L * S * dtype.itemsize,
        message="That is twice the size: the statement asks for one (B, H, L, S) "
        "matrix, not the scores and the weights together.",
    ),
    mistake(
        "gib",
        _in_unit(2**30),
        message="That is in GiB. The function returns **bytes** (an int); divide "
        "by 2**30 only to answer the statement's question about GiB.",
    ),
    mistake(
        "gb",
        _in_unit(10**9),
        message="That is in GB (10**9 bytes). The function returns **bytes** (an "
        "int); a GiB is 2**30 bytes.",
    ),
    mistake(
        "mib",
        _in_unit(2**20),
        message="That is in MiB (2**20 bytes). The function returns **bytes** (an "
        "int), without any division.",
    ),
]


def _update(rescale_l=True, rescale_acc=True, normalise=False, inverted=False,
            block_max=False, p_old_max=False, keep_m=False, whole=False):  # fmt: skip
    def wrong(m, l, acc, scores, v):
        top = scores.amax() if whole else scores.amax(-1)  # whole: one max for all
        m_new = top if block_max else torch.maximum(m, top)
        rescale = torch.exp(m_new - m) if inverted else torch.exp(m - m_new)
        p = torch.exp(scores - (m if p_old_max else m_new)[..., None])
        l_new = (rescale * l if rescale_l else l) + p.sum(-1)
        acc_new = (rescale[..., None] * acc if rescale_acc else acc) + p @ v
        acc_new = acc_new / l_new[..., None] if normalise else acc_new
        return (m if keep_m else m_new), l_new, acc_new

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
    mistake(
        "block_max_only",
        _update(block_max=True),
        message="Your m is the new block's max only. m is the running max over "
        "every block so far: m_new = torch.maximum(m, scores.amax(dim=-1)), which "
        "stays put when a block scores lower.",
    ),
    mistake(
        "max_over_whole_block",
        _update(whole=True),
        message="You took one max over the whole block, every query together. "
        "Each query keeps its own running max: scores.amax(dim=-1), shape (..., L).",
    ),
    mistake(
        "p_old_max",
        _update(p_old_max=True),
        message="You exponentiated the new scores relative to the old max m: on the "
        "first block m is -inf and exp(score - m) is inf. Take m_new first, then "
        "p = torch.exp(scores - m_new[..., None]), so l and acc are both relative "
        "to m_new.",
    ),
    mistake(
        "m_not_updated",
        _update(keep_m=True),
        message="You returned the old m. Return the new running max m_new: l and "
        "acc are now relative to it, and the next block needs it.",
    ),
]
