"""mhacourse: the companion package of the multi-head attention course.

Shape legend used in every docstring and comment: B batch, H heads,
L query length, S key length, D model dim, E = D // H head dim.
Masks are bool with True = may attend.

>>> import mhacourse, torch
>>> x = torch.randn(3, 4, 16)
>>> mhacourse.split_heads(x, 8).shape
torch.Size([3, 8, 4, 2])
"""

import importlib

from . import kernels, positions
from .decoder import DecoderBlock
from .device import get_device, seed
from .encoder import EncoderBlock
from .heads import merge_heads, split_heads
from .kv_cache import KVCache
from .masks import causal_mask, padding_mask, sliding_window_mask
from .mha import MultiHeadAttention
from .mla import LatentCache, MultiHeadLatentAttention

__version__ = "0.1.0"

_LAZY = ("diagrams", "plot")  # import matplotlib: loaded on first use


def __getattr__(name):
    """``mhacourse.plot`` and ``mhacourse.diagrams``, imported on first access.

    They import matplotlib, which only what plots needs.
    """
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])


__all__ = [
    "DecoderBlock",
    "EncoderBlock",
    "KVCache",
    "LatentCache",
    "MultiHeadAttention",
    "MultiHeadLatentAttention",
    "causal_mask",
    "diagrams",
    "get_device",
    "kernels",
    "merge_heads",
    "padding_mask",
    "plot",
    "positions",
    "seed",
    "sliding_window_mask",
    "split_heads",
]
