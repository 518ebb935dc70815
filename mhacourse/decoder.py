"""A Transformer decoder block: causal self-attention, cross-attention, feed-forward.

Each of the three sub-layers sits in a residual connection with a LayerNorm,
post-LN (``norm_first=False``, the original Transformer) or pre-LN. The
submodules are named like those of ``nn.TransformerDecoderLayer``, and
:meth:`DecoderBlock.from_torch` copies one. Shape legend: B batch, L target
length, S source length, D model dim, H heads, F feed-forward width.
"""

from __future__ import annotations

from functools import partial

import torch  # noqa: F401  (the examples use it)
from torch import nn

from ._block import Block, block_args, check_torch_layer
from .mha import MultiHeadAttention

__all__ = ["DecoderBlock"]


class DecoderBlock(Block):
    """Causal self-attention, cross-attention into the encoder's memory, feed-forward.

    Args: as for :class:`~mhacourse.encoder.EncoderBlock` (embed_dim D,
    num_heads H, then keyword-only ff_dim F, dropout, norm_first, kernel,
    layer_norm_eps, num_kv_heads for both attentions).

    ``forward(x, memory, *, self_attn_mask=None, cross_attn_mask=None,
    need_weights=False, cache=None)`` takes the target x (B, L, D), the
    encoder output memory (B, S, D) and two optional bool masks, True = may
    attend: ``self_attn_mask`` broadcastable to (B, H, L, L) for the
    self-attention (for instance the target's padding), applied *together
    with* the causal mask, which is always on; ``cross_attn_mask``
    broadcastable to (B, H, L, S) for the cross-attention (for instance the
    source's padding). PyTorch's ``tgt_mask`` and ``memory_mask`` mean the
    opposite (True = blocked), hence other names. With a
    :class:`~mhacourse.kv_cache.KVCache`, x holds only the L new tokens, the
    self-attention reuses the cached keys and values, and ``self_attn_mask``
    is then (B, H, L, T) over all T tokens the cache returns. Returns
    ``(out, cross_weights)`` like every module of the package: out (B, L, D)
    and, when ``need_weights``, the cross-attention weights (B, H, L, S)
    (None otherwise, or for a kernel that forms none).

    >>> block = DecoderBlock(16, 4)
    >>> out, w = block(torch.randn(2, 3, 16), torch.randn(2, 5, 16), need_weights=True)
    >>> out.shape, w.shape
    (torch.Size([2, 3, 16]), torch.Size([2, 4, 3, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, *, ff_dim=None, dropout=0.0,
                 norm_first=False, kernel="vectorized", layer_norm_eps=1e-5,
                 device=None, dtype=None, num_kv_heads=None):  # fmt: skip
        kw = dict(device=device, dtype=dtype)
        attn = dict(kernel=kernel, dropout=dropout, num_kv_heads=num_kv_heads, **kw)
        attentions = {
            "self_attn": MultiHeadAttention(embed_dim, num_heads, **attn),
            "multihead_attn": MultiHeadAttention(embed_dim, num_heads, **attn),
        }
        super().__init__(embed_dim, attentions, ff_dim=ff_dim, dropout=dropout,
                         norm_first=norm_first, layer_norm_eps=layer_norm_eps,
                         **kw)  # fmt: skip

    def forward(self, x, memory, *, self_attn_mask=None, cross_attn_mask=None,
                need_weights=False, cache=None):  # fmt: skip
        self_attend = partial(
            self.self_attn,
            mask=self_attn_mask,
            is_causal=cache is None,  # a cache applies its own causal mask
            need_weights=False,
            cache=cache,
        )  # y (B, L, D) -> (out (B, L, D), None)
        x, _ = self.residual(x, self_attend, 1)  # (B, L, D)
        cross_attend = partial(
            self.multihead_attn,
            key=memory,
            mask=cross_attn_mask,
            need_weights=need_weights,
        )  # y (B, L, D) -> (out (B, L, D), weights (B, H, L, S) or None)
        x, weights = self.residual(x, cross_attend, 2)  # (B, L, D)
        x, _ = self.residual(x, self.feed_forward, 3)  # (B, L, D)
        return x, weights

    @classmethod
    def from_torch(cls, layer: nn.TransformerDecoderLayer, kernel="vectorized"):
        """Copy a batch-first, ReLU ``nn.TransformerDecoderLayer`` into a block.

        Its ``tgt_is_causal``/``tgt_mask`` causal mask is built in here; its
        ``tgt_key_padding_mask`` and ``memory_key_padding_mask`` (True =
        padding) correspond to our ``self_attn_mask`` and ``cross_attn_mask``
        ``= ~key_padding_mask[:, None, None, :]`` (True = may attend).

        >>> ref = nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        >>> x, memory = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
        >>> causal = nn.Transformer.generate_square_subsequent_mask(3)
        >>> expected = ref(x, memory, tgt_mask=causal)
        >>> got, _ = DecoderBlock.from_torch(ref)(x, memory)
        >>> torch.allclose(got, expected, atol=1e-5)
        True
        """
        check_torch_layer(layer, nn.TransformerDecoderLayer)
        block = cls(**block_args(layer), kernel=kernel)
        for name in ("self_attn", "multihead_attn"):
            mha = MultiHeadAttention.from_torch(getattr(layer, name), kernel=kernel)
            setattr(block, name, mha)
        block.copy_from(layer)
        return block.train(layer.training)
