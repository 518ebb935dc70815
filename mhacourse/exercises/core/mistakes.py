"""A catalogue of common attention mistakes, as code that makes them.

A :class:`Mistake` pairs a message with a way to recognise the mistake:
either ``fn``, a wrong implementation with the reference's signature (the
reader's output is compared with *its* output), or ``detect(got, expected,
case)``, a predicate for mistakes that no single implementation captures.

:data:`MESSAGES` holds the reader-facing text of the mistakes shared across
chapters; the buggy building blocks below (:func:`attend`, :func:`split`,
:func:`merge`, :func:`mha`) make each of them on demand.

>>> import torch
>>> q, k, v = torch.randn(5, 4), torch.randn(7, 4), torch.randn(7, 6)
>>> good, _ = attend(q, k, v)
>>> bad, _ = attend(q, k, v, scale=None)  # the "no scaling" mistake
>>> torch.allclose(good, bad)
False
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = [
    "MESSAGES",
    "SHARED",
    "Mistake",
    "attend",
    "merge",
    "mha",
    "mistake",
    "split",
]

MESSAGES = {
    "softmax_wrong_axis": (
        "It looks like the softmax runs over the wrong axis. Each query's weights must "
        "sum to 1 "
        "over the keys: normalise the (..., L, S) scores along the last dim (dim=-1)."
    ),
    "no_scaling": (
        "It looks like the scores are not scaled. Multiply q @ k^T by 1/sqrt(E) before "
        "the softmax, "
        "where E is the size of the last dim of q and k."
    ),
    "scale_by_e": "It looks like you divided the scores by E instead of by sqrt(E).",
    "scale_by_sqrt_ev": (
        "It looks like you scaled by 1/sqrt of the value dim Ev. The scale comes from "
        "the dot "
        "products, which have E terms: use 1/sqrt(q.shape[-1])."
    ),
    "scale_by_sqrt_d": (
        "It looks like you scaled by 1/sqrt(D), the model dim, instead of 1/sqrt(E), "
        "the head dim. "
        "Each head's dot products have only E = D // H terms."
    ),
    "mask_polarity": (
        "It looks like the mask polarity is reversed. In this exercise {polarity}."
    ),
    "mask_after_softmax": (
        "It looks like the mask is applied after the softmax: the blocked weights are "
        "zero, but "
        "the remaining weights no longer sum to 1. Mask the scores with -inf before "
        "the softmax."
    ),
    "nan_masked_rows": (
        "NaN on fully masked rows: a query that may attend to no key gets a softmax "
        "over scores "
        "that are all -inf, which is 0/0. Give such rows zero weights and a zero "
        "output, e.g. "
        "weights.masked_fill(~mask.any(-1, keepdim=True), 0.0) after a softmax over "
        "safe scores."
    ),
    "finite_fill": (
        "Fully masked rows got uniform weights instead of zeros. Filling blocked "
        "scores with a large "
        "finite number (like -1e9) makes every score of a fully masked row equal, so "
        "the softmax "
        "spreads the weight evenly over keys the query must not see. Such rows must be "
        "all zeros."
    ),
    "split_no_transpose": (
        "It looks like you reshaped without transposing. View (B, L, D) as (B, L, H, "
        "E) and "
        "then transpose to (B, H, L, E); reshaping straight to (B, H, L, E) mixes "
        "tokens "
        "into heads."
    ),
    "heads_length_swapped": (
        "Heads and length are swapped: you return (B, L, H, E). Transpose dims 1 and 2 "
        "to "
        "get (B, H, L, E)."
    ),
    "interleaved_heads": (
        "Head h must own the contiguous feature dims h*E:(h+1)*E. Your split gives "
        "head h the "
        "dims h, h+H, h+2H, ...: view the last dim as (H, E), not (E, H)."
    ),
    "merge_no_transpose": (
        "It looks like you merged without transposing. Transpose (B, H, L, E) to (B, "
        "L, H, E) "
        "first, then reshape to (B, L, D); reshaping straight away mixes tokens into "
        "features."
    ),
    "no_out_proj": (
        "You forgot the output projection: after concatenating the heads, multiply by "
        "W^o "
        "(concat @ W_o.T) so the heads' outputs are mixed."
    ),
    "weight_not_transposed": (
        "It looks like you multiplied by W instead of W^T. These weights are stored "
        "like "
        "nn.Linear's, (out_features, in_features), so a projection is x @ W.T."
    ),
    "device_not_followed": (
        "A tensor you made is not on the inputs' device: `torch.arange(S)`, "
        "`torch.zeros(...)`, `torch.full(...)` or `torch.tensor(...)` without "
        "`device=` lives on the CPU, so on a GPU your function fails or returns a "
        "CPU tensor. This check puts one case on another device (`meta`, which has "
        "shapes but no values) to catch it. Pass `device=x.device` (the device of "
        "an input, or the `device` argument where the function takes one), or use "
        "`torch.zeros_like(x)`, `x.new_full(...)` and friends."
    ),
    "changed_input": (
        "Your function changed its input `{input}` in place (e.g. with "
        "`{input} *= ...`, `{input}[...] = ...` or a method ending in `_` like "
        "`.add_()`). Leave the inputs as they are and build new tensors: the "
        "caller still needs the originals."
    ),
    "repeat_not_interleave": (
        "You used repeat where repeat_interleave was needed. repeat tiles the whole "
        "tensor "
        "(a, b, a, b), but here each item must be repeated in place (a, a, b, b)."
    ),
}


@dataclass(frozen=True)
class Mistake:
    """A named mistake, its message, and how to recognise it (``fn`` or ``detect``).

    >>> m = mistake("no_scaling", fn=lambda q, k, v: attend(q, k, v, scale=None))
    >>> m.name, m.message.startswith("It looks like the scores are not scaled")
    ('no_scaling', True)
    """

    name: str
    message: str
    fn: Callable | None = None
    detect: Callable | None = None


def mistake(
    name: str,
    fn: Callable | None = None,
    detect: Callable | None = None,
    message: str | None = None,
):
    """A :class:`Mistake` whose message is taken from :data:`MESSAGES` unless given.

    >>> mistake("own", message="Something specific.").message
    'Something specific.'
    """
    if fn is None and detect is None and message is None:
        raise ValueError(f"mistake {name!r} needs fn, detect or a message")
    return Mistake(name, message if message is not None else MESSAGES[name], fn, detect)


#: Mistakes the checker itself recognises in every function exercise.
SHARED = {n: Mistake(n, MESSAGES[n]) for n in ("device_not_followed", "changed_input")}


def attend(
    q,
    k,
    v,
    mask=None,
    *,
    axis=-1,
    scale="sqrt",
    masking="zero_rows",
    transpose_scores=False,
):
    """Attention with switchable mistakes. Returns ``(out, weights)``.

    Args:
        axis: softmax dim (-1 is right, -2 is the classic mistake).
        scale: "sqrt" (1/sqrt(E), right), "E" (1/E), None (no scaling), or a number.
        masking: "zero_rows" (right: -inf, fully masked rows give zeros), "nan" (-inf,
        no guard),
            "finite" (-1e9), "after" (zero the weights after the softmax), "reversed"
            (~mask).
        transpose_scores: score as k @ q^T and transpose back (query/key roles swapped).

    >>> q, k, v = torch.randn(2, 5, 4), torch.randn(2, 7, 4), torch.randn(2, 7, 6)
    >>> [t.shape for t in attend(q, k, v)]
    [torch.Size([2, 5, 6]), torch.Size([2, 5, 7])]
    """
    E = q.shape[-1]
    factor = {"sqrt": 1 / math.sqrt(E), "E": 1 / E, None: 1.0}.get(scale, scale)
    if transpose_scores:
        scores = (k @ q.transpose(-2, -1)).transpose(-2, -1) * factor  # (..., L, S)
    else:
        scores = q @ k.transpose(-2, -1) * factor  # (..., L, S)
    if mask is None or masking == "after":
        weights = torch.softmax(scores, dim=axis)  # (..., L, S)
        if mask is not None:
            weights = weights * mask  # zeroed, not renormalised
    else:
        allowed = ~mask if masking == "reversed" else mask
        fill = -1e9 if masking == "finite" else float("-inf")
        weights = torch.softmax(
            scores.masked_fill(~allowed, fill), dim=axis
        )  # (..., L, S)
        if masking in ("zero_rows", "reversed"):
            weights = weights.nan_to_num(0.0)  # rows with no allowed key: zeros
    return weights @ v, weights  # (..., L, Ev), (..., L, S)


def split(x, H, how="ok"):
    """(B, L, D) -> (B, H, L, E), right ("ok") or with a mistake.

    ``how``: "no_transpose" (reshape straight to (B, H, L, E)), "swapped"
    (stop at (B, L, H, E)), "interleaved" (view the last dim as (E, H)).

    >>> split(torch.zeros(2, 5, 12), 3).shape
    torch.Size([2, 3, 5, 4])
    """
    B, L, D = x.shape
    E = D // H
    if how == "no_transpose":
        return x.reshape(B, H, L, E)  # (B, H, L, E), tokens mixed into heads
    if how == "swapped":
        return x.view(B, L, H, E)  # (B, L, H, E)
    if how == "interleaved":
        return x.view(B, L, E, H).permute(0, 3, 1, 2)  # (B, H, L, E), strided dims
    return x.view(B, L, H, E).transpose(1, 2)  # (B, H, L, E)


def merge(x, how="ok"):
    """(B, H, L, E) -> (B, L, D), right ("ok") or "no_transpose" or "interleaved".

    >>> merge(torch.zeros(2, 3, 5, 4)).shape
    torch.Size([2, 5, 12])
    """
    B, H, L, E = x.shape
    if how == "no_transpose":
        return x.reshape(B, L, H * E)  # (B, L, D), mixed
    if how == "interleaved":
        return x.permute(0, 2, 3, 1).reshape(
            B, L, H * E
        )  # (B, L, D), head index fastest
    return x.transpose(1, 2).reshape(B, L, H * E)  # (B, L, D)


def mha(
    query,
    key,
    value,
    W_q,
    W_k,
    W_v,
    W_o,
    num_heads,
    mask=None,
    *,
    split_how="ok",
    merge_how="ok",
    out_proj=True,
    scale_dim="E",
    transpose_w=True,
    **attend_kw,
):
    """Multi-head attention without biases, with switchable mistakes: (B, L, D).

    ``scale_dim="D"`` scales by 1/sqrt(D); ``transpose_w=False`` computes x @ W;
    other keywords go to :func:`attend`.

    >>> x, W = torch.randn(2, 5, 12), torch.randn(12, 12)
    >>> mha(x, x, x, W, W, W, W, 3).shape
    torch.Size([2, 5, 12])
    """

    def proj(x, W):
        return x @ W.T if transpose_w else x @ W

    D = query.shape[-1]
    if scale_dim == "D":
        attend_kw["scale"] = 1 / math.sqrt(D)
    q = split(proj(query, W_q), num_heads, split_how)  # (B, H, L, E)
    k = split(proj(key, W_k), num_heads, split_how)  # (B, H, S, E)
    v = split(proj(value, W_v), num_heads, split_how)  # (B, H, S, E)
    heads, _ = attend(q, k, v, mask, **attend_kw)  # (B, H, L, E)
    concat = merge(heads, merge_how)  # (B, L, D)
    return proj(concat, W_o) if out_proj else concat  # (B, L, D)
