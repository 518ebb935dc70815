"""Chapter 6's "write this function" exercises on masks: q1, q2, q3, q4.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`; q5 and q6 (masks inside attention and a block) in :mod:`.blocks`.
"""

from __future__ import annotations

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from ..core.mistakes import mistake
from .cases import (
    _POLARITY,
    Q3_MISTAKES,
    Q4_MISTAKES,
    _attn_mask_cases,
    _length_cases,
)


def _ones(L, S, device):
    """An all-True (L, S) bool mask (S defaults to L), for the mistakes below."""
    return torch.ones(L, S or L, dtype=torch.bool, device=device)


# q1 -----------------------------------------------------------------------------------
def causal_mask(L, S=None, device=None):
    """Bool (L, S) causal mask, True = may attend: query i sees keys 0..i.

    S defaults to L.
    """
    S = L if S is None else S
    ones = torch.ones(L, S, dtype=torch.bool, device=device)  # (L, S)
    return ones.tril()  # (L, S): the lower triangle, diagonal included


q1 = Exercise(
    "ch06.q1",
    "A causal mask",
    r"""
    A decoder must not look ahead: query $i$ may attend to keys $0, \dots, i$ only.
    Write
    `causal_mask(L, S=None, device=None)` returning a bool (L, S) mask (S defaults to
    L) on `device`, True = may
    attend, aligned to the top-left corner like
    `F.scaled_dot_product_attention(..., is_causal=True)`: entry
    [i, j] is True exactly when $j \le i$, also when $L \ne S$.
    """,
    causal_mask,
    cases=lambda gen, device: [
        I.Case(a, {"device": d}, {"L": a[0], "S": a[-1]}, note)
        for a, d, note in (
            ((5,), device, ""),
            ((5, 7), device, ""),
            ((7, 5), device, ""),
            ((6, 4), torch.device("meta"), "device='meta': is device= honoured?"),
        )
    ],
    hints=[
        "Start from `torch.ones(L, S, dtype=torch.bool, device=device)`.",
        "`.tril()` keeps the lower triangle, diagonal included.",
    ],
    mistakes=[
        mistake(
            "mask_polarity",
            lambda L, S=None, device=None: ~causal_mask(L, S, device),
            message=_POLARITY,
        ),
        mistake(
            "no_diagonal",
            lambda L, S=None, device=None: causal_mask(L, S, device).tril(-1),
            message="Query i may attend to itself: keep the diagonal (tril(), not "
            "tril(-1)).",
        ),
        mistake(
            "bottom_right",
            lambda L, S=None, device=None: _ones(L, S, device).tril((S or L) - L),
            message="Your diagonal is aligned to the bottom-right corner. Here it is "
            "top-left aligned, as "
            "with is_causal=True: entry [i, j] is True when j <= i, whatever L and S "
            "are.",
        ),
        mistake(
            "next_token_visible",
            lambda L, S=None, device=None: _ones(L, S, device).tril(1),
            message="`tril(1)` keeps one diagonal too many: query i also sees key "
            "i + 1, the next token. Keep the main diagonal and below: `tril()` "
            "(diagonal=0).",
        ),
        mistake(
            "future_keys",
            lambda L, S=None, device=None: _ones(L, S, device).triu(),
            message="Your mask lets query i see keys i, i+1, ...: the *future*. "
            "`triu()` keeps the upper triangle; a causal mask is the lower one, "
            "`tril()` (entry [i, j] True when j <= i).",
        ),
        mistake(
            "square_mask",
            lambda L, S=None, device=None: causal_mask(L, L, device),
            message="Your mask is (L, L) whatever S is. Give it S columns, one per "
            "key: `torch.ones(L, S, ...)` with `S = L if S is None else S`.",
        ),
        mistake(
            "additive_mask",
            lambda L, S=None, device=None: torch.zeros(
                L, S or L, device=device
            ).masked_fill(~causal_mask(L, S, device), float("-inf")),
            message="That is an additive float mask (0 where allowed, -inf where "
            "blocked), the form a float attn_mask takes. Here a mask is bool, True "
            "= may attend: return the bool tensor itself (`.tril()` of a bool tensor, "
            "or a comparison of positions).",
        ),
    ],
)


# q2 -----------------------------------------------------------------------------------
def padding_mask(lengths, S):
    """Bool (B, 1, 1, S) mask from sequence lengths, True at the real tokens.

    lengths: (B,) int64; row b is True at its first lengths[b] positions.
    The two size-1 dims broadcast over heads and queries.
    """
    positions = torch.arange(S, device=lengths.device)  # (S,)
    real = positions < lengths[:, None]  # (B, S): True at real tokens
    return real[:, None, None, :]  # (B, 1, 1, S)


q2 = Exercise(
    "ch06.q2",
    "A padding mask from lengths",
    r"""
    Sequences in a batch have different lengths and are padded to a common length S.
    Write
    `padding_mask(lengths, S)` for an int64 tensor `lengths` of shape (B,): return a
    bool mask of shape
    (B, 1, 1, S), True at the real tokens (positions $< \text{lengths}[b]$) and False
    at the padding, on the
    device of `lengths`. The two size-1 dims let it broadcast against scores of shape
    (B, H, L, S).
    """,
    padding_mask,
    cases=_length_cases,
    hints=[
        "Compare positions `torch.arange(S, device=lengths.device)` with "
        "`lengths[:, None]`: broadcasting "
        "gives (B, S).",
        "Add the two size-1 dims with `[:, None, None, :]`.",
    ],
    mistakes=[
        mistake(
            "mask_polarity",
            lambda lengths, S: ~padding_mask(lengths, S),
            message=_POLARITY,
        ),
        mistake(
            "off_by_one",
            lambda lengths, S: padding_mask(lengths + 1, S + 1)[..., :S],
            message="Off by one: a sequence of length n has real tokens at positions "
            "0..n-1, so use "
            "positions < length, not <=.",
        ),
        mistake(
            "one_short",
            lambda lengths, S: padding_mask(lengths - 1, S),
            message="Off by one the other way: positions < length - 1 hides the "
            "last real token. A sequence of length n has real tokens at positions "
            "0, ..., n - 1: use positions < length.",
        ),
        mistake(
            "queries_not_keys",
            detect=lambda got, exp, case: (
                getattr(got, "shape", None) == (exp.shape[0], 1, exp.shape[-1], 1)
            ),
            message="Your mask is (B, 1, S, 1): its size-S dim stands where the "
            "*queries* go, so it would hide padded queries, not padded keys (and it "
            "cannot broadcast against (B, H, L, S) scores when L != S). Padding "
            "hides keys: put S last, `real[:, None, None, :]`.",
        ),
        mistake(
            "no_singleton_dims",
            detect=lambda got, exp, case: (
                got.shape != exp.shape
                and torch.equal(got.reshape(exp.shape).to(exp.device), exp)
            ),
            message="Return shape (B, 1, 1, S), so that the mask broadcasts over heads "
            "and queries: add "
            "the dims with [:, None, None, :].",
        ),
        mistake(
            "left_padding",
            lambda lengths, S: (
                torch.arange(S, device=lengths.device) >= S - lengths[:, None]
            )[:, None, None, :],
            message="Your real tokens are at the *end* of each row (padding on the "
            "left). Here sequences are padded on the right: row b is True at "
            "positions 0, ..., lengths[b] - 1.",
        ),
    ],
)


# q3 -----------------------------------------------------------------------------------
def to_key_padding_mask(mask):
    """Our (B, 1, 1, S) padding mask -> nn.MultiheadAttention's key_padding_mask.

    Ours is True at real tokens; the result, (B, S), is True at padding.
    """
    return ~mask[:, 0, 0, :]  # (B, S)


q3 = Exercise(
    "ch06.q3",
    "Talking to nn.MultiheadAttention: key_padding_mask",
    r"""
    `nn.MultiheadAttention` takes padding as `key_padding_mask`, a bool (B, S) tensor
    that is True at the
    **padding**: the opposite polarity of ours. Write `to_key_padding_mask(mask)`,
    which converts one of our
    (B, 1, 1, S) padding masks (True = real token) into that form.
    """,
    to_key_padding_mask,
    cases=lambda gen, device: [
        I.Case((padding_mask(*c.args),), sizes=c.sizes)
        for c in _length_cases(gen, device)
    ],
    hints=[
        "Drop the two size-1 dims: `mask[:, 0, 0, :]`.",
        "Flip the polarity with `~`.",
    ],
    mistakes=Q3_MISTAKES,
)


# q4 -----------------------------------------------------------------------------------
def to_attn_mask(mask, num_heads):
    """Our (B, L, S) mask -> nn.MultiheadAttention's 3-D attn_mask.

    Ours is True = may attend. Returns (B*H, L, S), True = blocked, where
    row b*H + h belongs to sequence b and head h.
    """
    # Each sequence's mask H times in a row: b0, b0, b0, b1, b1, b1, ...
    return (~mask).repeat_interleave(num_heads, dim=0)  # (B*H, L, S)


q4 = Exercise(
    "ch06.q4",
    "Talking to nn.MultiheadAttention: a 3-D attn_mask",
    r"""
    For a different mask per sequence, `nn.MultiheadAttention` takes a 3-D `attn_mask`
    of shape (B*H, L, S),
    True = **blocked**, in which row `b*H + h` is for sequence b and head h. Write
    `to_attn_mask(mask, num_heads)`
    that turns our (B, L, S) mask (True = may attend) into that form, with the same
    mask for every head of a
    sequence. You can test it: `nn.MultiheadAttention(D, H, batch_first=True)` with
    your `attn_mask` must
    agree with `mhacourse.MultiHeadAttention.from_torch` of it, given `mask[:, None]`.
    """,
    to_attn_mask,
    cases=_attn_mask_cases,
    hints=[
        "Flip the polarity with `~`.",
        "Row b*H + h must hold sequence b's mask: each sequence repeated H times *in "
        "place* "
        "(b0, b0, b0, b1, b1, b1), which is what `repeat_interleave(num_heads, dim=0)` "
        "does.",
    ],
    mistakes=Q4_MISTAKES,
)
