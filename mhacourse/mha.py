"""Multi-head attention as an ``nn.Module``, equal to ``nn.MultiheadAttention``.

Shape legend: B batch, H heads, H_kv key/value heads, L query length,
S key length, D = embed_dim, E = D // H head dim. Batch-first throughout.

The module owns four linear maps. ``q_proj``, ``k_proj`` and ``v_proj`` each
hold the heads' projections *stacked*: rows ``h*E:(h+1)*E`` of the weight
belong to head h. ``out_proj`` (W^o) mixes the concatenated heads. With
``num_kv_heads=H_kv < H`` (grouped-query or multi-query attention, see
:mod:`mhacourse.gqa`), ``k_proj`` and ``v_proj`` hold only H_kv heads.
The kernel is looked up in :data:`mhacourse.kernels.REGISTRY` at every call
and used through the capabilities it declares there, never by its name.
"""

from __future__ import annotations

import torch
from torch import nn

from . import kernels
from ._validate import check_divisible, check_mask, check_mha_inputs
from .gqa import check_num_kv_heads
from .heads import head_rows, merge_heads, split_heads
from .kv_cache import KVCache
from .masks import causal_mask

__all__ = ["MultiHeadAttention"]


class MultiHeadAttention(nn.Module):
    """Multi-head attention with a switchable kernel.

    Args:
        embed_dim: D, the model dimension (query size and output size).
        num_heads: H; must divide D. Each head has E = D // H dims.
            Every further argument is keyword-only, so that
            ``MultiHeadAttention(16, 8, 0.1)`` fails instead of meaning
            something else than in PyTorch.
        dropout: dropout on the attention weights, active only in training.
            A kernel that never forms the weights and cannot drop out
            inside ("tiled", "triton") refuses it with a ValueError.
        bias: add a bias to the four projections.
        kdim, vdim: feature sizes of key and value inputs (default D).
        kernel: a name from :data:`mhacourse.kernels.REGISTRY`: "naive"
            (loops over heads and queries), "vectorized" (reshape + batched
            matmuls), "tiled" (online softmax over key blocks), "sdpa"
            (PyTorch's fused kernel) or "triton" (FlashAttention-2, when
            triton is installed). A plain attribute: change it any time.
        num_kv_heads: H_kv, the number of key/value heads (default None
            means H). It must divide H; query heads h*H_kv//H share one
            key/value head. ``k_proj`` and ``v_proj`` then map to H_kv * E
            features. H_kv = 1 is multi-query attention.

    ``forward(query, key=None, value=None, *, mask=None, is_causal=False,
    need_weights=True, average_attn_weights=False, cache=None)`` takes
    query (B, L, D), key (B, S, kdim) (default: query), value (B, S, vdim)
    (default: key) and a bool mask broadcastable to (B, H, L, S), True =
    may attend. ``is_causal=True`` hides every key after its query
    (top-left aligned, as in ``F.scaled_dot_product_attention``), through
    the kernel's own causal path where it has one; with a mask, both apply.
    It returns ``(out, weights)``: out (B, L, D) and weights (B, H, L, S),
    one map per head (the course's default, where PyTorch averages), or
    (B, L, S) averaged over the heads with ``average_attn_weights=True``.
    weights is None with ``need_weights=False`` or a kernel that never
    forms them ("tiled", "sdpa", "triton"). With a
    :class:`~mhacourse.kv_cache.KVCache` (self-attention only), the new
    keys and values are appended to it and the L new queries attend to all
    T cached tokens causally: mask, if given, is then (.., L, T).

    >>> mha = MultiHeadAttention(16, 8)
    >>> out, w = mha(torch.randn(3, 4, 16))
    >>> out.shape, w.shape
    (torch.Size([3, 4, 16]), torch.Size([3, 8, 4, 4]))
    >>> mha(torch.randn(3, 4, 16), need_weights=False)[1] is None
    True
    >>> gqa = MultiHeadAttention(16, 8, num_kv_heads=2)  # 4 query heads per kv head
    >>> gqa.k_proj.weight.shape, gqa(torch.randn(3, 4, 16))[1].shape
    (torch.Size([4, 16]), torch.Size([3, 8, 4, 4]))
    """

    def __init__(
        self,
        embed_dim,
        num_heads,
        *,
        dropout=0.0,
        bias=True,
        kdim=None,
        vdim=None,
        kernel="vectorized",
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
        self.kernel = kernels.get(kernel).name  # an unknown name fails here
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

    def forward(self, query, key=None, value=None, *, mask=None, is_causal=False,
                need_weights=True, average_attn_weights=False, cache=None):  # fmt: skip
        key = query if key is None else key
        value = key if value is None else value
        sizes = (self.embed_dim, self.kdim, self.vdim)
        check_mha_inputs(query, key, value, sizes, self.q_proj.weight.device)
        kernel = kernels.get(self.kernel)  # read now: the registry is live
        p = self.dropout if self.training else 0.0
        if cache is not None:
            out, weights = self._forward_cached(kernel, query, key, value, mask, cache)
        else:
            B, L, S = query.shape[0], query.shape[1], key.shape[1]
            check_mask(mask, (B, self.num_heads, L, S), query.device, "(B, H, L, S)")
            attend = self._head_loop if kernel.loops_over_heads else self._attend
            out, weights = attend(kernel, query, key, value, mask, is_causal, p)
        if not need_weights or weights is None:
            return out, None
        return out, weights.mean(dim=1) if average_attn_weights else weights

    def _attend(self, kernel, query, key, value, mask, is_causal, p):
        """All heads at once: split, run the kernel, merge, project."""
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, L, E)
        k = split_heads(self.k_proj(key), self.num_kv_heads)  # (B, H_kv, S, E)
        v = split_heads(self.v_proj(value), self.num_kv_heads)  # (B, H_kv, S, E)
        heads, weights = kernel(q, k, v, mask, causal=is_causal, dropout_p=p)
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D)

    def _forward_cached(self, kernel, query, key, value, mask, cache):
        """Append the new keys and values to ``cache``; attend causally over all."""
        if not isinstance(cache, KVCache):
            raise TypeError(f"cache must be a KVCache, got {type(cache).__name__}")
        if key is not query or value is not query:
            raise ValueError("a KV cache is for self-attention: pass query only")
        q = split_heads(self.q_proj(query), self.num_heads)  # (B, H, L, E)
        k_new = split_heads(self.k_proj(query), self.num_kv_heads)  # (B, H_kv, L, E)
        v_new = split_heads(self.v_proj(query), self.num_kv_heads)  # (B, H_kv, L, E)
        saved = dict(vars(cache))  # append rebinds the cache's tensors, never edits
        try:
            k, v = cache.append(k_new, v_new)  # (B, H_kv, T, E)
            B, L, T = query.shape[0], query.shape[1], k.shape[-2]
            check_mask(mask, (B, self.num_heads, L, T), query.device, "(B, H, L, T)")
            causal = causal_mask(L, T, offset=T - L, device=query.device)  # (L, T)
            mask = causal if mask is None else mask & causal  # (.., L, T)
            p = self.dropout if self.training else 0.0
            heads, weights = kernel(q, k, v, mask, dropout_p=p)  # (B, H, L, E)
        except Exception:  # a refused step leaves the cache as it was
            vars(cache).clear()
            vars(cache).update(saved)
            raise
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D)

    def _head_loop(self, kernel, query, key, value, mask, is_causal, p):
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
            q_h = head_rows(self.q_proj, rows, query)  # (B, L, E)
            k_h = head_rows(self.k_proj, kv_rows, key)  # (B, S, E)
            v_h = head_rows(self.v_proj, kv_rows, value)  # (B, S, E)
            m_h = None if mask is None else mask[:, h]  # (B, L, S)
            out_h, w_h = kernel(q_h, k_h, v_h, m_h, causal=is_causal, dropout_p=p)
            outs.append(out_h)
            weights.append(w_h)
        concat = torch.cat(outs, dim=-1)  # (B, L, D): head 0's E dims first
        if weights[0] is None:
            return self.out_proj(concat), None
        return self.out_proj(concat), torch.stack(weights, dim=1)  # (B, H, L, S)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention, kernel="vectorized"):
        """Build ours from an ``nn.MultiheadAttention``, copying its weights.

        Handles the packed ``in_proj_weight`` (when kdim = vdim = D), separate
        ``q/k/v_proj_weight`` (when they differ), biases or none, and
        ``out_proj``. Keeps the source's dtype, device and training mode, and
        reads only its public attributes. The source must be built with
        ``batch_first=True``, like ours (a ValueError says so otherwise);
        remember that its bool masks mean True = blocked, ours True = may
        attend (see :mod:`mhacourse.masks`).

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
        if not module.batch_first:
            raise ValueError(
                "module must be built with batch_first=True, like MultiHeadAttention "
                "(batch first: query (B, L, D)), got batch_first=False"
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
