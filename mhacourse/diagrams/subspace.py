"""Chapter 5: a head as a subspace: one token's query and all keys, head by head."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import torch

from ._canvas import ACCENT, INK, MUTED, TEXT, head_colour

__all__ = ["head_subspaces"]


def _check(x, W_q, W_k, H, query, tokens):
    if x.dim() != 2:
        raise ValueError(f"x must have shape (S, D), got {tuple(x.shape)}")
    S, D = x.shape
    for name, w in (("W_q", W_q), ("W_k", W_k)):
        if tuple(w.shape) != (D, D):
            raise ValueError(
                f"{name} must have shape (D, D) = ({D}, {D}), got {tuple(w.shape)}"
            )
    if D % H or D // H != 2:
        raise ValueError(
            f"each head must be a plane: D // H must be 2, got D={D}, H={H}"
        )
    if not 0 <= query < S:
        raise ValueError(f"query must index a token in [0, S={S}), got {query}")
    if tokens is not None and len(tokens) != S:
        raise ValueError(
            f"tokens has {len(tokens)} labels but x has shape {tuple(x.shape)} (S={S})"
        )


def _project(x, W_q, W_k, H, query, b_q, b_k):
    """Each head's 2-D query (H, 2), keys (H, S, 2) and softmax weights (H, S)."""
    S, D = x.shape
    zero = torch.zeros(D, dtype=x.dtype)
    b_q, b_k = (
        zero if b is None else torch.as_tensor(b).detach().double().cpu().reshape(D)
        for b in (b_q, b_k)
    )
    q = (x[query] @ W_q + b_q).view(H, 2)  # (H, 2)
    k = (x @ W_k + b_k).view(S, H, 2).transpose(0, 1)  # (H, S, 2)
    weights = torch.softmax(
        (k @ q[:, :, None])[..., 0] / math.sqrt(2), dim=-1
    )  # (H, S)
    return q, k, weights


def _plane(ax, h, q_h, k_h, w_h, tokens, lim):
    """Head h's plane: its keys (q_h: (2,), k_h: (S, 2), w_h: (S,)) and the query."""
    ax.set_gid(f"plane-{h}")
    ax.set_facecolor(head_colour(h) + "40")
    ax.axhline(0, color=MUTED, lw=0.6)
    ax.axvline(0, color=MUTED, lw=0.6)
    pts = ax.scatter(
        k_h[:, 0],
        k_h[:, 1],
        s=30 + 220 * w_h.numpy(),
        color=head_colour(h),
        edgecolor=INK,
        zorder=3,
    )
    pts.set_gid(f"keys-{h}")
    for j, token in enumerate(tokens):
        ax.annotate(
            token,
            (float(k_h[j, 0]), float(k_h[j, 1])),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=TEXT,
            color=INK,
        )
    arr = ax.annotate(
        "",
        xy=(float(q_h[0]), float(q_h[1])),
        xytext=(0, 0),
        arrowprops={"arrowstyle": "-|>", "color": ACCENT, "lw": 2},
    )
    arr.set_gid(f"query-{h}")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(f"head {h}: dims {2 * h}, {2 * h + 1}", fontsize=TEXT)
    ax.tick_params(labelsize=TEXT)


def head_subspaces(x, W_q, W_k, H, query=0, tokens=None, b_q=None, b_k=None):
    """Draw one token's query and every token's key in each head's 2-D plane.

    Head h sees only coordinates 2h and 2h+1 of ``q = x[query] @ W_q`` and
    ``K = x @ W_k``; the area of each key's dot grows with its softmax weight
    (scores scaled by 1/sqrt(2)). Panels are laid out at most 4 per row.

    Args:
        x: (S, D) token vectors; W_q, W_k: (D, D); H: heads with D // H == 2.
        query: index of the query token; tokens: S labels.
        b_q, b_k: optional (D,) biases, e.g. ``mha.q_proj.bias`` with
            ``W_q = mha.q_proj.weight.T`` for an ``nn.Linear`` projection.

    Returns:
        ``(fig, weights)`` with weights of shape (H, S). Panel h carries the gid
        ``plane-h``, its query arrow ``query-h`` and its key points ``keys-h``.

    >>> g = torch.Generator().manual_seed(0)
    >>> x, W = torch.randn(3, 4, generator=g), torch.eye(4)
    >>> fig, w = head_subspaces(x, W, W, H=2)
    >>> tuple(w.shape), [ax.get_gid() for ax in fig.axes]
    ((2, 3), ['plane-0', 'plane-1'])
    >>> plt.close(fig)
    """
    x, W_q, W_k = (torch.as_tensor(t).detach().double().cpu() for t in (x, W_q, W_k))
    _check(x, W_q, W_k, H, query, tokens)
    S = x.shape[0]
    tokens = list(tokens) if tokens is not None else [f"t{j}" for j in range(S)]
    q, k, weights = _project(x, W_q, W_k, H, query, b_q, b_k)
    cols = min(H, 4)
    rows = math.ceil(H / cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(2.0 * cols, 2.5 * rows + 0.4),
        squeeze=False,
        facecolor="white",
        layout="constrained",
    )
    lim = 1.15 * float(torch.cat([q.abs().flatten(), k.abs().flatten()]).max())
    for h, ax in enumerate(axes.flat):
        if h >= H:
            ax.remove()
            continue
        _plane(ax, h, q[h], k[h], weights[h], tokens, lim)
    fig.suptitle(
        f"query of '{tokens[query]}' (arrow) and every key (dot: size = weight)",
        fontsize=TEXT + 1,
    )
    return fig, weights
