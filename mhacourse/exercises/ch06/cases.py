"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import torch
from torch import nn

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


def _cross(shift=0, flip=False, swap=False, use_mask=True):
    def wrong(mha, x, memory, lengths):
        real = (
            torch.arange(memory.shape[1], device=memory.device)
            < lengths[:, None] + shift
        )
        mask = (~real if flip else real)[:, None, None, :] if use_mask else None
        return mha(memory, x, x)[0] if swap else mha(x, memory, memory, mask=mask)[0]

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
]


def _block_cases(gen, device):
    cases = []
    for (B, L, H, E), dt, pre in zip(
        [(2, 5, 3, 4), (2, 5, 3, 4), (3, 4, 2, 5)],
        _dtypes(device),
        (True, False, True),
        strict=False,
    ):
        D = H * E
        mods = (
            MultiHeadAttention(D, H, device="meta"),
            nn.Sequential(
                nn.Linear(D, 2 * D, device="meta"),
                nn.ReLU(),
                nn.Linear(2 * D, D, device="meta"),
            ),
            nn.LayerNorm(D, device="meta"),
            nn.LayerNorm(D, device="meta"),
        )
        mods = [I.init_module(m, gen, device, dt) for m in mods]
        cases.append(
            I.Case(
                (I.randn(gen, (B, L, D), device, dt), *mods),
                {"pre_norm": pre},
                sizes={"B": B, "L": L, "D": D},
            )
        )
    return cases


def _block(
    x,
    attn,
    ff,
    norm1,
    norm2,
    pre_norm=True,
    residual=True,
    normed_residual=False,
    second=None,
    wiring="serial",
):
    norm2 = second or norm2
    r = 1.0 if residual else 0.0
    if pre_norm and wiring != "serial":
        h = x + attn(norm1(x))[0]
        if wiring == "stale":  # the ff residual adds the block's input x
            return x + ff(norm2(h))
        return h + ff(norm2(x))  # "parallel": both sublayers read x
    if pre_norm:
        h = norm1(x)
        x = (h if normed_residual else x) * r + attn(h)[0]
        h = norm2(x)
        return (h if normed_residual else x) * r + ff(h)
    x = norm1(x * r + attn(x)[0])
    return norm2(x * r + ff(x))


Q6_MISTAKES = [
    mistake(
        "no_residual",
        lambda *a, pre_norm=True: _block(*a, pre_norm=pre_norm, residual=False),
        message="You forgot the residual connections: add each sublayer's input "
        "back to its output.",
    ),
    mistake(
        "pre_post_swapped",
        lambda *a, pre_norm=True: _block(*a, pre_norm=not pre_norm),
        message="That is the other variant. Pre-norm normalises each sublayer's "
        "input and adds the "
        "un-normalised x back: x + attn(norm1(x)). Post-norm normalises after the "
        "residual sum: "
        "norm1(x + attn(x)).",
    ),
    mistake(
        "normed_residual",
        lambda *a, pre_norm=True: _block(*a, pre_norm=pre_norm, normed_residual=True),
        message="Your residual carries the normalised x. In pre-norm only the "
        "sublayer's input is "
        "normalised: x + attn(norm1(x)), not norm1(x) + attn(norm1(x)).",
    ),
    mistake(
        "norm1_twice",
        lambda x, attn, ff, n1, n2, pre_norm=True: _block(
            x, attn, ff, n1, n2, pre_norm, second=n1
        ),
        message="Use norm2 for the feed-forward sublayer; each sublayer has its "
        "own LayerNorm.",
    ),
    mistake(
        "no_feed_forward",
        lambda x, attn, ff, n1, n2, pre_norm=True: _block(
            x, attn, lambda t: 0.0 * t, n1, n2, pre_norm
        ),
        message="Your block stops after the attention sublayer. The feed-forward "
        "sublayer follows, with its own residual and norm2: pre-norm "
        "`x + ff(norm2(x))`, post-norm `norm2(x + ff(x))`.",
    ),
    mistake(
        "stale_residual",
        lambda *a, pre_norm=True: _block(*a, pre_norm=pre_norm, wiring="stale"),
        message="The second residual adds the block's input x, not the output of "
        "the attention sublayer: `h = x + attn(norm1(x))[0]`, then return "
        "`h + ff(norm2(h))` (update x and use it in both places).",
    ),
    mistake(
        "parallel_sublayers",
        lambda *a, pre_norm=True: _block(*a, pre_norm=pre_norm, wiring="parallel"),
        message="Your feed-forward reads the block's input x, in parallel with the "
        "attention (as GPT-J does). Here the sublayers are in series: the "
        "feed-forward reads x after the attention's residual, `ff(norm2(x))` with "
        "the updated x.",
    ),
]
