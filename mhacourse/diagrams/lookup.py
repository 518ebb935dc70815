"""Chapter 1: soft lookup drawn from real numbers (query, scores, softmax, mix)."""

from __future__ import annotations

import torch

from ._canvas import ACCENT, MUTED, arrow, box, canvas, head_colour, text

__all__ = ["soft_lookup"]


def _vec(v, fmt):
    return "(" + ", ".join(format(x, fmt) for x in v) + ")"


def _check(query, keys, values, key_labels):
    if query.dim() != 1 or keys.dim() != 2 or values.dim() != 2:
        raise ValueError(
            f"query must be (E,), keys (S, E) and values (S, Ev), got "
            f"{tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}"
        )
    if keys.shape[1] != query.shape[0] or keys.shape[0] != values.shape[0]:
        raise ValueError(
            f"shapes do not fit: query {tuple(query.shape)}, keys "
            f"{tuple(keys.shape)}, values {tuple(values.shape)}"
        )
    if len(key_labels) != keys.shape[0]:
        raise ValueError(
            f"key_labels has {len(key_labels)} labels but keys has shape "
            f"{tuple(keys.shape)} (S={keys.shape[0]})"
        )


def _header(ax, query, query_label):
    """The query box and the four column titles joined by arrows."""
    box(ax, 0.2, 0.3, 28.6, 1.6, fill="#fbe3d4", gid="query")
    text(
        ax,
        14.5,
        1.1,
        f"query {query_label} = {_vec(query.tolist(), '+g')}",
        colour=ACCENT,
    )
    heads = [
        "key $k_j$",
        "score $s_j = q\\cdot k_j$",
        "weight $w_j$ = softmax",
        "$w_j\\,v_j$",
    ]
    xs = [3.6, 10.5, 17.5, 24.8]
    for i, (x, h) in enumerate(zip(xs, heads, strict=False)):
        text(ax, x, 3.2, h, weight="bold")
        if i:
            arrow(ax, (xs[i - 1] + 2.6, 4.0), (x - 2.6, 4.0), colour=MUTED)


def _row(ax, j, label, key, score, smax, weight, mixed):
    """Key j's row: its name and vector, score bar, weight bar and w_j v_j."""
    y = 5.0 + 1.3 * j
    text(ax, 0.3, y, label, ha="left")
    text(ax, 6.9, y, _vec(key.tolist(), "+g"), ha="right", colour=MUTED)
    width = 2.6 * score / smax
    box(
        ax,
        min(10.5, 10.5 + width),
        y - 0.4,
        abs(width),
        0.8,
        fill=head_colour(4),
        gid=f"score-{j}",
    )
    text(ax, 13.3, y, f"{score:+.2f}", ha="left")
    box(ax, 14.9, y - 0.4, 4.6 * weight, 0.8, fill=head_colour(0), gid=f"weight-{j}")
    text(ax, 15.2 + 4.6 * weight, y, f"{weight:.2f}", ha="left")
    text(ax, 28.8, y, _vec(mixed.tolist(), ".2f"), ha="right")


def soft_lookup(query, keys, values, key_labels, query_label="q", scale=1.0):
    """Draw one soft lookup: the query scored against each key, softmax, weighted mix.

    Args:
        query: (E,) tensor; keys: (S, E); values: (S, Ev).
        key_labels: S names for the rows; query_label: the query's name.
        scale: factor applied to the scores before the softmax.

    Returns:
        ``(fig, weights)``: the figure and the (S,) weights it shows. Bars carry the
        gids ``score-j`` and ``weight-j``; the output text carries ``output``.

    >>> q, k = torch.tensor([1.0, 0.0]), torch.eye(2)
    >>> fig, w = soft_lookup(q, k, k, ["a", "b"])
    >>> [round(x, 3) for x in w.tolist()]
    [0.731, 0.269]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    query, keys, values = (
        torch.as_tensor(t).detach().double().cpu() for t in (query, keys, values)
    )
    _check(query, keys, values, key_labels)
    scores = keys @ query * scale  # (S,)
    weights = torch.softmax(scores, dim=-1)  # (S,)
    mixed = weights[:, None] * values  # (S, Ev)
    S = len(key_labels)
    fig, ax = canvas(29, 7.2 + 1.3 * S, inches_per_unit=0.27)
    _header(ax, query, query_label)
    smax = float(scores.abs().max()) or 1.0
    for j in range(S):
        w_j, s_j = float(weights[j]), float(scores[j])
        _row(ax, j, key_labels[j], keys[j], s_j, smax, w_j, mixed[j])
    y = 5.0 + 1.3 * S
    ax.plot([20.8, 28.8], [y - 0.5, y - 0.5], color=MUTED, lw=1)
    text(
        ax,
        28.8,
        y + 0.3,
        "output $\\sum_j w_j v_j$ = " + _vec(mixed.sum(0).tolist(), ".2f"),
        ha="right",
        gid="output",
        colour=ACCENT,
    )
    ax.plot([10.5, 10.5], [4.4, 5.0 + 1.3 * (S - 1) + 0.5], color=MUTED, lw=0.8)
    return fig, weights
