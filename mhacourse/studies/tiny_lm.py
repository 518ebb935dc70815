"""A small causal Transformer language model for the synthetic language, and its probes.

The model is built from the package's own :class:`mhacourse.MultiHeadAttention`:
token and position embeddings, ``num_layers`` pre-LN blocks
``x = x + attn(LN(x), causal mask); x = x + FFN(LN(x))``, a final LayerNorm
and a linear read-out to next-token logits. Each block keeps the attention
weights of its last forward pass, so every head can be inspected.

* :func:`relation_losses` - next-token loss and accuracy at each relation's queries;
* :func:`head_relation_table` - share of each head's attention on each
  relation's true target, plus the share on the first token;
* :func:`train_lm` - seeded Adam training on a fixed pool of sentences;
* :func:`train_one_cycle` - the training loop it shares with chapter 8's
  character models.

Shape legend: B batch, L length, D model dim, H heads, N layers, R relations,
V vocabulary size.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..masks import causal_mask
from ..mha import MultiHeadAttention
from .synthetic_language import RELATIONS, VOCAB, Sentences

__all__ = ["TinyLM", "head_relation_table", "relation_losses", "train_lm"]


class _Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads)
        self.ff = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.ReLU(), nn.Linear(4 * dim, dim)
        )
        self.weights = None  # (B, H, L, L) of the last forward pass

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out, self.weights = self.attn(self.ln1(x), mask=mask)  # (B, L, D)
        x = x + out
        return x + self.ff(self.ln2(x))  # (B, L, D)


class TinyLM(nn.Module):
    """Causal Transformer LM: embeddings, ``num_layers`` blocks, read-out.

    ``forward(tokens)`` takes long (B, L) and returns logits (B, L, V), the
    prediction of token i + 1 at position i. ``attention()`` returns the
    weights of the last forward pass, (N, B, H, L, L). The vocabulary is
    the synthetic language's unless ``vocab_size`` gives another size V.

    >>> model = TinyLM(embed_dim=16, num_heads=2, num_layers=2)
    >>> model(torch.zeros(3, 5, dtype=torch.long)).shape
    torch.Size([3, 5, 53])
    >>> model.attention().shape
    torch.Size([2, 3, 2, 5, 5])
    >>> TinyLM(16, 2, 1, vocab_size=7)(torch.zeros(1, 4, dtype=torch.long)).shape
    torch.Size([1, 4, 7])
    """

    def __init__(
        self,
        embed_dim: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        max_len=48,
        vocab_size: int | None = None,
    ):
        super().__init__()
        self.config = dict(
            embed_dim=embed_dim, num_heads=num_heads, num_layers=num_layers
        )
        self.config["max_len"] = max_len
        vocab_size = len(VOCAB) if vocab_size is None else vocab_size
        if vocab_size != len(VOCAB):  # another vocabulary (e.g. characters)
            self.config["vocab_size"] = vocab_size
        self.tok_emb = nn.Embedding(vocab_size, embed_dim)
        self.pos_emb = nn.Embedding(max_len, embed_dim)
        self.blocks = nn.ModuleList(
            _Block(embed_dim, num_heads) for _ in range(num_layers)
        )
        self.ln_f = nn.LayerNorm(embed_dim)
        self.readout = nn.Linear(embed_dim, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.dim() != 2 or tokens.shape[1] > self.pos_emb.num_embeddings:
            raise ValueError(
                f"tokens must have shape (B, L) with L <= "
                f"{self.pos_emb.num_embeddings}, got {tuple(tokens.shape)}"
            )
        L = tokens.shape[1]
        x = self.tok_emb(tokens) + self.pos_emb(torch.arange(L, device=tokens.device))
        mask = causal_mask(L, device=tokens.device)  # (L, L), True = may attend
        for block in self.blocks:
            x = block(x, mask)  # (B, L, D)
        return self.readout(self.ln_f(x))  # (B, L, V)

    def attention(self) -> torch.Tensor:
        """(N, B, H, L, L): every layer's weights from the last forward pass."""
        return torch.stack([b.weights for b in self.blocks])

    def heads(self) -> list[MultiHeadAttention]:
        """The attention layers, layer 0 first (for ``ablate_heads``)."""
        return [b.attn for b in self.blocks]


def _next_token_loss(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Per-position loss (B, L - 1) of predicting tokens[:, 1:]; 0 at padding."""
    nxt = tokens[:, 1:]  # (B, L - 1)
    loss = F.cross_entropy(logits[:, :-1].transpose(1, 2), nxt, reduction="none")
    return loss * (nxt != 0)  # (B, L - 1)


@torch.no_grad()
def relation_losses(model: TinyLM, data: Sentences) -> dict:
    """Mean next-token loss and accuracy at each relation's query positions.

    Returns ``{relation: {"loss": float, "accuracy": float}}`` plus ``"all"``
    (every non-padding position). Ambiguous attachments (either target is
    right) are left out of ``attachment``.

    >>> from mhacourse.studies.synthetic_language import make_sentences
    >>> res = relation_losses(TinyLM(16, 2, 1), make_sentences(8))
    >>> sorted(res)[:3], sorted(res["homonym"])
    (['agreement', 'all', 'attachment'], ['accuracy', 'loss'])
    """
    was = model.training
    model.eval()
    logits = model(data.tokens)  # (B, L, V)
    model.train(was)
    loss = _next_token_loss(logits, data.tokens)  # (B, L - 1)
    right = logits[:, :-1].argmax(-1) == data.tokens[:, 1:]  # (B, L - 1)
    out = {}
    for r in RELATIONS:
        where = data.queries(r)[:, :-1]  # (B, L - 1)
        if r == "attachment":
            where = where & ~data.ambiguous[:, None]
        out[r] = _mean_pair(loss, right, where)
    out["all"] = _mean_pair(loss, right, data.tokens[:, 1:] != 0)
    return out


def _mean_pair(loss, right, where) -> dict:
    n = where.sum()
    return {
        "loss": float(loss[where].sum() / n),
        "accuracy": float(right[where].sum() / n),
    }


@torch.no_grad()
def head_relation_table(model: TinyLM, data: Sentences) -> torch.Tensor:
    """Share of each head's attention on each relation's true targets.

    Entry [n, h, r] averages, over the queries of relation r, the total
    weight that head h of layer n puts on that query's targets; the last
    column r = R is the weight on the first token ``<s>`` (over all queries
    after the first). 1 means the head looks only at the targets.

    Returns:
        (N, H, R + 1), with relations ordered as ``RELATIONS``.

    >>> from mhacourse.studies.synthetic_language import make_sentences
    >>> head_relation_table(TinyLM(16, 2, 3), make_sentences(8)).shape
    torch.Size([3, 2, 7])
    """
    was = model.training
    model.eval()
    model(data.tokens)
    model.train(was)
    w = model.attention()  # (N, B, H, L, L)
    cols = []
    for r in range(len(RELATIONS)):
        t = data.targets[r]  # (B, L, L)
        on_target = (w * t[None, :, None]).sum(-1)  # (N, B, H, L)
        q = t.any(-1)  # (B, L): the queries of r
        cols.append(on_target.transpose(1, 2)[:, :, q].mean(-1))  # (N, H)
    real = data.tokens != 0  # (B, L)
    real[:, 0] = False
    cols.append(w[..., 0].transpose(1, 2)[:, :, real].mean(-1))  # (N, H)
    return torch.stack(cols, dim=-1)  # (N, H, R + 1)


def train_lm(
    model: TinyLM,
    pool: Sentences,
    steps: int,
    batch: int = 64,
    lr: float = 3e-3,
    seed: int = 0,
) -> list[float]:
    """Adam on random batches of ``pool``; returns the loss every 50 steps.

    The batches are drawn with a private generator seeded by ``seed``.

    >>> from mhacourse.studies.synthetic_language import make_sentences
    >>> _ = torch.manual_seed(0)
    >>> losses = train_lm(TinyLM(16, 2, 1), make_sentences(32), steps=60, batch=8)
    >>> len(losses), losses[-1] < losses[0]
    (2, True)
    """

    def batch_loss(g: torch.Generator) -> torch.Tensor:
        idx = torch.randint(len(pool), (batch,), generator=g)  # (batch,)
        tokens = pool.tokens[idx]  # (batch, L)
        loss = _next_token_loss(model(tokens), tokens).sum()
        return loss / (tokens[:, 1:] != 0).sum()

    return train_one_cycle(model, batch_loss, steps, lr, seed)


def train_one_cycle(
    model: nn.Module,
    batch_loss: Callable[[torch.Generator], torch.Tensor],
    steps: int,
    lr: float,
    seed: int = 0,
    stop: int | None = None,
) -> list[float]:
    """AdamW (weight decay 0.01) with a one-cycle schedule of ``steps`` steps.

    Each step calls ``batch_loss(g)``, which draws its batch with ``g``, a
    private generator seeded by ``seed``, and returns the batch's scalar loss.
    With ``stop``, only the first ``stop`` steps of the schedule run. Returns
    the batch loss every 50 steps. :func:`train_lm` and
    :func:`mhacourse.studies.real_text.train_char_lm` train with it.

    >>> _ = torch.manual_seed(0)
    >>> line = nn.Linear(1, 1)
    >>> def batch_loss(g):
    ...     x = torch.randn(8, 1, generator=g)  # (B, 1)
    ...     return ((line(x) - 3 * x) ** 2).mean()
    >>> losses = train_one_cycle(line, batch_loss, steps=120, lr=0.1)
    >>> len(losses), round(line.weight.item())  # every 50 steps; the slope 3 learnt
    (3, 3)
    """
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    model.train()
    losses = []
    for step in range(steps if stop is None else stop):
        loss = batch_loss(g)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 50 == 0:
            losses.append(loss.item())
    return losses
