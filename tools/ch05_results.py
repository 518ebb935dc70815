"""Train what chapter 5 loads instead of training: the tiny LM and two sweeps.

Usage (from the repository root; a few minutes each on a free CPU)::

    python tools/ch05_results.py lm       # book/data/ch05_tiny_lm.pt and .json
    python tools/ch05_results.py sweeps   # book/data/ch05_sweeps.json

``lm`` trains :class:`mhacourse.studies.tiny_lm.TinyLM` on the synthetic
language and records the metrics it reached on fresh sentences; the test
``tests/test_studies_tiny_lm.py`` checks that the shipped weights still meet
them. ``sweeps`` trains the one-layer models of the chapter in float64: the
number-of-heads sweep on the four-relation task, and the subspace comparison
with matched budgets over 10 seeds.
"""

from __future__ import annotations

import argparse
import json
import pathlib

import torch

from mhacourse import seed as seed_all
from mhacourse.studies.subspace_attention import (
    SubspaceAttention,
    contiguous_subspaces,
    random_subspaces,
)
from mhacourse.studies.synthetic_language import make_sentences
from mhacourse.studies.tiny_lm import TinyLM, relation_losses, train_lm
from mhacourse.studies.tiny_model import TinyAttentionModel, evaluate, train
from mhacourse.studies.toy_tasks import make_four_relation_data, make_two_relation_data

DATA = pathlib.Path(__file__).resolve().parents[1] / "book" / "data"
LM = dict(embed_dim=32, num_heads=4, num_layers=2, steps=1000, batch=64, lr=5e-3)
HEADS = (1, 2, 4, 8, 16)


def lm() -> None:
    """Train the tiny LM (seed 0, pool seed 1) and save weights and metrics."""
    torch.set_num_threads(2)
    seed_all(0)
    cfg = {k: LM[k] for k in ("embed_dim", "num_heads", "num_layers")}
    model = TinyLM(**cfg)
    losses = train_lm(
        model, make_sentences(8000, seed=1), LM["steps"], LM["batch"], LM["lr"]
    )
    torch.save(model.state_dict(), DATA / "ch05_tiny_lm.pt")
    write_lm_metrics(model, losses)


def write_lm_metrics(model: TinyLM, losses: list[float]) -> None:
    """Metrics on 500 fresh sentences (seed 2), next to the weights."""
    res = relation_losses(model.eval(), make_sentences(500, seed=2))
    info = {
        "command": "python tools/ch05_results.py lm",
        "config": model.config,
        "training": {k: LM[k] for k in ("steps", "batch", "lr")}
        | {"pool": "make_sentences(8000, seed=1)", "init_seed": 0},
        "train_loss_every_50_steps": [round(x, 4) for x in losses],
        "test": "make_sentences(500, seed=2)",
        "metrics": {k: {m: round(v, 4) for m, v in d.items()} for k, d in res.items()},
    }
    (DATA / "ch05_tiny_lm.json").write_text(json.dumps(info, indent=1) + "\n")


def heads_sweep(seeds=(0, 1, 2), steps=300, D=16, L=8, V=16, heads=HEADS) -> dict:
    """Test accuracies on the four-relation task for H = 1 ... 16 at fixed D."""
    train_data = make_four_relation_data(256, L, V, seed=1)
    test_data = make_four_relation_data(512, L, V, seed=2)
    out = {}
    for H in heads:
        runs = []
        for s in seeds:
            seed_all(s)
            model = TinyAttentionModel(V, L, D, num_heads=H, num_targets=4).double()
            train(model, train_data, steps=steps, lr=0.03, eval_every=steps)
            runs.append([round(a, 4) for a in evaluate(model, test_data)["accuracy"]])
        out[str(H)] = runs
    return {"D": D, "steps": steps, "seeds": list(seeds), "accuracy": out}


def subspace_variants(D=16) -> dict:
    """Factories (seed -> attention module) with matched H and parameter budgets."""
    return {
        "standard H=2": lambda s: None,
        "contiguous 2 x 8, e=8": lambda s: SubspaceAttention(
            D, contiguous_subspaces(D, 2), head_dim=8
        ),
        "random 2 x 8, e=8": lambda s: SubspaceAttention(
            D, random_subspaces(D, 2, 8, seed=s), head_dim=8
        ),
        "contiguous 4 x 4, e=4": lambda s: SubspaceAttention(
            D, contiguous_subspaces(D, 4), head_dim=4
        ),
        "random 4 x 4, e=4": lambda s: SubspaceAttention(
            D, random_subspaces(D, 4, 4, seed=s), head_dim=4
        ),
    }


def subspace_sweep(
    seeds=tuple(range(10)), steps=100, D=16, L=8, V=16, names=None
) -> dict:
    """Test accuracies [previous, marker] per variant and seed, two-relation task."""
    train_data = make_two_relation_data(256, L, V, seed=1)
    test_data = make_two_relation_data(512, L, V, seed=2)
    out, params = {}, {}
    for name, make in subspace_variants(D).items():
        if names is not None and name not in names:
            continue
        runs = []
        for s in seeds:
            seed_all(s)
            model = TinyAttentionModel(V, L, D, num_heads=2, attention=make(s))
            model = model.double()
            train(model, train_data, steps=steps, lr=0.03, eval_every=steps)
            runs.append([round(a, 4) for a in evaluate(model, test_data)["accuracy"]])
        out[name] = runs
        params[name] = sum(p.numel() for p in model.attention.parameters())
    return {"steps": steps, "seeds": list(seeds), "accuracy": out, "params": params}


def sweeps() -> None:
    torch.set_num_threads(1)
    result = {
        "command": "python tools/ch05_results.py sweeps",
        "heads": heads_sweep(),
        "subspace": subspace_sweep(),
    }
    (DATA / "ch05_sweeps.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["lm", "sweeps"])
    {"lm": lm, "sweeps": sweeps}[parser.parse_args().what]()
