"""Chapter 4: the multi-head split as blocks coloured by head, and the reshape bug.

The cells are the real elements of a (B, L, D) tensor moved by the package's own
``split_heads`` / ``merge_heads``: each cell is coloured by the head its feature
belongs to (feature // E) and shows the token it came from, so a wrong reshape
shows up as mixed colours inside one head.
"""

from __future__ import annotations

import torch

from ..heads import merge_heads, split_heads
from ._canvas import ACCENT, INK, MUTED, arrow, box, canvas, head_colour, text

__all__ = ["multihead_split"]

GAP = 0.5  # between the heads' column groups
CARD = 0.8  # between separate head blocks


def _cell(ax, x, y, value, L, D, E, stage, mixed=False):
    token, head = (value // D) % L, (value % D) // E
    fill = "#e4e4e4" if mixed else head_colour(head)
    box(ax, x, y, 1, 1, fill=fill, gid=f"{stage}:h{head}:t{token}", lw=0.6)
    text(ax, x + 0.5, y + 0.5, str(token), size=10)


def _grid(ax, y, values, L, D, E, stage, groups, mixed=False):
    """An (L, D) grid of cells whose columns are split into ``groups`` blocks."""
    width = D // groups
    for i in range(L):
        for j in range(D):
            x = 1.0 + j + (j // width) * GAP
            _cell(ax, x, y + i, int(values[i, j]), L, D, E, stage, mixed)


def _cards(ax, y, blocks, L, D, E, stage):
    """H blocks of (L, E) cells side by side, each framed and titled with its head."""
    for h, block in enumerate(blocks):
        x = 1.0 + h * (E + CARD)
        box(
            ax,
            x - 0.15,
            y - 0.15,
            E + 0.3,
            L + 0.3,
            fill="none",
            gid=f"block:{stage}:{h}",
            lw=1.6,
        )
        text(ax, x + E / 2, y - 0.75, f"head {h}", size=10)
        for i in range(L):
            for e in range(E):
                _cell(ax, x + e, y + i, int(block[i, e]), L, D, E, stage)


def _shadow(ax, y, width, height, B):
    for b in range(min(B, 3) - 1, 0, -1):
        box(ax, 1.0 + 0.3 * b, y - 0.3 * b, width, height, fill="#f4f4f4", lw=0.6)


def _stage(ax, y, shape, names, B):
    text(
        ax,
        0.2,
        y,
        f"{list(shape)}",
        ha="left",
        weight="bold",
        gid="shape:" + ",".join(map(str, shape)),
    )
    text(
        ax, 0.2 + 0.62 * len(str(list(shape))), y, f"({names})", ha="left", colour=MUTED
    )


def _step(ax, y, label, colour=MUTED):
    arrow(ax, (2.0, y), (2.0, y + 1.6), colour=colour)
    text(ax, 2.8, y + 0.8, label, ha="left", colour=colour)


def _check(B, L, D, H):
    """Reject non-positive sizes and a D that H does not divide."""
    for name, val in (("B", B), ("L", L), ("D", D), ("H", H)):
        if not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    if D % H:
        raise ValueError(f"D={D} is not divisible by H={H}")


def _input(ax, x, wide, B, L, D, E):
    """The (B, L, D) input with its legend; returns the height below it."""
    y = 0.6
    _stage(ax, y, (B, L, D), "B, L, D", B)
    text(
        ax,
        wide - 0.2,
        y,
        "colour: head of the feature   number: token",
        ha="right",
        colour=MUTED,
    )
    _shadow(ax, y + 0.8, D, L, B)
    _grid(ax, y + 0.8, x[0], L, D, E, "input", 1)
    return y + L + 1.0


def _bug(ax, y, x, B, H, L, D, E):
    """The reshape without transpose: heads that mix tokens."""
    _step(ax, y, f".reshape({B}, {H}, {L}, {E})  without transpose: wrong", ACCENT)
    y += 2.6
    _stage(ax, y, (B, H, L, E), "B, H, L, E", B)
    _cards(ax, y + 1.6, x[0].reshape(H, L, E), L, D, E, "bug")  # (H, L, E)


def _split_and_merge(ax, y, x, B, H, L, D, E):
    """view, transpose, attend, merge and W^o, one stage below the other."""
    _step(ax, y, f".view({B}, {L}, {H}, {E})")
    y += 2.6
    _stage(ax, y, (B, L, H, E), "B, L, H, E", B)
    _grid(
        ax, y + 0.8, x[0].unflatten(-1, (H, E)).flatten(-2), L, D, E, "view", H
    )  # (L, D)
    y += L + 1.0
    _step(ax, y, ".transpose(1, 2)")
    y += 2.6
    _stage(ax, y, (B, H, L, E), "B, H, L, E", B)
    _cards(ax, y + 1.6, split_heads(x, H)[0], L, D, E, "split")  # (H, L, E)
    y += L + 1.8
    _step(ax, y, "attention in each head: softmax(Q K^T / sqrt(E)) V", INK)
    y += 2.6
    _stage(ax, y, (B, H, L, E), "B, H, L, E: one output row per token", B)
    _cards(ax, y + 1.6, split_heads(x, H)[0], L, D, E, "attend")  # (H, L, E)
    y += L + 1.8
    _step(ax, y, f".transpose(1, 2).reshape({B}, {L}, {D}): concatenate the heads")
    y += 2.6
    _stage(ax, y, (B, L, D), "B, L, D", B)
    _grid(ax, y + 0.8, merge_heads(split_heads(x, H))[0], L, D, E, "merge", 1)  # (L, D)
    y += L + 1.0
    _step(ax, y, "@ $W^o$ (D x D): every output feature mixes all heads")
    y += 2.6
    _stage(ax, y, (B, L, D), "B, L, D", B)
    _grid(ax, y + 0.8, x[0], L, D, E, "output", 1, mixed=True)


def multihead_split(B=3, L=4, D=16, H=8, bug=False):
    """Draw the split of (B, L, D) into H heads and back, or the reshape bug.

    ``bug=False``: [B, L, D] -> view [B, L, H, E] -> transpose [B, H, L, E] -> attend
    -> transpose + reshape [B, L, D] -> W^o, with E = D // H. ``bug=True``:
    [B, L, D] -> reshape [B, H, L, E] without the transpose. Batch item 0 is drawn
    (the others as shadows). Cells have gid ``<stage>:h<head>:t<token>``, head
    blocks ``block:<stage>:<h>`` and shape labels ``shape:<dims>``.

    >>> from mhacourse.diagrams._canvas import gids
    >>> fig = multihead_split(B=3, L=4, D=16, H=8)
    >>> len(gids(fig, "block:split:"))
    8
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    _check(B, L, D, H)
    E = D // H
    x = torch.arange(B * L * D).reshape(B, L, D)  # (B, L, D) element ids
    wide = max(D + (H - 1) * GAP, H * (E + CARD)) + 2
    stages = 2 if bug else 6
    fig, ax = canvas(wide, stages * (L + 3.6) - 0.6, inches_per_unit=0.32)
    y = _input(ax, x, wide, B, L, D, E)
    if bug:
        _bug(ax, y, x, B, H, L, D, E)
    else:
        _split_and_merge(ax, y, x, B, H, L, D, E)
    return fig
