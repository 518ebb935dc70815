"""Diagrams of the course, drawn by code from real shapes and real numbers.

Each function returns a matplotlib figure (white background, labels of at least
10 pt) that a chapter shows with ``plt.show()``; a change of shapes redraws it and
``tests/test_diagrams.py`` checks it against the shapes.
"""

from .lookup import soft_lookup

__all__ = ["soft_lookup"]
from .head import self_attention_head

__all__ += ["self_attention_head"]
from .split import multihead_split  # noqa: E402

__all__ += ["multihead_split"]
from .subspace import head_subspaces  # noqa: E402

__all__ += ["head_subspaces"]
from .online import online_softmax  # noqa: E402
from .transformer import transformer_masks  # noqa: E402

__all__ += ["online_softmax", "transformer_masks"]
