"""Chapter 1 questions: temperature (predict) and reading a heatmap (picture).

>>> q3.reference, q6.reference
('b', 'b')
"""

from __future__ import annotations

import torch

from ..core.figures import heatmaps, nearest
from ..core.mistakes import mistake
from ..core.questions import picture, predict

__all__ = ["q3", "q6"]

_SCORES = (2.0, 1.0, 0.0, -1.0)


def best_weight_when_cooled():
    """Run it: the best key's weight at T = 1 and 0.1; the nearest option."""
    scores = torch.tensor(_SCORES)
    warm = torch.softmax(scores / 1.0, dim=-1)[0].item()  # about 0.64
    cold = torch.softmax(scores / 0.1, dim=-1)[0].item()
    return nearest(cold, {"a": warm, "b": 1.0, "c": 0.25})


q3 = predict(
    "ch01.q3",
    "Predict: cooling the lookup",
    r"""
    A query scores four keys $s = (2, 1, 0, -1)$. At temperature $T = 1$ the best key
    gets weight $\mathrm{softmax}(s)_1 \approx 0.64$. **Before running anything**,
    predict its weight at $T = 0.1$, that is $\mathrm{softmax}(s / 0.1)_1$:

    - `a`: about 0.64 again, since softmax only cares about differences;
    - `b`: almost 1;
    - `c`: about 0.25, a quarter each.

    Commit your prediction, then run the check: it runs the experiment.
    """,
    best_weight_when_cooled,
    choices={"a": "about 0.64", "b": "almost 1", "c": "about 0.25"},
    wrong={
        "a": "Softmax ignores a *shift* of every score (s + c), not a *scale*: "
        "dividing by T = 0.1 makes the gaps ten times larger, so the best key wins.",
        "c": "Equal weights come with a *high* temperature, where the scores are "
        "squashed together. A low temperature pulls them apart: a hard lookup.",
    },
    why="Dividing by T = 0.1 multiplies the gaps by 10: e^-10 is tiny, so the "
    "best key takes almost all the weight.",
    hints=[
        "Dividing by 0.1 turns the scores into (20, 10, 0, -10).",
        "The best key's weight is 1 / (1 + e^-10 + e^-20 + e^-30).",
    ],
)

_KEYS = ("a", "b", "c", "d", "e")


def _weights():
    gen = torch.Generator().manual_seed(11)
    q, k = torch.randn(4, 3, generator=gen), torch.randn(5, 3, generator=gen)
    return torch.softmax(1.5 * q @ k.T, dim=-1)  # (L, S) = (4, 5)


def query2_favourite():
    """Read row 2 (query 2) of the weights: the key with the largest weight."""
    return _KEYS[int(_weights()[2].argmax())]


def _brightest_for_query2():
    """The keys (indices) whose column is brightest in row 2."""
    return [j for j, i in enumerate(_weights().argmax(dim=0).tolist()) if i == 2]


def _show_lookup():
    return heatmaps(
        [_weights()],
        ["attention weights"],
        [f"key {k}" for k in _KEYS],
        [f"query {i}" for i in range(4)],
        cols=1,
    )


q6 = picture(
    "ch01.q6",
    "Read the heatmap",
    r"""
    Run `ex.q6.show()`: it draws the attention weights of four queries (rows) over
    five keys (columns). Which key does **query 2** attend to most? Answer with the
    key's letter.
    """,
    query2_favourite,
    _show_lookup,
    choices={k: f"key {k}" for k in _KEYS},
    mistakes=[
        mistake(
            "brightest_column",
            lambda: _KEYS[int(_weights().sum(dim=0).argmax())],
            message="That key gets the most weight summed over *all* queries (the "
            "brightest column). The question is about one query: read row 2 only.",
        ),
        mistake(
            "darkest",
            lambda: _KEYS[int(_weights()[2].argmin())],
            message="That is query 2's *smallest* weight: in this colour map dark "
            "means near 0 and yellow means large (see the colour bar).",
        ),
        mistake(
            "read_the_column",
            detect=lambda given, expected: (
                given != expected and _KEYS.index(given) in _brightest_for_query2()
            ),
            message="In that key's *column* query 2 is the brightest cell: of all "
            "queries it attends most to that key. But the question compares keys "
            "for one query: compare the cells of *row 2* with each other, and take "
            "the brightest.",
        ),
    ],
    why="Row 2 is query 2's weights over the keys; its brightest cell is the answer.",
    hints=[
        "A row is one query: its weights over the keys sum to 1.",
        "In the viridis colour map the largest weight is the brightest (yellow).",
    ],
    alt="Heatmap of attention weights, four query rows by five key columns, "
    "with a colour bar.",
)
