"""FlashAttention-2 as a Triton kernel: compiled on CUDA, interpreted on the CPU.

The tiled PyTorch kernel (:mod:`mhacourse.kernels.tiled`) walks over key
blocks for all queries at once. A GPU kernel splits the work one step
further: each Triton *program* owns one block of BLOCK_M queries of one
(batch x head) entry, keeps its running max ``m``, sum ``l`` and output
``acc`` in registers, and walks over the key blocks with the same online
softmax (Dao, 2023). Nothing of size (L, S) ever reaches memory.

The forward pass also stores each query's logsumexp ``lse = m + log(l)``.
The backward pass (a :class:`torch.autograd.Function`) recomputes the
weights ``P = exp(scores - lse)`` block by block instead of storing them,
with two more programs: one per key block for dK and dV, one per query
block for dQ (no atomics, so the result is deterministic).

**Where it runs.** CUDA tensors run the compiled kernel. CPU tensors run the
very same kernel bodies in Triton's interpreter, which executes each program
with NumPy: slow, but it lets the course test the kernel without a GPU. The
interpreter is switched on by ``TRITON_INTERPRET=1``, read when triton is
first imported. Importing this package changes nothing: on a machine with no
CUDA GPU, the *first call* sets ``TRITON_INTERPRET=1`` if nothing has
imported triton yet (compiled kernels could not run there anyway). Code that
imports triton before that call, as ``torch.compile`` and ``torch.profiler``
do, must choose first: set ``os.environ["TRITON_INTERPRET"] = "1"`` before
it, as chapter 7 does.

**Masks.** Any bool mask broadcastable to (..., L, S), True = may attend, as
for the other kernels. It is read tile by tile from memory: a key-padding
mask (..., 1, S) costs one row per batch entry; a full (..., L, S) mask is
read, not built. ``causal=True`` adds the mask ``key <= query`` (top-left
aligned, like ``is_causal`` in PyTorch) without any tensor and skips the
key blocks it hides. A query that may attend to no key gets zeros.

**Precision.** fp32 products use ``input_precision="ieee"``: on a GPU
``tl.dot`` would otherwise round fp32 inputs to TF32 (10 mantissa bits).
fp16 and bf16 inputs accumulate in fp32, fp64 in fp64. bf16 runs only on
CUDA (NumPy, and so the interpreter, has no bfloat16); fp64 only in the
interpreter (triton 3.7.1 fails to compile a float64 ``tl.dot`` for sm_90).

Importing this package does not import ``triton``; the first call does, and
raises an ImportError naming the pinned version when it is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
import sys

import torch

from ..._validate import check_mask, check_qkv

__all__ = [
    "TRITON_PIN",
    "default_blocks",
    "is_available",
    "scaled_dot_product_attention",
]

#: The triton that torch 2.13.0's CUDA wheels require (``Requires-Dist``).
TRITON_PIN = "triton==3.7.1"
_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def is_available() -> bool:
    """True when the ``triton`` package can be imported (without importing it).

    >>> isinstance(is_available(), bool)
    True
    """
    return importlib.util.find_spec("triton") is not None


def _host():
    """The host-side module, imported on first use (it imports triton).

    With no GPU and triton not yet imported, this first use chooses the
    interpreter (see "Where it runs" above): the package's only write to the
    environment, and only when the Triton kernel is called.
    """
    if "triton" not in sys.modules and not torch.cuda.is_available():
        os.environ.setdefault("TRITON_INTERPRET", "1")  # no GPU: interpret
    try:
        return importlib.import_module("._launch", __name__)
    except ImportError as e:
        raise ImportError(
            "kernel='triton' needs the triton package, which is not installed; "
            f"install it with `pip install {TRITON_PIN}` (about 700 MB)"
        ) from e


def default_blocks(device: torch.device, E: int, dtype=torch.float32) -> tuple:
    """(BLOCK_M, BLOCK_N) queries and keys per tile.

    On a GPU 64 x 64 while a row of q is at most 256 bytes (fp16 E <= 128,
    fp32 E <= 64), else 32 x 32, so the tiles fit in shared memory (compiled
    for sm_90: fp32, E = 128, 64 x 64 already needs 218 KB of the 227 KB).
    On the CPU 32 x 32: the interpreter pays per program and per loop step.

    >>> default_blocks(torch.device("cpu"), 64)
    (32, 32)
    >>> default_blocks(torch.device("cuda"), 128, torch.float32)
    (32, 32)
    """
    if device.type == "cpu":
        return 32, 32
    row_bytes = E * torch.empty((), dtype=dtype).element_size()
    return (64, 64) if row_bytes <= 256 else (32, 32)


class _FlashAttention(torch.autograd.Function):
    """Forward saves (q, k, v, out, lse); backward recomputes the weights."""

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, causal, block):
        out, lse = _host().forward(q, k, v, mask, scale, causal, block)
        ctx.save_for_backward(q, k, v, out, lse, mask)
        ctx.scale, ctx.causal, ctx.block = scale, causal, block
        return out.to(q.dtype)

    @staticmethod
    def backward(ctx, dout):
        q, k, v, out, lse, mask = ctx.saved_tensors
        grads = _host().backward(
            dout.contiguous(), q, k, v, out, lse, mask, ctx.scale, ctx.causal, ctx.block
        )
        return (*grads, None, None, None, None)


def _check(q, mask, scale, causal, block_size):
    if q.dtype not in _DTYPES:
        raise TypeError(
            f"q must be float16, bfloat16, float32 or float64, not {q.dtype}"
        )
    if q.device.type not in ("cpu", "cuda"):
        raise ValueError(f"q must be on the CPU or a CUDA GPU, got device {q.device}")
    if q.device.type == "cpu" and q.dtype == torch.bfloat16:
        raise TypeError("bfloat16 q runs only on CUDA: the interpreter has no bfloat16")
    if not isinstance(causal, bool):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    if block_size is not None and (
        len(block_size) != 2 or any(b < 16 or b & (b - 1) for b in block_size)
    ):
        raise ValueError(
            "block_size must be (BLOCK_M, BLOCK_N), powers of two >= 16, "
            f"got block_size={block_size}"
        )


def _mask_operand(mask, batch, L, S):
    """mask broadcastable to (*batch, L, S) -> uint8 (N, 1 or L, S), often a view."""
    if mask.dim() < 2:
        mask = mask.reshape((1,) * (2 - mask.dim()) + tuple(mask.shape))  # (1|L, 1|S)
    Lm = mask.shape[-2]  # 1 for a key-padding mask: one row serves every query
    m = mask.expand(*batch, Lm, S)  # (..., 1|L, S), a view
    return m.reshape(-1, Lm, S).view(torch.uint8)  # (N, 1|L, S); copies only if needed


def scaled_dot_product_attention(
    q, k, v, mask=None, scale=None, causal=False, block_size=None
):
    """FlashAttention-2 in Triton, under the course's kernel contract.

    Args:
        q: queries (..., L, E); k: keys (..., S, E); v: values (..., S, Ev).
            fp16 and fp32 anywhere; bf16 only on CUDA; fp64 only in the
            interpreter (triton 3.7 cannot compile a float64 tl.dot).
        mask: optional bool tensor broadcastable to (..., L, S), True = may attend.
        scale: factor for the scores; defaults to 1 / sqrt(E).
        causal: also hide every key after the query (key index > query index).
        block_size: (BLOCK_M, BLOCK_N) queries and keys per tile, powers of
            two >= 16; default from :func:`default_blocks`.

    Returns:
        ``(out, None)``: out (..., L, Ev), differentiable in q, k and v.

    (The examples need triton; without it pytest skips them, see
    tests/conftest.py.)

    >>> from mhacourse.kernels import vectorized
    >>> q, k, v = torch.randn(2, 20, 8), torch.randn(2, 40, 8), torch.randn(2, 40, 5)
    >>> keep = torch.arange(40) < 30  # (S,) a key-padding mask
    >>> out, w = scaled_dot_product_attention(q, k, v, keep, block_size=(16, 16))
    >>> ref, _ = vectorized.scaled_dot_product_attention(q, k, v, keep)
    >>> out.shape, w, torch.allclose(out, ref, atol=1e-5)
    (torch.Size([2, 20, 5]), None, True)
    >>> q.requires_grad_()  # doctest: +ELLIPSIS
    tensor(...)
    >>> out, _ = scaled_dot_product_attention(q, k, v, causal=True)
    >>> out.sum().backward()  # dQ by recomputation from the saved logsumexp
    >>> q.grad.shape
    torch.Size([2, 20, 8])
    """
    check_qkv(q, k, v)
    *batch, L, E = q.shape  # (..., L, E)
    S, Ev = k.shape[-2], v.shape[-1]
    check_mask(mask, (*batch, L, S), q.device)
    _check(q, mask, scale, causal, block_size)
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    block = tuple(block_size or default_blocks(q.device, E, q.dtype))
    if math.prod(batch) == 0 or L == 0 or S == 0:  # nothing to attend to: zeros
        return q.new_zeros(*batch, L, Ev), None
    q3 = q.reshape(-1, L, E).contiguous()  # (N, L, E), N = prod(batch)
    k3 = k.reshape(-1, S, E).contiguous()  # (N, S, E)
    v3 = v.reshape(-1, S, Ev).contiguous()  # (N, S, Ev)
    _host().check_device(q.device, q.dtype)
    m3 = None if mask is None else _mask_operand(mask, batch, L, S)
    out = _FlashAttention.apply(q3, k3, v3, m3, scale, causal, block)  # (N, L, Ev)
    return out.reshape(*batch, L, Ev), None  # (..., L, Ev)
