"""Counting the arithmetic of attention, to turn a time into a speed.

Convention (the one FlashAttention's papers use): attention costs
``4 * B * H * L * S * E`` floating-point operations. ``q @ k^T`` is
B*H*L*S dot products of length E (E multiplies + E adds = 2E flops each), and
``weights @ v`` is as many again when Ev = E. The softmax (about 5 flops per
score) and the projections of a full layer are not counted.

The backward pass of a matmul ``C = A @ B`` is two matmuls of the same size
(``dA = dC @ B^T``, ``dB = A^T @ dC``), so twice the forward's flops. For
attention, FlashAttention's papers count the backward as 2.5 times the
forward (it also recomputes ``q @ k^T``), so forward plus backward is 3.5 times
the forward: ``14 * B * H * L * S * E``. We use the same convention for every
kernel, so that speeds compare like for like.
"""

from __future__ import annotations

__all__ = ["attention_flops", "flops_per_second", "format_rate", "mha_flops"]


def attention_flops(
    B: int, H: int, L: int, S: int, E: int, *, backward: bool = False
) -> int:
    """Floating-point operations of one attention call, ``4 * B * H * L * S * E``.

    With ``backward=True``: forward plus backward, 3.5 times as many
    (``14 * B * H * L * S * E``, the FlashAttention convention).

    >>> attention_flops(1, 1, 2, 3, 4)  # 2*3 scores of length 4, twice, 2 flops each
    96
    >>> attention_flops(2, 4, 128, 128, 64) / 1e9  # GFLOP
    0.033554432
    >>> attention_flops(1, 1, 2, 3, 4, backward=True)  # 3.5 * 96
    336
    """
    for name, n in (("B", B), ("H", H), ("L", L), ("S", S), ("E", E)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{name} must be a non-negative int, got {name}={n!r}")
    return (14 if backward else 4) * B * H * L * S * E


def mha_flops(B: int, L: int, S: int, D: int, *, backward: bool = False) -> int:
    """Floating-point operations of one multi-head attention layer (D = H * E).

    Four projections, each a (rows, D) @ (D, D) matmul at 2 flops per
    multiply-add: queries (B*L rows), keys and values (B*S rows each) and the
    output (B*L rows), plus the attention itself, ``4 * B * L * S * D``
    (= 4*B*H*L*S*E summed over heads). Biases and softmax are not counted.
    With ``backward=True``: forward plus backward, 3 times the projections
    (each matmul's backward is two matmuls) plus 3.5 times the attention.

    >>> mha_flops(1, 2, 3, 4) == 2 * (2 + 3 + 3 + 2) * 4 * 4 + 4 * 2 * 3 * 4
    True
    >>> mha_flops(1, 2, 3, 4, backward=True) == 3 * 320 + 14 * 2 * 3 * 4
    True
    """
    projections = 2 * B * (2 * L + 2 * S) * D * D
    attention = attention_flops(B, 1, L, S, D, backward=backward)
    return (3 * projections if backward else projections) + attention


def flops_per_second(flops: int, seconds: float) -> float:
    """Attained speed in FLOP/s.

    >>> flops_per_second(2e9, 0.5)
    4000000000.0
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got seconds={seconds!r}")
    return flops / seconds


def format_rate(flops_per_s: float) -> str:
    """A speed with a readable unit: GFLOP/s below 1e12, TFLOP/s above.

    >>> format_rate(3.5e9), format_rate(4.2e13)
    ('3.50 GFLOP/s', '42.0 TFLOP/s')
    """
    if flops_per_s >= 1e12:
        return f"{flops_per_s / 1e12:.1f} TFLOP/s"
    return f"{flops_per_s / 1e9:.2f} GFLOP/s"
