"""The inputs (cases) and catalogued mistakes of this chapter's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.mistakes import mistake

#: The note of a case on the ``meta`` device (shapes, no values). It comes last:
#: on ``meta`` only shapes, dtypes and devices are compared.
META = "on device 'meta': does your code follow the inputs' device?"

SIZES = {"B": 2, "n": 5, "r": 6, "dq": 4, "dv": 3}


_N, _R, _DQ, _DV = 5, 6, 4, 3


def _weights(gen, device, dtype):
    """W^q (dq, r), W^k (dq, r), W^v (dv, r)."""
    return tuple(
        I.randn(gen, (d, _R), device, dtype, 1 / math.sqrt(_R)) for d in (_DQ, _DQ, _DV)
    )


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


def _vector_cases(gen, device):
    meta = (I.randn(gen, (_N, _R), "meta"), *_weights(gen, "meta", torch.float32), 2)
    return [
        *(
            I.Case(
                (I.randn(gen, (_N, _R), device, dt), *_weights(gen, device, dt), i),
                sizes=SIZES,
            )
            for dt, i in zip(_dtypes(device), (0, 3, 4), strict=False)
        ),
        I.Case(meta, sizes=SIZES, note=META),  # last: shapes, dtype, device only
    ]


def _vector(scale=True, swap=False, project_values=True, index=0, axis=0):
    def wrong(a, W_q, W_k, W_v, i):
        q, k = a @ W_q.T, a @ W_k.T  # (n, dq)
        root = {True: W_q.shape[0], False: 1.0, "r": a.shape[-1]}[scale]
        scores = (q @ k.T if swap else k @ q.T) / math.sqrt(root)  # (n, n): [j, i]
        weights = torch.softmax(scores, axis)[:, i + index]  # (n,)
        return weights @ (a @ W_v.T if project_values else a)

    return wrong


Q1_MISTAKES = [
    mistake(
        "qk_swapped",
        _vector(swap=True),
        message="You scored with k^i . q^j: the query and key roles "
        "are swapped. Output i uses *its* query against every key: q^i . k^j.",
    ),
    mistake(
        "no_scaling",
        _vector(scale=False),
        message="Divide the scores by sqrt(d_q), the length of "
        "the query and key vectors.",
    ),
    mistake(
        "values_not_projected",
        _vector(project_values=False),
        message="You summed the inputs a^j. "
        "The weights multiply the values v^j = W^v a^j.",
    ),
    mistake(
        "one_based_index",
        _vector(index=-1),
        message="You computed b^(i-1): `i` is 0-based here, as in Python, so "
        "output i uses a[i] (row i), not a[i - 1].",
    ),
    mistake(
        "scale_by_sqrt_r",
        _vector(scale="r"),
        message="You divided by sqrt(r), the size of the input vectors. The dot "
        "product q^i . k^j has d_q terms: divide by sqrt(d_q) = sqrt(W_q.shape[0]).",
    ),
    mistake(
        "softmax_wrong_axis",
        _vector(axis=1),
        message="Your softmax ran over the queries: you normalised q^j . k^i over "
        "j, one key against every query. Output i normalises *its own* scores "
        "q^i . k^j over the keys j.",
    ),
]


def _columns_cases(gen, device):
    return [
        I.Case(
            (I.randn(gen, (_R, _N), device, dt), *_weights(gen, device, dt)),
            sizes=SIZES,
        )
        for dt in _dtypes(device)
    ]


def _columns(dim=0, scale=True, transpose_out=False, qk=False, a_t=False):
    def wrong(I, W_q, W_k, W_v):
        Q, K, V = W_q @ I, W_k @ I, W_v @ I
        root = {True: W_q.shape[0], False: 1.0, "r": I.shape[0]}[scale]
        A = (Q.T @ K if qk else K.T @ Q) / math.sqrt(root)  # (n, n)
        A_prime = torch.softmax(A, dim=dim)  # (n, n)
        O = V @ (A_prime.T if a_t else A_prime)  # (dv, n)
        return O.T if transpose_out else O

    return wrong


Q2_MISTAKES = [
    mistake(
        "softmax_rows",
        _columns(dim=-1),
        message="The softmax ran along the rows. In the column "
        "convention query i is column i of A = K^T Q, so each *column* must sum to "
        "1: dim=0.",
    ),
    mistake(
        "transposed_output",
        _columns(transpose_out=True),
        message="You returned O^T. In the column "
        "convention the outputs are columns: O = V A' has shape (d_v, n).",
    ),
    mistake(
        "no_scaling",
        _columns(scale=False),
        message="Divide A by sqrt(d_q) before the softmax.",
    ),
    mistake(
        "qt_k",
        _columns(qk=True),
        message="You used Q^T K, which puts the queries on the rows. With "
        "columns, A = K^T Q, so that column i holds query i's scores.",
    ),
    mistake(
        "at_not_a",
        _columns(a_t=True),
        message="You multiplied by A'^T (e.g. (A' V^T)^T, or A' @ V.T transposed): "
        "that mixes the values with key j's column instead of query i's. In the "
        "column convention O = V A', with column i of A' holding query i's "
        "weights.",
    ),
    mistake(
        "scale_by_sqrt_r",
        _columns(scale="r"),
        message="You divided by sqrt(r), the input size (rows of I). The dot "
        "products k^j . q^i have d_q terms: divide by sqrt(d_q) = sqrt(W_q.shape[0]).",
    ),
]


Q4_MISTAKES = [
    mistake(
        "dv_as_dq",
        lambda r, dq, dv, bias=False: 3 * dq * r + (3 * dq if bias else 0),
        message="W^v has d_v rows, not d_q: its size is dv * r.",
    ),
    mistake(
        "forgot_bias",
        lambda r, dq, dv, bias=False: 2 * dq * r + dv * r,
        message="With bias=True, add one bias per output feature: dq + dq + dv.",
    ),
    mistake(
        "square",
        lambda r, dq, dv, bias=False: 3 * r * r + (3 * r if bias else 0),
        message="The projections map r inputs to dq (or dv) outputs, so they are "
        "not r x r.",
    ),
    mistake(
        "forgot_wk",
        lambda r, dq, dv, bias=False: (dq + dv) * (r + bias),
        message="You counted two projections. There are three: W^q and W^k "
        "(dq x r each) and W^v (dv x r).",
    ),
    mistake(
        "always_bias",
        lambda r, dq, dv, bias=False: (2 * dq + dv) * (r + 1),
        message="You counted the biases when bias=False too. Add dq + dq + dv only "
        "`if bias:`.",
    ),
    mistake(
        "bias_per_input",
        lambda r, dq, dv, bias=False: (2 * dq + dv) * r + 3 * r * bias,
        message="You gave each bias r numbers, one per input feature. A bias adds "
        "one number per *output* feature: dq, dq and dv.",
    ),
]


def _cycle(gen, n, device):
    """A permutation that is one n-cycle, so it is never its own inverse."""
    order = torch.randperm(n, generator=gen)
    perm = torch.empty(n, dtype=torch.long)
    perm[order] = order.roll(1)
    return perm.to(device)


def _negative_gap_case(gen, device):
    """f adds positions (-100, 30, 0, 0, 0) to feature 0; perm moves each token up one.

    Then row 0 of f(x[perm]) - f(x)[perm] is -100 - 30 = -130, the largest gap,
    and the largest *signed* difference is only 100: a gap without .abs() is off.
    """
    pos = torch.zeros(_N, _R, device=device)  # (n, r)
    pos[0, 0], pos[1, 0] = -100.0, 30.0
    perm = torch.arange(_N, device=device).roll(-1)  # (n,): token j + 1 to place j
    return I.Case(
        (lambda x: x + pos, I.randn(gen, (2, _N, _R), device), perm),
        note="f adds a position vector; the largest difference is negative",
    )


Q5_MISTAKES = [
    mistake(
        "output_not_permuted",
        lambda f, x, perm: (f(x[..., perm, :]) - f(x)).abs().max(),
        message="You compared f(permuted x) with f(x) unpermuted. Equivariance "
        "means the outputs move "
        "with the inputs: permute f(x) too.",
    ),
    mistake(
        "inverse_permutation",
        lambda f, x, perm: (
            (f(x[..., perm, :]) - f(x)[..., perm.argsort(), :]).abs().max()
        ),
        message="You permuted the outputs with the inverse permutation. Use the "
        "same "
        "`perm` on both sides.",
    ),
    mistake(
        "mean_not_max",
        lambda f, x, perm: (f(x[..., perm, :]) - f(x)[..., perm, :]).abs().mean(),
        message="Return the largest absolute difference (.max()), not the mean.",
    ),
    mistake(
        "no_abs",
        lambda f, x, perm: (f(x[..., perm, :]) - f(x)[..., perm, :]).max(),
        message="You took the largest *signed* difference: a difference of -5 "
        "would count less than 0. Take .abs() first, then .max().",
    ),
    mistake(
        "norm_not_max",
        lambda f, x, perm: (f(x[..., perm, :]) - f(x)[..., perm, :]).norm(),
        message="You returned the norm of the difference (a sum of squares). The "
        "statement asks for the largest absolute difference: .abs().max().",
    ),
]
