"""Does sharing key/value heads cost quality? A study designed so that it can.

Grouped-query attention (chapter 6) lets ``H`` query heads share ``H_kv``
key/value heads. Where every head needs the same thing from a token, sharing is
free by construction. This study gives sharing a chance to hurt: chapter 6's
tiny encoder-decoder reverses sequences of 32 symbols with ``D = 16`` and
``H = 8`` heads of size ``E = 2``. A head's value carries only 2 numbers about
the source token it attends to, so copying one of 32 symbols needs several heads
reading *different* value subspaces of the same source token. With ``H_kv = 1``
all eight query heads read the same 2 numbers; with ``H_kv = 8`` (ordinary
multi-head attention) they read 16.

:func:`run_one` trains one model and measures it; :func:`summarize` turns runs
over seeds into solved counts with Wilson intervals and mean accuracies with
bootstrap intervals (:mod:`mhacourse.studies.stats`). ``tools/ch06_gqa.py``
runs the whole grid and writes ``book/data/ch06_gqa.json``.

>>> run = run_one(8, seed=0, steps=2, eval_size=8)
>>> sorted(run)
['accuracy', 'final_loss', 'num_kv_heads', 'seed', 'steps']
"""

from __future__ import annotations

import torch

from .seq2seq import TinySeq2Seq, reversal_batch, train_seq2seq
from .stats import bootstrap_interval, wilson_interval

__all__ = ["CONFIG", "KV_HEADS", "SEEDS", "SOLVED", "run_one", "summarize"]

#: The task and model: reversal of 6 tokens over 32 symbols (plus BOS), D = 16,
#: H = 8 heads of size E = 2, trained with Adam on fresh batches.
CONFIG = dict(
    vocab=33, length=6, embed_dim=16, num_heads=8, ff_dim=64,
    steps=600, batch_size=32, lr=1e-2,
)  # fmt: skip
#: Key/value heads compared: multi-query (1), grouped (2, 4), multi-head (8).
KV_HEADS = (1, 2, 4, 8)
SEEDS = (0, 1, 2, 3, 4)
#: A run "solves" the task at this held-out token accuracy or above.
SOLVED = 0.95


def held_out_accuracy(model, eval_size=512, seed=99):
    """Token accuracy of greedy decoding on ``eval_size`` held-out sequences.

    >>> model = TinySeq2Seq(5, 8, 2, dtype=torch.float64)
    >>> 0.0 <= held_out_accuracy(model, eval_size=4) <= 1.0
    True
    """
    c = CONFIG
    gen = torch.Generator().manual_seed(seed)  # a seed training never uses
    vocab = model.readout.out_features
    src, _, tgt_out = reversal_batch(eval_size, c["length"], vocab, gen)  # (N, S)
    model.eval()
    tokens, _ = model.generate(src, c["length"])  # (N, S)
    return (tokens == tgt_out).double().mean().item()


def run_one(num_kv_heads, seed, steps=None, eval_size=512):
    """Train one model (float64, one thread) and return its numbers as a dict.

    ``seed`` sets both the initialisation and the training batches.
    """
    c = CONFIG
    steps = c["steps"] if steps is None else steps
    torch.manual_seed(seed)
    model = TinySeq2Seq(
        c["vocab"], c["embed_dim"], c["num_heads"], ff_dim=c["ff_dim"],
        num_kv_heads=num_kv_heads, dtype=torch.float64,
    )  # fmt: skip
    losses = train_seq2seq(
        model, steps, c["batch_size"], c["length"], lr=c["lr"], seed=seed
    )
    return {
        "num_kv_heads": num_kv_heads,
        "seed": seed,
        "steps": steps,
        "final_loss": sum(losses[-10:]) / len(losses[-10:]),
        "accuracy": held_out_accuracy(model, eval_size),
    }


def summarize(runs):
    """Per number of key/value heads: accuracies, intervals, solved count.

    ``runs``: dicts from :func:`run_one`. Returns ``{H_kv: summary}``, where the
    mean accuracy gets a 95% bootstrap interval over seeds and the solved
    count (accuracy >= SOLVED) a 95% Wilson interval.

    >>> s = summarize([{"num_kv_heads": 1, "accuracy": a} for a in (0.5, 1.0)])
    >>> s[1]["solved"], s[1]["n"], s[1]["mean"]
    (1, 2, 0.75)
    """
    out = {}
    for kv in sorted({r["num_kv_heads"] for r in runs}):
        acc = [r["accuracy"] for r in runs if r["num_kv_heads"] == kv]
        solved = sum(a >= SOLVED for a in acc)
        out[kv] = {
            "accuracies": acc,
            "mean": sum(acc) / len(acc),
            "mean_interval": list(bootstrap_interval(acc)),
            "solved": solved,
            "n": len(acc),
            "solved_interval": list(wilson_interval(solved, len(acc))),
        }
    return out
