"""Chapter 3: one self-attention head with the source's shapes, and its row twin."""

from __future__ import annotations

from ._canvas import ACCENT, INK, MUTED, arrow, box, canvas, head_colour, text

__all__ = ["self_attention_head"]

CELL = 0.55  # data units per matrix entry


def _matrix(ax, x, y, rows, cols, name, dims, fill, tag):
    """A rows x cols grid with top-left corner (x, y), named below it."""
    r = box(
        ax, x, y, cols * CELL, rows * CELL, fill=fill, gid=f"{tag}:{name}:{rows}x{cols}"
    )
    for i in range(1, rows):
        ax.plot([x, x + cols * CELL], [y + i * CELL] * 2, color=INK, lw=0.3)
    for j in range(1, cols):
        ax.plot([x + j * CELL] * 2, [y, y + rows * CELL], color=INK, lw=0.3)
    text(
        ax,
        x + cols * CELL / 2,
        y + rows * CELL + 0.6,
        f"${name}$: ${dims}$",
        gid=f"label:{tag}:{name}",
    )
    return r


def _shape(col, a, b, sa, sb):
    """Rows, cols and label of an (a x b) matrix, transposed in the row convention."""
    return ((a, b), f"{sa}\\times {sb}") if col else ((b, a), f"{sb}\\times {sa}")


def _input_and_qkv(ax, y0, tag, r, n, q, v):
    """The title, the input matrix and Q, K, V with their projection arrows."""
    col = tag == "column"
    title = (
        "source convention: tokens are columns, $O = V\\,A'$"
        if col
        else "row convention (PyTorch, this course): tokens are rows, $O = A'\\,V$"
    )
    text(ax, 0.2, y0 + 0.5, title, ha="left", weight="bold")
    (ir, ic), idims = _shape(col, r, n, "r", "n")
    top = y0 + 2.0
    qkv_h = max(q, n) * CELL * 3 + 4.2 if not col else (2 * q + v) * CELL + 4.2
    yin = top + (qkv_h - ir * CELL) / 2 - 0.6
    _matrix(ax, 0.6, yin, ir, ic, "I" if col else "X", idims, "#eeeeee", tag)
    x1 = 0.6 + ic * CELL
    xq = x1 + 4.2
    y = top
    mats = {}
    for k, (name, rows_dim, s, w) in enumerate(
        (("Q", q, "q", "W^q"), ("K", q, "q", "W^k"), ("V", v, "v", "W^v"))
    ):
        (mr, mc), dims = _shape(col, rows_dim, n, s, "n")
        _matrix(ax, xq, y, mr, mc, name, dims, head_colour(k), tag)
        mid = y + mr * CELL / 2
        arrow(ax, (x1 + 0.2, yin + ir * CELL / 2), (xq - 0.2, mid), colour=MUTED)
        wlab = f"${w}$" if col else f"$W_{name.lower()}$"
        text(ax, (x1 + xq) / 2, mid - 0.55, wlab, size=10, colour=MUTED)
        mats[name] = (xq, y, mr, mc)
        y += mr * CELL + 1.4
    return mats, y


def _scores(ax, tag, n, mats):
    """A from Q and K, then A' = its softmax; returns A's top-left corner."""
    col = tag == "column"
    xa = mats["Q"][0] + max(m[3] for m in mats.values()) * CELL + 4.0
    ya = mats["K"][1] + mats["K"][2] * CELL / 2 - n * CELL / 2
    _matrix(ax, xa, ya, n, n, "A", "n\\times n", "#dcdcf5", tag)
    for name in "QK":
        xm, ym, mr, mc = mats[name]
        arrow(
            ax,
            (xm + mc * CELL + 0.2, ym + mr * CELL / 2),
            (xa - 0.2, ya + n * CELL / 2),
            colour=MUTED,
        )
    formula = "$A = K^\\top Q$" if col else "$A = QK^\\top$"
    text(ax, xa + n * CELL / 2, ya - 0.9, formula, colour=MUTED)
    xs = xa + n * CELL + 4.6
    _matrix(ax, xs, ya, n, n, "A'", "n\\times n", "#b9b9ee", tag)
    mid = ya + n * CELL / 2
    arrow(ax, (xa + n * CELL + 0.2, mid), (xs - 0.2, mid), colour=MUTED)
    text(
        ax,
        (xa + n * CELL + xs) / 2,
        ya - 0.9,
        "softmax of\neach " + ("column" if col else "row"),
        colour=MUTED,
        size=10,
    )
    return xs, ya


def _output(ax, tag, n, v, xs, ya, vmat):
    """O from A' and V; returns O's bottom edge and right edge."""
    col = tag == "column"
    (orow, ocol), odims = _shape(col, v, n, "v", "n")
    xo = xs + n * CELL + 3.2
    yo = ya + n * CELL / 2 - orow * CELL / 2
    _matrix(ax, xo, yo, orow, ocol, "O", odims, "#f6d2bd", tag)
    arrow(
        ax,
        (xs + n * CELL + 0.2, ya + n * CELL / 2),
        (xo - 0.2, yo + orow * CELL / 2),
        colour=ACCENT,
    )
    xv, yv, vr, vc = vmat
    arrow(
        ax,
        (xv + vc * CELL + 0.2, yv + vr * CELL / 2),
        (xo + ocol * CELL / 2, yo + orow * CELL + 1.1),
        colour=ACCENT,
    )
    formula = "$O = V\\,A'$" if col else "$O = A'\\,V$"
    text(ax, xo + ocol * CELL / 2, yo - 0.8, formula, colour=ACCENT)
    return yo + orow * CELL, xo + ocol * CELL


def _panel(ax, y0, tag, r, n, q, v):
    """Draw one convention's head starting at height y0; returns the panel's height."""
    mats, y = _input_and_qkv(ax, y0, tag, r, n, q, v)
    xs, ya = _scores(ax, tag, n, mats)
    bottom, right = _output(ax, tag, n, v, xs, ya, mats["V"])
    return max(y - y0, bottom + 2 - y0), right + 0.6


def self_attention_head(r=6, n=4, q=3, v=5, conventions=("column", "row")):
    """Draw a self-attention head, input to output, with every matrix to scale.

    The source writes tokens as columns: ``I: r x n`` -> ``Q, K: q x n`` and
    ``V: v x n`` -> ``A, A': n x n`` -> ``O = V A': v x n``. Its row-convention twin
    (tokens as rows, PyTorch's layout) transposes every matrix. Each matrix is a
    rectangle of rows x cols cells with gid ``<convention>:<name>:<rows>x<cols>``.

    Args:
        r: input features per token; n: tokens; q: query/key size; v: value size.
        conventions: which panels to draw, top to bottom ("column", "row").

    >>> fig = self_attention_head(r=6, n=4, q=3, v=5)
    >>> from mhacourse.diagrams._canvas import gids
    >>> sorted(g for g in gids(fig, "column:") if ":O:" in g or ":I:" in g)
    ['column:I:6x4', 'column:O:5x4']
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    for name, val in (("r", r), ("n", n), ("q", q), ("v", v)):
        if not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive int, got {val!r}")
    bad = set(conventions) - {"column", "row"}
    if bad or not conventions:
        raise ValueError(
            f"conventions must be 'column' and/or 'row', got {conventions!r}"
        )
    heights = [_panel_size(c, r, n, q, v) for c in conventions]
    width = 2.6 + CELL * (2 * n + 2 * max(n, r, q, v)) + 17
    fig, ax = canvas(width, sum(heights) + 0.4, inches_per_unit=0.26)
    y = 0.2
    for c, h in zip(conventions, heights, strict=False):
        _panel(ax, y, c, r, n, q, v)
        y += h
    return fig


def _panel_size(tag, r, n, q, v):
    rows = (2 * q + v) if tag == "column" else 3 * n
    return 2.0 + rows * CELL + 3 * 1.4 + 1.0
