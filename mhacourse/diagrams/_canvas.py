"""Drawing primitives shared by the diagrams: a blank canvas, boxes, arrows, grids.

Every diagram is drawn in data units on one axes with equal aspect, on an opaque white
background: the site shows cell outputs on a white card in its dark theme too
(book/_static/mhacourse.css), so the same black-on-pastel colours read in both themes.
Artists that a test needs to find carry a ``gid`` (the element id in SVG output).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

#: One colour per head (Okabe-Ito, lightened so black text on top stays above 4.5:1).
HEAD_COLOURS = [
    "#f5c35c",  # orange
    "#8fcdf0",  # sky blue
    "#5cc9a7",  # bluish green
    "#f4ec8a",  # yellow
    "#6fa8dc",  # blue
    "#f0a07a",  # vermillion
    "#dca3c6",  # reddish purple
    "#c8c8c8",  # grey
]
INK = "#1a1a1a"  # text and outlines
MUTED = "#555555"  # secondary text (7.5:1 on white)
ACCENT = "#b8480b"  # the query, the current step
TEXT = 10  # points: at least 10 px wherever the figure is shown at its natural width


def head_colour(h: int) -> str:
    """The fill colour of head ``h`` (cycles after 8 heads).

    >>> head_colour(0) == head_colour(8)
    True
    """
    return HEAD_COLOURS[h % len(HEAD_COLOURS)]


def canvas(width: float, height: float, inches_per_unit: float = 0.3):
    """A figure with one axes of ``width`` x ``height`` data units, y pointing down.

    >>> fig, ax = canvas(10, 4)
    >>> [float(v) for v in ax.get_xlim() + ax.get_ylim()]
    [0.0, 10.0, 4.0, 0.0]
    >>> plt.close(fig)
    """
    fig = plt.figure(
        figsize=(width * inches_per_unit, height * inches_per_unit),
        facecolor="white",
        layout="none",
    )
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_facecolor("white")
    return fig, ax


def box(ax, x, y, w, h, fill="white", gid=None, lw=1.0, **kw):
    """An outlined rectangle with top-left corner (x, y)."""
    r = Rectangle((x, y), w, h, facecolor=fill, edgecolor=INK, lw=lw, **kw)
    if gid:
        r.set_gid(gid)
    ax.add_patch(r)
    return r


def text(ax, x, y, s, size=TEXT, colour=INK, gid=None, **kw):
    """Centred text (override ``ha`` / ``va`` as needed)."""
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    t = ax.text(x, y, s, fontsize=size, color=colour, **kw)
    if gid:
        t.set_gid(gid)
    return t


def arrow(ax, start, end, colour=INK, gid=None, lw=1.3, style="-|>"):
    """A straight arrow from ``start`` to ``end`` (data coordinates)."""
    a = FancyArrowPatch(
        start, end, arrowstyle=style, mutation_scale=12, color=colour, lw=lw
    )
    if gid:
        a.set_gid(gid)
    ax.add_patch(a)
    return a


def gids(fig, prefix: str) -> list[str]:
    """The gids of every artist in ``fig`` that starts with ``prefix`` (for tests).

    >>> fig, ax = canvas(2, 2)
    >>> _ = box(ax, 0, 0, 1, 1, gid="cell-0")
    >>> gids(fig, "cell")
    ['cell-0']
    >>> plt.close(fig)
    """
    found = []
    for ax in fig.axes:
        for artist in ax.get_children():
            gid = artist.get_gid()
            if gid and gid.startswith(prefix):
                found.append(gid)
    return found
