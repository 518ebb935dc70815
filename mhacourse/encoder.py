"""A Transformer encoder block built on :class:`mhacourse.MultiHeadAttention`.

One block is two sub-layers, each wrapped in a residual connection and a
LayerNorm:

1. multi-head self-attention: every token gathers information from the
   other tokens of the same sequence;
2. a position-wise feed-forward network ``Linear(D, F) -> ReLU -> Linear(F, D)``,
   applied to each token on its own.

``norm_first=False`` (the default) is the arrangement of the original
Transformer, ``x = LayerNorm(x + sublayer(x))``; ``norm_first=True`` is the
"pre-LN" arrangement most recent models use, ``x = x + sublayer(LayerNorm(x))``.
The submodules are named like those of ``nn.TransformerEncoderLayer``, and
:meth:`EncoderBlock.from_torch` copies one. Shape legend: B batch, L length,
D model dim, H heads, F feed-forward width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .mha import MultiHeadAttention

__all__ = ["EncoderBlock", "check_torch_layer"]


class EncoderBlock(nn.Module):
    """Self-attention and feed-forward, each with a residual connection and LayerNorm.

    Args:
        embed_dim: D.
        num_heads: H, must divide D.
        ff_dim: F, width of the feed-forward hidden layer (default 4 * D).
        dropout: dropout after attention weights and after each sub-layer
            (active only in training mode).
        norm_first: pre-LN if True, post-LN (original Transformer) if False.
        kernel: attention kernel of the inner ``MultiHeadAttention``.
        layer_norm_eps: the LayerNorms' epsilon.
        num_kv_heads: key/value heads of the attention (None: H), see
            :class:`~mhacourse.MultiHeadAttention`.

    ``forward(x, mask=None)`` takes x (B, L, D) and an optional bool mask
    broadcastable to (B, H, L, L), True = may attend (for instance
    :func:`mhacourse.padding_mask`), and returns (B, L, D).

    >>> from mhacourse import padding_mask
    >>> block = EncoderBlock(16, 4)
    >>> block(torch.randn(2, 5, 16), mask=padding_mask([5, 3], 5)).shape
    torch.Size([2, 5, 16])
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        ff_dim: int | None = None,
        dropout: float = 0.0,
        norm_first: bool = False,
        kernel: str = "vectorized",
        layer_norm_eps: float = 1e-5,
        device=None,
        dtype=None,
        num_kv_heads: int | None = None,
    ):
        super().__init__()
        ff_dim = 4 * embed_dim if ff_dim is None else ff_dim
        kw = dict(device=device, dtype=dtype)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(
            embed_dim,
            num_heads,
            kernel=kernel,
            dropout=dropout,
            num_kv_heads=num_kv_heads,
            **kw,
        )
        self.linear1 = nn.Linear(embed_dim, ff_dim, **kw)
        self.linear2 = nn.Linear(ff_dim, embed_dim, **kw)
        self.norm1 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, **kw)
        self.norm2 = nn.LayerNorm(embed_dim, eps=layer_norm_eps, **kw)
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward network
        self.dropout1 = nn.Dropout(dropout)  # on the attention sub-layer's output
        self.dropout2 = nn.Dropout(dropout)  # on the feed-forward sub-layer's output

    def _attend(self, x: torch.Tensor, mask) -> torch.Tensor:
        out, _ = self.self_attn(x, mask=mask)  # (B, L, D)
        return self.dropout1(out)

    def _feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.dropout(torch.relu(self.linear1(x)))  # (B, L, F)
        return self.dropout2(self.linear2(hidden))  # (B, L, D)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.norm_first:
            x = x + self._attend(self.norm1(x), mask)  # (B, L, D)
            return x + self._feed_forward(self.norm2(x))  # (B, L, D)
        x = self.norm1(x + self._attend(x, mask))  # (B, L, D)
        return self.norm2(x + self._feed_forward(x))  # (B, L, D)

    @classmethod
    def from_torch(
        cls, layer: nn.TransformerEncoderLayer, kernel: str = "vectorized"
    ) -> EncoderBlock:
        """Copy a batch-first, ReLU ``nn.TransformerEncoderLayer`` into a block.

        The copy keeps the layer's dtype, device and training mode.

        Its ``src_key_padding_mask`` (True = padding) corresponds to our
        mask ``~src_key_padding_mask[:, None, None, :]`` (True = may attend).

        >>> ref = nn.TransformerEncoderLayer(
        ...     16, 4, dim_feedforward=32, dropout=0.0, batch_first=True
        ... )
        >>> ours = EncoderBlock.from_torch(ref)
        >>> x = torch.randn(2, 5, 16)
        >>> torch.allclose(ours(x), ref(x), atol=1e-5)
        True
        """
        check_torch_layer(layer, nn.TransformerEncoderLayer)
        w = layer.linear1.weight
        block = cls(
            layer.self_attn.embed_dim,
            layer.self_attn.num_heads,
            ff_dim=layer.linear1.out_features,
            dropout=layer.dropout.p,
            norm_first=layer.norm_first,
            kernel=kernel,
            layer_norm_eps=layer.norm1.eps,
            device=w.device,
            dtype=w.dtype,
        )
        block.self_attn = MultiHeadAttention.from_torch(layer.self_attn, kernel=kernel)
        for name in ("linear1", "linear2", "norm1", "norm2"):
            getattr(block, name).load_state_dict(getattr(layer, name).state_dict())
        return block.train(layer.training)


def check_torch_layer(layer, kind: type) -> None:
    """Check that ``layer`` is a batch-first, ReLU PyTorch layer of type ``kind``.

    Reads only public attributes: ``activation`` is the function or module
    the layer applies (``F.relu`` for ``activation="relu"``).

    >>> check_torch_layer(nn.Linear(2, 2), nn.TransformerEncoderLayer)
    Traceback (most recent call last):
    ...
    TypeError: layer must be an nn.TransformerEncoderLayer, got Linear
    """
    if not isinstance(layer, kind):
        raise TypeError(
            f"layer must be an nn.{kind.__name__}, got {type(layer).__name__}"
        )
    if not layer.self_attn.batch_first:
        raise ValueError("layer must be built with batch_first=True, like our blocks")
    act = layer.activation
    if not (act is F.relu or isinstance(act, nn.ReLU)):
        raise ValueError(
            f"only the ReLU activation is supported, got activation={act!r}"
        )
