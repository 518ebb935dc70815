"""A character-level GPT on real text: the course's own prose and code.

The corpus (built by ``tools/real_text_corpus.py``, shipped in
``book/data/real_text_*``) is read by :func:`load_corpus`; the model is
:class:`~mhacourse.studies.tiny_lm.TinyLM`, the course's causal Transformer
built from :class:`mhacourse.MultiHeadAttention`, with one token per
character. With D fixed, the number of heads H leaves the parameter count
unchanged: W^q, W^k, W^v and W^o are D x D whatever H is.

* :func:`load_corpus` - the two splits as text and the character set;
* :func:`encode` / :func:`decode` - text to ids (N,) and back;
* :func:`windows` - cut ids into (N, L + 1) windows, inputs plus next char;
* :func:`char_losses` - per-position next-character loss (N, L);
* :func:`train_char_lm` - seeded AdamW on random windows;
* :func:`sample` - deterministic generation with a seeded generator.

Shape legend: B batch, N windows, L context length, V vocabulary size.
"""

from __future__ import annotations

import json
import math
import pathlib

import torch
import torch.nn.functional as F

from .tiny_lm import TinyLM, train_one_cycle

__all__ = [
    "char_losses",
    "decode",
    "encode",
    "load_corpus",
    "sample",
    "train_char_lm",
    "windows",
]


def load_corpus(folder, name: str = "real_text") -> dict:
    """Read ``{name}_train.txt``, ``{name}_val.txt`` and ``{name}_manifest.json``.

    Returns ``{"train": str, "val": str, "charset": str, "manifest": dict}``.

    >>> import tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "c_train.txt").write_text("ab\\n"), (d / "c_val.txt").write_text("b")
    >>> _ = (d / "c_manifest.json").write_text('{"charset": "\\\\nab"}')
    >>> load_corpus(d, "c")["charset"]
    '\\nab'
    """
    folder = pathlib.Path(folder)
    manifest = json.loads((folder / f"{name}_manifest.json").read_text("utf-8"))
    out = {
        s: (folder / f"{name}_{s}.txt").read_text(encoding="utf-8")
        for s in ("train", "val")
    }
    return dict(out, charset=manifest["charset"], manifest=manifest)


def encode(text: str, charset: str) -> torch.Tensor:
    """Character ids (N,) of ``text``; every character must be in ``charset``.

    >>> encode("aba", "ab").tolist()
    [0, 1, 0]
    """
    index = {c: i for i, c in enumerate(charset)}
    missing = sorted(set(text) - set(index))
    if missing:
        raise ValueError(f"text has characters outside charset: {missing[:5]}")
    return torch.tensor([index[c] for c in text], dtype=torch.long)  # (N,)


def decode(ids, charset: str) -> str:
    """The text of character ids (any shape flattened).

    >>> decode(torch.tensor([1, 0, 1]), "ab")
    'bab'
    """
    return "".join(charset[i] for i in torch.as_tensor(ids).flatten().tolist())


def windows(ids: torch.Tensor, length: int, stride: int | None = None) -> torch.Tensor:
    """Cut ids (T,) into windows (N, length + 1), ``stride`` apart (default length).

    Each window holds ``length`` inputs and, shifted by one, their next
    characters; the tail that does not fill a window is dropped.

    >>> windows(torch.arange(10), 3).tolist()
    [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]
    """
    if ids.dim() != 1 or ids.numel() < length + 1:
        raise ValueError(
            f"ids must be (T,) with T > length={length}, got {tuple(ids.shape)}"
        )
    return ids.unfold(0, length + 1, stride or length)  # (N, length + 1)


def char_losses(model: TinyLM, win: torch.Tensor) -> torch.Tensor:
    """Next-character loss in nats at every position: (N, L) for windows (N, L + 1).

    Entry [n, i] is the loss of predicting ``win[n, i + 1]`` from
    ``win[n, :i + 1]``. The model's attention weights are those of this pass.

    >>> model = TinyLM(16, 2, 1, max_len=8, vocab_size=5)
    >>> char_losses(model, torch.zeros(3, 9, dtype=torch.long)).shape
    torch.Size([3, 8])
    """
    logits = model(win[:, :-1])  # (N, L, V)
    return F.cross_entropy(logits.transpose(1, 2), win[:, 1:], reduction="none")


def train_char_lm(
    model: TinyLM,
    ids: torch.Tensor,
    steps: int,
    batch: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    stop: int | None = None,
) -> list[float]:
    """AdamW with a one-cycle schedule on random windows of ids (T,).

    Windows of ``model``'s context length start at offsets drawn by a
    private generator seeded by ``seed``. With ``stop``, only the first
    ``stop`` steps of the ``steps``-step schedule run (the start of a run,
    cheap to repeat). Returns the batch loss every 50 steps.

    >>> _ = torch.manual_seed(0)
    >>> model = TinyLM(16, 2, 1, max_len=8, vocab_size=3)
    >>> losses = train_char_lm(model, torch.arange(200) % 3, steps=60, batch=4)
    >>> len(losses), losses[-1] < losses[0]
    (2, True)
    """
    length = model.config["max_len"]
    offsets = torch.arange(length + 1)  # (L + 1,)

    def batch_loss(g: torch.Generator) -> torch.Tensor:
        start = torch.randint(ids.numel() - length, (batch, 1), generator=g)  # (B, 1)
        return char_losses(model, ids[start + offsets]).mean()  # windows (B, L + 1)

    return train_one_cycle(model, batch_loss, steps, lr, seed, stop)


@torch.no_grad()
def sample(
    model: TinyLM, prompt: torch.Tensor, steps: int, seed: int = 0, temperature=0.8
) -> torch.Tensor:
    """Extend prompt ids (T,) by ``steps`` characters drawn from the model.

    Draws with a private generator seeded by ``seed``, from the softmax of
    logits / ``temperature``, seeing at most the last ``max_len`` characters.
    Returns ids (T + steps,).

    >>> model = TinyLM(16, 2, 1, max_len=4, vocab_size=3)
    >>> sample(model, torch.tensor([0, 1]), steps=6).shape
    torch.Size([8])
    """
    g = torch.Generator().manual_seed(seed)
    was = model.training
    model.eval()
    ids = prompt.clone()  # (T,)
    for _ in range(steps):
        logits = model(ids[-model.config["max_len"] :][None])[0, -1]  # (V,)
        probs = torch.softmax(logits.double() / temperature, -1)  # (V,)
        ids = torch.cat([ids, torch.multinomial(probs, 1, generator=g)])
    model.train(was)
    return ids


def bits_per_char(nats: float) -> float:
    """A loss in nats per character, in bits per character.

    >>> bits_per_char(math.log(2))
    1.0
    """
    return nats / math.log(2)
