"""mhacourse: the companion package of the multi-head attention course.

Shape legend used in every docstring and comment: B batch, H heads,
L query length, S key length, D model dim, E = D // H head dim.
Masks are bool with True = may attend.

>>> import mhacourse, torch
>>> x = torch.randn(3, 4, 16)
>>> mhacourse.split_heads(x, 8).shape
torch.Size([3, 8, 4, 2])
"""

from . import diagrams, kernels, plot, positions
from .decoder import DecoderBlock
from .device import get_device, seed
from .encoder import EncoderBlock
from .heads import merge_heads, split_heads
from .kv_cache import KVCache
from .masks import causal_mask, padding_mask
from .mha import MultiHeadAttention

__version__ = "0.1.0"
__all__ = [
    "DecoderBlock",
    "EncoderBlock",
    "KVCache",
    "MultiHeadAttention",
    "causal_mask",
    "diagrams",
    "get_device",
    "kernels",
    "merge_heads",
    "padding_mask",
    "plot",
    "positions",
    "seed",
    "split_heads",
]
