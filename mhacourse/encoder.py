"""A Transformer encoder block built on :class:`mhacourse.MultiHeadAttention`.

One block is two sub-layers, each wrapped in a residual connection and a
LayerNorm (the code they share with the decoder is in :mod:`mhacourse._block`):

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

from functools import partial

import torch  # noqa: F401  (the examples use it)
from torch import nn

from ._block import Block, block_args, check_torch_layer
from .mha import MultiHeadAttention

__all__ = ["EncoderBlock"]


class EncoderBlock(Block):
    """Self-attention and feed-forward, each with a residual connection and LayerNorm.

    Args:
        embed_dim: D.
        num_heads: H, must divide D. Every further argument is keyword-only.
        ff_dim: F, width of the feed-forward hidden layer (default 4 * D).
        dropout: dropout on the attention weights, after each sub-layer and
            inside the feed-forward network (active only in training mode).
        norm_first: pre-LN if True, post-LN (original Transformer) if False.
        kernel: attention kernel of the inner ``MultiHeadAttention``.
        layer_norm_eps: the LayerNorms' epsilon.
        num_kv_heads: key/value heads of the attention (None: H), see
            :class:`~mhacourse.MultiHeadAttention`.

    ``forward(x, *, mask=None, is_causal=False, need_weights=False)`` takes
    x (B, L, D) and an optional bool mask broadcastable to (B, H, L, L),
    True = may attend (for instance :func:`mhacourse.padding_mask`), and
    ``is_causal=True`` adds the causal mask to it (in
    ``nn.TransformerEncoderLayer`` it is only a hint that ``src_mask`` is
    causal). It returns ``(out, weights)`` like
    :class:`~mhacourse.MultiHeadAttention`: out (B, L, D) and the
    self-attention weights (B, H, L, L) when
    ``need_weights=True`` (None otherwise, or for a kernel that forms none).
    Unlike ``nn.TransformerEncoderLayer``, which returns a tensor, every
    module of the package returns this pair.

    >>> from mhacourse import padding_mask
    >>> block = EncoderBlock(16, 4)
    >>> out, w = block(torch.randn(2, 5, 16), mask=padding_mask([5, 3], 5))
    >>> out.shape, w
    (torch.Size([2, 5, 16]), None)
    """

    def __init__(self, embed_dim: int, num_heads: int, *, ff_dim=None, dropout=0.0,
                 norm_first=False, kernel="vectorized", layer_norm_eps=1e-5,
                 device=None, dtype=None, num_kv_heads=None):  # fmt: skip
        kw = dict(device=device, dtype=dtype)
        attn = MultiHeadAttention(embed_dim, num_heads, kernel=kernel,
                                  dropout=dropout, num_kv_heads=num_kv_heads,
                                  **kw)  # fmt: skip
        super().__init__(embed_dim, {"self_attn": attn}, ff_dim=ff_dim,
                         dropout=dropout, norm_first=norm_first,
                         layer_norm_eps=layer_norm_eps, **kw)  # fmt: skip

    def forward(self, x, *, mask=None, is_causal=False, need_weights=False):
        attend = partial(
            self.self_attn, mask=mask, is_causal=is_causal, need_weights=need_weights
        )  # y (B, L, D) -> (out (B, L, D), weights (B, H, L, L) or None)
        x, weights = self.residual(x, attend, 1)  # (B, L, D)
        x, _ = self.residual(x, self.feed_forward, 2)  # (B, L, D)
        return x, weights

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
        >>> torch.allclose(ours(x)[0], ref(x), atol=1e-5)
        True
        """
        check_torch_layer(layer, nn.TransformerEncoderLayer)
        block = cls(**block_args(layer), kernel=kernel)
        block.self_attn = MultiHeadAttention.from_torch(layer.self_attn, kernel=kernel)
        block.copy_from(layer)
        return block.train(layer.training)
