"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import torch

from ...mha import MultiHeadAttention
from ..core import inputs as I
from ..core.mistakes import mistake

_POLARITY = (
    "Your mask is True where attention is *blocked*. In this course True means 'may "
    "attend' (like "
    "F.scaled_dot_product_attention); nn.MultiheadAttention is the one that uses True "
    "= blocked."
)


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


#: The note of a case whose inputs are on the ``meta`` device.
META = "on device 'meta': does your code follow the inputs' device?"


def _length_cases(gen, device):
    cases = [
        I.Case((I.lengths(gen, B, S, device), S), sizes={"B": B, "S": S})
        for B, S in ((3, 7), (2, 5), (4, 6), (1, 5))  # B = 1: squeeze() drops B
    ]
    B, S = 3, 6  # last: only shapes, dtype and device are compared on meta
    meta = I.lengths(gen, B, S, "meta")
    return [*cases, I.Case((meta, S), sizes={"B": B, "S": S}, note=META)]


Q3_MISTAKES = [
    mistake(
        "not_flipped",
        lambda mask: mask[:, 0, 0, :],
        message="You kept our polarity. "
        "nn.MultiheadAttention's key_padding_mask is True at the *padding*: flip "
        "it with ~.",
    ),
    mistake(
        "squeezed_batch",
        lambda mask: ~mask.squeeze(),
        message="`squeeze()` drops every size-1 dim, the batch dim too when B = 1: "
        "the result is (S,), not (B, S). Drop only the two middle dims: "
        "`mask[:, 0, 0, :]`.",
    ),
    mistake(
        "kept_singleton_dims",
        lambda mask: ~mask,
        message="key_padding_mask is (B, S): drop our two size-1 dims with "
        "`mask[:, 0, 0, :]` (not `squeeze()`, which drops B too when B = 1).",
    ),
]


def _attn_mask_cases(gen, device):
    return [
        I.Case(
            (I.rand_mask(gen, (B, L, S), device), H),
            sizes={"B": B, "L": L, "S": S, "H": H},
        )
        for B, L, S, H in ((2, 5, 7, 3), (3, 4, 6, 2), (2, 5, 6, 4))
    ]


Q4_MISTAKES = [
    mistake("repeat_not_interleave", lambda mask, H: (~mask).repeat(H, 1, 1)),
    mistake(
        "not_flipped",
        lambda mask, H: mask.repeat_interleave(H, dim=0),
        message="You kept our polarity. "
        "nn.MultiheadAttention's bool attn_mask is True where attention is "
        "*blocked*: flip it with ~.",
    ),
    mistake(
        "not_flattened",
        lambda mask, H: (~mask)[:, None].expand(-1, H, -1, -1),
        message="nn.MultiheadAttention wants a 3-D mask: flatten (B, H) into B*H rows.",
    ),
    mistake(
        "repeat_not_flipped",
        lambda mask, H: mask.repeat(H, 1, 1),
        message="Two things: the polarity is still ours (flip it with ~, since "
        "attn_mask is True = blocked), and `repeat` tiles the batch (b0, b1, b0, "
        "b1, ...) where row b*H + h needs each sequence H times in place: "
        "`(~mask).repeat_interleave(num_heads, dim=0)`.",
    ),
    mistake(
        "not_repeated",
        lambda mask, H: ~mask,
        message="Your mask has B rows; attn_mask has one per sequence *and head*, "
        "B*H: give each sequence's mask to its H heads with "
        "`repeat_interleave(num_heads, dim=0)`.",
    ),
]


def _cross_cases(gen, device):
    cases = []
    for (B, L, S, H, E), dt, on in zip(
        [(2, 5, 7, 3, 4), (3, 4, 6, 2, 5), (2, 6, 4, 3, 3), (2, 3, 5, 2, 4)],
        [*_dtypes(device), torch.float32],
        (device, device, device, torch.device("meta")),  # meta last: shapes only
        strict=False,
    ):
        device = on
        mha = I.init_module(
            MultiHeadAttention(H * E, H, device="meta"), gen, device, dt
        )
        x, memory = (
            I.randn(gen, (B, L, H * E), device, dt),
            I.randn(gen, (B, S, H * E), device, dt),
        )
        lengths = I.lengths(
            gen, B, S, device, min_pad=2
        )  # so that off-by-one still leaves padding
        cases.append(
            I.Case(
                (mha, x, memory, lengths),
                sizes={"B": B, "L": L, "S": S, "D": H * E},
                note=META * (on.type == "meta"),
            )
        )
    return cases


def _cross(shift=0, flip=False, swap=False, use_mask=True, causal=False):
    def wrong(mha, x, memory, lengths):
        real = (
            torch.arange(memory.shape[1], device=memory.device)
            < lengths[:, None] + shift
        )
        mask = (~real if flip else real)[:, None, None, :] if use_mask else None
        if swap:
            return mha(memory, x, x)[0]
        return mha(x, memory, memory, mask=mask, is_causal=causal)[0]

    return wrong


Q5_MISTAKES = [
    mistake(
        "queries_swapped",
        _cross(swap=True),
        message="The queries come from the decoder (x) and the "
        "keys and values from the memory: mha(x, memory, memory, ...).",
    ),
    mistake(
        "no_padding_mask",
        _cross(use_mask=False),
        message="Your queries attend to the memory's padding "
        "too: pass a mask built from memory_lengths.",
    ),
    mistake("mask_polarity", _cross(flip=True), message=_POLARITY),
    mistake(
        "off_by_one",
        _cross(shift=1),
        message="Off by one: the real tokens are at positions < length.",
    ),
    mistake(
        "causal_cross",
        _cross(causal=True),
        message="Cross-attention needs no causal mask: the memory (the encoded "
        "source) is known in full, so each decoder token may see every real memory "
        "token, later positions included. Drop `is_causal` (or the causal mask) "
        "and keep only the padding mask.",
    ),
]
