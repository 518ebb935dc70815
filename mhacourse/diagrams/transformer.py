"""Chapter 6: the Transformer's three uses of attention and their masks."""

from __future__ import annotations

from ..masks import causal_mask, padding_mask
from ._canvas import ACCENT, INK, MUTED, arrow, box, canvas, head_colour, text

__all__ = ["transformer_masks"]

CELL = 0.6


def _mask(ax, x, y, mask, name):
    """Draw a bool (L, S) mask: filled = may attend, white = blocked."""
    L, S = mask.shape
    allowed = int(mask.sum())
    box(
        ax,
        x,
        y,
        S * CELL,
        L * CELL,
        fill="none",
        gid=f"mask-{name}-{L}x{S}-{allowed}",
        lw=1.2,
    )
    for i in range(L):
        for j in range(S):
            fill = "#2f6f8f" if mask[i, j] else "white"
            box(ax, x + j * CELL, y + i * CELL, CELL, CELL, fill=fill, lw=0.4)
    text(ax, x + S * CELL / 2, y - 0.5, f"keys ({S})", size=10, colour=MUTED)
    text(
        ax,
        x - 0.5,
        y + L * CELL / 2,
        f"queries ({L})",
        size=10,
        colour=MUTED,
        rotation=90,
    )


def _block(ax, x, y, w, label, fill, gid=None):
    box(ax, x, y, w, 1.6, fill=fill, gid=gid)
    text(ax, x + w / 2, y + 0.8, label)


def _check(S, L, src_len):
    """Reject non-positive lengths and more real tokens than positions."""
    for name, val in (("S", S), ("L", L), ("src_len", src_len)):
        if not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    if src_len > S:
        raise ValueError(f"src_len={src_len} must be at most S={S}")


def _encoder(ax, top, enc, S, src_len):
    """The encoder stack (left) with its padding mask."""
    box(ax, 0.4, top, 13.4, 8.6, fill="#f3f3f3", lw=1.2, gid="encoder")
    text(ax, 0.8, top + 0.6, "encoder (x N)", ha="left", weight="bold")
    _block(ax, 1.0, top + 1.6, 6.4, "self-attention", head_colour(1), "use-encoder")
    _block(ax, 1.0, top + 4.6, 6.4, "feed-forward", "#e4e4e4")
    _mask(ax, 9.2, top + 1.8, enc, "encoder")
    text(
        ax, 10.7, top + 6.2, f"padding: {S - src_len} pad key(s)", size=10, colour=MUTED
    )


def _decoder(ax, top, dec, cross):
    """The decoder stack (right) with its causal and cross-attention masks."""
    box(ax, 15.2, top, 14.4, 14.0, fill="#f3f3f3", lw=1.2, gid="decoder")
    text(ax, 15.6, top + 0.6, "decoder (x N)", ha="left", weight="bold")
    _block(
        ax, 15.8, top + 1.6, 6.4, "masked self-attention", head_colour(0), "use-decoder"
    )
    _mask(ax, 24.4, top + 1.8, dec, "decoder")
    text(ax, 25.6, top + 4.8, "causal", size=10, colour=MUTED)
    _block(ax, 15.8, top + 6.4, 6.4, "cross-attention", head_colour(2), "use-cross")
    _mask(ax, 24.4, top + 6.6, cross, "cross")
    # under the cross mask, clear of its "queries" label and of the arrow
    text(
        ax,
        25.6,
        top + 10.0,
        "queries: decoder\nkeys, values: encoder",
        size=10,
        colour=MUTED,
    )
    _block(ax, 15.8, top + 11.2, 6.4, "feed-forward", "#e4e4e4")


def _wiring(ax, top, S, L, src_len):
    """The arrows between blocks, the encoder output and the two inputs."""
    arrow(ax, (4.2, top + 3.2), (4.2, top + 4.6))
    arrow(ax, (19.0, top + 3.2), (19.0, top + 6.4))
    arrow(ax, (19.0, top + 8.0), (19.0, top + 11.2))
    arrow(ax, (4.2, top + 6.2), (15.8, top + 7.2), colour=ACCENT, gid="memory")
    text(ax, 8.4, top + 7.6, "encoder output (S vectors)", size=10, colour=ACCENT)
    text(
        ax,
        4.2,
        top + 12.2,
        f"source: {S} positions\n({src_len} tokens + {S - src_len} pad)",
        colour=INK,
    )
    arrow(ax, (4.2, top + 11.2), (4.2, top + 8.6))
    text(ax, 19.0, top + 14.9, f"target so far: {L} tokens", colour=INK)


def transformer_masks(S=5, L=4, src_len=4):
    """Draw the Transformer's three attentions, each beside the mask it uses.

    Encoder self-attention: source tokens attend to every real source token (a
    padding mask hides the ``S - src_len`` pad positions). Decoder self-attention:
    target token i attends to targets 0..i (causal mask). Cross-attention: target
    queries attend to the encoder's real source tokens. The masks come from
    ``mhacourse.masks`` (True = may attend, drawn filled) and carry the gid
    ``mask-<name>-<L>x<S>-<allowed>``.

    Args:
        S: source length; L: target length; src_len: real (unpadded) source tokens.

    >>> from mhacourse.diagrams._canvas import gids
    >>> fig = transformer_masks(S=5, L=4, src_len=4)
    >>> sorted(gids(fig, "mask-"))
    ['mask-cross-4x5-16', 'mask-decoder-4x4-10', 'mask-encoder-5x5-20']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    _check(S, L, src_len)
    pad = padding_mask([src_len], S)[0, 0]  # (1, S)
    enc = pad.expand(S, S)  # (S, S)
    dec = causal_mask(L)  # (L, L)
    cross = pad.expand(L, S)  # (L, S)
    width = 30
    top = 2.2
    fig, ax = canvas(width, top + 16.5, inches_per_unit=0.26)
    text(
        ax,
        width / 2,
        0.6,
        "Three uses of attention, each with its mask (filled = may attend)",
        weight="bold",
    )
    _encoder(ax, top, enc, S, src_len)
    _decoder(ax, top, dec, cross)
    _wiring(ax, top, S, L, src_len)
    return fig
