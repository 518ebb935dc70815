"""The inputs and catalogued mistakes of chapter 2's q5, masking the scores.

Kept apart from :mod:`.cases` (the other function exercises) so that each module
stays short; nothing here is shown to the reader as code.
"""

from __future__ import annotations

import torch

from ..core import inputs as I
from ..core.mistakes import mistake
from .cases import META, SIZES


def _mask_cases(gen, device):
    return [
        I.Case(
            (I.randn(gen, (5, 7), device), I.rand_mask(gen, (5, 7), device)),
            sizes=SIZES,
        ),
        I.Case(
            (I.randn(gen, (2, 3, 5, 7), device), I.rand_mask(gen, (5, 7), device)),
            sizes=SIZES,
        ),
        I.Case(
            (
                I.randn(gen, (2, 5, 7), device, I.wide_dtype(device)),
                I.rand_mask(gen, (2, 1, 7), device),
            ),
            sizes=SIZES,
        ),
        I.Case(  # last: on meta only shapes, dtype and device are compared
            (I.randn(gen, (2, 5, 7), "meta"), I.rand_mask(gen, (5, 7), "meta")),
            sizes=SIZES,
            note=META,
        ),
    ]


def _finite_fill(got, expected, case):
    blocked = torch.isinf(expected)
    return bool(
        blocked.any()
        and (got[blocked] < -1e3).all()
        and torch.isfinite(got[blocked]).all()
        and torch.equal(got[~blocked], expected[~blocked])
    )


Q5_MISTAKES = [
    mistake("mask_polarity", lambda s, m: s.masked_fill(m, float("-inf"))),
    mistake(
        "zero_fill",
        lambda s, m: s * m,
        message="The blocked scores became 0 (from scores * mask or a "
        "fill with 0). After a softmax a score of 0 still gets weight e^0 > 0: "
        "fill with -inf.",
    ),
    mistake(
        "inf_times_zero",
        lambda s, m: s + (~m).to(s.dtype) * float("-inf"),
        message="NaN at allowed "
        "positions: 0 * (-inf) is NaN, so adding `(~mask) * -inf` poisons the "
        "allowed scores. "
        "Use masked_fill.",
    ),
    mistake(
        "plus_inf",
        lambda s, m: s.masked_fill(~m, float("inf")),
        message="You filled with +inf. A blocked score must be -inf "
        "(float('-inf')): exp(-inf) = 0 gives the key no weight, while +inf would "
        "take it all.",
    ),
    mistake(
        "softmax_applied",
        lambda s, m: torch.softmax(s.masked_fill(~m, float("-inf")), -1),
        message="You returned the weights after a softmax. This function only "
        "masks: return the scores with -inf where the mask is False; the softmax "
        "comes later.",
    ),
    mistake(
        "finite_fill",
        detect=_finite_fill,
        message="You filled the blocked scores with a large finite "
        "number. Use float('-inf') here: the blocked keys then get exactly 0 "
        "weight, and a query with "
        "no allowed key stays easy to detect.",
    ),
]
