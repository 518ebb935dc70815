"""Multi-head attention as an ``nn.Module``, equal to ``nn.MultiheadAttention``.

Shape legend: B batch, H heads, H_kv key/value heads, L query length,
S key length, D = embed_dim, E = D // H head dim. Batch-first throughout.

The module owns four linear maps. ``q_proj``, ``k_proj`` and ``v_proj`` each
hold the heads' projections *stacked*: rows ``h*E:(h+1)*E`` of the weight
belong to head h. ``out_proj`` (W^o) mixes the concatenated heads. With
``num_kv_heads=H_kv < H`` (grouped-query or multi-query attention, see
:mod:`mhacourse.gqa`), ``k_proj`` and ``v_proj`` hold only H_kv heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import kernels
from ._validate import check_divisible, check_mask
from .gqa import check_num_kv_heads, repeat_kv
from .heads import merge_heads, split_heads
from .kv_cache import KVCache, causal_mask_with_offset

__all__ = ["KERNELS", "MultiHeadAttention"]

KERNELS = tuple(kernels.REGISTRY)  # the names MultiHeadAttention(kernel=...) accepts


class MultiHeadAttention(nn.Module):
    """Multi-head attention with a switchable kernel.

    Args:
        embed_dim: D, the model dimension (query size and output size).
        num_heads: H; must divide D. Each head has E = D // H dims.
        bias: add a bias to the four projections.
        kernel: a name from ``kernels.REGISTRY``: "naive" (loops over
            heads and queries), "vectorized" (reshape + batched matmuls),
            "tiled" (online softmax over key blocks; returns no weights) or
            "sdpa" (PyTorch's fused ``F.scaled_dot_product_attention``;
            returns no weights). A plain attribute: change it any time.
        kdim, vdim: feature sizes of key and value inputs (default D).
        dropout: dropout on the attention weights, active only in training
            (not available with kernel="tiled", which never forms them).
        num_kv_heads: H_kv, the number of key/value heads (default None
            means H). It must divide H; query heads h*H_kv//H share one
            key/value head. ``k_proj`` and ``v_proj`` then map to H_kv * E
            features. H_kv = 1 is multi-query attention.

    ``forward(query, key=None, value=None, mask=None, cache=None)`` takes
    query (B, L, D), key (B, S, kdim), value (B, S, vdim) and a bool mask
    broadcastable to (B, H, L, S), True = may attend. It returns
    ``(out, weights)``: out (B, L, D) and per-head weights (B, H, L, S),
    or None for weights with kernel="sdpa" or "tiled". With a
    :class:`~mhacourse.kv_cache.KVCache` (self-attention only), the new
    keys and values are appended to it and the L new queries attend to all
    T cached tokens causally: mask, if given, is then (.., L, T).

    >>> mha = MultiHeadAttention(16, 8)
    >>> out, w = mha(torch.randn(3, 4, 16))
    >>> out.shape, w.shape
    (torch.Size([3, 4, 16]), torch.Size([3, 8, 4, 4]))
    >>> gqa = MultiHeadAttention(16, 8, num_kv_heads=2)  # 4 query heads per kv head
    >>> gqa.k_proj.weight.shape, gqa(torch.randn(3, 4, 16))[1].shape
    (torch.Size([4, 16]), torch.Size([3, 8, 4, 4]))
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        bias=True,
        kernel="vectorized",
        kdim=None,
        vdim=None,
        dropout=0.0,
        device=None,
        dtype=None,
        num_kv_heads=None,
    ):
        super().__init__()
        self.head_dim = check_divisible(embed_dim, num_heads)
        self.num_kv_heads = check_num_kv_heads(num_kv_heads, num_heads)
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self.dropout = dropout
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got kernel={kernel!r}")
        self.kernel = kernel
        kw = dict(bias=bias, device=device, dtype=dtype)
        kv_dim = self.num_kv_heads * self.head_dim  # H_kv * E
        self.q_proj = nn.Linear(embed_dim, embed_dim, **kw)  # W^q: H (E, D) blocks
        self.k_proj = nn.Linear(self.kdim, kv_dim, **kw)  # W^k: H_kv (E, kdim) blocks
        self.v_proj = nn.Linear(self.vdim, kv_dim, **kw)  # W^v: H_kv (E, vdim) blocks
        self.out_proj = nn.Linear(embed_dim, embed_dim, **kw)  # W^o

    def extra_repr(self):
        kv = f", num_kv_heads={self.num_kv_heads}" * (
            self.num_kv_heads != self.num_heads
        )
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}{kv}, "
            f"kernel={self.kernel!r}"
        )

    def _check_inputs(self, query, key, value):
        for name, t, size in (
            ("query", query, self.embed_dim),
            ("key", key, self.kdim),
            ("value", value, self.vdim),
        ):
            if not isinstance(t, torch.Tensor):
                raise TypeError(
                    f"{name} must be a torch.Tensor, got {type(t).__name__}"
                )
            if t.dim() != 3 or t.shape[-1] != size:
                length = "L" if name == "query" else "S"
                raise ValueError(
                    f"{name} must have shape (B, {length}, {size}), "
                    f"got {tuple(t.shape)}"
                )
        if key.shape[:2] != value.shape[:2]:
            raise ValueError(
                f"key and value must share (B, S), got key {tuple(key.shape)} "
                f"and value {tuple(value.shape)}"
            )
        if query.shape[0] != key.shape[0]:
            raise ValueError(
                f"query and key must share the batch size B, got query "
                f"{tuple(query.shape)} and key {tuple(key.shape)}"
            )
        if not (query.device == key.device == value.device):
            raise ValueError(
                f"query, key and value must be on one device, got {query.device}, "
                f"{key.device}, {value.device}"
            )
        if query.device != self.q_proj.weight.device:
            raise ValueError(
                f"query is on {query.device} but the module's weights are on "
                f"{self.q_proj.weight.device}; move one with .to(device)"
            )

    def forward(self, query, key=None, value=None, mask=None, cache=None):
        key = query if key is None else key
        value = key if value is None else value
        self._check_inputs(query, key, value)
        if self.kernel not in KERNELS:
            raise ValueError(
                f"kernel must be one of {KERNELS}, got kernel={self.kernel!r}"
            )
        if cache is not None:
            return self._forward_cached(query, key, value, mask, cache)
        B, L, S = query.shape[0], query.shape[1], key.shape[1]
        check_mask(mask, (B, self.num_heads, L, S), query.device, what="(B, H, L, S)")
        if self.kernel == "naive":
            return self._forward_head_loop(query, key, value, mask)
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, L, E)
        k = split_heads(self.k_proj(key), self.num_kv_heads)  # (B, H_kv, S, E)
        v = split_heads(self.v_proj(value), self.num_kv_heads)  # (B, H_kv, S, E)
        heads, weights = self._attend(q, k, v, mask)  # (B, H, L, E)
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D)

    def _forward_cached(self, query, key, value, mask, cache):
        """Append the new keys and values to ``cache``; attend causally over all."""
        if not isinstance(cache, KVCache):
            raise TypeError(f"cache must be a KVCache, got {type(cache).__name__}")
        if key is not query or value is not query:
            raise ValueError("a KV cache is for self-attention: pass query only")
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, L, E)
        k_new = split_heads(self.k_proj(query), self.num_kv_heads)  # (B, H_kv, L, E)
        v_new = split_heads(self.v_proj(query), self.num_kv_heads)  # (B, H_kv, L, E)
        k, v = cache.append(k_new, v_new)  # (B, H_kv, T, E)
        B, L, T = query.shape[0], query.shape[1], k.shape[-2]
        check_mask(mask, (B, self.num_heads, L, T), query.device, what="(B, H, L, T)")
        causal = causal_mask_with_offset(L, T, device=query.device)  # (L, T)
        mask = causal if mask is None else mask & causal  # (.., L, T)
        heads, weights = self._attend(q, k, v, mask)  # (B, H, L, E)
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D)

    def _attend(self, q, k, v, mask):
        """Run the kernel on q (B, H, L, E) and k, v (B, H_kv, S, E), with dropout."""
        p = self.dropout if self.training else 0.0
        groups = self.num_heads // self.num_kv_heads
        if self.kernel == "sdpa":  # dropout happens inside the fused kernel
            if mask is not None and mask.dim() < 2:  # SDPA wants the (L, S) dims
                mask = mask.expand(q.shape[-2], k.shape[-2])  # (L, S)
            heads = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=p, enable_gqa=groups > 1
            )  # (B, H, L, E)
            if mask is not None:  # not every fused backend zeroes a query seeing no key
                seen = mask.any(dim=-1, keepdim=True)  # (.., L, 1)
                heads = heads.masked_fill(~seen, 0.0)  # (B, H, L, E)
            return heads, None
        k, v = repeat_kv(k, groups), repeat_kv(v, groups)  # (B, H, S, E)
        if p and self.kernel == "tiled":
            raise ValueError(
                f"kernel={self.kernel!r} never forms the attention weights, so it "
                f"cannot apply dropout={self.dropout}; call .eval() or pick another "
                "kernel"
            )
        heads, weights = kernels.get(self.kernel)(q, k, v, mask)  # (B, H, L, E)
        if p:
            weights = F.dropout(weights, p)  # (B, H, L, S)
            heads = weights @ v  # (B, H, L, E)
        return heads, weights

    def _forward_head_loop(self, query, key, value, mask):
        """One head at a time, each with its own slice of the stacked weights."""
        B, L, S, E = query.shape[0], query.shape[1], key.shape[1], self.head_dim
        groups = self.num_heads // self.num_kv_heads  # query heads per kv head
        if mask is not None:
            mask = mask.expand(B, self.num_heads, L, S)  # (B, H, L, S)
        outs, weights = [], []
        for h in range(self.num_heads):
            rows = slice(h * E, (h + 1) * E)  # head h's rows of W^q
            g = h // groups  # the key/value head that head h reads
            kv_rows = slice(g * E, (g + 1) * E)  # its rows of W^k and W^v
            q_h = _linear_rows(self.q_proj, rows, query)  # (B, L, E)
            k_h = _linear_rows(self.k_proj, kv_rows, key)  # (B, S, E)
            v_h = _linear_rows(self.v_proj, kv_rows, value)  # (B, S, E)
            m_h = None if mask is None else mask[:, h]  # (B, L, S)
            out_h, w_h = kernels.naive.scaled_dot_product_attention(q_h, k_h, v_h, m_h)
            if self.training and self.dropout:
                w_h = F.dropout(w_h, self.dropout)  # (B, L, S)
                out_h = w_h @ v_h  # (B, L, E)
            outs.append(out_h)
            weights.append(w_h)
        concat = torch.cat(outs, dim=-1)  # (B, L, D): head 0's E dims first
        return self.out_proj(concat), torch.stack(weights, dim=1)  # (B, H, L, S)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention, kernel="vectorized"):
        """Build ours from an ``nn.MultiheadAttention``, copying its weights.

        Handles the packed ``in_proj_weight`` (when kdim = vdim = D), separate
        ``q/k/v_proj_weight`` (when they differ), biases or none, and
        ``out_proj``. Keeps the source's dtype, device and training mode, and
        reads only its public attributes. Remember that the source's
        ``batch_first`` and mask polarity may differ from ours.

        >>> ref = nn.MultiheadAttention(16, 8, batch_first=True).eval()
        >>> ours = MultiHeadAttention.from_torch(ref)
        >>> x = torch.randn(3, 4, 16)
        >>> torch.allclose(ours(x)[0], ref(x, x, x)[0], atol=1e-6), ours.training
        (True, False)
        """
        if not isinstance(module, nn.MultiheadAttention):
            raise TypeError(
                f"module must be an nn.MultiheadAttention, got {type(module).__name__}"
            )
        if module.bias_k is not None or module.add_zero_attn:
            raise ValueError(
                "add_bias_kv and add_zero_attn have no counterpart in "
                "MultiHeadAttention"
            )
        w_o = module.out_proj.weight
        ours = cls(
            module.embed_dim,
            module.num_heads,
            bias=module.in_proj_bias is not None,
            kernel=kernel,
            kdim=module.kdim,
            vdim=module.vdim,
            dropout=module.dropout,
            device=w_o.device,
            dtype=w_o.dtype,
        )
        _copy_weights(ours, module)
        return ours.train(module.training)


def _copy_weights(ours: MultiHeadAttention, module: nn.MultiheadAttention) -> None:
    """Copy the projections of ``module`` into ``ours`` (public attributes only)."""
    D = module.embed_dim
    if module.in_proj_weight is not None:  # packed: kdim = vdim = D
        w_q, w_k, w_v = module.in_proj_weight.split(D)  # each (D, D)
    else:
        w_q, w_k, w_v = (
            module.q_proj_weight,
            module.k_proj_weight,
            module.v_proj_weight,
        )
    projections = (ours.q_proj, ours.k_proj, ours.v_proj, ours.out_proj)
    with torch.no_grad():
        for proj, w in zip(
            projections, (w_q, w_k, w_v, module.out_proj.weight), strict=True
        ):
            proj.weight.copy_(w)
        if module.in_proj_bias is not None:
            for proj, b in zip(
                projections[:3], module.in_proj_bias.split(D), strict=True
            ):
                proj.bias.copy_(b)
            ours.out_proj.bias.copy_(module.out_proj.bias)


def _linear_rows(linear: nn.Linear, rows: slice, x: torch.Tensor) -> torch.Tensor:
    """Apply only the given output rows of ``linear`` to x: one head's projection."""
    bias = None if linear.bias is None else linear.bias[rows]
    return F.linear(x, linear.weight[rows], bias)
