"""Chapter 3's "write this function" exercises: q1, q2, q4, q5.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from .cases import (
    _N,
    _R,
    Q1_MISTAKES,
    Q2_MISTAKES,
    Q4_MISTAKES,
    Q5_MISTAKES,
    _columns_cases,
    _cycle,
    _dtypes,
    _negative_gap_case,
    _vector_cases,
    _weights,
)


# q1 -----------------------------------------------------------------------------------
def self_attention_vector(a, W_q, W_k, W_v, i):
    """The output b^i of self-attention, computed from the vectors a^1..a^n.

    a: (n, r), row j is the input vector a^j; W_q, W_k: (dq, r); W_v: (dv, r);
    i: which output (0-based). Returns b^i, shape (dv,).
    """
    q_i = W_q @ a[i]  # (dq,): the query of token i
    keys = torch.stack([W_k @ a_j for a_j in a])  # (n, dq): k^j = W^k a^j
    values = torch.stack([W_v @ a_j for a_j in a])  # (n, dv): v^j = W^v a^j
    scores = keys @ q_i / math.sqrt(W_q.shape[0])  # (n,): q^i . k^j / sqrt(dq)
    weights = torch.softmax(scores, dim=0)  # (n,): normalised scores
    return weights @ values  # (dv,): b^i = sum_j weights_j v^j


q1 = Exercise(
    "ch03.q1",
    "One output vector, step by step",
    r"""
    Self-attention turns input vectors $a^1, \dots, a^n$ into outputs
    $b^1, \dots, b^n$. For output $b^i$:
    every token gets a query $q^j = W^q a^j$, a key $k^j = W^k a^j$ and a value
    $v^j = W^v a^j$; then

    1. **score**: $\alpha_{i,j} = q^i \cdot k^j / \sqrt{d_q}$ for every $j$,
    2. **normalise**: $\alpha'_{i,\cdot} = \mathrm{softmax}(\alpha_{i,\cdot})$,
    3. **weighted sum**: $b^i = \sum_j \alpha'_{i,j}\, v^j$.

    Write `self_attention_vector(a, W_q, W_k, W_v, i)` with `a` of shape (n, r) (row j
    is $a^j$),
    `W_q`, `W_k` of shape ($d_q$, r), `W_v` of shape ($d_v$, r) and a 0-based index
    `i`; return $b^i$, shape
    ($d_v$,).
    """,
    self_attention_vector,
    cases=_vector_cases,
    hints=[
        "`W_q @ a[i]` is the query of token i. Do the same with W_k and W_v for every "
        "token j.",
        "Stack the n scores into a tensor (n,), softmax it with `dim=0`, and weight "
        "the values.",
    ],
    mistakes=Q1_MISTAKES,
)


# q2 -----------------------------------------------------------------------------------
def self_attention_columns(I, W_q, W_k, W_v):
    """Self-attention in the column convention: inputs and outputs are columns.

    I: (r, n), column j is a^j; W_q, W_k: (dq, r); W_v: (dv, r).
    Returns O (dv, n), column i is b^i.
    """
    Q = W_q @ I  # (dq, n): column i is q^i
    K = W_k @ I  # (dq, n)
    V = W_v @ I  # (dv, n)
    A = K.T @ Q / math.sqrt(W_q.shape[0])  # (n, n): A[j, i] = k^j . q^i / sqrt(dq)
    A_prime = torch.softmax(A, dim=0)  # (n, n): each column (one query) sums to 1
    return V @ A_prime  # (dv, n): column i is b^i


q2 = Exercise(
    "ch03.q2",
    "The matrix view, in columns",
    r"""
    Put the inputs side by side as the columns of $I = [a^1, \dots, a^n]$, shape
    $r \times n$. With
    $W^q, W^k$ of shape $d_q \times r$ and $W^v$ of shape $d_v \times r$:

    $$Q = W^q I, \quad K = W^k I, \quad V = W^v I, \quad A =
    \frac{K^\top Q}{\sqrt{d_q}}, \quad
    A' = \mathrm{softmax}(A), \quad O = V A'.$$

    Column $i$ of $A$ holds query $i$'s scores against every key, so the softmax
    normalises each **column**.
    Write `self_attention_columns(I, W_q, W_k, W_v)` returning $O$, shape
    $d_v \times n$: column $i$ is $b^i$.
    """,
    self_attention_columns,
    cases=_columns_cases,
    hints=[
        "`K.T @ Q` has shape (n, n), and entry [j, i] is k^j . q^i.",
        "In this layout the softmax runs down each column: `torch.softmax(A, dim=0)`.",
    ],
    mistakes=Q2_MISTAKES,
)


# q3 -----------------------------------------------------------------------------------
def self_attention_rows(x, W_q, W_k, W_v):
    """Self-attention in the row convention used by PyTorch: tokens are rows.

    x: (..., n, r), row j is a^j; W_q, W_k: (dq, r); W_v: (dv, r), stored like
    nn.Linear weights. Returns (..., n, dv), row i is b^i.
    """
    q = x @ W_q.T  # (..., n, dq): row i is q^i  (Q^T in the column view)
    k = x @ W_k.T  # (..., n, dq)
    v = x @ W_v.T  # (..., n, dv)
    scores = q @ k.transpose(-2, -1) / math.sqrt(W_q.shape[0])  # (..., n, n) = A^T
    weights = torch.softmax(scores, dim=-1)  # (..., n, n): rows sum to 1
    return weights @ v  # (..., n, dv) = O^T


# q4 -----------------------------------------------------------------------------------
def projection_parameters(r, dq, dv, bias=False):
    """Number of learned numbers in W^q, W^k (dq x r each) and W^v (dv x r).

    With ``bias``, the three bias vectors count too.

    >>> projection_parameters(6, 4, 3)
    66
    """
    weights = dq * r + dq * r + dv * r  # W^q, W^k, W^v
    biases = dq + dq + dv if bias else 0  # one bias per output feature
    return weights + biases


q4 = Exercise(
    "ch03.q4",
    "How many parameters?",
    r"""
    The only learned parameters of a self-attention layer are $W^q$, $W^k$
    ($d_q \times r$ each) and
    $W^v$ ($d_v \times r$), plus a bias vector per projection if it has biases. Write
    `projection_parameters(r, dq, dv, bias=False)` returning the number of learned
    numbers, an `int`.
    Note that the count does not depend on the number of tokens n.
    """,
    projection_parameters,
    cases=lambda gen, device: [
        I.Case((6, 4, 3)),
        I.Case((10, 8, 5), {"bias": True}),
        I.Case((64, 16, 32), {"bias": False}),
    ],
    hints=[
        "W^q has dq * r numbers.",
        "A bias has one number per output feature: dq, dq and dv.",
    ],
    mistakes=Q4_MISTAKES,
)


# q5 -----------------------------------------------------------------------------------
def equivariance_gap(f, x, perm):
    """How far ``f`` is from permutation equivariance on ``x``.

    f: a function from (..., n, r) to (..., n, dv); x: (..., n, r); perm: (n,)
    a permutation of 0..n-1. Returns a 0-dim tensor, the largest
    |f(x with tokens permuted) - f(x) with outputs permuted|.
    """
    permute_then_f = f(x[..., perm, :])  # (..., n, dv)
    f_then_permute = f(x)[..., perm, :]  # (..., n, dv)
    return (permute_then_f - f_then_permute).abs().max()


def _gap_cases(gen, device):
    W_v = _weights(gen, device, torch.float32)[2]  # (dv, r)
    # Case 1: a per-token linear map on tokens 2^i * u. Row differences then grow with
    # the row indices, so a wrong permutation gives a gap that names the mistake.
    rows = (2.0 ** torch.arange(_N, dtype=torch.float32, device=device))[
        :, None
    ]  # (n, 1)
    cases = [
        I.Case(
            (
                lambda x: x @ W_v.T,
                rows * I.randn(gen, (1, _R), device),
                _cycle(gen, _N, device),
            ),
            note="f maps each token on its own",
        )
    ]
    for b, dt, positions in zip(
        [(2,), (2,)], _dtypes(device)[1:], (False, True), strict=False
    ):
        W, pos = _weights(gen, device, dt), I.randn(gen, (_N, _R), device, dt)
        f = (
            (lambda x, W=W, pos=pos: self_attention_rows(x + pos, *W))
            if positions
            else (lambda x, W=W: self_attention_rows(x, *W))
        )
        note = (
            "f adds a position vector to each token first"
            if positions
            else "f is a self-attention layer"
        )
        cases.append(
            I.Case(
                (f, I.randn(gen, (*b, _N, _R), device, dt), _cycle(gen, _N, device)),
                note=note,
            )
        )
    return [*cases, _negative_gap_case(gen, device)]


q5 = Exercise(
    "ch03.q5",
    "Permutation equivariance",
    r"""
    Self-attention has no notion of order: shuffle the input tokens, and the outputs
    come out shuffled the same
    way. Write `equivariance_gap(f, x, perm)` that measures this for any function `f`:
    apply `f` to `x` with its
    tokens (dim -2) permuted by `perm`, compare with `f(x)` permuted the same way, and
    return the largest
    absolute difference as a 0-dim tensor. It is about 0 for self-attention and clearly
    not 0 once `f` adds
    position information.
    """,
    equivariance_gap,
    cases=_gap_cases,
    hints=[
        "`x[..., perm, :]` permutes the tokens, whatever the batch dims.",
        "Compare `f(x[..., perm, :])` with `f(x)[..., perm, :]`, then `.abs().max()`.",
    ],
    mistakes=Q5_MISTAKES,
)
