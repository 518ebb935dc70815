"""Turning scores into weights, and measuring how peaked the weights are.

Attention scores one query against S keys; a normalisation turns those S
scores into S weights. The softmax is the usual choice. This module holds a
simpler alternative, the ReLU normalisation, and two gauges used to study why
scores are scaled by 1 / sqrt(E):

* :func:`relu_normalize` - ``relu(scores) / (sum relu(scores) + eps)``.
* :func:`entropy` - how spread out a row of weights is (0 for one-hot,
  ``log S`` for uniform).
* :func:`softmax_jacobian_norm` - how strongly the softmax weights react to a
  change of the scores; it goes to 0 when the softmax saturates.

Shape legend: L query length, S key length; every function works on the last
dim by default, so (..., L, S) score tensors are fine.
"""

from __future__ import annotations

import torch

__all__ = ["entropy", "relu_normalize", "softmax_jacobian_norm"]


def _check_float(name: str, t) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
    if not t.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor, got dtype {t.dtype} "
            f"with shape {tuple(t.shape)}"
        )
    if t.dim() == 0:
        raise ValueError(
            f"{name} must have at least 1 dim (..., S), got shape {tuple(t.shape)}"
        )


def relu_normalize(
    scores: torch.Tensor, dim: int = -1, eps: float = 1e-6
) -> torch.Tensor:
    """ReLU normalisation: clip negative scores to 0, then divide by the sum.

    An alternative to the softmax. Weights are non-negative and sum to (just
    under) 1 when at least one score is positive; negative scores get exactly
    0 weight, and a row whose scores are all <= 0 gets all-zero weights (the
    ``eps`` keeps it from being 0 / 0 = NaN).

    Args:
        scores: (..., S) tensor, e.g. (..., L, S) attention scores.
        dim: the dim that holds the S keys.
        eps: added to the denominator.

    Returns:
        Weights with the shape of ``scores``.

    >>> relu_normalize(torch.tensor([2.0, -1.0, 2.0]))
    tensor([0.5000, 0.0000, 0.5000])
    >>> relu_normalize(torch.tensor([-3.0, -1.0]))
    tensor([0., 0.])
    """
    _check_float("scores", scores)
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    pos = torch.relu(scores)  # (..., S)
    return pos / (pos.sum(dim=dim, keepdim=True) + eps)  # (..., S)


def entropy(weights: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy (in nats) of each row of weights, with 0 log 0 = 0.

    0 for a one-hot row (hard lookup), ``log S`` for a uniform row over S keys.

    Args:
        weights: (..., S) non-negative rows, e.g. (..., L, S) attention weights.
        dim: the dim that holds the S keys.

    Returns:
        (...) tensor: the shape of ``weights`` without ``dim``.

    >>> entropy(torch.tensor([[1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]]))
    tensor([0.0000, 1.3863])
    """
    _check_float("weights", weights)
    # entr(x) = -x log x with entr(0) = 0; adding 0.0 turns a -0.0 into 0.0.
    return torch.special.entr(weights).sum(dim=dim) + 0.0  # (...)


def softmax_jacobian_norm(scores: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Frobenius norm of the Jacobian d softmax(scores) / d scores, per row.

    With p = softmax(s) the Jacobian is ``diag(p) - p p^T``. Its norm is
    largest for a uniform row and tends to 0 as the row saturates towards
    one-hot: then almost no gradient flows back through the softmax to the
    scores. The squared norm is computed as a sum of positive terms,
    ``sum_i p_i^2 ((sum_{j!=i} p_j)^2 + sum_{j!=i} p_j^2)``, so even a
    saturated float32 row gets an accurate tiny value instead of a rounding
    error (``1 - p_i`` would round to 0).

    Args:
        scores: (..., S) tensor of scores (before the softmax).
        dim: the dim that holds the S keys.

    Returns:
        (...) tensor: the shape of ``scores`` without ``dim``.

    >>> softmax_jacobian_norm(torch.zeros(4))  # uniform over S=4: sqrt(3)/4
    tensor(0.4330)
    >>> saturated = torch.tensor([30.0, 0.0, 0.0, 0.0])
    >>> bool(softmax_jacobian_norm(saturated) < 1e-12)
    True
    """
    _check_float("scores", scores)
    p = torch.softmax(scores, dim=dim).movedim(dim, -1)  # (..., S)
    S = p.shape[-1]
    off = 1.0 - torch.eye(
        S, dtype=p.dtype, device=p.device
    )  # (S, S), 0 on the diagonal
    rest = p @ off  # (..., S): sum of the other weights, 1 - p_i without cancellation
    rest_sq = (p * p) @ off  # (..., S): sum of the other squared weights
    return (p * p * (rest * rest + rest_sq)).sum(dim=-1).sqrt()  # (...)
