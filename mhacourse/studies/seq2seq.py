"""A tiny encoder-decoder Transformer, a reversal task, and KV-cache decoding.

The model is the whole architecture in miniature: token embeddings plus
sinusoidal positions, a stack of pre-LN :class:`~mhacourse.encoder.EncoderBlock`,
a stack of :class:`~mhacourse.decoder.DecoderBlock` and a linear read-out. The
reversal task has a known alignment: output token i is input token S - 1 - i,
so a trained cross-attention should look exactly there
(:func:`alignment_share` measures it). Shape legend: B batch, S source
length, L target length, D model dim, H heads, V vocabulary size.
"""

from __future__ import annotations

import torch
from torch import nn

from ..decoder import DecoderBlock
from ..encoder import EncoderBlock
from ..kv_cache import KVCache
from ..positions import SinusoidalPositions

__all__ = ["BOS", "TinySeq2Seq", "alignment_share", "reversal_batch", "train_seq2seq"]

BOS = 0  #: token 0 starts every decoder input; data tokens are 1..V-1


def reversal_batch(batch_size, length, vocab_size, generator=None):
    """A batch of the reversal task: ``(src, tgt_in, tgt_out)``, each (B, S) int64.

    tgt_out is src reversed; tgt_in is tgt_out shifted right behind :data:`BOS`.

    >>> gen = torch.Generator().manual_seed(0)
    >>> src, tgt_in, tgt_out = reversal_batch(1, 4, 10, gen)
    >>> torch.equal(tgt_out, src.flip(-1)), tgt_in[0, 0].item()
    (True, 0)
    """
    src = torch.randint(1, vocab_size, (batch_size, length), generator=generator)
    tgt_out = src.flip(-1)  # (B, S)
    bos = torch.full((batch_size, 1), BOS)  # (B, 1)
    tgt_in = torch.cat([bos, tgt_out[:, :-1]], dim=1)  # (B, S)
    return src, tgt_in, tgt_out


class TinySeq2Seq(nn.Module):
    """Embeddings + sinusoidal positions, encoder and decoder stacks, read-out.

    ``forward(src, tgt_in, need_weights=False)`` maps src (B, S) and tgt_in
    (B, L) token ids to logits (B, L, V); with ``need_weights`` it also returns
    each decoder layer's cross-attention weights, a list of (B, H, L, S).
    :meth:`generate` decodes greedily, with or without a KV cache.

    >>> model = TinySeq2Seq(10, 16, 4)
    >>> src, tgt_in, _ = reversal_batch(2, 5, 10)
    >>> model(src, tgt_in).shape
    torch.Size([2, 5, 10])
    """

    def __init__(
        self,
        vocab_size,
        embed_dim,
        num_heads,
        ff_dim=None,
        num_layers=1,
        num_kv_heads=None,
        max_len=64,
        dtype=None,
    ):
        super().__init__()
        kw = dict(
            ff_dim=ff_dim, norm_first=True, num_kv_heads=num_kv_heads, dtype=dtype
        )
        self.embed = nn.Embedding(vocab_size, embed_dim, dtype=dtype)
        self.positions = SinusoidalPositions(embed_dim, max_len, dtype=dtype)
        self.encoder = nn.ModuleList(
            EncoderBlock(embed_dim, num_heads, **kw) for _ in range(num_layers)
        )
        self.decoder = nn.ModuleList(
            DecoderBlock(embed_dim, num_heads, **kw) for _ in range(num_layers)
        )
        self.norm = nn.LayerNorm(embed_dim, dtype=dtype)
        self.readout = nn.Linear(embed_dim, vocab_size, dtype=dtype)

    def _embed(self, tokens, offset=0):
        x = self.embed(tokens)  # (B, L, D): entries ~ N(0, 1), like the encodings
        return self.positions(x, offset)  # (B, L, D)

    def encode(self, src):
        """Source ids (B, S) -> memory (B, S, D)."""
        x = self._embed(src)  # (B, S, D)
        for block in self.encoder:
            x, _ = block(x)  # (B, S, D)
        return x

    def decode(self, tgt_in, memory, caches=None, offset=0):
        """Target ids (B, L) -> logits (B, L, V) and cross weights [(B, H, L, S)]."""
        x = self._embed(tgt_in, offset)  # (B, L, D)
        weights = []
        for i, block in enumerate(self.decoder):
            cache = None if caches is None else caches[i]
            x, w = block(x, memory, cache=cache, need_weights=True)  # (B, L, D)
            weights.append(w)
        return self.readout(self.norm(x)), weights  # (B, L, V)

    def forward(self, src, tgt_in, need_weights=False):
        logits, weights = self.decode(tgt_in, self.encode(src))  # (B, L, V)
        return (logits, weights) if need_weights else logits

    @torch.no_grad()
    def generate(self, src, steps, use_cache=True):
        """Greedy decoding: ``(tokens (B, steps), logits (B, steps, V))``.

        With ``use_cache`` each step feeds only the newest token and reuses the
        cached keys and values; without, it reruns the whole prefix.

        >>> model = TinySeq2Seq(10, 16, 4, dtype=torch.float64).eval()
        >>> src = reversal_batch(2, 5, 10)[0]
        >>> a, b = model.generate(src, 5), model.generate(src, 5, use_cache=False)
        >>> torch.equal(a[0], b[0]) and torch.allclose(a[1], b[1], atol=1e-12)
        True
        """
        memory = self.encode(src)  # (B, S, D)
        caches = [KVCache() for _ in self.decoder] if use_cache else None
        tokens = torch.full((src.shape[0], 1), BOS, device=src.device)  # (B, 1)
        all_logits = []
        for t in range(steps):
            if use_cache:
                logits, _ = self.decode(tokens[:, -1:], memory, caches, offset=t)
            else:
                logits, _ = self.decode(tokens, memory)  # (B, t + 1, V)
            all_logits.append(logits[:, -1])  # (B, V)
            tokens = torch.cat([tokens, logits[:, -1:].argmax(-1)], dim=1)
        return tokens[:, 1:], torch.stack(all_logits, dim=1)  # (B, T), (B, T, V)


def train_seq2seq(model, steps, batch_size, length, lr=3e-3, seed=0, num_threads=1):
    """Train ``model`` on fresh reversal batches with Adam; return the losses.

    Runs on ``num_threads`` CPU threads (restored afterwards): on a tiny model,
    starting threads costs more than the work they share, and one thread
    gives the same result whatever the machine's core count.

    >>> model = TinySeq2Seq(6, 8, 2)
    >>> losses = train_seq2seq(model, steps=3, batch_size=4, length=3)
    >>> len(losses)
    3
    """
    vocab = model.readout.out_features
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses, threads = [], torch.get_num_threads()
    torch.set_num_threads(num_threads)
    try:
        for _ in range(steps):
            src, tgt_in, tgt_out = reversal_batch(batch_size, length, vocab, gen)
            logits = model(src, tgt_in)  # (B, L, V)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), tgt_out.flatten())
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    finally:
        torch.set_num_threads(threads)
    return losses


def alignment_share(weights: torch.Tensor) -> torch.Tensor:
    """Per head, the mean cross-attention weight on the aligned source position.

    For reversal, target query i is aligned with source key S - 1 - i.
    weights (B, H, L, S) -> (H,); 1 means every query looks only there.

    >>> w = torch.eye(3).flip(-1).expand(2, 4, 3, 3)  # (B, H, L, S), anti-diagonal
    >>> alignment_share(w).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    L, S = weights.shape[-2], weights.shape[-1]
    i = torch.arange(L, device=weights.device)  # (L,)
    aligned = weights[..., i, S - 1 - i]  # (B, H, L)
    return aligned.mean(dim=(0, 2))  # (H,)
