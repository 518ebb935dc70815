"""The inputs (cases) and catalogued mistakes of ch06.q6, the encoder block.

The statement, hints and reference are in :mod:`.blocks`; the other exercises'
cases are in :mod:`.cases`.
"""

from __future__ import annotations

from torch import nn

from ...mha import MultiHeadAttention
from ..core import inputs as I
from ..core.mistakes import mistake
from .cases import _dtypes


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
