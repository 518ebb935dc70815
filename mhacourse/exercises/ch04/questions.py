"""Chapter 4 questions: split bug, heads (pictures), parameter count (predict).

>>> q2.reference, q6.reference, q7.reference
('c', 'a', 'c')
"""

from __future__ import annotations

import torch

from ...mha import MultiHeadAttention
from ..core.figures import heatmaps, nearest
from ..core.mistakes import split
from ..core.questions import picture, predict

__all__ = ["q2", "q6", "q7"]

_L, _D, _H = 4, 6, 2
_PANELS = {"a": "no_transpose", "b": "interleaved", "c": "ok"}


def _owner(how):
    """(L, D) map: which head receives feature d of token l under a split ``how``."""
    ids = torch.arange(_L * _D, dtype=torch.float64).view(1, _L, _D)  # (1, L, D)
    heads = split(ids, _H, how)  # (1, H, L, E)
    owner = torch.empty(_L * _D)
    for h in range(_H):
        owner[heads[0, h].flatten().long()] = h
    return owner.view(_L, _D)  # (L, D)


def correct_split():
    """Read the picture: the panel that matches split_heads (view, then transpose)."""
    truth = _owner("ok")
    return next(k for k, how in _PANELS.items() if torch.equal(_owner(how), truth))


def _show_splits():
    return heatmaps(
        [_owner(how) for how in _PANELS.values()],
        [f"({k})" for k in _PANELS],
        [str(d) for d in range(_D)],
        [f"token {i}" for i in range(_L)],
        label="head",
        cols=3,
        cmap="cividis",
        kinds=("head 0", "head 1"),
    )


q2 = picture(
    "ch04.q2",
    "Read the picture: which split is right?",
    r"""
    Three ways of splitting a (L, D) = (4, 6) input into $H = 2$ heads. Run
    `ex.q2.show()`: each panel colours feature $d$ (columns) of token $l$ (rows) by
    the head that receives it. Which panel is `split_heads`, the view to
    (B, L, H, E) followed by the transpose?
    """,
    correct_split,
    _show_splits,
    choices={k: f"panel ({k})" for k in _PANELS},
    wrong={
        "a": "In panel (a) whole *tokens* go to one head: that is the classic bug, "
        "reshaping (B, L, D) straight to (B, H, L, E) without the transpose.",
        "b": "In panel (b) the heads take every other feature (interleaved): a view "
        "of the last dim as (E, H) instead of (H, E).",
    },
    why="Each head owns a contiguous block of E = 3 features of every token: the "
    "left half of each row is head 0, the right half head 1.",
    hints=[
        "split_heads gives head h the features h*E:(h+1)*E of *every* token.",
        "So every row must look the same: a block of head 0, then a block of head 1.",
    ],
    alt="Three panels, each a 4 by 6 grid coloured by head (head 0 dark blue, head 1 "
    "yellow), with a two-colour legend.",
)


def heads_param_ratio():
    """Run it: parameters of parameters with 8 heads over 1 head (D = 512)."""
    one = sum(p.numel() for p in MultiHeadAttention(512, 1, device="meta").parameters())
    eight = sum(
        p.numel() for p in MultiHeadAttention(512, 8, device="meta").parameters()
    )
    return nearest(eight / one, {"a": 1.0, "b": 8.0, "c": 1 / 8})


q6 = predict(
    "ch04.q6",
    "Predict: what do more heads cost?",
    r"""
    `MultiHeadAttention(512, 1)` has one head of size $E = 512$;
    `MultiHeadAttention(512, 8)` has eight heads of size $E = 64$. **Before running
    anything**, predict how their numbers of parameters compare:

    - `a`: the same;
    - `b`: eight heads have 8 times as many;
    - `c`: eight heads have 8 times fewer.
    """,
    heads_param_ratio,
    choices={"a": "the same", "b": "8 times more", "c": "8 times fewer"},
    wrong={
        "b": "The heads are not extra layers: they *split* the D = 512 features into "
        "H pieces of E = D / H. W^q, W^k, W^v and W^o stay (D, D) whatever H is.",
        "c": "Each head is smaller (E = 64), but there are 8 of them: together they "
        "still use all D = 512 features, so the (D, D) matrices are unchanged.",
    },
    why="The projections are (D, D) whatever H is: heads split the D features into "
    "H groups of E = D / H, so the parameter count does not depend on H.",
    hints=[
        "What are the shapes of W^q, W^k, W^v and W^o?",
        "Does H appear in any of those shapes?",
    ],
)

_PATTERNS = ("first", "self", "previous", "spread")


def _head_weights():
    """(4, 6, 6) weights of four heads with clear patterns, in a fixed order."""
    n = 6
    rows = torch.arange(n)[:, None]  # (n, 1)
    cols = torch.arange(n)[None, :]  # (1, n)
    causal = cols <= rows  # (n, n)
    scores = {
        "first": 4.0 * (cols == 0),
        "self": 4.0 * (cols == rows),
        "previous": 4.0 * (cols == (rows - 1).clamp(min=0)),
        "spread": torch.zeros(n, n),
    }
    maps = [
        torch.softmax(scores[p].float().masked_fill(~causal, float("-inf")), dim=-1)
        for p in _PATTERNS
    ]
    return torch.stack(maps)  # (H, n, n)


def previous_token_head():
    """Read the picture: the head with the most weight one step to the left."""
    w = _head_weights()  # (H, n, n)
    below = torch.diagonal(w, offset=-1, dim1=-2, dim2=-1).mean(dim=-1)  # (H,)
    return "abcd"[int(below.argmax())]


def _show_heads():
    labels = [str(i) for i in range(6)]
    return heatmaps(
        list(_head_weights()),
        [f"head ({k})" for k in "abcd"],
        labels,
        labels,
    )


q7 = picture(
    "ch04.q7",
    "Read the picture: which head looks back one token?",
    r"""
    Run `ex.q7.show()`: the weights of four heads of a causal model on six tokens
    (rows: queries, columns: keys). Which head makes each token attend to the
    **previous** token?
    """,
    previous_token_head,
    _show_heads,
    choices={k: f"head ({k})" for k in "abcd"},
    wrong={
        "a": "Head (a) sends every token to the *first* token (a bright first "
        "column), whatever its position.",
        "b": "Head (b) attends to the token itself: the main diagonal. The previous "
        "token is one column to the left, the diagonal just below.",
        "d": "Head (d) spreads its weight evenly over the visible tokens.",
    },
    why="Head (c) is bright on the diagonal just below the main one: query i puts "
    "its weight on key i - 1.",
    hints=[
        "Token i's previous token is column i - 1 of row i.",
        "Look for a bright diagonal one step below the main diagonal.",
    ],
    alt="Four heatmaps of attention weights, 6 by 6, in a 2 by 2 grid, each with a "
    "colour bar.",
)
