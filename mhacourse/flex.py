"""The course's masks as FlexAttention ``mask_mod`` functions.

PyTorch's FlexAttention (``torch.nn.attention.flex_attention``) takes a
mask as a *function* ``mask_mod(b, h, q_idx, kv_idx) -> bool`` (True = may
attend, our polarity) instead of an (L, S) tensor; ``create_block_mask``
turns it into a block-sparse mask that skips the key blocks a query block
never sees, and ``torch.compile`` fuses the whole into one kernel. The
functions below return the mask_mods of :func:`~mhacourse.masks.causal_mask`
and :func:`~mhacourse.masks.sliding_window_mask`;
:func:`flex_attention` runs them under the kernels' contract.

Shape legend: B batch, H heads, L query length, S key length, E head dim.
Without ``torch.compile``, FlexAttention runs an unfused reference (every
dtype, slow); compiled on the CPU it takes float32, float16 and bfloat16.
"""

from __future__ import annotations

import warnings

import torch
from torch.nn.attention import flex_attention as _flex

from .masks import sliding_window_mask

__all__ = ["causal_mod", "flex_attention", "sliding_window_mod"]


def causal_mod(offset: int = 0):
    """The mask_mod of ``causal_mask(L, S, offset)``: key j <= query i + offset.

    >>> mod = causal_mod()
    >>> bool(mod(0, 0, torch.tensor(2), torch.tensor(3)))
    False
    """

    def causal(b, h, q_idx, kv_idx):
        return kv_idx <= q_idx + offset

    return causal


def sliding_window_mod(window: int, num_sink_tokens: int = 0):
    """The mask_mod of ``sliding_window_mask(L, window, num_sink_tokens)``.

    Key j is visible from query i iff j <= i and (i - j < window or
    j < num_sink_tokens).

    >>> mod = sliding_window_mod(2, num_sink_tokens=1)
    >>> [bool(mod(0, 0, torch.tensor(4), torch.tensor(j))) for j in range(5)]
    [True, False, False, True, True]
    """
    sliding_window_mask(0, window, num_sink_tokens)  # checks both, names them

    def sliding_window(b, h, q_idx, kv_idx):
        recent = (q_idx - kv_idx < window) | (kv_idx < num_sink_tokens)
        return (kv_idx <= q_idx) & recent

    return sliding_window


def flex_attention(q, k, v, mask_mod=None, scale=None, *, compiled=False):
    """FlexAttention with a mask_mod: q (B, H, L, E), k (B, H, S, E) -> (B, H, L, Ev).

    ``compiled=False`` runs PyTorch's unfused reference (any dtype, float64
    included; its warning about the missing compile is silenced);
    ``compiled=True`` runs it through ``torch.compile``. Returns
    ``(out, None)`` like the kernels that never form the weights.

    >>> q = k = v = torch.randn(1, 2, 5, 4, dtype=torch.float64)
    >>> out, _ = flex_attention(q, k, v, causal_mod())
    >>> ref = torch.nn.functional.scaled_dot_product_attention(q, k, v,
    ...                                                         is_causal=True)
    >>> torch.allclose(out, ref)
    True
    """
    block_mask = None
    if mask_mod is not None:
        L, S = q.shape[-2], k.shape[-2]
        block_mask = _flex.create_block_mask(
            mask_mod, None, None, L, S, device=q.device
        )  # (1, 1, L, S) in blocks, for every batch and head
    if compiled:
        return _compiled()(q, k, v, block_mask=block_mask, scale=scale), None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="flex_attention called without")
        return _flex.flex_attention(q, k, v, block_mask=block_mask, scale=scale), None


_COMPILED = []


def _compiled():
    """``torch.compile(flex_attention)``, compiled once per process."""
    if not _COMPILED:
        _COMPILED.append(torch.compile(_flex.flex_attention))
    return _COMPILED[0]
