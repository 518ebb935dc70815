"""A one-layer attention model and a seeded, deterministic training loop.

The model is deliberately minimal: summed embeddings, *one* attention
layer, and a linear read-out. There is no residual connection and no
feed-forward layer, so everything a position learns about other positions
must come through the attention heads. That makes it easy to see what each
head does. Shape legend: B batch, L length, D model dim, H heads,
T targets per position, V values (classes).

Training is full-batch Adam on a fixed data set, single-threaded on the
CPU: the same seed gives the same numbers on every run.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..mha import MultiHeadAttention
from .head_analysis import head_diversity
from .toy_tasks import IGNORE, TwoRelationData

__all__ = ["History", "TinyAttentionModel", "evaluate", "loss_fn", "train"]


class TinyAttentionModel(nn.Module):
    """Embeddings -> one attention layer -> linear read-out.

    Args:
        num_values: V, number of token values (and of classes per target).
        length: L, the (maximum) sequence length, for position embeddings.
        embed_dim: D.
        num_heads: H, for the default :class:`mhacourse.MultiHeadAttention`.
        attention: any module with the contract of ``MultiHeadAttention``
            (``forward(x, mask=...) -> (out (B, L, D), weights (B, H, L, S))``);
            overrides ``num_heads``.
        num_targets: T, the number of things predicted at each position.

    The input (B, L, 2) holds a value and a flag per token; the embedding is
    ``value_emb[value] + flag_emb[flag] + pos_emb[position]``.
    ``forward`` returns logits (B, L, T, V) and the attention weights.

    >>> model = TinyAttentionModel(num_values=8, length=6, embed_dim=16, num_heads=2)
    >>> logits, w = model(torch.zeros(3, 6, 2, dtype=torch.long))
    >>> logits.shape, w.shape
    (torch.Size([3, 6, 2, 8]), torch.Size([3, 2, 6, 6]))
    """

    def __init__(
        self,
        num_values: int,
        length: int,
        embed_dim: int,
        num_heads: int = 1,
        attention: nn.Module | None = None,
        num_targets: int = 2,
    ):
        super().__init__()
        self.num_values, self.num_targets = num_values, num_targets
        self.value_emb = nn.Embedding(num_values, embed_dim)
        self.flag_emb = nn.Embedding(2, embed_dim)
        self.pos_emb = nn.Embedding(length, embed_dim)
        self.attention = (
            MultiHeadAttention(embed_dim, num_heads) if attention is None else attention
        )
        self.readout = nn.Linear(embed_dim, num_targets * num_values)

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, L, 2) long -> (B, L, D)."""
        if inputs.dim() != 3 or inputs.shape[-1] != 2:
            raise ValueError(
                f"inputs must have shape (B, L, 2), got {tuple(inputs.shape)}"
            )
        positions = torch.arange(inputs.shape[1], device=inputs.device)  # (L,)
        return (
            self.value_emb(inputs[..., 0])
            + self.flag_emb(inputs[..., 1])
            + self.pos_emb(positions)
        )  # (B, L, D)

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None):
        x = self.embed(inputs)  # (B, L, D)
        out, weights = self.attention(x, mask=mask)  # (B, L, D), (B, H, L, L)
        logits = self.readout(out).unflatten(
            -1, (self.num_targets, self.num_values)
        )  # (B, L, T, V)
        return logits, weights


def loss_fn(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every (position, target) that is not ``IGNORE``.

    logits (B, L, T, V), targets (B, L, T).

    >>> logits, targets = torch.zeros(1, 2, 1, 4), torch.tensor([[[IGNORE], [3]]])
    >>> loss_fn(logits, targets).item() == torch.log(torch.tensor(4.0)).item()
    True
    """
    return F.cross_entropy(
        logits.flatten(0, -2), targets.flatten(), ignore_index=IGNORE
    )


@contextlib.contextmanager
def _threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@torch.no_grad()
def evaluate(model: nn.Module, data: TwoRelationData, threads: int = 1) -> dict:
    """Loss and accuracy of ``model`` on ``data``, per target and overall.

    Runs with ``threads`` CPU threads (1 by default, like :func:`train`).

    Returns:
        ``{"loss": float, "accuracy": [float per target], "mean_accuracy": float}``;
        positions whose target is ``IGNORE`` are left out.

    >>> from mhacourse.studies.toy_tasks import make_two_relation_data
    >>> data = make_two_relation_data(4, 6, 8)
    >>> sorted(evaluate(TinyAttentionModel(8, 6, 16, 2), data))
    ['accuracy', 'loss', 'mean_accuracy']
    """
    was_training = model.training
    model.eval()
    with _threads(threads):
        logits, _ = model(data.inputs)  # (B, L, T, V)
    model.train(was_training)
    correct = logits.argmax(-1) == data.targets  # (B, L, T)
    counted = data.targets != IGNORE  # (B, L, T)
    per_target = (
        (correct & counted).sum((0, 1)) / counted.sum((0, 1))
    ).tolist()  # (T,)
    return {
        "loss": loss_fn(logits, data.targets).item(),
        "accuracy": per_target,
        "mean_accuracy": sum(per_target) / len(per_target),
    }


@dataclass
class History:
    """What :func:`train` recorded.

    ``steps[i]`` is the step after which ``loss[i]`` (training loss),
    ``accuracy[i]`` (per target, on the evaluation data) and ``diversity[i]``
    (:func:`head_diversity` on the first 64 evaluation sequences; None for a
    single head) were measured. ``seconds`` is the training wall time.

    >>> h = History(steps=[0, 10], loss=[2.3, 0.4], diversity=[None, None],
    ...             accuracy=[[0.1, 0.2], [0.9, 1.0]])
    >>> h.accuracy[h.steps.index(10)], h.seconds
    ([0.9, 1.0], 0.0)
    """

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    diversity: list = field(default_factory=list)
    seconds: float = 0.0


def train(
    model: nn.Module,
    data: TwoRelationData,
    steps: int = 150,
    lr: float = 0.02,
    eval_data: TwoRelationData | None = None,
    eval_every: int = 10,
    threads: int = 1,
) -> History:
    """Full-batch Adam on ``data`` for ``steps`` steps; records a :class:`History`.

    The loop has no randomness of its own (no shuffling, no dropout), and
    runs with ``threads`` CPU threads (1 by default, so that sums are always
    added in the same order): given the same initial model and data it gives
    the same result every time. Seed before building the model.

    >>> from mhacourse.studies.toy_tasks import make_two_relation_data
    >>> _ = torch.manual_seed(0)
    >>> model = TinyAttentionModel(8, 6, 16, num_heads=2)
    >>> hist = train(model, make_two_relation_data(64, 6, 8), steps=20, eval_every=10)
    >>> hist.steps, hist.loss[-1] < hist.loss[0]
    ([0, 10, 20], True)
    """
    if steps < 0 or eval_every < 1:
        raise ValueError(
            "need steps >= 0 and eval_every >= 1, got "
            f"steps={steps}, eval_every={eval_every}"
        )
    hist = History()
    probe = (eval_data if eval_data is not None else data)[:64]
    opt = torch.optim.Adam(
        model.parameters(), lr=lr, foreach=True
    )  # one fused update for all tensors
    start = time.perf_counter()
    with _threads(threads):
        model.train()
        for step in range(steps + 1):
            logits, _ = model(data.inputs)  # (B, L, T, V)
            loss = loss_fn(logits, data.targets)
            if step % eval_every == 0 or step == steps:
                _record(hist, step, loss.item(), model, eval_data, probe, threads)
            if step == steps:
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
    hist.seconds = time.perf_counter() - start
    return hist


@torch.no_grad()
def _record(
    hist: History, step: int, loss: float, model: nn.Module, eval_data, probe, threads
) -> None:
    hist.steps.append(step)
    hist.loss.append(loss)
    hist.accuracy.append(
        evaluate(model, eval_data, threads)["accuracy"]
        if eval_data is not None
        else None
    )
    _, weights = model(probe.inputs)  # (B, H, L, L)
    hist.diversity.append(
        float(head_diversity(weights)) if weights.shape[1] > 1 else None
    )
