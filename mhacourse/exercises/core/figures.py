"""Small figures for the "read the picture" exercises, and a helper to pick a choice.

Figures are made with ``matplotlib.figure.Figure`` (not pyplot), so ``show()``
returns one figure that a notebook displays once.

>>> nearest(7.9, {"a": 1.0, "b": 8.0, "c": 64.0})
'b'
"""

from __future__ import annotations

import io
import math

import torch
from matplotlib import colormaps
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...plot import BOOLEAN_COLORS

__all__ = ["ShownFigure", "heatmaps", "nearest"]


class ShownFigure(Figure):
    """A figure that Jupyter shows as a PNG when it is a cell's last expression."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=144)
        return buffer.getvalue()


def nearest(value: float, options: dict) -> str:
    """The key of ``options`` closest to ``value`` (log scale if all > 0)."""
    positive = value > 0 and all(v > 0 for v in options.values())

    def gap(v):
        return abs(math.log(v / value)) if positive else abs(v - value)

    return min(options, key=lambda k: gap(options[k]))


def heatmaps(
    maps, titles, xlabels, ylabels, label="weight", cols=2, cmap="viridis", kinds=None
):
    """One figure: a heatmap with a colour bar per tensor of ``maps``. Yes/no maps get
    two colours and one legend instead: boolean maps (masks, True = may attend), or
    maps of 0 and 1 named by ``kinds`` (e.g. ``("head 0", "head 1")``)."""
    rows = math.ceil(len(maps) / cols)
    width = min(3.6 * cols, 8.0)  # the site's column: 8 in at most
    fig = ShownFigure(figsize=(width, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    masks = any(torch.as_tensor(m).dtype == torch.bool for m in maps)
    if kinds is None and masks:
        kinds, colours = ("blocked", "may attend"), BOOLEAN_COLORS
    elif kinds is not None:  # two categories: the colour map's two ends
        colours = [colormaps[cmap](0.0), colormaps[cmap](1.0)]
    for ax, data, title in zip(axes, maps, titles, strict=False):
        data = torch.as_tensor(data)
        if kinds is not None:  # yes/no: two colours, not a colour bar
            ax.imshow(
                data.float().numpy(), cmap=ListedColormap(colours), vmin=0, vmax=1
            )
        else:
            image = ax.imshow(data.float().numpy(), cmap=cmap, vmin=0)
            fig.colorbar(image, ax=ax, label=label, shrink=0.8)
        ax.set_title(title, fontsize=11)
        ax.set_xticks(range(len(xlabels)), xlabels, fontsize=10)
        ax.set_yticks(range(len(ylabels)), ylabels, fontsize=10)
    if kinds is not None:
        patches = [Patch(facecolor=c, edgecolor="#6b7280") for c in colours]
        fig.legend(patches, kinds, loc="outside lower center", ncols=2, fontsize=10)
    for ax in axes[len(maps) :]:
        ax.set_visible(False)
    return fig
