"""Chapter 7: online softmax: key tiles sweep the scores; running m, l, acc."""

from __future__ import annotations

import math

import torch

from ._canvas import ACCENT, MUTED, box, canvas, head_colour, text

__all__ = ["online_softmax"]

CELL = 1.4  # one score per cell, written at 10 pt


def _sweep(scores, values, block):
    """Running (max, sum, acc) of query row 0 after each key tile; the exact output."""
    s, v = scores[0], values  # (S,), (S, Ev)
    m, l_, acc = -math.inf, 0.0, torch.zeros(v.shape[1], dtype=v.dtype)
    steps = []
    for j0 in range(0, s.numel(), block):
        tile = s[j0 : j0 + block]  # (block,)
        m_new = max(m, float(tile.max()))
        corr = math.exp(m - m_new) if m > -math.inf else 0.0
        p = torch.exp(tile - m_new)  # (block,)
        l_ = l_ * corr + float(p.sum())
        acc = acc * corr + p @ v[j0 : j0 + block]  # (Ev,)
        m = m_new
        steps.append((j0, m, l_, acc.clone()))
    exact = torch.softmax(s, -1) @ v  # (Ev,)
    return steps, exact


def _check(scores, values, block_q, block_k):
    """Reject bad shapes and tile sizes with an error naming the argument."""
    if scores.dim() != 2 or values.dim() != 2 or values.shape[0] != scores.shape[1]:
        raise ValueError(
            "scores must be (L, S) and values (S, Ev), got "
            f"{tuple(scores.shape)} and {tuple(values.shape)}"
        )
    for name, b in (("block_q", block_q), ("block_k", block_k)):
        if not isinstance(b, int) or b < 1:
            raise ValueError(f"{name} must be a positive int, got {b!r}")


def _tiles(ax, x0, y0, scores, block_q, block_k):
    """The score matrix, every score written in its cell and the cells grouped into
    tiles (query tile 0 in colour), the keys of each tile above, row 0 outlined."""
    L, S = scores.shape
    nq, nk = math.ceil(L / block_q), math.ceil(S / block_k)
    for i in range(nq):
        for j in range(nk):
            h = min(block_q, L - i * block_q) * CELL
            w = min(block_k, S - j * block_k) * CELL
            fill = head_colour(j) if i == 0 else "#eeeeee"
            x, y = x0 + j * block_k * CELL, y0 + i * block_q * CELL
            box(ax, x, y, w, h, fill=fill, gid=f"tile-{i}-{j}", lw=1.4)
            if i == 0:
                last = min(S, (j + 1) * block_k) - 1
                text(ax, x + w / 2, y0 - 0.5, f"keys {j * block_k}-{last}")
    for r in range(L):
        for c in range(S):
            cx, cy = x0 + (c + 0.5) * CELL, y0 + (r + 0.5) * CELL
            text(ax, cx, cy, f"{float(scores[r, c]):.1f}", gid=f"score-{r}-{c}")
    text(ax, x0 - 0.9, y0 + L * CELL / 2, "queries", rotation=90, colour=MUTED)
    text(ax, x0 + S * CELL / 2, y0 + L * CELL + 0.6, "keys", colour=MUTED)
    x1, y1 = x0 + S * CELL, y0 + CELL  # query row 0, followed by the table
    ax.plot([x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0], color=ACCENT, lw=2.5)


def _table(ax, y, steps, block_k, S):
    """One row of running statistics per key tile; returns the last row's height."""
    cols = [1.0, 6.0, 11.0, 16.0]
    for x, h in zip(
        cols,
        ["after tile", "running max m", "running sum l", "acc (first 2)"],
        strict=False,
    ):
        text(ax, x, y, h, ha="left", weight="bold")
    for k, (j0, m, l_, acc) in enumerate(steps):
        y += 1.1
        row = [
            f"keys {j0}-{min(j0 + block_k, S) - 1}",
            f"{m:.3f}",
            f"{l_:.3f}",
            ", ".join(f"{a:.3f}" for a in acc[:2].tolist()),
        ]
        for x, s in zip(cols, row, strict=False):
            text(ax, x, y, s, ha="left", gid=f"step-{k}" if x == cols[0] else None)
    return y


def _result(ax, y, steps, exact):
    """The final acc / l of row 0 next to softmax(s) v."""
    out = steps[-1][3] / steps[-1][2]
    text(
        ax,
        1.0,
        y,
        "row 0: acc / l = "
        + ", ".join(f"{a:.3f}" for a in out[:2].tolist())
        + "   softmax(s) v = "
        + ", ".join(f"{a:.3f}" for a in exact[:2].tolist()),
        ha="left",
        colour=ACCENT,
        gid="result",
    )


def online_softmax(scores, values, block_q=2, block_k=3):
    """Draw the tiled sweep of (L, S) scores and the running statistics of row 0.

    Every score is written in its cell, and the matrix is cut into
    ``block_q x block_k`` tiles; each query tile sweeps its row of key tiles left
    to right (the keys of each tile are named above it), keeping per query
    the running max m, the running sum l of exp(s - m) and the accumulator acc of
    exp(s - m) v. The table below follows query row 0 and ends with acc / l, equal
    to softmax(s) @ v. Tiles carry gids ``tile-<i>-<j>``, scores ``score-<r>-<c>``,
    table rows ``step-<j>``.

    Args:
        scores: (L, S) tensor; values: (S, Ev) tensor.

    Returns:
        ``(fig, steps)`` with one (start, m, l, acc) per key tile of row 0.

    >>> g = torch.Generator().manual_seed(0)
    >>> s, v = torch.randn(4, 7, generator=g), torch.randn(7, 2, generator=g)
    >>> fig, steps = online_softmax(s, v)
    >>> len(steps)  # ceil(7 / 3) key tiles
    3
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    scores, values = (
        torch.as_tensor(t).detach().double().cpu() for t in (scores, values)
    )
    _check(scores, values, block_q, block_k)
    L, S = scores.shape
    steps, exact = _sweep(scores, values, block_k)
    width = max(S * CELL + 4, 24)
    fig, ax = canvas(
        width, L * CELL + 5.2 + 1.1 * (len(steps) + 2), inches_per_unit=0.3
    )
    text(
        ax,
        0.3,
        0.6,
        f"scores (L={L}, S={S}) in {block_q} x {block_k} tiles; each query"
        " tile sweeps its key tiles left to right",
        ha="left",
        weight="bold",
    )
    x0, y0 = 2.0, 2.0
    _tiles(ax, x0, y0, scores, block_q, block_k)
    y = _table(ax, y0 + L * CELL + 2.2, steps, block_k, S)
    _result(ax, y + 1.1, steps, exact)
    return fig, steps
