"""Chapter 8's "write this function" exercises: q2 the previous-character share,
q4 the share on any role's targets."""

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


def _dtypes(device):
    """The dtypes of the three cases: float32 twice, then the widest the device has."""
    return [torch.float32, torch.float32, I.wide_dtype(device)]


def _cases(gen, device):
    cases = []
    for shape, dt in zip([(3, 6, 6), (2, 4, 7, 7), (2, 2, 5, 5)], _dtypes(device),
                         strict=True):  # fmt: skip
        sizes = {"H": shape[-3], "L": shape[-1]} | (
            {"B": shape[0]} if len(shape) == 4 else {}
        )
        cases.append(I.Case((_causal(gen, shape, device, dt),), sizes=sizes))
    meta = _causal(gen, (2, 4, 7, 7), "meta", torch.float32)  # last: shapes only
    note = "on device 'meta': does your code follow the inputs' device?"
    return [*cases, I.Case((meta,), sizes={"B": 2, "H": 4, "L": 7}, note=note)]


def _wrong(offset=-1, all_queries=False, summed=False):
    def wrong(weights):
        diag = torch.diagonal(weights, offset=offset, dim1=-2, dim2=-1)  # (..., H, n)
        if all_queries or summed:
            return diag.sum(-1) / (weights.shape[-2] if all_queries else 1)
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
        mistake(
            "next_diagonal",
            _wrong(offset=1),
            message="That is the weight on key i + 1, the next position (offset=+1): "
            "in causal weights it is always 0. The previous character is key i - 1, "
            "the diagonal below the main one: offset=-1.",
        ),
        mistake(
            "summed_not_averaged",
            _wrong(summed=True),
            message="You added the L - 1 weights up. The score is their mean: "
            "divide by L - 1 (or use .mean(-1)).",
        ),
    ],
)


def role_share(weights, targets):
    """Each head's mean attention share on a role's targets.

    weights: (B, H, L, S) attention weights of one layer; targets: bool
    (B, L, S), True where query i of sequence b should look at key j. Returns
    (H,): for every query that has at least one target, the total weight the
    head puts on its targets, averaged over those queries (of all sequences).
    """
    share = (weights * targets[:, None].to(weights.dtype)).sum(-1)  # (B, H, L)
    has = targets.any(-1)  # (B, L): the queries the role concerns
    return share.transpose(0, 1)[:, has].mean(-1)  # (H,)


def _role_cases(gen, device):
    cases = []
    for (B, H, L), dt in zip([(2, 3, 6), (1, 4, 9), (3, 2, 5)], _dtypes(device),
                             strict=True):  # fmt: skip
        weights = _causal(gen, (B, H, L, L), device, dt)  # (B, H, L, L)
        allowed = torch.ones(L, L, dtype=torch.bool, device=device).tril()  # (L, L)
        coin = I.randn(gen, (B, L, L), device, torch.float32)  # (B, L, L)
        targets = (coin > 0.6) & allowed  # (B, L, L): some queries get no target
        targets[:, -1] = False  # at least one query per sequence without one
        targets[:, 1, 0] = True  # and at least one with one
        if B > 2:  # sequences with different numbers of concerned queries
            targets[0, 1 : L - 1, 0], targets[-1, 2:] = True, False
        if int(targets.sum()) == B * L:  # as many targets as queries: tell them apart
            targets[0, 1, 1] = ~targets[0, 1, 1]
        cases.append(I.Case((weights, targets), sizes={"B": B, "H": H, "L": L}))
    return cases


def _every_query(weights, targets):
    share = (weights * targets[:, None].to(weights.dtype)).sum(-1)  # (B, H, L)
    return share.mean(dim=(0, 2))  # (H,)


def _per_target(weights, targets):
    t = targets[:, None].to(weights.dtype)  # (B, 1, L, S)
    share = (weights * t).sum(-1) / t.sum(-1).clamp(min=1)  # (B, H, L)
    return share.transpose(0, 1)[:, targets.any(-1)].mean(-1)  # (H,)


def _keys_looking_back(weights, targets):
    return role_share(weights.transpose(-2, -1), targets)


def _mean_over_keys(weights, targets):
    share = (weights * targets[:, None].to(weights.dtype)).mean(-1)  # (B, H, L)
    return share.transpose(0, 1)[:, targets.any(-1)].mean(-1)  # (H,)


def _mean_of_sequence_means(weights, targets):
    share = (weights * targets[:, None].to(weights.dtype)).sum(-1)  # (B, H, L)
    has = targets.any(-1)[:, None].to(weights.dtype)  # (B, 1, L)
    return ((share * has).sum(-1) / has.sum(-1)).mean(0)  # (H,)


def _divided_by_targets(weights, targets):
    t = targets[:, None].to(weights.dtype)  # (B, 1, L, S)
    return (weights * t).sum((0, 2, 3)) / t.sum()  # (H,)


q4 = Exercise(
    "ch08.q4",
    "A role's share, for any role",
    r"""
    The chapter's head $\times$ role table scores every role the same way: for
    each query that the role concerns, add up the weight the head puts on the
    role's target keys (one key for "previous", several for "bracket" or "copy"
    when a name occurs twice), then average over those queries. Write
    `role_share(weights, targets)` for one layer's weights (B, H, L, S) and a
    role's targets, a bool tensor (B, L, S) that is True where query $i$ of
    sequence $b$ should look at key $j$. Queries with no target at all are not
    concerned by the role and do not count. Return (H,).
    """,
    role_share,
    cases=_role_cases,
    hints=[
        "`(weights * targets[:, None]).sum(-1)` is each head's weight on the "
        "targets, per query: (B, H, L).",
        "`targets.any(-1)` (B, L) marks the concerned queries; index the "
        "(H, B, L) shares with it and average.",
    ],
    mistakes=[
        mistake(
            "every_query",
            _every_query,
            message="You averaged over every query, including those with no "
            "target: a query the role does not concern adds a 0 and dilutes the "
            "share. Average only where targets.any(-1) is True.",
        ),
        mistake(
            "per_target",
            _per_target,
            message="You divided each query's share by its number of targets. The "
            "share is the total weight on the targets: a head that splits its "
            "attention over two targets still looks only there (share 1).",
        ),
        mistake(
            "keys_looking_back",
            _keys_looking_back,
            message="You read the weights transposed, key by query: weights[b, h, "
            "i, j] is how much query i looks at key j, so sum over the last axis.",
        ),
        mistake(
            "mean_over_keys",
            _mean_over_keys,
            message="You averaged each query's weights on its targets over all S "
            "keys. A query's share is the *sum* of its weights on its targets "
            "(.sum(-1)); only the queries are averaged.",
        ),
        mistake(
            "mean_of_sequence_means",
            _mean_of_sequence_means,
            message="You averaged each sequence's queries, then the sequences. The "
            "share is one mean over all the concerned queries of all sequences: a "
            "sequence with more of them weighs more.",
        ),
        mistake(
            "divided_by_targets",
            _divided_by_targets,
            message="You divided the total weight on targets by the number of "
            "targets. Average over the concerned queries instead (those where "
            "targets.any(-1)): a query with two targets is one query.",
        ),
    ],
)
