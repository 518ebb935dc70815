"""Chapter 8's "write this function" exercise: q2, the previous-character share."""

from __future__ import annotations

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from ..core.mistakes import mistake


def previous_share(weights):
    """Mean weight each head puts on the previous position.

    weights: (..., H, L, S) causal attention weights with S = L. Returns
    (..., H): the weight of query i on key i - 1, averaged over the queries
    i = 1 .. L - 1 (query 0 has no previous position).
    """
    prev = torch.diagonal(weights, offset=-1, dim1=-2, dim2=-1)  # (..., H, L - 1)
    return prev.mean(dim=-1)  # (..., H)


def _causal(gen, shape, device, dtype):
    scores = I.randn(gen, shape, device, dtype, 2.0)  # (..., H, L, L)
    L = shape[-1]
    allowed = torch.ones(L, L, dtype=torch.bool, device=device).tril()  # (L, L)
    return torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)


def _cases(gen, device):
    cases = []
    for shape, dt in zip(
        [(3, 6, 6), (2, 4, 7, 7), (2, 2, 5, 5)],
        [torch.float32, torch.float32, I.wide_dtype(device)],
        strict=True,
    ):
        sizes = {"H": shape[-3], "L": shape[-1]} | (
            {"B": shape[0]} if len(shape) == 4 else {}
        )
        cases.append(I.Case((_causal(gen, shape, device, dt),), sizes=sizes))
    return cases


def _wrong(offset=-1, all_queries=False):
    def wrong(weights):
        diag = torch.diagonal(weights, offset=offset, dim1=-2, dim2=-1)  # (..., H, n)
        if all_queries:
            return diag.sum(-1) / weights.shape[-2]
        return diag.mean(-1)

    return wrong


q2 = Exercise(
    "ch08.q2",
    "The previous-character score of every head",
    r"""
    The chapter's role "previous" scores a head by the weight that each query $i$
    puts on key $i - 1$, averaged over the queries that have a previous position.
    Write `previous_share(weights)` for causal attention weights of shape
    (..., H, L, L) (from any model: one layer's (B, H, L, L), or a single
    sequence's (H, L, L)); return (..., H), each head's mean weight on the
    previous position over the queries $i = 1, \dots, L - 1$.
    """,
    previous_share,
    cases=_cases,
    hints=[
        "Entry [..., i, i - 1] lies on the diagonal just below the main one: "
        "`torch.diagonal(weights, offset=-1, dim1=-2, dim2=-1)` gives (..., H, L - 1).",
        "Average over those L - 1 queries; query 0 has no previous position.",
    ],
    mistakes=[
        mistake(
            "self_diagonal",
            _wrong(offset=0),
            message="That is the weight on the query's own position (the main "
            "diagonal, offset 0). The previous character is key i - 1: offset=-1.",
        ),
        mistake(
            "query_zero_counted",
            _wrong(all_queries=True),
            message="You divided by all L queries, counting query 0, which has no "
            "previous position: average over the L - 1 queries that have one.",
        ),
    ],
)
