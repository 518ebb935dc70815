"""Chapter 5 questions: identical heads, the rank limit, the ensemble, the sweep.

>>> q1.reference, q4.reference, q5.reference, q6.reference
('a', 'b', 'c', 'b')
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ...mha import MultiHeadAttention
from ...studies.head_analysis import ablate_heads, make_heads_identical
from ..core.figures import heatmaps, nearest
from ..core.mistakes import mistake
from ..core.questions import picture, predict

__all__ = ["q1", "q4", "q5", "q6"]

_BOOK_DATA = Path(__file__).resolve().parents[3] / "book" / "data"


def data_file(name: str) -> Path:
    """A data file the chapter ships: book/data/ in the repository, else data/ beside
    the notebooks (the course download; a notebook runs in its own folder).

    >>> data_file("ch05_sweeps.json").name
    'ch05_sweeps.json'
    """
    path = _BOOK_DATA / name
    return path if path.is_file() else Path("data", name).resolve()


#: An experiment's answer rounded to 1 decimal where the statement asks for 2.
ONE_DECIMAL = mistake(
    "one_decimal",
    detect=lambda given, expected: given == round(expected, 1) != expected,
    message="That is rounded to 1 decimal. Round to 2 decimals: `round(value, 2)`.",
)

_RELATIONS = ("previous", "two back", "marker", "first")


def identical_after_training():
    """Run it: train two identical heads for 5 steps; are they still equal?

    A quick stand-in for the chapter's Adam run: plain gradient descent on random
    targets, where "equal" means equal to within 1e-12 (rounding).
    """
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    mha = make_heads_identical(MultiHeadAttention(8, 2, dtype=torch.float64))
    x = torch.randn(4, 5, 8, generator=gen, dtype=torch.float64)  # (B, L, D)
    target = torch.randn(4, 5, 8, generator=gen, dtype=torch.float64)  # (B, L, D)
    with torch.enable_grad():  # the checker runs under no_grad
        for _ in range(5):  # five steps of plain gradient descent
            out, _ = mha(x)  # (B, L, D)
            grads = torch.autograd.grad((out - target).pow(2).mean(), mha.parameters())
            with torch.no_grad():
                for p, g in zip(mha.parameters(), grads, strict=True):
                    p.sub_(0.5 * g)
    w = mha.q_proj.weight.detach()  # (H*E, D): rows 0-3 head 0, rows 4-7 head 1
    return "a" if torch.allclose(w[:4], w[4:], atol=1e-12) else "b"


q1 = predict(
    "ch05.q1",
    "Predict: do identical heads stay identical?",
    r"""
    Copy head 0 into head 1 (`make_heads_identical`), so both heads start with the
    same $W^q_h, W^k_h, W^v_h$ and the same block of $W^o$, then train the layer
    with Adam on the two-relation task, as the cell after this exercise does, without
    noise or dropout. **Before running anything**, predict what happens to the two
    heads:

    - `a`: they stay identical (up to rounding);
    - `b`: they drift apart, because training breaks the symmetry.
    """,
    identical_after_training,
    choices={"a": "stay identical", "b": "drift apart"},
    wrong={
        "b": "Nothing in the training tells the heads apart: they compute the same "
        "output, W^o sends them the same error, so their gradients and every update "
        "are equal. Only noise (random initialisation) can break the tie.",
    },
    why="Both heads compute the same thing and receive the same gradient, so every "
    "update keeps them equal: the symmetric state is a fixed point of training.",
    hints=[
        "Write the gradient of the loss with respect to head h's W^q_h: what does it "
        "depend on?",
        "Same parameters, same input, same error from W^o: same gradient.",
    ],
)


def score_rank():
    """Run it: the largest rank of one head's (L, L) score matrix, D = 16, H = 8."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 8, dtype=torch.float64)
    x = torch.randn(1, 10, 16, dtype=torch.float64)  # (B, L, D)
    with torch.no_grad():
        q = mha.q_proj(x).view(1, 10, 8, 2).transpose(1, 2)  # (B, H, L, E)
        k = mha.k_proj(x).view(1, 10, 8, 2).transpose(1, 2)  # (B, H, L, E)
    scores = q @ k.transpose(-2, -1)  # (B, H, L, L)
    rank = int(torch.linalg.matrix_rank(scores[0]).max())
    return nearest(rank, {"a": 1, "b": 2, "c": 10, "d": 16})


q4 = predict(
    "ch05.q4",
    "Predict: how rich can one head's scores be?",
    r"""
    A layer with $D = 16$ and $H = 8$ heads (so $E = 2$) reads a sequence of
    $L = 10$ tokens. Head $h$ scores every query against every key: a (10, 10)
    matrix $q_h k_h^\top$. **Before running anything**, predict the largest rank
    that this matrix can have:

    - `a`: 1; `b`: 2; `c`: 10; `d`: 16.
    """,
    score_rank,
    choices={"a": "1", "b": "2", "c": "10", "d": "16"},
    wrong={
        "a": "Rank 1 is a head with E = 1 (H = 16 here). With E = 2, q_h and k_h "
        "are (L, 2) matrices.",
        "c": "The matrix is (10, 10), but it is a product of (10, E) and (E, 10) "
        "matrices: its rank is at most E = 2.",
        "d": "D = 16 is the width of the whole layer. One head works in its own "
        "E = 2 dimensional subspace.",
    },
    why="q_h k_h^T is a (10, 2) matrix times a (2, 10) one: its rank is at most "
    "E = D / H = 2. More heads mean more, but poorer, score matrices.",
    hints=[
        "What are the shapes of q_h and k_h?",
        "The rank of a product is at most the smallest inner dimension.",
    ],
)


def _sweep():
    """(H, relation) mean accuracy over seeds, and the head counts (shipped data)."""
    acc = json.loads(data_file("ch05_sweeps.json").read_text())["heads"]["accuracy"]
    heads = sorted(acc, key=int)
    table = torch.tensor([acc[h] for h in heads], dtype=torch.float64)  # (nH, seeds, 4)
    return table.mean(dim=1), [int(h) for h in heads]  # (nH, 4)


def sixteen_heads():
    """Read the picture: how does H = 16 (E = 1) compare with H = 4 and H = 8?"""
    table, heads = _sweep()
    mean = table.mean(dim=1)  # (nH,)
    at = {h: float(mean[i]) for i, h in enumerate(heads)}
    if at[16] >= max(at[4], at[8]):
        return "a"
    return "b" if at[16] >= min(at[4], at[8]) - 0.02 else "c"


def _show_sweep():
    table, heads = _sweep()
    fig = heatmaps(
        [table],
        ["mean test accuracy (3 seeds, 300 steps)"],
        list(_RELATIONS),
        [f"H = {h}, E = {16 // h}" for h in heads],
        label="accuracy",
        cols=1,
    )
    fig.set_size_inches(5.6, 3.4)  # room for the row labels: none clipped
    fig.axes[0].set_aspect("auto")  # wide cells: the relation names fit side by side
    return fig


q5 = picture(
    "ch05.q5",
    "Read the picture: how many heads?",
    r"""
    The chapter's sweep trained the tiny model with $D = 16$ and
    $H = 1, 2, 4, 8, 16$ heads on a task with four relations (previous token,
    two back, marker, first token). Run `ex.q5.show()`: the test accuracy per
    head count and relation. How does $H = 16$ ($E = 1$) do?

    - `a`: best of all: more heads, more relations;
    - `b`: about as well as $H = 4$ and $H = 8$;
    - `c`: clearly worse than $H = 4$ and $H = 8$.
    """,
    sixteen_heads,
    _show_sweep,
    choices={"a": "best", "b": "as good as 4 and 8", "c": "worse"},
    wrong={
        "a": "Look at the bottom row: it is darker than the rows of H = 4 and 8. "
        "With E = 1 each head's scores have rank 1, too poor to find a position.",
        "b": "Compare the rows again: H = 16 loses most of what H = 4 and 8 learn on "
        "the positional relations. A head of size E = 1 scores with rank-1 matrices.",
    },
    why="At fixed D, more heads are smaller heads: with E = 1 every score matrix has "
    "rank 1, so no head can point each query at its own key. The positional relations "
    "stay far below H = 4 and 8 (about 0.4 after 300 steps, at most 0.56 after five "
    "times longer), though above chance (0.06). Four relations need about four heads, "
    "each still big enough.",
    hints=[
        "Compare the rows H = 4, H = 8 and H = 16.",
        "E = D / H: what can a head of size 1 compute?",
    ],
    alt="Heatmap of test accuracy: rows are head counts 1 to 16, columns the four "
    "relations, with a colour bar.",
)


def ensemble_sum():
    """Run it: the sum of the H single-head outputs, against the full output."""
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 3, dtype=torch.float64)
    with torch.no_grad():
        mha.out_proj.bias.normal_()
        x = torch.randn(2, 5, 12, dtype=torch.float64)  # (B, L, D)
        full, _ = mha(x)  # (B, L, D)
        total = 0.0
        for h in range(3):
            with ablate_heads(mha, [g for g in range(3) if g != h]):
                total = total + mha(x)[0]  # (B, L, D): head h's share + b^o
    if torch.allclose(total, full):
        return "a"
    return "b" if torch.allclose(total, full + 2 * mha.out_proj.bias) else "c"


q6 = predict(
    "ch05.q6",
    "Predict: the ensemble test",
    r"""
    Run a layer with $H = 3$ heads three times, each time keeping **one** head and
    switching the other two off with `ablate_heads` (their outputs are zeroed
    before $W^o$; the bias $b^o$ stays). Add the three outputs. **Before running
    anything**, predict how the sum compares with the full layer's output:

    - `a`: it equals the full output;
    - `b`: it equals the full output plus $2 b^o$;
    - `c`: neither: the heads interact, so the parts do not add up.
    """,
    ensemble_sum,
    choices={"a": "equal", "b": "full + 2 b^o", "c": "neither"},
    wrong={
        "a": "Almost: each of the three runs adds the bias b^o once, the full layer "
        "only once. The sum has two b^o too many.",
        "c": "The heads do not interact: each computes its own softmax, and W^o "
        "applied to the concatenation is a sum of one term per head.",
    },
    why="The output is sum_h head_h W^o_h^T + b^o: one term per head plus the bias. "
    "Three single-head runs give every term once and the bias three times.",
    hints=[
        "Concatenate, then W^o: the same as a sum over heads of head_h W^o_h^T.",
        "How many times does each run add b^o?",
    ],
)
