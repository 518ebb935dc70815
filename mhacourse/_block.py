"""What the encoder and decoder blocks share: feed-forward, sub-layers, copying.

A block is a stack of sub-layers, each wrapped in a residual connection and
a LayerNorm: ``x = LayerNorm(x + sublayer(x))`` (post-LN, ``norm_first=False``,
the original Transformer) or ``x = x + sublayer(LayerNorm(x))`` (pre-LN).
The last sub-layer is the position-wise feed-forward network
``Linear(D, F) -> ReLU -> Linear(F, D)``. Submodules are named like those of
PyTorch's layers, so :meth:`Block.copy_from` can copy one. Shape legend:
B batch, L length, D model dim, F feed-forward width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Block", "check_torch_layer"]


class Block(nn.Module):
    """Residual sub-layers with LayerNorms: the given attentions, then feed-forward.

    ``attentions`` maps each attention's name to its module (one sub-layer
    each, in order). Also creates ``linear1``, ``dropout`` (inside the
    feed-forward network), ``linear2``, ``norm1..n`` and ``dropout1..n``
    (after sub-layer i), n = len(attentions) + 1.

    >>> block = Block(8, {"self_attn": nn.Identity()}, ff_dim=16)
    >>> x, _ = block.residual(torch.zeros(1, 3, 8), block.feed_forward, 2)
    >>> x.shape
    torch.Size([1, 3, 8])
    """

    def __init__(self, embed_dim, attentions, *, ff_dim=None, dropout=0.0,
                 norm_first=False, layer_norm_eps=1e-5, device=None,
                 dtype=None):  # fmt: skip
        super().__init__()
        ff_dim = 4 * embed_dim if ff_dim is None else ff_dim
        kw = dict(device=device, dtype=dtype)
        self.norm_first = norm_first
        for name, module in attentions.items():  # first, as in PyTorch's layers
            setattr(self, name, module)
        self.linear1 = nn.Linear(embed_dim, ff_dim, **kw)
        self.dropout = nn.Dropout(dropout)  # inside the feed-forward network
        self.linear2 = nn.Linear(ff_dim, embed_dim, **kw)
        self._n = n = len(attentions) + 1  # sub-layers: the attentions, then FFN
        for i in range(1, n + 1):
            setattr(self, f"norm{i}", nn.LayerNorm(embed_dim, eps=layer_norm_eps, **kw))
        for i in range(1, n + 1):
            setattr(self, f"dropout{i}", nn.Dropout(dropout))  # after sub-layer i

    def feed_forward(self, x: torch.Tensor):
        """Linear -> ReLU -> dropout -> Linear on each token: ``(out, None)``.

        Returns a pair like the attention sub-layers: out (B, L, D), no weights.
        """
        hidden = self.dropout(torch.relu(self.linear1(x)))  # (B, L, F)
        return self.linear2(hidden), None  # (B, L, D)

    def residual(self, x, sublayer, i):
        """Sub-layer i with its dropout, residual and LayerNorm.

        ``sublayer(y)`` returns ``(out, weights)``; this returns
        ``(x, weights)`` with x (B, L, D).
        """
        norm, drop = getattr(self, f"norm{i}"), getattr(self, f"dropout{i}")
        if self.norm_first:
            out, weights = sublayer(norm(x))  # (B, L, D)
            return x + drop(out), weights  # (B, L, D)
        out, weights = sublayer(x)  # (B, L, D)
        return norm(x + drop(out)), weights  # (B, L, D)

    def copy_from(self, layer) -> None:
        """Copy the feed-forward network and LayerNorms of a PyTorch layer."""
        names = ["linear1", "linear2"] + [f"norm{i}" for i in range(1, self._n + 1)]
        for name in names:
            getattr(self, name).load_state_dict(getattr(layer, name).state_dict())


def block_args(layer) -> dict:
    """The constructor arguments of a block equal to PyTorch ``layer``.

    >>> layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    >>> block_args(layer)["ff_dim"], block_args(layer)["num_heads"]
    (16, 2)
    """
    w = layer.linear1.weight
    return dict(
        embed_dim=layer.self_attn.embed_dim,
        num_heads=layer.self_attn.num_heads,
        ff_dim=layer.linear1.out_features,
        dropout=layer.dropout.p,
        norm_first=layer.norm_first,
        layer_norm_eps=layer.norm1.eps,
        device=w.device,
        dtype=w.dtype,
    )


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
        raise ValueError(
            "layer must be built with batch_first=True, like our blocks, got "
            "batch_first=False"
        )
    if layer.linear1.bias is None:
        raise ValueError(
            "layer must be built with bias=True, like our blocks, got bias=False"
        )
    act = layer.activation
    if not (act is F.relu or isinstance(act, nn.ReLU)):
        raise ValueError(
            f"only the ReLU activation is supported, got activation={act!r}"
        )
