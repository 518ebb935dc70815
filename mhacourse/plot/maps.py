"""One attention map: a heatmap of weights, or a two-colour map of a mask.

Shape legend: L queries (rows), S keys (columns).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["BOOLEAN_COLORS", "attention_heatmap", "boolean_map"]

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
    fig, ax = _figure_for(m, query_tokens, key_tokens, ax, beside=2.6)
    ax.imshow(m, cmap=ListedColormap(BOOLEAN_COLORS), vmin=0, vmax=1, aspect="auto")
    _label_map(ax, *m.shape, query_tokens, key_tokens, title)
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
    fig, ax = _figure_for(w, query_tokens, key_tokens, ax, beside=1.0)
    L, S = w.shape
    im = ax.imshow(w, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    _label_map(ax, L, S, query_tokens, key_tokens, title)
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


def _figure_for(w: np.ndarray, query_tokens, key_tokens, ax, beside: float):
    """Check the (L, S) map ``w``; ``(fig, ax)`` to draw it on.

    Without ``ax``, a new figure sized to the map, ``beside`` inches wider for
    what stands beside it (colour bar or legend).
    """
    _check_map(w, query_tokens, key_tokens)
    L, S = w.shape
    if ax is None:
        return plt.subplots(figsize=(beside + 0.55 * S, 0.8 + 0.5 * L))
    return ax.figure, ax


def _label_map(ax, L: int, S: int, query_tokens, key_tokens, title=None) -> None:
    """Tick labels (tokens or indices), axis labels and title of an (L, S) map."""
    ax.set_xticks(
        range(S),
        key_tokens if key_tokens is not None else range(S),
        rotation=45 if key_tokens is not None else 0,
        ha="right" if key_tokens is not None else "center",
    )
    ax.set_yticks(range(L), query_tokens if query_tokens is not None else range(L))
    ax.set_xlabel("key")
    ax.set_ylabel("query")
    if title:
        ax.set_title(title)


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
