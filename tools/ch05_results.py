"""Train what chapter 5 loads instead of training: the tiny LM and two sweeps.

Usage (from the repository root; a few minutes each on a free CPU)::

    python tools/ch05_results.py lm       # book/data/ch05_tiny_lm.pt and .json
    python tools/ch05_results.py sweeps   # book/data/ch05_sweeps.json
    python tools/ch05_results.py spread   # tests/data/ch05_spread.json
    python tools/ch05_results.py controls # book/data/ch05_controls.json

``lm`` trains :class:`mhacourse.studies.tiny_lm.TinyLM` on the synthetic
language and records the metrics it reached on fresh sentences; the test
``tests/test_studies_tiny_lm.py`` checks that the shipped weights still meet
them. ``sweeps`` trains the one-layer models of the chapter in float64: the
number-of-heads sweep on the four-relation task, and the subspace comparison
with matched budgets over 10 seeds. ``spread`` re-runs the part of the sweeps
that ``tests/test_studies_ch05_results.py`` re-runs, for seeds 0-2, under
``ATEN_CPU_CAPABILITY=default``, ``avx2`` and this CPU's best with 1 and 2
threads, and records how far the runs land from the shipped numbers: the
tolerances of that test are read from there. ``controls`` runs the controls a
reviewer asks for (issue 23): one against two heads over 10 seeds, H = 16
trained ten times longer, and the language model retrained from two more
seeds, analysed like the shipped one (head x relation shares, ablation damage).
"""

from __future__ import annotations

import argparse
import json
import pathlib

import torch
from _results_cli import rerun_across, tolerance

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

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "data"
SPREAD = ROOT / "tests" / "data" / "ch05_spread.json"  # read by tests, not shipped
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


def one_vs_two(seeds=tuple(range(10)), steps=100, D=16, L=8, V=16) -> dict:
    """Accuracies [previous, marker] of H = 1 and 2 per seed (the chapter's runs)."""
    train_data = make_two_relation_data(256, L, V, seed=1)
    test_data = make_two_relation_data(512, L, V, seed=2)
    out = {}
    for H in (1, 2):
        runs = []
        for s in seeds:
            seed_all(s)
            model = TinyAttentionModel(V, L, D, num_heads=H).double()
            train(model, train_data, steps=steps, lr=0.03, eval_every=steps)
            runs.append([round(a, 4) for a in evaluate(model, test_data)["accuracy"]])
        out[str(H)] = runs
    return {"steps": steps, "seeds": list(seeds), "accuracy": out}


def lm_analysis(model: TinyLM) -> dict:
    """Head x relation shares (N*H, R+1), single-head damage (N*H, R), accuracies."""
    from mhacourse.studies.head_analysis import ablate_heads
    from mhacourse.studies.tiny_lm import head_relation_table

    model = model.double().eval()
    fresh = make_sentences(500, seed=2024)  # the chapter's fresh sentences
    base = relation_losses(model, fresh)
    damage = []
    for layer in model.heads():
        for h in range(layer.num_heads):
            with ablate_heads(layer, [h]):
                res = relation_losses(model, fresh)
            damage.append([round(res[r]["loss"] - base[r]["loss"], 4) for r in base])
    share = head_relation_table(model, fresh).flatten(0, 1)  # (N * H, R + 1)
    return {
        "accuracy": {r: round(v["accuracy"], 4) for r, v in base.items()},
        "share": [[round(x, 4) for x in row] for row in share.tolist()],
        "damage": damage,
    }


def lm_seeds(seeds=(1, 2)) -> dict:
    """The chapter's language model retrained from other initial and batch seeds."""
    out = {}
    for s in seeds:
        seed_all(s)
        cfg = {k: LM[k] for k in ("embed_dim", "num_heads", "num_layers")}
        model = TinyLM(**cfg)
        pool = make_sentences(8000, seed=1)
        train_lm(model, pool, LM["steps"], LM["batch"], LM["lr"], seed=s)
        out[str(s)] = lm_analysis(model)
    shipped = TinyLM(**json.loads((DATA / "ch05_tiny_lm.json").read_text())["config"])
    shipped.load_state_dict(torch.load(DATA / "ch05_tiny_lm.pt", weights_only=True))
    return {"0": lm_analysis(shipped)} | out


CONTROLS = {
    "one_vs_two": lambda: one_vs_two(),
    "heads_long": lambda: heads_sweep(steps=LONG_STEPS, heads=(16,)),
    "lm_seeds": lambda: lm_seeds(),
}


def controls(parts=tuple(CONTROLS)) -> None:
    """Run some parts of book/data/ch05_controls.json and update them there."""
    torch.set_num_threads(1)
    path = DATA / "ch05_controls.json"
    for name in parts:
        value = CONTROLS[name]()
        result = json.loads(path.read_text()) if path.exists() else {}
        result |= {"command": "python tools/ch05_results.py controls", name: value}
        path.write_text(json.dumps(result, indent=1) + "\n")


LONG_STEPS = 1500  # five times the sweep's 300 steps


CHECKED_HEADS = (2, 4)  # the regime where heads share relations, and where they don't
CHECKED_SUBSPACE = "random 2 x 8, e=8"


def subset(seeds=(0, 1, 2)) -> dict:
    """The runs the tests repeat (for more seeds): H = 2 and 4, one subspace variant."""
    return {
        "capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "heads": heads_sweep(seeds=seeds, heads=CHECKED_HEADS)["accuracy"],
        "subspace": subspace_sweep(seeds=seeds, names=[CHECKED_SUBSPACE])["accuracy"],
    }


def spread(capabilities=("default", "avx2", "best")) -> None:
    """`subset` per capability x 1, 2 threads: tests/data/ch05_spread.json."""
    runs = [run for _, _, run in rerun_across(__file__, ["subset"], capabilities)]
    write_spread(runs)


def write_spread(runs: list[dict]) -> None:
    """Deviation of each run from the shipped sweeps, and the tolerances it backs."""
    shipped = json.loads((DATA / "ch05_sweeps.json").read_text())
    ship = {
        "heads": shipped["heads"]["accuracy"],
        "subspace": shipped["subspace"]["accuracy"],
    }

    def worst(part, key, reduce):  # largest |run - shipped| over runs and seeds
        devs = [
            abs(a - b)
            for run in runs
            for got, want in zip(run[part][key], ship[part][key], strict=False)
            for a, b in zip(reduce(got), reduce(want), strict=True)
        ]
        return round(max(devs), 4)

    def each(x):
        return x

    def mean(x):
        return [sum(x) / len(x)]

    deviation = {
        "heads H=4, per relation": worst("heads", "4", each),
        "heads H=2, per relation": worst("heads", "2", each),
        "heads H=2, mean over relations": worst("heads", "2", mean),
        "subspace, per relation": worst("subspace", CHECKED_SUBSPACE, each),
    }
    # H = 2 is chaotic (a seed can lose another relation on another CPU), so the
    # tests check the claim there, not the numbers: no tolerance for it.
    tolerated = ("heads H=4, per relation", "subspace, per relation")
    info = {
        "command": "python tools/ch05_results.py spread",
        "runs": runs,
        "largest deviation from the shipped numbers": deviation,
        # Twice the largest deviation measured here, rounded up to a hundredth.
        "tolerance": {k: tolerance(deviation[k]) for k in tolerated},
    }
    SPREAD.write_text(json.dumps(info, indent=1) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "what", choices=["lm", "sweeps", "spread", "subset", "controls"]
    )
    parser.add_argument("parts", nargs="*", help=f"of controls: {list(CONTROLS)}")
    args = parser.parse_args()
    what = args.what
    if what == "controls":
        controls(args.parts or tuple(CONTROLS))
    elif what == "subset":
        print(json.dumps(subset()))
    else:
        {"lm": lm, "sweeps": sweeps, "spread": spread, "controls": controls}[what]()
