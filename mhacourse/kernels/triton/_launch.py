"""Host side of the Triton kernel: pick compiled or interpreted, size the grid, launch.

Importing this module imports ``triton`` and wraps each kernel body of
:mod:`._kernels` with ``triton.jit``. Whether that compiles or interprets is
fixed when triton is first imported: with ``TRITON_INTERPRET=1`` in the
environment, triton's own helpers (``tl.zeros``, ``tl.max``, ...) and our
kernels become interpreted functions that run each program with NumPy, on
tensors of any device; without it they compile for the GPU, and CPU tensors
cannot run. Shape legend: N = batch x heads flattened, L queries, S keys,
E head dim, Ev value dim.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from triton.runtime.jit import JITFunction

from . import _kernels

__all__ = [
    "INTERPRETED",
    "PROGRAMS",
    "backward",
    "check_device",
    "forward",
    "precision",
]

_ACC = {torch.float64: tl.float64}  # everything else accumulates in float32

#: True when triton was imported with TRITON_INTERPRET=1 (its helpers are then
#: interpreted functions, not JITFunctions).
INTERPRETED = not isinstance(tl.zeros, JITFunction)

#: The three kernel bodies, wrapped once: compiled or interpreted, see above.
PROGRAMS = {
    name: triton.jit(getattr(_kernels, name))
    for name in (
        "attention_forward",
        "attention_backward_dkdv",
        "attention_backward_dq",
    )
}


def precision(dtype: torch.dtype) -> str | None:
    """``input_precision`` for every tl.dot: "ieee" for fp32, the default otherwise.

    On a GPU, fp32 tl.dot defaults to TF32, which keeps 10 of fp32's 23
    mantissa bits (relative error ~1e-3 per product). "ieee" keeps true fp32
    products, so fp32 results stay within ~1e-6 of float64. fp16 and bf16
    already run on tensor cores at full speed; fp64 has no TF32 mode.
    (The interpreter multiplies with NumPy and ignores this setting.)
    """
    return "ieee" if dtype == torch.float32 else None


def check_device(device: torch.device, dtype: torch.dtype) -> None:
    """Raise a clear error when q on ``device`` with ``dtype`` cannot run here."""
    if device.type == "cpu" and not INTERPRETED:
        raise RuntimeError(
            "kernel='triton' runs CPU tensors in Triton's interpreter, but triton was "
            "imported without it; set os.environ['TRITON_INTERPRET'] = '1' before "
            "anything imports triton (torch.compile and torch.profiler do), or move "
            "q, k, v to CUDA"
        )
    if device.type == "cuda" and dtype == torch.float64 and not INTERPRETED:
        raise TypeError(
            "q has dtype torch.float64, which kernel='triton' runs only in the "
            f"interpreter: triton {triton.__version__} cannot compile a float64 tl.dot "
            "for this GPU; use float32"
        )


def _block(n: int) -> int:
    """A power of two >= max(n, 16): tl.arange needs one, tl.dot needs >= 16."""
    return max(16, triton.next_power_of_2(n))


def _meta(q, k, v, mask, scale, causal, block):
    """Arguments every kernel shares after its tensors: shapes, strides, constants."""
    L, E = q.shape[1:]
    S, Ev = k.shape[1], v.shape[2]
    if mask is None:
        m, ms = q, (0, 0, 0)  # a dummy pointer that HAS_MASK=False never reads
    else:
        m, ms = mask, mask.stride()
        ms = (ms[0], ms[1] if mask.shape[1] > 1 else 0, ms[2])
    acc = _ACC.get(q.dtype, tl.float32)
    scale_t = torch.tensor([scale], dtype=torch.float64, device=q.device)
    scale_t = scale_t.to(torch.float64 if acc == tl.float64 else torch.float32)
    bm, bn = block
    consts = dict(
        HAS_MASK=mask is not None,
        CAUSAL=causal,
        ACC=acc,
        PREC=precision(q.dtype),
        BLOCK_M=bm,
        BLOCK_N=bn,
        BLOCK_E=_block(E),
        BLOCK_EV=_block(Ev),
    )
    strides = (L * E, S * E, S * Ev, L * Ev, *ms)
    return m, scale_t, (L, S, E, Ev, *strides), consts


def forward(q, k, v, mask, scale, causal, block):
    """out (N, L, Ev) and the row logsumexp lse (N, L), both in the accumulator dtype.

    out stays in fp32 for fp16/bf16 inputs (the caller rounds it): the
    backward pass needs D = rowsum(dO * O) without the rounding error of O.

    q (N, L, E), k (N, S, E), v (N, S, Ev) contiguous; mask None or a uint8
    (N, 1 or L, S) view (strides may be 0); block = (BLOCK_M, BLOCK_N).
    """
    N, L, _ = q.shape
    m, scale_t, shapes, consts = _meta(q, k, v, mask, scale, causal, block)
    out = torch.empty(
        N, L, v.shape[2], dtype=scale_t.dtype, device=q.device
    )  # (N, L, Ev)
    lse = torch.empty(N, L, dtype=scale_t.dtype, device=q.device)  # (N, L)
    grid = (triton.cdiv(L, block[0]), N)
    PROGRAMS["attention_forward"][grid](
        q, k, v, m, out, lse, scale_t, *shapes, **consts
    )
    return out, lse


def backward(do, q, k, v, out, lse, mask, scale, causal, block):
    """(dq, dk, dv) by recomputing the weights from lse (FlashAttention-2).

    D = rowsum(dO * O) (N, L) is the one extra row vector the backward pass
    needs: dS = P * (dP - D) with dP = dO V^T.
    """
    N, L, _ = q.shape
    S = k.shape[1]
    m, scale_t, shapes, consts = _meta(q, k, v, mask, scale, causal, block)
    d = (do.to(lse.dtype) * out.to(lse.dtype)).sum(-1)  # (N, L)
    dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
    grid = (triton.cdiv(S, block[1]), N)
    PROGRAMS["attention_backward_dkdv"][grid](
        q, k, v, m, do, lse, d, dk, dv, scale_t, *shapes, **consts
    )
    grid = (triton.cdiv(L, block[0]), N)
    PROGRAMS["attention_backward_dq"][grid](
        q, k, v, m, do, lse, d, dq, scale_t, *shapes, **consts
    )
    return dq, dk, dv
