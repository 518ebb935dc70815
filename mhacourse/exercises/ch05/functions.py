"""Chapter 5's "write this function" exercises: q2, q3.

Statements, hints, inputs, catalogued mistakes and reference solutions.
"""

from __future__ import annotations

import math

import torch

from ..core import inputs as I
from ..core.exercise import Exercise
from ..core.mistakes import mistake


def _dtypes(device):
    return [torch.float32, torch.float32, I.wide_dtype(device)]


# q2 -----------------------------------------------------------------------------------
def head_similarity(weights):
    """Mean pairwise cosine similarity of the heads' attention maps.

    weights: (..., H, L, S), the attention weights of H heads. Each head's (L, S)
    map is flattened to one vector. Returns (...): the average cosine similarity
    over the H (H - 1) / 2 pairs of different heads.
    """
    H = weights.shape[-3]
    maps = weights.flatten(-2)  # (..., H, L*S): one vector per head
    unit = maps / maps.norm(dim=-1, keepdim=True)  # (..., H, L*S), unit length
    sim = unit @ unit.transpose(-2, -1)  # (..., H, H): cosine of every pair of heads
    i, j = torch.triu_indices(H, H, offset=1, device=weights.device)  # the pairs h < h'
    return sim[..., i, j].mean(dim=-1)  # (...)


def _similarity_cases(gen, device):
    cases = []
    for b, dt in zip([(), (2,), (2,)], _dtypes(device), strict=False):
        w = torch.softmax(
            I.randn(gen, (*b, 3, 5, 7), device, dt, 2.0), dim=-1
        )  # (..., H, L, S)
        cases.append(I.Case((w,), sizes={"B": 2, "H": 3, "L": 5, "S": 7}))
    w = cases[-1].args[0]
    w[..., 1, :, :] = w[..., 0, :, :]  # heads 0 and 1 identical
    cases[-1].note = "heads 0 and 1 are identical"
    return cases


def _similarity(norm=True, pairs="upper", rows=False, start=-2):
    def wrong(weights):
        H = weights.shape[-3]
        # (..., H, L*S), or with rows=True (..., H, L, S): one cosine per query row
        maps = weights if rows else weights.flatten(start)
        maps = maps / maps.norm(dim=-1, keepdim=True) if norm else maps
        if rows:
            sim = torch.einsum("...hlx,...glx->...hg", maps, maps) / maps.shape[-2]
        else:
            sim = maps @ maps.transpose(-2, -1)  # (..., H, H)
        if pairs == "all":
            return sim.mean(dim=(-2, -1))
        if pairs == "half":
            return sim.triu(1).sum((-2, -1)) / (H * (H - 1))
        i, j = torch.triu_indices(H, H, offset=int(pairs != "diagonal"))
        return sim[..., i, j].mean(-1)

    return wrong


q2 = Exercise(
    "ch05.q2",
    "How similar are the heads?",
    r"""
    To see whether heads learned different things, compare their attention maps. Write
    `head_similarity(weights)` for `weights` of shape (..., H, L, S): flatten each
    head's (L, S) map into one
    vector, compute the cosine similarity
    $\frac{u \cdot w}{\lVert u \rVert \lVert w \rVert}$ of every pair of
    *different* heads, and return the mean over the $H(H-1)/2$ pairs, shape (...). It
    is 1 when all heads attend
    alike and smaller for diverse heads.
    """,
    head_similarity,
    cases=_similarity_cases,
    hints=[
        "`weights.flatten(-2)` gives (..., H, L*S). Normalise each row to unit length, "
        "then one matmul gives "
        "every pair's cosine, shape (..., H, H).",
        "Keep only the pairs h < h': `torch.triu_indices(H, H, offset=1)` lists them.",
    ],
    mistakes=[
        mistake(
            "self_pairs",
            _similarity(pairs="all"),
            message="You averaged over all H x H pairs, including "
            "each head with itself (cosine 1). Use only pairs of different heads.",
        ),
        mistake(
            "not_normalised",
            _similarity(norm=False),
            message="Those are raw dot products. Divide by both "
            "vectors' norms to get a cosine similarity.",
        ),
        mistake(
            "diagonal_included",
            _similarity(pairs="diagonal"),
            message="Your pairs include each head with itself (cosine 1): "
            "`torch.triu_indices(H, H)` keeps the diagonal. Pass `offset=1` to keep "
            "only the H(H-1)/2 pairs h < h'.",
        ),
        mistake(
            "half_the_pairs",
            _similarity(pairs="half"),
            message="You summed the H(H-1)/2 pairs h < h' but divided by H(H-1), "
            "the number of *ordered* pairs: that halves the mean. Divide by "
            "H(H-1)/2, or take `.mean()` over the pairs.",
        ),
        mistake(
            "assumed_batch_dim",
            _similarity(start=2),
            message="Your code assumes a batch dim in front: `flatten(2)` (or "
            "`shape[1]`) counts dims from the left, so without a batch dim it "
            "flattens the wrong ones. Count from the right, `flatten(-2)` and "
            "`weights.shape[-3]`: any number of leading dims, none included.",
        ),
        mistake(
            "per_row_cosine",
            _similarity(rows=True),
            message="You compared the heads one query row at a time and averaged "
            "the rows' cosines. Flatten each head's whole (L, S) map into one vector "
            "first (`weights.flatten(-2)`), then take one cosine per pair of heads.",
        ),
    ],
)


# q3 -----------------------------------------------------------------------------------
def ablate_head(x, W_q, W_k, W_v, W_o, num_heads, h):
    """Self-attention output (B, L, D) with head h switched off.

    Head h's output is replaced by zeros before the output projection W^o.

    x: (B, L, D); W_q, W_k, W_v, W_o: (D, D) like nn.Linear weights; no biases.
    """
    B, L, D = x.shape
    E = D // num_heads

    def split(t):  # (B, L, D) -> (B, H, L, E)
        return t.view(B, L, num_heads, E).transpose(1, 2)

    q, k, v = split(x @ W_q.T), split(x @ W_k.T), split(x @ W_v.T)  # (B, H, L, E) each
    scores = q @ k.transpose(-2, -1) / math.sqrt(E)  # (B, H, L, L)
    weights = torch.softmax(scores, dim=-1)  # (B, H, L, L)
    heads = weights @ v  # (B, H, L, E)
    heads[:, h] = 0.0  # head h contributes nothing
    concat = heads.transpose(1, 2).reshape(B, L, D)  # (B, L, D)
    return concat @ W_o.T  # (B, L, D)


def _ablate_cases(gen, device):
    cases = []
    for (B, L, H, E), dt, h in zip(
        [(2, 5, 3, 4), (2, 5, 4, 3), (3, 7, 2, 5)],
        _dtypes(device),
        (1, 0, 1),
        strict=False,
    ):
        D = H * E
        W = [I.randn(gen, (D, D), device, dt, 1 / math.sqrt(D)) for _ in range(4)]
        cases.append(
            I.Case(
                (I.randn(gen, (B, L, D), device, dt), *W, H, h),
                sizes={"B": B, "L": L, "H": H, "E": E, "D": D},
            )
        )
    return cases


def _ablate(where):
    def wrong(x, W_q, W_k, W_v, W_o, H, h):
        B, L, D = x.shape
        E = D // H
        if where == "W_q":
            W_q = W_q.clone()
            W_q[h * E : (h + 1) * E] = 0.0
        q, k, v = (
            t.view(B, L, H, E).transpose(1, 2)
            for t in (x @ W_q.T, x @ W_k.T, x @ W_v.T)
        )
        scale = math.sqrt(D if where == "scale_by_sqrt_d" else E)
        heads = torch.softmax(q @ k.transpose(-2, -1) / scale, -1) @ v  # (B, H, L, E)
        zero = {
            "scale_by_sqrt_d": (slice(None), h),  # the right head, the wrong scale
            "previous_head": (slice(None), h - 1),  # heads counted from 1
            "position": (slice(None), slice(None), h),  # query position h
        }.get(where)
        if zero is not None:
            heads[zero] = 0.0
        concat = heads.transpose(1, 2).reshape(B, L, D)
        if where == "interleaved":
            concat[..., h::H] = 0.0
        elif where == "no_out_proj":
            concat[..., h * E : (h + 1) * E] = 0.0
            return concat
        out = concat @ W_o.T
        if where == "output":
            out[..., h * E : (h + 1) * E] = 0.0
        return out

    return wrong


q3 = Exercise(
    "ch05.q3",
    "Ablating a head",
    r"""
    One way to learn what a head does: switch it off and see what changes. Write
    `ablate_head(x, W_q, W_k, W_v, W_o, num_heads, h)`, a multi-head self-attention
    forward (no biases, as in
    chapter 4) in which head $h$'s output is replaced by zeros *before* the output
    projection $W^o$, so that it
    contributes nothing. `x` is (B, L, D), each `W` is (D, D); return (B, L, D).
    """,
    ablate_head,
    cases=_ablate_cases,
    hints=[
        "Compute the heads' outputs (B, H, L, E) as usual, then zero `heads[:, h]`.",
        "Then merge the heads and apply W^o as usual.",
    ],
    mistakes=[
        mistake(
            "zeroed_w_q",
            _ablate("W_q"),
            message="Zeroing head h's scores (or its rows of W^q or W^k, which "
            "makes the scores 0) does not switch the head off: it attends uniformly "
            "and still adds the mean of its values. Zero the head's *output*.",
        ),
        mistake(
            "zeroed_after_w_o",
            _ablate("output"),
            message="You zeroed features of the final output. W^o "
            "mixes all heads into every output feature, so zero head h's output "
            "*before* W^o.",
        ),
        mistake(
            "interleaved_heads",
            _ablate("interleaved"),
            message="You zeroed features h, h+H, ... of the "
            "concatenation. Head h's features are the contiguous block h*E:(h+1)*E.",
        ),
        mistake("no_out_proj", _ablate("no_out_proj")),
        mistake(
            "zeroed_position",
            _ablate("position"),
            message="You zeroed query position h of every head: `heads` is "
            "(B, H, L, E), so `heads[:, :, h]` is a token. Head h is `heads[:, h]`.",
        ),
        mistake(
            "head_off_by_one",
            _ablate("previous_head"),
            message="You switched off head h - 1. Heads count from 0: head h is "
            "`heads[:, h]`, its features `h*E:(h+1)*E`.",
        ),
        mistake("scale_by_sqrt_d", _ablate("scale_by_sqrt_d")),
    ],
)
