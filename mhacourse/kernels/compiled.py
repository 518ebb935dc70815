"""The tiled kernel with its tile step compiled: ``torch.compile`` fuses each tile.

:mod:`mhacourse.kernels.tiled` makes a separate PyTorch call, and a separate
pass over the (Lb, Sb) tile of scores, for the maximum, the subtraction, the
exponential and the sum. Here the body of the tile loop, one online-softmax
update, is one function compiled by ``torch.compile``: Inductor turns the
element-wise work and the reductions of a tile into a few generated C++ loops
and leaves the two matmuls to the matrix library. The loops over query and key
blocks stay in Python, so the compiled step is the same for every tile of one
shape: a call compiles once per tile shape (the last, shorter blocks have their
own), and any sequence length reuses them.

The arithmetic is the tiled kernel's: scores in base 2 (queries scaled by
``scale * log2(e)``), a running maximum ``m``, sum ``l`` and accumulator
``acc``, rows that have seen only masked keys measured against 0. Causal masks
and grouped heads are built by the registry (:mod:`.registry`), not skipped.
Autograd differentiates through the compiled step (AOTAutograd compiles its
backward too), and, like the tiled kernel, keeps every tile for the backward.
"""

from __future__ import annotations

import math

import torch

from .tiled import (
    DEFAULT_BLOCK_SIZE,
    DEFAULT_QUERY_BLOCK_SIZE,
    LOG2E,
    _check_inputs,
    _full_mask,
)

__all__ = ["compile_problem", "scaled_dot_product_attention", "tile_step"]

_NEG_INF = float("-inf")


def tile_step(q, kT, v, m, l, acc, keep=None):
    """One online-softmax update by one tile of keys (eager; compiled below).

    q (..., Lb, E) scaled by ``scale * log2(e)``; kT (..., E, Sb); v (..., Sb, Ev);
    m, l (..., Lb, 1); acc (..., Lb, Ev); keep None or bool (..., Lb, Sb).
    Returns the new ``(m, l, acc)``.

    >>> q, kT, v = torch.ones(1, 2), torch.zeros(2, 3), torch.ones(3, 1)
    >>> m, l, acc = tile_step(q, kT, v, torch.full((1, 1), -math.inf),
    ...                       torch.zeros(1, 1), torch.zeros(1, 1))
    >>> m.item(), l.item(), acc.item()  # three scores of 0: 2^0 three times
    (0.0, 3.0, 3.0)
    """
    s = q @ kT  # (..., Lb, Sb) scores, base 2
    if keep is not None:
        s = s.masked_fill(~keep, _NEG_INF)
    m_new = torch.maximum(m, s.detach().amax(-1, keepdim=True))  # (..., Lb, 1)
    ref = m_new.masked_fill(m_new == _NEG_INF, 0.0)  # no -inf - -inf
    p = torch.exp2(s - ref)  # (..., Lb, Sb) unnormalised weights
    rescale = torch.exp2(m - ref)  # (..., Lb, 1) 2^(m_old - m_new)
    l = l * rescale + p.sum(-1, keepdim=True)  # (..., Lb, 1)
    return m_new, l, acc * rescale + p @ v  # acc: (..., Lb, Ev)


_COMPILED = []  # torch.compile(tile_step), made on the first call


def _compiled_step():
    if not _COMPILED:
        # dynamic=False: one specialised graph per tile shape (a handful per call).
        _COMPILED.append(torch.compile(tile_step, dynamic=False))
    return _COMPILED[0]


_PROBLEMS = {}  # device type -> None or why torch.compile fails there


def compile_problem(device_type: str = "cpu") -> str | None:
    """Why ``torch.compile`` cannot compile the tile step on this device, or None.

    Found out once per process by compiling the step on a tiny tile (seconds):
    Inductor needs a C++ compiler on a CPU and Triton on a GPU.

    >>> compile_problem("cpu") is None or compile_problem("cpu").startswith("torch")
    True
    """
    if device_type not in _PROBLEMS:
        try:
            x = torch.zeros(2, 2, device=device_type)  # a 2 x 2 tile of zeros
            probe = torch.compile(tile_step, dynamic=False)  # shares the step's cache
            probe(x, x, x, x[:, :1], x[:, :1], x)
            _PROBLEMS[device_type] = None
        except Exception as e:
            message = str(e).strip().splitlines()[0] if str(e).strip() else ""
            _PROBLEMS[device_type] = (
                f"torch.compile fails on this {device_type}: "
                f"{type(e).__name__} {message}"[:200]
            )
    return _PROBLEMS[device_type]


def _query_block(q, k, v, mask, block_size, step):
    """softmax(q k^T) v (base 2) for one block of queries q (..., Lb, E)."""
    m = q.new_full((*q.shape[:-1], 1), _NEG_INF)  # (..., Lb, 1) running max
    l = q.new_zeros((*q.shape[:-1], 1))  # (..., Lb, 1) running sum
    acc = q.new_zeros((*q.shape[:-1], v.shape[-1]))  # (..., Lb, Ev)
    for start in range(0, k.shape[-2], block_size):
        stop = start + block_size
        kT = k[..., start:stop, :].transpose(-2, -1)  # (..., E, Sb)
        keep = None if mask is None else mask[..., start:stop]  # (..., Lb, Sb)
        m, l, acc = step(q, kT, v[..., start:stop, :], m, l, acc, keep)
    return acc / l.masked_fill(l == 0, 1.0)  # (..., Lb, Ev); 0 with no key


def scaled_dot_product_attention(
    q,
    k,
    v,
    mask=None,
    scale=None,
    block_size=DEFAULT_BLOCK_SIZE,
    query_block_size=DEFAULT_QUERY_BLOCK_SIZE,
    compiled=True,
):
    """The tiled kernel, each tile's update compiled by ``torch.compile``.

    Args:
        q, k, v: (..., L, E), (..., S, E), (..., S, Ev).
        mask: optional bool, broadcastable to (..., L, S); True = may attend.
        scale: factor for the scores; defaults to 1 / sqrt(E).
        block_size, query_block_size: keys and queries per tile.
        compiled: False runs the same step eagerly (to compare, or to debug).

    Returns:
        ``(out, None)``: out (..., L, Ev); the weights are never built. A query
        that may attend to no key gets zeros. Half precision is computed in
        float32. The first call of each tile shape compiles (seconds).

    >>> q, k, v = torch.randn(2, 3, 5), torch.randn(2, 7, 5), torch.randn(2, 7, 4)
    >>> out, w = scaled_dot_product_attention(q, k, v, block_size=3, compiled=False)
    >>> from mhacourse.kernels import vectorized
    >>> out.shape, w, torch.allclose(out, vectorized.scaled_dot_product_attention(
    ...     q, k, v)[0], atol=1e-6)
    (torch.Size([2, 3, 4]), None, True)
    """
    _check_inputs(q, k, v, mask, block_size, query_block_size)
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    scale = 1.0 / math.sqrt(E) if scale is None else scale
    mask = _full_mask(mask, L, S)  # (..., L, S) or None
    dtype = v.dtype
    work = torch.promote_types(dtype, torch.float32)
    q = q.to(work) * (scale * LOG2E)  # (..., L, E) base-2 scores
    k, v = k.to(work), v.to(work)  # (..., S, E), (..., S, Ev)
    step = _compiled_step() if compiled else tile_step
    outs = (
        [
            _query_block(
                q[..., i : i + query_block_size, :],  # (..., Lb, E)
                k,
                v,
                None if mask is None else mask[..., i : i + query_block_size, :],
                block_size,
                step,
            )  # (..., Lb, Ev)
            for i in range(0, L, query_block_size)
        ]
        or [v.new_zeros(*q.shape[:-1], v.shape[-1])]
    )  # no query: empty output
    return torch.cat(outs, dim=-2).to(dtype), None  # (..., L, Ev)
