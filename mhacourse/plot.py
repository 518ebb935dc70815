"""Heatmaps of attention weights, labelled with tokens.

Every function returns matplotlib objects and never calls ``plt.show()``, so
the caller decides how to display or save the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = [
    "BOOLEAN_COLORS",
    "attention_heatmap",
    "boolean_map",
    "head_grid",
    "plain_log_ticks",
    "use_style",
]

#: Widest figure in inches: at 100 px per inch it fits the book's text column, so a
#: 10 pt label stays at least 10 px wide on a desktop.
MAX_WIDTH = 8.0
#: Most panels per row, so that a grid stays readable on a phone.
MAX_COLUMNS = 4

#: The course's figure style: labels of at least 10 pt (about 13 px at 100 dpi),
#: no offset or "6x10^1" style tick labels, and tight layouts.
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.dpi": 100,
    "figure.figsize": (6.4, 4.0),
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
    "axes.formatter.useoffset": False,
}


def use_style(inline_format: str = "retina") -> None:
    """Apply the course's figure style; in a notebook, also render figures at 2x.

    Call it once in a chapter's first code cell. It returns None, so that the cell
    shows no output (the settings are ``STYLE``).

    >>> use_style()
    >>> plt.rcParams["xtick.labelsize"]
    10.0
    """
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats(inline_format)
    except ImportError:  # matplotlib without IPython: style only
        pass


#: A boolean map's two colours (False, True): pale grey and the viridis end of True.
BOOLEAN_COLORS = ("#e5e7eb", "#21918c")


def boolean_map(
    mask,
    query_tokens=None,
    key_tokens=None,
    ax=None,
    title="Mask",
    labels=("masked", "may attend"),
    legend=True,
):
    """Draw one (L, S) boolean map in two colours, with a two-entry legend.

    A mask (True = may attend) or any yes/no map (which head owns a feature) has
    two values, so a continuous colour bar would suggest values between them.

    Args:
        mask: (L, S) bool tensor or array.
        labels: the legend's words for False and True.
        legend: draw the legend (beside the map); False to leave it to the caller.

    Returns:
        ``(fig, ax)``.

    >>> fig, ax = boolean_map(torch.ones(3, 3, dtype=torch.bool).tril())
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['masked', 'may attend']
    >>> plt.close(fig)
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    m = _to_numpy(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"mask must be boolean, got dtype {m.dtype}")
    _check_map(m, query_tokens, key_tokens)
    L, S = m.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(2.6 + 0.55 * S, 0.8 + 0.5 * L))
    else:
        fig = ax.figure
    ax.imshow(m, cmap=ListedColormap(BOOLEAN_COLORS), vmin=0, vmax=1, aspect="auto")
    _label_map(ax, L, S, query_tokens, key_tokens)
    if title:
        ax.set_title(title)
    if legend:
        handles = [
            Patch(facecolor=c, edgecolor="#6b7280", label=text)
            for c, text in zip(BOOLEAN_COLORS, labels, strict=True)
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig, ax


def _to_numpy(w) -> np.ndarray:
    if isinstance(w, torch.Tensor):
        w = w.detach().cpu()
        w = (w if w.dtype == torch.bool else w.float()).numpy()
    return np.asarray(w)


def attention_heatmap(
    weights,
    query_tokens=None,
    key_tokens=None,
    ax=None,
    title="Attention weights",
    annotate=None,
    cmap="viridis",
    colorbar=True,
    vmin=0.0,
    vmax=None,
):
    """Draw one (L, S) attention map: rows are queries, columns are keys.

    Args:
        weights: (L, S) tensor or array.
        query_tokens, key_tokens: optional labels of length L and S.
        ax: axes to draw on; a new figure is made if None.
        annotate: write each weight in its cell (default: when L, S <= 8).

    Returns:
        ``(fig, ax)``. A boolean map is drawn by ``boolean_map`` (two colours and a
        legend, no colour bar).

    >>> w = torch.full((2, 3), 1 / 3)
    >>> fig, ax = attention_heatmap(w, ["a", "b"], ["x", "y", "z"])
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('key', 'query')
    >>> plt.close(fig)
    """
    w = _to_numpy(weights)
    if w.dtype == np.bool_:
        return boolean_map(w, query_tokens, key_tokens, ax, title, legend=colorbar)
    _check_map(w, query_tokens, key_tokens)
    L, S = w.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.55 * S, 0.8 + 0.5 * L))
    else:
        fig = ax.figure
    im = ax.imshow(w, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    _label_map(ax, L, S, query_tokens, key_tokens)
    if title:
        ax.set_title(title)
    if annotate is None:
        annotate = L <= 8 and S <= 8
    if annotate:
        _annotate(ax, w, vmax)
    if colorbar:
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return fig, ax


def _check_map(w: np.ndarray, query_tokens, key_tokens) -> None:
    """Raise if ``w`` is not (L, S) or a token list has the wrong length."""
    if w.ndim != 2:
        raise ValueError(f"weights must have shape (L, S), got {w.shape}")
    L, S = w.shape
    for name, tokens, axis, n in (
        ("query_tokens", query_tokens, "L", L),
        ("key_tokens", key_tokens, "S", S),
    ):
        if tokens is not None and len(tokens) != n:
            raise ValueError(
                f"{name} has {len(tokens)} labels but weights has shape "
                f"{w.shape} ({axis}={n})"
            )


def _label_map(ax, L: int, S: int, query_tokens, key_tokens) -> None:
    """Tick labels (tokens or indices) and axis labels of an (L, S) map."""
    ax.set_xticks(
        range(S),
        key_tokens if key_tokens is not None else range(S),
        rotation=45 if key_tokens is not None else 0,
        ha="right" if key_tokens is not None else "center",
    )
    ax.set_yticks(range(L), query_tokens if query_tokens is not None else range(L))
    ax.set_xlabel("key")
    ax.set_ylabel("query")


def _annotate(ax, w: np.ndarray, vmax) -> None:
    """Write each weight of the (L, S) map ``w`` in its cell, dark on bright cells."""
    L, S = w.shape
    hi = (
        vmax if vmax is not None else (np.nanmax(w) if w.size else 0)
    )  # the colour scale's top
    for i in range(L):
        for j in range(S):
            ax.text(
                j,
                i,
                f"{w[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=8,
                color="black" if w[i, j] > 0.6 * hi else "white",
            )


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


def plain_log_ticks(ax, axis="both"):
    """Label a log axis with plain numbers (``2``, ``50``, ``1000``), never ``6x10^1``.

    Minor ticks keep their marks but lose their labels.

    >>> fig, ax = plt.subplots()
    >>> _ = ax.loglog([2, 50], [1, 1000])
    >>> plain_log_ticks(ax)
    >>> fig.canvas.draw()
    >>> [t.get_text() for t in ax.get_xticklabels() if t.get_text()][:2]
    ['1', '10']
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    axes = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]
    for a in axes:
        a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        a.set_minor_formatter(NullFormatter())
