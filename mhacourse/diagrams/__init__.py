"""Diagrams of the course, drawn by code from real shapes and real numbers.

Each function returns a matplotlib figure (white background, labels of at least
10 pt) that a chapter shows with ``plt.show()``; a change of shapes redraws it and
``tests/test_diagrams.py`` checks it against the shapes.
"""

from .head import self_attention_head
from .lookup import soft_lookup
from .mla import latent_attention_flow
from .online import online_softmax
from .split import multihead_split
from .subspace import head_subspaces
from .transformer import transformer_masks

__all__ = [
    "head_subspaces",
    "latent_attention_flow",
    "multihead_split",
    "online_softmax",
    "self_attention_head",
    "soft_lookup",
    "transformer_masks",
]
