"""Chapter 3 questions: no projections (picture), doubled values (predict).

>>> q3.reference, q6.reference
('a', 'a')
"""

from __future__ import annotations

import math

import torch

from ..core.figures import heatmaps
from ..core.questions import picture, predict

__all__ = ["q3", "q6"]

_TOKENS = ("the", "cat", "sat", "on", "a", "mat")


def _plain_weights():
    """Self-attention weights with W^q = W^k = I: softmax(x x^T / sqrt(D))."""
    gen = torch.Generator().manual_seed(9)
    x = torch.randn(6, 8, generator=gen)  # (n, D): one row per token
    return torch.softmax(x @ x.T / math.sqrt(8), dim=-1)  # (n, n)


def plain_pattern():
    """Read the picture: where is each row's largest weight?"""
    w = _plain_weights()
    best = w.argmax(dim=-1)  # (n,)
    if bool((best == torch.arange(len(best))).all()):
        return "a"
    return "b" if bool((best == 0).float().mean() > 0.5) else "c"


def _show_plain():
    return heatmaps(
        [_plain_weights()],
        ["weights, no projections"],
        list(_TOKENS),
        list(_TOKENS),
        cols=1,
    )


q3 = picture(
    "ch03.q3",
    "Read the picture: attention without projections",
    r"""
    What if self-attention had no $W^q$ and $W^k$, so each token scored the others
    with its raw vector, $x_i \cdot x_j / \sqrt{D}$? Run `ex.q3.show()` for the
    weights of a six-token sentence with random vectors (rows attend to columns).
    What pattern do you see?

    - `a`: every token attends most to itself (a bright diagonal);
    - `b`: every token attends most to the first token (a bright first column);
    - `c`: no clear pattern.
    """,
    plain_pattern,
    _show_plain,
    choices={"a": "the diagonal", "b": "the first column", "c": "no pattern"},
    wrong={
        "b": "Look again at where each row is brightest: on the diagonal, where "
        "x_i . x_i = |x_i|^2 is large, not in column 0.",
        "c": "There is a pattern: each row's brightest cell is on the diagonal. A "
        "vector agrees best with itself, x_i . x_i = |x_i|^2.",
    },
    why="Without projections a token's best match is itself: x_i . x_i = |x_i|^2 "
    "beats x_i . x_j for random vectors. W^q and W^k let a token look for others.",
    hints=[
        "Row i shows token i's weights over all tokens.",
        "Which dot product is largest for random vectors: x_i . x_i or x_i . x_j?",
    ],
    alt="Heatmap of self-attention weights between six tokens, with a colour bar.",
)


def doubled_values():
    """Run it: do the weights change when every value vector is doubled?"""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 8, generator=gen)  # (n, D)
    W_q, W_k, W_v = (torch.randn(8, 8, generator=gen) for _ in range(3))

    def weights(W_v):
        q, k, v = x @ W_q.T, x @ W_k.T, x @ W_v.T  # (n, D) each
        return torch.softmax(q @ k.T / math.sqrt(8), dim=-1), v  # (n, n), (n, D)

    before, _v1 = weights(W_v)
    after, _v2 = weights(2 * W_v)
    if torch.allclose(before, after):
        return "a"
    return "b" if torch.allclose(after, 2 * before) else "c"


q6 = predict(
    "ch03.q6",
    "Predict: doubling the values",
    r"""
    Replace $W^v$ by $2 W^v$, so every value vector doubles. **Before running
    anything**, predict what happens to the attention *weights*:

    - `a`: they stay the same;
    - `b`: they double;
    - `c`: they get sharper, closer to one-hot.
    """,
    doubled_values,
    choices={"a": "unchanged", "b": "doubled", "c": "sharper"},
    wrong={
        "b": "The weights come from the queries and keys only (softmax of q k^T), "
        "and they always sum to 1, so they cannot double. The *output* doubles.",
        "c": "Sharper weights need larger *scores*, and the scores use W^q and W^k "
        "only. The values enter after the softmax.",
    },
    why="The weights are softmax(q k^T / sqrt(D)): W^v does not enter them. Only the "
    "output, the weighted sum of the values, doubles.",
    hints=[
        "Which of W^q, W^k, W^v appear in softmax(q k^T / sqrt(D))?",
        "Each row of weights sums to 1 whatever the values are.",
    ],
)
