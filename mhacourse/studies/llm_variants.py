"""Chapter 9's tiny language models, one per attention variant of today's LLMs.

:class:`VariantLM` is chapter 5's :class:`~mhacourse.studies.tiny_lm.TinyLM`
(token and position embeddings, pre-LN blocks, a read-out) whose attention is
one of the variants that shrink the KV cache, named by a spec dict:

* ``{"kind": "mha", "num_heads": H, "num_kv_heads": H_kv}``: MHA, GQA or MQA;
* ``{"kind": "mla", "num_heads": H, "kv_latent_dim": C, "rope_dim": R}``;
* ``{"kind": "window", "num_heads": H, "window": W, "num_sink_tokens": N}``;
* ``{"kind": "shared", "num_heads": H, "num_kv_heads": H_kv}``: layers 2i and
  2i + 1 share one cache (layer 2i + 1 attends over layer 2i's keys and values).

Every block's feed-forward width can be set (``ff_dim``), so that variants
with fewer attention parameters get them back there: :func:`matched_ff_dim`.
``forward(tokens)`` is the full causal pass; :meth:`VariantLM.decode` runs the
same model token by token with the variant's own caches.

Shape legend: B batch, L length, D model dim, V vocabulary size.
"""

from __future__ import annotations

import torch
from torch import nn

from ..kv_cache import KVCache, SharedKVCache, SlidingWindowCache
from ..masks import causal_mask, sliding_window_mask
from ..mha import MultiHeadAttention
from ..mla import MultiHeadLatentAttention
from .synthetic_language import VOCAB

__all__ = ["VariantLM", "cache_numbers_per_token", "matched_ff_dim"]

KINDS = ("mha", "mla", "window", "shared")


def _attention(spec: dict, dim: int) -> nn.Module:
    """The attention module of one block for a variant spec."""
    H = spec["num_heads"]
    if spec["kind"] == "mla":
        return MultiHeadLatentAttention(
            dim, H, kv_latent_dim=spec["kv_latent_dim"], rope_dim=spec["rope_dim"]
        )
    return MultiHeadAttention(dim, H, num_kv_heads=spec.get("num_kv_heads"))


class _Block(nn.Module):
    def __init__(self, spec: dict, dim: int, ff_dim: int):
        super().__init__()
        self.spec = spec
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = _attention(spec, dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim)
        )

    def forward(self, x, cache, mask):
        h = self.ln1(x)  # (B, L, D)
        if self.spec["kind"] == "mla":
            out, _ = self.attn(h, cache=cache)  # causal by construction
        else:
            out, _ = self.attn(h, mask=mask, cache=cache, need_weights=False)
        x = x + out  # (B, L, D)
        return x + self.ff(self.ln2(x))  # (B, L, D)


class VariantLM(nn.Module):
    """A causal Transformer LM whose attention is one variant: logits (B, L, V).

    >>> spec = {"kind": "mla", "num_heads": 2, "kv_latent_dim": 4, "rope_dim": 2}
    >>> model = VariantLM(spec, embed_dim=16).double()
    >>> tokens = torch.randint(1, 50, (2, 7))
    >>> full = model(tokens)
    >>> full.shape
    torch.Size([2, 7, 53])
    >>> torch.allclose(model.decode(tokens), full)
    True
    """

    def __init__(self, spec: dict, embed_dim=32, num_layers=2, ff_dim=None, max_len=48):
        super().__init__()
        if spec.get("kind") not in KINDS:
            raise ValueError(f"spec['kind'] must be one of {KINDS}, got {spec!r}")
        if spec["kind"] == "shared" and num_layers % 2:
            raise ValueError(f"KV sharing pairs layers: num_layers={num_layers} is odd")
        self.spec, self.embed_dim = dict(spec), embed_dim
        ff_dim = 4 * embed_dim if ff_dim is None else ff_dim
        self.tok_emb = nn.Embedding(len(VOCAB), embed_dim)
        self.pos_emb = nn.Embedding(max_len, embed_dim)
        self.blocks = nn.ModuleList(
            _Block(self.spec, embed_dim, ff_dim) for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(embed_dim)
        self.readout = nn.Linear(embed_dim, len(VOCAB))

    def new_caches(self) -> list:
        """One cache per layer, of the variant's kind (KV sharing: owner, reader)."""
        kind, caches = self.spec["kind"], []
        for i, block in enumerate(self.blocks):
            if kind == "mla":
                caches.append(block.attn.new_cache())
            elif kind == "window":
                W, N = self.spec["window"], self.spec.get("num_sink_tokens", 0)
                caches.append(SlidingWindowCache(W, N))
            elif kind == "shared" and i % 2:
                caches.append(SharedKVCache(caches[-1]))
            else:
                caches.append(KVCache())
        return caches

    def _mask(self, caches, L: int, T: int, device):
        """The (L, T) mask of the next L tokens over T keys, for every layer."""
        if self.spec["kind"] == "window" and caches[0] is not None:
            return caches[0].next_mask(L, device=device)  # (L, T), over the kept
        if self.spec["kind"] == "window":
            W, N = self.spec["window"], self.spec.get("num_sink_tokens", 0)
            return sliding_window_mask(L, W, N, device=device)  # (L, L)
        return causal_mask(L, T, offset=T - L, device=device)  # (L, T)

    def forward(self, tokens: torch.Tensor, caches=None) -> torch.Tensor:
        """Logits (B, L, V) of tokens (B, L) that follow what ``caches`` hold."""
        # Tokens before these: a rolling cache keeps fewer than it has seen.
        T0 = 0 if caches is None else getattr(caches[0], "seen", len(caches[0]))
        if caches is None and self.spec["kind"] == "shared":
            caches = self.new_caches()  # layer 2i + 1 must read layer 2i's keys
        L = tokens.shape[1]
        pos = torch.arange(T0, T0 + L, device=tokens.device)  # (L,)
        x = self.tok_emb(tokens) + self.pos_emb(pos)  # (B, L, D)
        window_cache = caches is not None and self.spec["kind"] == "window"
        mask = self._mask(caches if window_cache else [None], L, T0 + L, tokens.device)
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i], mask)  # (B, L, D)
        return self.readout(self.ln_f(x))  # (B, L, V)

    @torch.no_grad()
    def decode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher-forced decoding one token at a time with the caches: (B, L, V)."""
        caches = self.new_caches()
        steps = [self(tokens[:, t : t + 1], caches) for t in range(tokens.shape[1])]
        return torch.cat(steps, dim=1)  # (B, L, V)


def cache_numbers_per_token(model: VariantLM, length: int) -> float:
    """Cached numbers per token and layer after decoding ``length`` tokens.

    Read from the caches' storage (``nbytes``), divided by the element size.

    >>> model = VariantLM({"kind": "mha", "num_heads": 4, "num_kv_heads": 1})
    >>> cache_numbers_per_token(model, 10)  # one key and one value of E = 8
    16.0
    """
    caches = model.new_caches()
    with torch.no_grad():
        model(torch.ones(1, length, dtype=torch.long), caches)
    size = model.readout.weight.element_size()
    return sum(c.nbytes() for c in caches) / size / length / len(caches)


def matched_ff_dim(spec: dict, reference: dict, embed_dim=32, num_layers=2) -> int:
    """The feed-forward width that gives ``spec`` the parameters of ``reference``.

    The reference keeps 4 D; a variant with fewer attention parameters gets
    the difference back as hidden units (each costs 2 D + 1 parameters).

    >>> ref = {"kind": "mha", "num_heads": 4}
    >>> matched_ff_dim({"kind": "mha", "num_heads": 4, "num_kv_heads": 1}, ref)
    152
    """

    def attention_params(s):
        return sum(p.numel() for p in _attention(s, embed_dim).parameters())

    missing = attention_params(reference) - attention_params(spec)
    return 4 * embed_dim + round(missing / (2 * embed_dim + 1))
