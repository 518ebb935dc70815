"""The three Triton programs of FlashAttention-2: forward, dK/dV and dQ.

This module imports ``triton``; :mod:`mhacourse.kernels.triton` loads it only
when the kernel is first called. The bodies are plain functions that
:mod:`._launch` wraps with ``triton.jit`` (compiled, or interpreted when
``TRITON_INTERPRET=1``), so the course can also show them as plain Python.

Every program handles one block of rows of one (batch x head) entry ``n``:
``tl.program_id(0)`` picks the block, ``tl.program_id(1)`` picks ``n``. The
tensors arrive flattened and contiguous: q (N, L, E), k (N, S, E),
v (N, S, Ev), out and dO (N, L, Ev), lse and D (N, L). Head dims are padded
up to BLOCK_E / BLOCK_EV (powers of two, at least 16) by masked loads.

Which (query i, key j) pairs may attend is recomputed in every program by
one helper, :func:`allowed_pairs` (``@triton.jit``, so it compiles into, or
is interpreted within, each program that calls it): ``j < S``, and
``j <= i`` when CAUSAL, and ``mask[n, i, j]`` when HAS_MASK (a uint8 tensor
read through strides; stride 0 broadcasts). The score
factor comes as a one-element tensor, so float64 inputs keep a float64 scale.
PREC is the ``input_precision`` of the ``tl.dot`` on the inputs (see
``_launch.precision``). The backward pass multiplies the weights P and the
score gradients dS in the accumulator dtype, with IEEE products: rounding
them to fp16 first, as FlashAttention-2 does for speed, made fp16 gradients
up to 2.4x less accurate than PyTorch's fp16 SDPA in our tests.
Each body spells every step out, so they are longer than the course's
40-line guide: a Triton kernel is one function per program.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def allowed_pairs(M, n, rows, cols, L, S, smn, sml, sms,
                  HAS_MASK: tl.constexpr, CAUSAL: tl.constexpr):  # fmt: skip
    """Which (query, key) pairs of one tile may attend: (BM, BN) or (1, BN) bool.

    The one place every program decides it: key j exists (j < S), and
    j <= i when CAUSAL, and mask[n, i, j] when HAS_MASK.
    """
    ok = cols[None, :] < S  # (1, BN) the key exists; broadcasts over rows
    if CAUSAL:
        ok = ok & (cols[None, :] <= rows[:, None])  # (BM, BN)
    if HAS_MASK:  # the caller's mask, read tile by tile (stride 0 broadcasts)
        allowed = tl.load(
            M + n * smn + rows[:, None] * sml + cols[None, :] * sms,
            mask=(rows[:, None] < L) & (cols[None, :] < S),
            other=0,
        )  # (BM, BN) uint8
        ok = ok & (allowed != 0)
    return ok


def attention_forward(
    Q, K, V, M, Out, Lse, Scale, L, S, E, EV,
    sqn, skn, svn, son, smn, sml, sms,
    HAS_MASK: tl.constexpr, CAUSAL: tl.constexpr, ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_E: tl.constexpr, BLOCK_EV: tl.constexpr,
):  # fmt: skip
    """One block of BLOCK_M queries against all keys, with an online softmax."""
    scale = tl.load(Scale)  # the score factor, in the accumulator dtype
    n = tl.program_id(1).to(tl.int64)  # which (batch x head) entry
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)  # (BM,) query ids
    es, evs = tl.arange(0, BLOCK_E), tl.arange(0, BLOCK_EV)
    q = tl.load(
        Q + n * sqn + rows[:, None] * E + es[None, :],
        mask=(rows[:, None] < L) & (es[None, :] < E),
        other=0.0,
    )  # (BM, BE)
    m = tl.full([BLOCK_M], float("-inf"), ACC)  # (BM,) running max
    l = tl.zeros([BLOCK_M], ACC)  # (BM,) running sum of exp(score - m)
    acc = tl.zeros([BLOCK_M, BLOCK_EV], ACC)  # (BM, BEv) running exp-weighted values
    hi = S
    if CAUSAL:  # keys after the block's last query are never needed
        hi = tl.minimum(S, (tl.program_id(0) + 1) * BLOCK_M)
    for start in range(0, hi, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)  # (BN,) key ids
        kT = tl.load(
            K + n * skn + cols[None, :] * E + es[:, None],
            mask=(cols[None, :] < S) & (es[:, None] < E),
            other=0.0,
        )  # (BE, BN)
        v = tl.load(
            V + n * svn + cols[:, None] * EV + evs[None, :],
            mask=(cols[:, None] < S) & (evs[None, :] < EV),
            other=0.0,
        )  # (BN, BEv)
        s = tl.dot(q, kT, input_precision=PREC).to(ACC) * scale  # (BM, BN)
        ok = allowed_pairs(M, n, rows, cols, L, S, smn, sml, sms, HAS_MASK, CAUSAL)
        s = tl.where(ok, s, float("-inf"))  # (BM, BN)
        m_new = tl.maximum(m, tl.max(s, 1))  # (BM,)
        ref = tl.where(m_new == float("-inf"), 0.0, m_new)  # (BM,) no -inf - -inf
        p = tl.exp(s - ref[:, None])  # (BM, BN) unnormalised weights
        alpha = tl.exp(m - ref)  # (BM,) = exp(m_old - m_new)
        l = l * alpha + tl.sum(p, 1)
        pv = tl.dot(p.to(V.dtype.element_ty), v, input_precision=PREC)  # (BM, BEv)
        acc = acc * alpha[:, None] + pv.to(ACC)
        m = m_new
    seen = l > 0  # (BM,) False for a query that may attend to no key
    out = acc / tl.where(seen, l, 1.0)[:, None]  # (BM, BEv); 0 where not seen
    tl.store(
        Out + n * son + rows[:, None] * EV + evs[None, :],
        out.to(Out.dtype.element_ty),
        mask=(rows[:, None] < L) & (evs[None, :] < EV),
    )
    # log sum_j exp(s_ij); +inf for an unseen row makes exp(s - lse) = 0 later.
    lse = tl.where(seen, m + tl.log(tl.where(seen, l, 1.0)), float("inf"))
    tl.store(Lse + n * L + rows, lse, mask=rows < L)


def attention_backward_dkdv(
    Q, K, V, M, dO, Lse, Dl, dK, dV, Scale, L, S, E, EV,
    sqn, skn, svn, son, smn, sml, sms,
    HAS_MASK: tl.constexpr, CAUSAL: tl.constexpr, ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_E: tl.constexpr, BLOCK_EV: tl.constexpr,
):  # fmt: skip
    """dK and dV of one block of BLOCK_N keys, walking over all query blocks."""
    scale = tl.load(Scale)  # the score factor, in the accumulator dtype
    n = tl.program_id(1).to(tl.int64)
    cols = tl.program_id(0) * BLOCK_N + tl.arange(0, BLOCK_N)  # (BN,) key ids
    es, evs = tl.arange(0, BLOCK_E), tl.arange(0, BLOCK_EV)
    k = tl.load(
        K + n * skn + cols[:, None] * E + es[None, :],
        mask=(cols[:, None] < S) & (es[None, :] < E),
        other=0.0,
    )  # (BN, BE)
    v = tl.load(
        V + n * svn + cols[:, None] * EV + evs[None, :],
        mask=(cols[:, None] < S) & (evs[None, :] < EV),
        other=0.0,
    )  # (BN, BEv)
    dk = tl.zeros([BLOCK_N, BLOCK_E], ACC)  # (BN, BE)
    dv = tl.zeros([BLOCK_N, BLOCK_EV], ACC)  # (BN, BEv)
    lo = 0
    if CAUSAL:  # queries before the block's first key never see it
        lo = (tl.program_id(0) * BLOCK_N // BLOCK_M) * BLOCK_M
    for start in range(lo, L, BLOCK_M):
        rows = start + tl.arange(0, BLOCK_M)  # (BM,) query ids
        q = tl.load(
            Q + n * sqn + rows[:, None] * E + es[None, :],
            mask=(rows[:, None] < L) & (es[None, :] < E),
            other=0.0,
        )  # (BM, BE)
        do = tl.load(
            dO + n * son + rows[:, None] * EV + evs[None, :],
            mask=(rows[:, None] < L) & (evs[None, :] < EV),
            other=0.0,
        )  # (BM, BEv)
        lse = tl.load(Lse + n * L + rows, mask=rows < L, other=float("inf"))  # (BM,)
        d = tl.load(Dl + n * L + rows, mask=rows < L, other=0.0)  # (BM,)
        s = tl.dot(q, tl.trans(k), input_precision=PREC).to(ACC) * scale  # (BM, BN)
        ok = allowed_pairs(M, n, rows, cols, L, S, smn, sml, sms, HAS_MASK, CAUSAL)
        p = tl.where(ok, tl.exp(s - lse[:, None]), 0.0)  # (BM, BN) the weights
        dv += tl.dot(tl.trans(p), do.to(ACC), input_precision="ieee")  # (BN, BEv)
        dp = tl.dot(do, tl.trans(v), input_precision=PREC).to(ACC)  # (BM, BN)
        ds = p * (dp - d[:, None])  # (BM, BN) gradient of the scores
        dk += tl.dot(tl.trans(ds), q.to(ACC), input_precision="ieee")  # (BN, BE)
    tl.store(
        dK + n * skn + cols[:, None] * E + es[None, :],
        (dk * scale).to(dK.dtype.element_ty),
        mask=(cols[:, None] < S) & (es[None, :] < E),
    )
    tl.store(
        dV + n * svn + cols[:, None] * EV + evs[None, :],
        dv.to(dV.dtype.element_ty),
        mask=(cols[:, None] < S) & (evs[None, :] < EV),
    )


def attention_backward_dq(
    Q, K, V, M, dO, Lse, Dl, dQ, Scale, L, S, E, EV,
    sqn, skn, svn, son, smn, sml, sms,
    HAS_MASK: tl.constexpr, CAUSAL: tl.constexpr, ACC: tl.constexpr, PREC: tl.constexpr,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_E: tl.constexpr, BLOCK_EV: tl.constexpr,
):  # fmt: skip
    """dQ of one block of BLOCK_M queries, walking over all key blocks."""
    scale = tl.load(Scale)  # the score factor, in the accumulator dtype
    n = tl.program_id(1).to(tl.int64)
    rows = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)  # (BM,) query ids
    es, evs = tl.arange(0, BLOCK_E), tl.arange(0, BLOCK_EV)
    q = tl.load(
        Q + n * sqn + rows[:, None] * E + es[None, :],
        mask=(rows[:, None] < L) & (es[None, :] < E),
        other=0.0,
    )  # (BM, BE)
    do = tl.load(
        dO + n * son + rows[:, None] * EV + evs[None, :],
        mask=(rows[:, None] < L) & (evs[None, :] < EV),
        other=0.0,
    )  # (BM, BEv)
    lse = tl.load(Lse + n * L + rows, mask=rows < L, other=float("inf"))  # (BM,)
    d = tl.load(Dl + n * L + rows, mask=rows < L, other=0.0)  # (BM,)
    dq = tl.zeros([BLOCK_M, BLOCK_E], ACC)  # (BM, BE)
    hi = S
    if CAUSAL:
        hi = tl.minimum(S, (tl.program_id(0) + 1) * BLOCK_M)
    for start in range(0, hi, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)  # (BN,) key ids
        k = tl.load(
            K + n * skn + cols[:, None] * E + es[None, :],
            mask=(cols[:, None] < S) & (es[None, :] < E),
            other=0.0,
        )  # (BN, BE)
        v = tl.load(
            V + n * svn + cols[:, None] * EV + evs[None, :],
            mask=(cols[:, None] < S) & (evs[None, :] < EV),
            other=0.0,
        )  # (BN, BEv)
        s = tl.dot(q, tl.trans(k), input_precision=PREC).to(ACC) * scale  # (BM, BN)
        ok = allowed_pairs(M, n, rows, cols, L, S, smn, sml, sms, HAS_MASK, CAUSAL)
        p = tl.where(ok, tl.exp(s - lse[:, None]), 0.0)  # (BM, BN)
        dp = tl.dot(do, tl.trans(v), input_precision=PREC).to(ACC)  # (BM, BN)
        ds = p * (dp - d[:, None])  # (BM, BN)
        dq += tl.dot(ds, k.to(ACC), input_precision="ieee")  # (BM, BE)
    tl.store(
        dQ + n * sqn + rows[:, None] * E + es[None, :],
        (dq * scale).to(dQ.dtype.element_ty),
        mask=(rows[:, None] < L) & (es[None, :] < E),
    )
