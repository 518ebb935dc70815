"""A grid of attention maps: rows are batch items or layers, columns are heads.

Shape legend: R rows, H heads, L queries, S keys.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .maps import _to_numpy, attention_heatmap
from .style import MAX_COLUMNS, MAX_WIDTH

__all__ = ["head_grid"]


def head_grid(
    weights,
    query_tokens=None,
    key_tokens=None,
    row_labels=None,
    title="Attention per head",
    cmap="viridis",
    cell_size=1.7,
):
    """Draw a grid of attention maps: rows are batch items (or layers), columns heads.

    Args:
        weights: (R, H, L, S) or (H, L, S) tensor or array.
        query_tokens, key_tokens: labels for the L queries and S keys.
        row_labels: a label per row, e.g. "layer 1" or the sentence.

    A single row of more than 4 heads is wrapped into rows of 4 (2 x 4 for 8 heads),
    so that the grid stays readable on a phone; one colour bar serves every map.

    Returns:
        ``(fig, axes)`` with axes of shape (R, H).

    >>> import torch
    >>> fig, axes = head_grid(torch.full((2, 3, 4, 4), 0.25))
    >>> axes.shape
    (2, 3)
    >>> plt.close(fig)
    """
    w = _grid_weights(weights, row_labels)
    R, H = w.shape[:2]
    wrap = R == 1 and H > MAX_COLUMNS  # one row of many heads: wrap it, e.g. 2 x 4
    cols = MAX_COLUMNS if wrap else H
    fig, grid, axes = _grid_axes(R, H, wrap, cell_size)
    for r in range(R):
        for h in range(H):
            ax = axes[r, h]
            attention_heatmap(
                w[r, h],
                query_tokens,
                key_tokens,
                ax=ax,
                title=None,
                annotate=False,
                cmap=cmap,
                colorbar=False,
                vmax=1.0,
            )
            ax.label_outer()
            if wrap and h % cols == 0:
                ax.yaxis.set_tick_params(labelleft=True)
            if r == 0:
                ax.set_title(f"head {h}")
            if h == 0 and row_labels is not None:
                ax.set_ylabel(f"{row_labels[r]}\nquery")
    if title:
        fig.suptitle(title)
    fig.colorbar(axes[0, 0].images[0], ax=grid, label="weight", fraction=0.03)
    return fig, axes


def _grid_axes(R: int, H: int, wrap: bool, cell_size: float):
    """``(fig, grid, axes)``: the subplot grid and its (R, H) axes, wrapped or not."""
    rows, cols = (-(-H // MAX_COLUMNS), MAX_COLUMNS) if wrap else (R, H)
    fig, grid = plt.subplots(
        rows,
        cols,
        figsize=(min(cell_size * cols + 1.2, MAX_WIDTH), cell_size * rows + 0.6),
        squeeze=False,
        sharex=True,
        sharey=True,
        constrained_layout=True,
    )
    axes = grid.reshape(1, -1)[:, :H] if wrap else grid
    for ax in grid.flat[H:] if wrap else ():
        ax.remove()
    return fig, grid, axes


def _grid_weights(weights, row_labels) -> np.ndarray:
    """``weights`` as an (R, H, L, S) array; raise on a bad shape or label count."""
    w = _to_numpy(weights)
    if w.ndim == 3:
        w = w[None]  # (1, H, L, S)
    if w.ndim != 4:
        raise ValueError(
            f"weights must have shape (R, H, L, S) or (H, L, S), got {w.shape}"
        )
    R = w.shape[0]
    if row_labels is not None and len(row_labels) != R:
        raise ValueError(
            f"row_labels has {len(row_labels)} labels but weights has shape "
            f"{w.shape} (R={R})"
        )
    return w
