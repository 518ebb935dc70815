"""Chapter 6 question on a trained encoder-decoder: where does cross-attention look?

The model is a smaller copy of the chapter's reversal model (D = 16, H = 2,
80 steps), trained once per session in float64 on one thread (under a second).

>>> q11.reference
'b'
"""

from __future__ import annotations

import functools

import torch

from ...studies.seq2seq import TinySeq2Seq, reversal_batch, train_seq2seq
from ..core.figures import heatmaps
from ..core.questions import picture

__all__ = ["q11"]


@functools.cache
def _cross_weights():
    """(H, L, S) cross-attention of the trained model, averaged over 64 sequences."""
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(0)
        model = TinySeq2Seq(10, 16, 2, ff_dim=32, dtype=torch.float64)
        train_seq2seq(model, steps=80, batch_size=32, length=6, lr=1e-2)
    src, tgt_in, _ = reversal_batch(64, 6, 10, torch.Generator().manual_seed(99))
    model.eval()
    with torch.no_grad():
        _, weights = model(src, tgt_in, need_weights=True)  # [(B, H, L, S)]
    return weights[0].mean(dim=0)  # (H, L, S)


def cross_pattern():
    """Read the picture: diagonal, anti-diagonal, or one column?"""
    w = _cross_weights()  # (H, L, S)
    i = torch.arange(w.shape[-1])
    share = {
        "a": w[:, i, i].mean(),  # target i on source i
        "b": w[:, i, w.shape[-1] - 1 - i].mean(),  # target i on source S - 1 - i
        "c": w.mean(dim=-2).amax(dim=-1).mean(),  # one source column for every query
    }
    return max(share, key=lambda k: float(share[k]))


def _show_cross():
    labels = [str(j) for j in range(6)]
    return heatmaps(
        list(_cross_weights()),
        ["head 0", "head 1"],
        [f"src {j}" for j in labels],
        [f"out {j}" for j in labels],
    )


q11 = picture(
    "ch06.q11",
    "Read the picture: where does cross-attention look?",
    r"""
    A tiny encoder-decoder (2 heads) trained to **reverse** a sequence of 6 tokens:
    output token $i$ must be source token $5 - i$. Run `ex.q11.show()`: its
    cross-attention weights, averaged over 64 held-out sequences (rows: output
    positions, the queries; columns: source positions, the keys). What pattern do
    you see?

    - `a`: the main diagonal: output $i$ looks at source $i$;
    - `b`: the anti-diagonal: output $i$ looks at source $5 - i$;
    - `c`: one column: every output looks at the same source token.
    """,
    cross_pattern,
    _show_cross,
    choices={"a": "main diagonal", "b": "anti-diagonal", "c": "one column"},
    wrong={
        "a": "The bright cells run from the top right to the bottom left: output 0 "
        "looks at the last source token. That is the anti-diagonal.",
        "c": "Each row is bright in a different column: output i looks at source "
        "5 - i, the token it must copy.",
    },
    why="Nobody told the model where to look, yet each output position attends to "
    "the source token it copies, 5 - i: cross-attention learned the alignment.",
    hints=[
        "Which source token does output 0 need? And output 5?",
        "Follow the brightest cell of each row.",
    ],
    alt="Two 6 by 6 heatmaps of cross-attention weights, one per head, each with "
    "a colour bar.",
)
