"""Multi-head latent attention (MLA), the attention of DeepSeek-V2 and V3.

Shape legend: B batch, H heads, L query length, S key length (T cached
tokens), D = embed_dim, E = D // H head dim (of the keys' content part and
of the values), and the latent dims: C = kv_latent_dim (the shared
key/value latent), C_q = q_latent_dim (the query latent, when queries are
compressed too) and R = rope_dim (the decoupled RoPE key, one for all heads).

Every token is compressed into one latent c = W^DKV x (C numbers) from
which each head h rebuilds its key content W^UK_h c and its value W^UV_h c
(E numbers each). Rotary positions cannot pass through that shared latent
(the rotation would sit between W^UK_h and c), so position lives in a
separate RoPE key k^R = RoPE(W^KR x) of R numbers, shared by the heads; each
head's query has a matching RoPE part. A head's score is
(q^C_h . k^C_h + q^R_h . k^R) / sqrt(E + R). A KV cache stores only c and k^R:
C + R numbers per token, against 2 H E for multi-head attention.

The *absorbed* form never rebuilds keys or values: q^C_h . W^UK_h c =
(W^UK_h^T q^C_h) . c, so W^UK_h folds into the query projection, and
sum_h W^O_h W^UV_h o_h = sum_h (W^O_h W^UV_h) o_h folds W^UV_h into the
output projection. Attention then runs over the cached latent directly, as
multi-query attention with keys [c, k^R] (C + R dims) and values c (C dims).
DeepSeek-V2 also RMS-normalizes the two latents; that changes no shape and
no equality here, and is left out.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from . import kernels
from ._validate import check_divisible, check_mha_inputs
from .heads import merge_heads, split_heads
from .kv_cache import KVCache
from .masks import causal_mask
from .positions import apply_rotary

__all__ = ["LatentCache", "MultiHeadLatentAttention"]


class LatentCache(KVCache):
    """What MLA caches per token: the latent c (C) and the RoPE key k^R (R).

    A :class:`~mhacourse.kv_cache.KVCache` with one "head" whose keys are the
    latents and whose values are the RoPE keys: ``latent`` (B, 1, T, C) and
    ``rope_key`` (B, 1, T, R). ``nbytes()`` is B * T * (C + R) * element size.

    >>> cache = LatentCache()
    >>> _ = cache.append(torch.zeros(2, 1, 3, 8), torch.zeros(2, 1, 3, 4))
    >>> len(cache), tuple(cache.latent.shape), cache.nbytes()  # 2 * 3 * 12 * 4
    (3, (2, 1, 3, 8), 288)
    """

    @property
    def latent(self):
        """The cached latents c, (B, 1, T, C), or None before the first step.

        >>> LatentCache().latent is None
        True
        """
        return self.k

    @property
    def rope_key(self):
        """The cached RoPE keys k^R, (B, 1, T, R), already rotated.

        >>> cache = LatentCache()
        >>> _ = cache.append(torch.zeros(1, 1, 2, 8), torch.zeros(1, 1, 2, 4))
        >>> tuple(cache.rope_key.shape)
        (1, 1, 2, 4)
        """
        return self.v


class MultiHeadLatentAttention(nn.Module):
    """Causal multi-head self-attention with a latent key/value cache.

    Args:
        embed_dim: D, the model dimension (input and output size).
        num_heads: H; must divide D. Each head's key content and value have
            E = D // H dims.
        kv_latent_dim: C, the size of the latent that keys and values are
            rebuilt from (DeepSeek-V2: 512 for D = 5120, H = 128).
        rope_dim: R, even, the size of the RoPE key shared by the heads and
            of each head's RoPE query (DeepSeek-V2: 64).
        q_latent_dim: C_q, compress the queries through a latent of this size
            too (as DeepSeek-V2 does to save activations); None: project
            queries from x directly.
        dropout: dropout on the attention weights, in training only.
        kernel: a name from :data:`mhacourse.kernels.REGISTRY`.

    ``forward(x, *, cache=None, absorbed=False)`` takes x (B, L, D) and
    returns ``(out, weights)``: out (B, L, D) and weights (B, H, L, S), or
    None from a kernel that never forms them. With ``cache`` (from
    :meth:`new_cache`), x holds the next L tokens after the T - L cached ones.
    ``absorbed=True`` computes the same thing from the latent directly.

    >>> mla = MultiHeadLatentAttention(32, 4, kv_latent_dim=8, rope_dim=4)
    >>> x = torch.randn(2, 5, 32)
    >>> out, w = mla(x)
    >>> out.shape, w.shape
    (torch.Size([2, 5, 32]), torch.Size([2, 4, 5, 5]))
    >>> torch.allclose(mla(x, absorbed=True)[0], out, atol=1e-5)
    True
    >>> cache = mla.new_cache()
    >>> _ = mla(x[:, :3], cache=cache); _ = mla(x[:, 3:], cache=cache)
    >>> cache.nbytes() == 2 * 5 * (8 + 4) * 4  # B * T * (C + R) * 4 bytes
    True
    """

    def __init__(self, embed_dim, num_heads, *, kv_latent_dim, rope_dim,
                 q_latent_dim=None, dropout=0.0, device=None, dtype=None,
                 kernel="vectorized"):  # fmt: skip
        super().__init__()
        E = check_divisible(embed_dim, num_heads)
        _check_dims(kv_latent_dim, rope_dim, q_latent_dim)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, E
        self.kv_latent_dim, self.rope_dim = kv_latent_dim, rope_dim
        self.q_latent_dim, self.dropout = q_latent_dim, dropout
        self.kernel = kernels.get(kernel).name  # an unknown name fails here
        kw = dict(bias=False, device=device, dtype=dtype)
        H, C, R = num_heads, kv_latent_dim, rope_dim
        q_in = embed_dim if q_latent_dim is None else q_latent_dim
        self.q_down = None if q_latent_dim is None else nn.Linear(embed_dim, q_in, **kw)
        self.q_up = nn.Linear(q_in, H * E, **kw)  # W^UQ: H (E, q_in) blocks
        self.q_rope = nn.Linear(q_in, H * R, **kw)  # W^QR: H (R, q_in) blocks
        self.kv_down = nn.Linear(embed_dim, C, **kw)  # W^DKV: (C, D)
        self.k_rope = nn.Linear(embed_dim, R, **kw)  # W^KR: (R, D), shared
        self.k_up = nn.Linear(C, H * E, **kw)  # W^UK: H (E, C) blocks
        self.v_up = nn.Linear(C, H * E, **kw)  # W^UV: H (E, C) blocks
        self.out_proj = nn.Linear(H * E, embed_dim, **kw)  # W^O: (D, H E)

    def extra_repr(self):
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
            f"kv_latent_dim={self.kv_latent_dim}, rope_dim={self.rope_dim}, "
            f"q_latent_dim={self.q_latent_dim}, kernel={self.kernel!r}"
        )

    def new_cache(self) -> LatentCache:
        """An empty :class:`LatentCache` for this layer: one per layer and sequence.

        >>> mla = MultiHeadLatentAttention(16, 2, kv_latent_dim=4, rope_dim=2)
        >>> cache = mla.new_cache()
        >>> _ = mla(torch.randn(1, 3, 16), cache=cache)
        >>> tuple(cache.latent.shape), tuple(cache.rope_key.shape)  # (B, 1, T, C), R
        ((1, 1, 3, 4), (1, 1, 3, 2))
        """
        return LatentCache()

    def forward(self, x, *, cache=None, absorbed=False):
        check_mha_inputs(x, x, x, (self.embed_dim,) * 3, self.kv_down.weight.device)
        if cache is not None and not isinstance(cache, LatentCache):
            raise TypeError(
                "cache must be the LatentCache that new_cache() returns, got "
                f"{type(cache).__name__}"
            )
        T0 = 0 if cache is None else len(cache)  # tokens cached before x
        positions = torch.arange(T0, T0 + x.shape[1], device=x.device)  # (L,)
        latent = self.kv_down(x)[:, None]  # (B, 1, L, C)
        rope_key = apply_rotary(self.k_rope(x)[:, None], positions)  # (B, 1, L, R)
        if cache is not None:
            latent, rope_key = cache.append(latent, rope_key)  # (B, 1, T, C), R
        q_in = x if self.q_down is None else self.q_down(x)  # (B, L, C_q or D)
        q_rope = split_heads(self.q_rope(q_in), self.num_heads)  # (B, H, L, R)
        q_rope = apply_rotary(q_rope, positions)  # (B, H, L, R)
        attend = self._absorbed if absorbed else self._plain
        return attend(q_in, q_rope, latent, rope_key, T0)

    def _plain(self, q_in, q_rope, latent, rope_key, T0):
        """Rebuild every head's keys and values from the latent, then attend."""
        H = self.num_heads
        q = torch.cat([split_heads(self.q_up(q_in), H), q_rope], dim=-1)  # (B,H,L,E+R)
        k_content = split_heads(self.k_up(latent[:, 0]), H)  # (B, H, S, E)
        k_rope = rope_key.expand(-1, H, -1, -1)  # (B, H, S, R)
        k = torch.cat([k_content, k_rope], dim=-1)  # (B, H, S, E + R)
        v = split_heads(self.v_up(latent[:, 0]), H)  # (B, H, S, E)
        heads, weights = self._kernel(q, k, v, T0)  # (B, H, L, E)
        return self.out_proj(merge_heads(heads)), weights  # (B, L, D)

    def _absorbed(self, q_in, q_rope, latent, rope_key, T0):
        """Attend over the latent itself: multi-query attention, C + R dims."""
        H, E, C = self.num_heads, self.head_dim, self.kv_latent_dim
        w_uk = self.k_up.weight.view(H, E, C)  # (H, E, C)
        w_uq = self.q_up.weight.view(H, E, -1)  # (H, E, q_in)
        w_q = torch.einsum("hec,hei->hci", w_uk, w_uq)  # (H, C, q_in): W^UK_h^T W^UQ_h
        q_latent = split_heads(F.linear(q_in, w_q.flatten(0, 1)), H)  # (B, H, L, C)
        q = torch.cat([q_latent, q_rope], dim=-1)  # (B, H, L, C + R)
        k = torch.cat([latent, rope_key], dim=-1)  # (B, 1, S, C + R)
        heads, weights = self._kernel(q, k, latent, T0)  # (B, H, L, C)
        w_uv = self.v_up.weight.view(H, E, C)  # (H, E, C)
        w_o = self.out_proj.weight.view(-1, H, E)  # (D, H, E)
        w_out = torch.einsum("dhe,hec->dhc", w_o, w_uv)  # (D, H, C): W^O_h W^UV_h
        return F.linear(merge_heads(heads), w_out.flatten(1)), weights  # (B, L, D)

    def _kernel(self, q, k, v, T0):
        """Run the registered kernel causally, with the score scale of E + R dims.

        q (B, H, L, ·) holds the L queries after T0 cached tokens; k and v
        (B, H or 1, S, ·) hold all S = T0 + L keys and values.
        """
        kernel = kernels.get(self.kernel)  # read now: the registry is live
        scale = 1.0 / math.sqrt(self.head_dim + self.rope_dim)
        p = self.dropout if self.training else 0.0
        if T0 == 0:
            return kernel(q, k, v, scale=scale, causal=True, dropout_p=p)
        L, S = q.shape[-2], k.shape[-2]
        mask = causal_mask(L, S, offset=S - L, device=q.device)  # (L, S)
        return kernel(q, k, v, mask, scale=scale, dropout_p=p)


def _check_dims(kv_latent_dim, rope_dim, q_latent_dim) -> None:
    """Refuse latent and RoPE sizes that are not positive ints (R even)."""
    sizes = dict(kv_latent_dim=kv_latent_dim, rope_dim=rope_dim)
    if q_latent_dim is not None:
        sizes["q_latent_dim"] = q_latent_dim
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {name}={value!r}")
    if rope_dim % 2:
        raise ValueError(
            "rope_dim must be even (RoPE rotates feature pairs), got "
            f"rope_dim={rope_dim}"
        )
