"""A Transformer decoder block: causal self-attention, cross-attention, feed-forward.

Each of the three sub-layers sits in a residual connection with a LayerNorm,
post-LN (``norm_first=False``, the original Transformer) or pre-LN. The
submodules are named like those of ``nn.TransformerDecoderLayer``, and
:meth:`DecoderBlock.from_torch` copies one. Shape legend: B batch, L target
length, S source length, D model dim, H heads, F feed-forward width.
"""

from __future__ import annotations

import torch
from torch import nn

from .encoder import check_torch_layer
from .masks import causal_mask
from .mha import MultiHeadAttention

__all__ = ["DecoderBlock"]


class DecoderBlock(nn.Module):
    """Causal self-attention, cross-attention into the encoder's memory, feed-forward.

    Args: as for :class:`~mhacourse.encoder.EncoderBlock` (embed_dim D,
    num_heads H, ff_dim F, dropout, norm_first, kernel, layer_norm_eps,
    num_kv_heads for both attentions).

    ``forward(x, memory, memory_mask=None, mask=None, cache=None,
    need_weights=False)`` takes the target x (B, L, D), the encoder output
    memory (B, S, D), an optional bool memory_mask broadcastable to
    (B, H, L, S) (padding of the source) and an optional extra self-attention
    mask (B, H, L, L); the causal mask is always applied. With a
    :class:`~mhacourse.kv_cache.KVCache`, x holds only the new tokens and the
    self-attention reuses the cached keys and values. Returns (B, L, D), or
    ``(out, cross_weights)`` with cross_weights (B, H, L, S) when
    ``need_weights`` (None for kernels that form no weights).

    >>> block = DecoderBlock(16, 4)
    >>> out, w = block(torch.randn(2, 3, 16), torch.randn(2, 5, 16), need_weights=True)
    >>> out.shape, w.shape
    (torch.Size([2, 3, 16]), torch.Size([2, 4, 3, 5]))
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
        attn = dict(kernel=kernel, dropout=dropout, num_kv_heads=num_kv_heads, **kw)
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(embed_dim, num_heads, **attn)
        self.multihead_attn = MultiHeadAttention(embed_dim, num_heads, **attn)
        self.linear1 = nn.Linear(embed_dim, ff_dim, **kw)
        self.linear2 = nn.Linear(ff_dim, embed_dim, **kw)
        for i in (1, 2, 3):
            setattr(self, f"norm{i}", nn.LayerNorm(embed_dim, eps=layer_norm_eps, **kw))
            setattr(self, f"dropout{i}", nn.Dropout(dropout))  # after sub-layer i
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward network

    def _self_attend(self, x, mask, cache):
        if cache is None:
            causal = causal_mask(x.shape[1], device=x.device)  # (L, L)
            mask = causal if mask is None else mask & causal  # (.., L, L)
        out, _ = self.self_attn(x, mask=mask, cache=cache)  # (B, L, D)
        return self.dropout1(out)

    def _cross_attend(self, x, memory, memory_mask):
        out, w = self.multihead_attn(x, memory, memory, mask=memory_mask)  # (B, L, D)
        return self.dropout2(out), w

    def _feed_forward(self, x):
        hidden = self.dropout(torch.relu(self.linear1(x)))  # (B, L, F)
        return self.dropout3(self.linear2(hidden))  # (B, L, D)

    def forward(
        self, x, memory, memory_mask=None, mask=None, cache=None, need_weights=False
    ):
        if self.norm_first:
            x = x + self._self_attend(self.norm1(x), mask, cache)  # (B, L, D)
            cross, w = self._cross_attend(self.norm2(x), memory, memory_mask)
            x = x + cross  # (B, L, D)
            x = x + self._feed_forward(self.norm3(x))  # (B, L, D)
        else:
            x = self.norm1(x + self._self_attend(x, mask, cache))  # (B, L, D)
            cross, w = self._cross_attend(x, memory, memory_mask)
            x = self.norm2(x + cross)  # (B, L, D)
            x = self.norm3(x + self._feed_forward(x))  # (B, L, D)
        return (x, w) if need_weights else x

    @classmethod
    def from_torch(cls, layer: nn.TransformerDecoderLayer, kernel="vectorized"):
        """Copy a batch-first, ReLU ``nn.TransformerDecoderLayer`` into a block.

        Its ``tgt_is_causal``/``tgt_mask`` causal mask is built in here, and its
        ``memory_key_padding_mask`` (True = padding) corresponds to our
        ``memory_mask = ~memory_key_padding_mask[:, None, None, :]``.

        >>> ref = nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        >>> x, memory = torch.randn(2, 3, 16), torch.randn(2, 5, 16)
        >>> causal = nn.Transformer.generate_square_subsequent_mask(3)
        >>> expected = ref(x, memory, tgt_mask=causal)
        >>> torch.allclose(DecoderBlock.from_torch(ref)(x, memory), expected, atol=1e-5)
        True
        """
        check_torch_layer(layer, nn.TransformerDecoderLayer)
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
        for name in ("self_attn", "multihead_attn"):
            mha = MultiHeadAttention.from_torch(getattr(layer, name), kernel=kernel)
            setattr(block, name, mha)
        for name in ("linear1", "linear2", "norm1", "norm2", "norm3"):
            getattr(block, name).load_state_dict(getattr(layer, name).state_dict())
        return block.train(layer.training)
