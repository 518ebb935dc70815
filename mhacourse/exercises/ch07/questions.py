"""Chapter 7 questions: the running max, memory, forward+backward cost, the logsumexp.

>>> q5.reference, q6.reference, q7.reference, q8.reference
('b', 'b', 'b', 'c')
"""

from __future__ import annotations

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from ..core.figures import nearest
from ..core.questions import predict

__all__ = ["q5", "q6", "q7", "q8"]


def without_running_max():
    """Run it: online softmax with no running max, on scores 30 times too large."""
    gen = torch.Generator().manual_seed(0)
    q = 30 * torch.randn(4, 16, generator=gen)  # (L, E), float32
    k = torch.randn(64, 16, generator=gen)  # (S, E)
    v = torch.randn(64, 8, generator=gen)  # (S, Ev)
    l = torch.zeros(4, 1)  # (L, 1) running sum of exp(s), no max subtracted
    acc = torch.zeros(4, 8)  # (L, Ev)
    for start in range(0, 64, 16):  # key blocks of 16
        p = torch.exp(q @ k[start : start + 16].T / 4)  # (L, 16), scale 1/sqrt(E)
        l, acc = l + p.sum(-1, keepdim=True), acc + p @ v[start : start + 16]
    out = acc / l  # (L, Ev)
    expected = torch.softmax(q @ k.T / 4, dim=-1) @ v  # (L, Ev)
    if not bool(out.isfinite().all()):
        return "b"
    return "a" if torch.allclose(out, expected, atol=1e-5) else "c"


q5 = predict(
    "ch07.q5",
    "Predict: the online softmax without its running max",
    r"""
    The online softmax keeps a running maximum $m$ and computes $e^{s - m}$. Drop
    it: add up $e^{s}$ and $e^{s} v$ block by block, then divide. Use float32
    scores that are large, as in a trained model (about $\pm 100$). **Before
    running anything**, predict the result:

    - `a`: the same output: the maximum only cancels out anyway;
    - `b`: NaN (or inf) in the output;
    - `c`: finite, but a little less accurate.
    """,
    without_running_max,
    choices={"a": "the same", "b": "NaN or inf", "c": "less accurate"},
    wrong={
        "a": "In exact arithmetic the maximum cancels, but float32 stops at about "
        "3.4e38 = e^88.7: e^100 is inf, and inf / inf is NaN.",
        "c": "It is worse than inaccurate: e^s overflows to inf for s > 88.7 in "
        "float32, and inf / inf gives NaN.",
    },
    why="e^s overflows float32 as soon as s > 88.7; then l and acc hold inf and "
    "acc / l is NaN. Subtracting the running max keeps every exponent <= 0.",
    hints=[
        "What is the largest float32 number, and what is its natural log?",
        "What is inf / inf?",
    ],
)


def score_memory_growth():
    """Run it: how the (B, H, L, L) weights' bytes grow when L doubles."""

    def nbytes(L):
        w = torch.empty(2, 8, L, L, device="meta")  # (B, H, L, S)
        return w.numel() * w.element_size()

    return nearest(nbytes(8192) / nbytes(4096), {"a": 2.0, "b": 4.0, "c": 8.0})


q6 = predict(
    "ch07.q6",
    "Predict: the score matrix when the sequence doubles",
    r"""
    A plain attention kernel materialises the weights, a (B, H, L, L) tensor.
    Going from $L = 4096$ to $L = 8192$ tokens, with $B$, $H$ and $E$ unchanged,
    **before running anything**, predict by how much that tensor grows:

    - `a`: 2 times; `b`: 4 times; `c`: 8 times.
    """,
    score_memory_growth,
    choices={"a": "2 times", "b": "4 times", "c": "8 times"},
    wrong={
        "a": "q, k, v and the output grow 2 times (they are (L, E)). The weights "
        "have L rows *and* L columns.",
        "c": "The weights have two sequence dims, not three: (2L)^2 = 4 L^2. The "
        "*time* of the matmuls grows 4 times too, not 8.",
    },
    why="The weights hold L x L numbers per head: doubling L multiplies them by 4. "
    "That quadratic term is what the tiled kernel never stores.",
    hints=[
        "How many numbers does one head's (L, L) matrix hold?",
        "Replace L by 2L in L x L.",
    ],
)


class _MatmulFlops(TorchDispatchMode):
    """Counts 2 * n * k * m flops for every (batched) matmul that runs inside it."""

    def __init__(self):
        super().__init__()
        self.flops = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if func.overloadpacket in (torch.ops.aten.bmm, torch.ops.aten.mm):
            a, b = args[0], args[1]  # (..., n, k) @ (..., k, m)
            self.flops += 2 * a.numel() * b.shape[-1]
        return out


def backward_ratio():
    """Run it: FLOPs of forward + backward over forward, attention that keeps P."""
    q, k, v = (torch.randn(1, 2, 32, 16, requires_grad=True) for _ in range(3))

    def attention():
        w = torch.softmax(q @ k.transpose(-2, -1) / 4, dim=-1)  # (B, H, L, S)
        return w @ v  # (B, H, L, E)

    with torch.enable_grad():
        with _MatmulFlops() as fwd:
            attention()
        with _MatmulFlops() as both:
            attention().sum().backward()
    return nearest(both.flops / fwd.flops, {"a": 2.0, "b": 3.0, "c": 4.0})


q7 = predict(
    "ch07.q7",
    "Predict: what does the backward pass cost?",
    r"""
    Attention's forward pass is two matmuls, $S = q k^\top$ and $P v$. Count the
    floating-point operations of forward **plus** backward for a kernel that keeps
    $P$ for the backward pass (no recomputation), and divide by the forward's.
    **Before running anything**, predict the ratio (the check counts the
    flops of every matmul that runs):

    - `a`: about 2; `b`: about 3; `c`: about 4.
    """,
    backward_ratio,
    choices={"a": "2", "b": "3", "c": "4"},
    wrong={
        "a": "The backward is not as cheap as the forward: each matmul C = A B "
        "needs two matmuls back, dA = dC B^T and dB = A^T dC.",
        "c": "4 would be a backward three times the forward. Each forward matmul "
        "needs two backward ones: 2 + 4 = 6 matmuls against 2, a ratio of 3. "
        "FlashAttention recomputes S = q k^T once more: 3.5.",
    },
    why="Each of the two forward matmuls has two in the backward, so forward + "
    "backward is 6 matmuls against 2: a ratio of 3 (3.5 with FlashAttention's "
    "recomputation of the scores).",
    hints=[
        "C = A B: which matmuls give dA and dB?",
        "Count the matmuls: 2 forward, how many backward?",
    ],
)


def _online_stats(s):
    """Row max m and sum l of exp(s - m), in key blocks of 4, like the kernel."""
    m = torch.full((s.shape[0], 1), float("-inf"), dtype=s.dtype)  # (L, 1)
    l = torch.zeros(s.shape[0], 1, dtype=s.dtype)  # (L, 1)
    for start in range(0, s.shape[1], 4):
        block = s[:, start : start + 4]  # (L, 4)
        m_new = torch.maximum(m, block.amax(-1, keepdim=True))  # (L, 1)
        l = l * torch.exp(m - m_new) + torch.exp(block - m_new).sum(-1, keepdim=True)
        m = m_new
    return m, l


def what_to_save():
    """Run it: the smallest saved quantity that rebuilds the weights P exactly."""
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(6, 12, generator=gen, dtype=torch.float64)  # (L, S) scores
    P = torch.softmax(s, dim=-1)  # (L, S) what the backward needs
    m, l = _online_stats(s)  # (L, 1) each
    rebuilt = {  # choice: (numbers saved, the weights rebuilt from them and s)
        "a": (P.numel(), P),
        "b": (m.numel(), torch.exp(s - m)),
        "c": (m.numel(), torch.exp(s - (m + torch.log(l)))),
    }
    works = [c for c, (n, p) in rebuilt.items() if torch.allclose(p, P)]
    return min(works, key=lambda c: rebuilt[c][0])


q8 = predict(
    "ch07.q8",
    "Predict: what does the kernel keep for the backward pass?",
    r"""
    The backward pass needs the weights $P = \mathrm{softmax}(q k^\top)$, but a
    FlashAttention kernel (like the chapter's Triton kernel) never stores the
    (L, S) matrix. It recomputes the scores $s$ from $q$ and $k$, and keeps from
    the forward pass only what it needs to turn them into $P$. **Before running
    anything**, predict the least it can keep:

    - `a`: the weights $P$ themselves, (L, S);
    - `b`: each query's running maximum $m$, (L,);
    - `c`: each query's logsumexp $m + \log \ell$, (L,).
    """,
    what_to_save,
    choices={"a": "P", "b": "the max m", "c": "the logsumexp"},
    wrong={
        "a": "P works, but it is the (L, S) matrix that FlashAttention exists to "
        "avoid storing. One number per query is enough.",
        "b": "e^(s - m) is not yet P: each row still has to be divided by its sum "
        "l. Keep m + log l, and P = e^(s - (m + log l)) in one step.",
    },
    why="P = e^(s - m) / l = e^(s - (m + log l)): one number per query, the "
    "logsumexp, turns recomputed scores into the exact weights.",
    hints=[
        "softmax(s) = e^(s - m) / l. Which two numbers per row does that need?",
        "Can you fold the division by l into the exponent?",
    ],
)
