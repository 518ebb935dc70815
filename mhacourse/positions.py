"""Positional information for attention, which on its own ignores token order.

Attention is permutation-equivariant: shuffle the tokens and the outputs are
shuffled the same way (chapter 3). Three standard ways to tell it the order:

* **sinusoidal** encodings (Vaswani et al., 2017), added to the embeddings:
  fixed sines and cosines of geometrically spaced frequencies. PE(pos + k) is
  a fixed linear map (a rotation per frequency) of PE(pos), see
  :func:`sinusoidal_shift`;
* **learned** encodings: one trained vector per position
  (:class:`LearnedPositions`);
* **rotary** encodings, RoPE (Su et al., 2021): rotate each query and key
  pair of features by an angle proportional to its position, so that the
  score q_m . k_n depends only on the offset m - n (:func:`apply_rotary`).

Shape legend: B batch, L length, D model dim, E head dim (both even here).
Feature pairs are interleaved: (2i, 2i + 1) share the frequency
``base ** (-2i / dim)``.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = [
    "LearnedPositions",
    "SinusoidalPositions",
    "apply_rotary",
    "sinusoidal_encoding",
    "sinusoidal_shift",
]


def _frequencies(dim: int, base: float, dtype, device) -> torch.Tensor:
    if dim <= 0 or dim % 2:
        raise ValueError(f"dim must be a positive even number, got dim={dim}")
    i = torch.arange(0, dim, 2, dtype=torch.float64)  # (dim/2,): 2i
    return (base ** (-i / dim)).to(device=device, dtype=dtype)  # (dim/2,)


def sinusoidal_encoding(
    num_positions, dim, base=10000.0, dtype=torch.float32, device=None
):
    """The (num_positions, dim) sinusoidal table PE.

    PE[p, 2i] = sin(p w_i) and PE[p, 2i+1] = cos(p w_i), with
    w_i = base ** (-2i / dim): the first pair turns fastest (one radian per
    position), the last slowest.

    >>> pe = sinusoidal_encoding(50, 16)
    >>> pe.shape, pe[0, :4].tolist()
    (torch.Size([50, 16]), [0.0, 1.0, 0.0, 1.0])
    """
    w = _frequencies(dim, base, torch.float64, device)  # (dim/2,)
    pos = torch.arange(num_positions, dtype=torch.float64, device=device)  # (P,)
    angles = pos[:, None] * w[None, :]  # (P, dim/2)
    pe = torch.stack([angles.sin(), angles.cos()], dim=-1)  # (P, dim/2, 2)
    return pe.flatten(-2).to(dtype)  # (P, dim): sin, cos, sin, cos, ...


def sinusoidal_shift(k, dim, base=10000.0, dtype=torch.float32, device=None):
    """The (dim, dim) matrix M_k with PE[p + k] = PE[p] @ M_k for every position p.

    Block-diagonal: one 2 x 2 rotation by the angle k w_i per frequency, so
    it does not depend on p. That is why a linear layer can read relative
    positions from sinusoidal encodings.

    >>> pe = sinusoidal_encoding(20, 8, dtype=torch.float64)
    >>> M = sinusoidal_shift(3, 8, dtype=torch.float64)
    >>> torch.allclose(pe[:-3] @ M, pe[3:])
    True
    """
    a = k * _frequencies(dim, base, torch.float64, device)  # (dim/2,)
    c, s = a.cos(), a.sin()
    # Row vector (sin x, cos x) times [[c, -s], [s, c]] = (sin(x + a), cos(x + a)).
    blocks = torch.stack([c, -s, s, c], dim=-1).reshape(-1, 2, 2)  # (dim/2, 2, 2)
    return torch.block_diag(*blocks).to(dtype)  # (dim, dim)


class SinusoidalPositions(nn.Module):
    """Add sinusoidal encodings to embeddings: x (B, L, D) -> x + PE[offset:offset+L].

    ``offset`` is the position of x's first token (for decoding with a KV
    cache). Nothing is trained; the table is a buffer of ``max_len`` rows.

    >>> pos = SinusoidalPositions(16, max_len=32)
    >>> x = torch.zeros(2, 5, 16)
    >>> torch.equal(pos(x)[0], sinusoidal_encoding(5, 16))
    True
    """

    def __init__(self, dim, max_len=512, base=10000.0, dtype=None, device=None):
        super().__init__()
        dtype = torch.get_default_dtype() if dtype is None else dtype
        table = sinusoidal_encoding(max_len, dim, base, dtype, device)  # (P, D)
        self.register_buffer("table", table, persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        return x + _rows(self.table, offset, x.shape[-2])  # (B, L, D)


class LearnedPositions(nn.Module):
    """Add one trained vector per position: x (B, L, D) -> x + P[offset:offset+L].

    Cannot go beyond ``max_len`` positions, unlike the sinusoidal table.

    >>> pos = LearnedPositions(16, max_len=32)
    >>> pos(torch.zeros(2, 5, 16)).shape, pos.weight.shape
    (torch.Size([2, 5, 16]), torch.Size([32, 16]))
    """

    def __init__(self, dim, max_len=512, dtype=None, device=None):
        super().__init__()
        self.weight = nn.Parameter(
            torch.empty(max_len, dim, dtype=dtype, device=device)
        )
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        return x + _rows(self.weight, offset, x.shape[-2])  # (B, L, D)


def _rows(table: torch.Tensor, offset: int, L: int) -> torch.Tensor:
    if offset < 0 or offset + L > table.shape[0]:
        raise ValueError(
            f"asked for positions {offset}..{offset + L - 1}; the table holds "
            f"positions 0..{table.shape[0] - 1} (max_len={table.shape[0]})"
        )
    return table[offset : offset + L]  # (L, D)


def apply_rotary(x, positions=None, base=10000.0):
    """Rotary position embedding: rotate feature pair i of token p by p * w_i.

    Args:
        x: queries or keys, (..., L, E) with E even.
        positions: (L,) positions of the L tokens (default 0..L-1; pass
            ``arange(t, t + L)`` for tokens that start at position t).
        base: as for the sinusoidal table, w_i = base ** (-2i / E).

    Returns (..., L, E). Apply it to q and k (never v) before the scores:
    then ``apply_rotary(q, [m]) . apply_rotary(k, [n])`` depends on m - n only.

    >>> q, k = torch.randn(2, 1, 8, dtype=torch.float64)  # (1, E) each
    >>> def score(m, n):
    ...     qm = apply_rotary(q, torch.tensor([m]))
    ...     return (qm @ apply_rotary(k, torch.tensor([n])).T).item()
    >>> abs(score(5, 2) - score(13, 10)) < 1e-12
    True
    """
    L, E = x.shape[-2], x.shape[-1]
    if positions is None:
        positions = torch.arange(L, device=x.device)
    if positions.shape != (L,):
        raise ValueError(
            f"positions must have shape (L,) = ({L},), got {tuple(positions.shape)}"
        )
    w = _frequencies(E, base, torch.float64, x.device)  # (E/2,)
    angles = positions.to(torch.float64)[:, None] * w  # (L, E/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    pairs = x.unflatten(-1, (E // 2, 2))  # (..., L, E/2, 2)
    a, b = pairs[..., 0], pairs[..., 1]  # (..., L, E/2) each
    rotated = torch.stack([a * cos - b * sin, a * sin + b * cos], dim=-1)
    return rotated.flatten(-2)  # (..., L, E)
