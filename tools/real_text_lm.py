"""Train what chapter 8 loads: character-level GPTs on the course's own text.

Usage (from the repository root; 14 training runs of 800 steps, one thread each)::

    nice -n 10 env OMP_NUM_THREADS=1 python tools/real_text_lm.py train --jobs 2

Trains :class:`~mhacourse.studies.tiny_lm.TinyLM` (2 layers, D = 64, a
context of 64 characters) on ``book/data/real_text_train.txt`` for
H = 1, 2, 4, 8 heads (the same parameter count: D is fixed) and seeds
0, 1, 2, and writes ``book/data/real_text_sweep.json``: each run's final
validation loss on the held-out files, its loss after the first EARLY
steps (what ``tests/test_studies_real_text.py`` re-runs, with a tolerance
from the spread over seeds), and mean and 95% bootstrap interval per H.
Then it retrains the seed-0 runs with one head and with the best H > 1
(their validation loss must equal the sweep's: training is deterministic)
and saves them as ``book/data/real_text_h{H}.pt`` with
``real_text_lm.json`` (config, validation loss, a seeded sample).
``sweep`` and ``ship`` run the two halves alone.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import pathlib
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import torch

from mhacourse import seed as seed_all
from mhacourse.studies.real_text import (
    char_losses,
    decode,
    encode,
    load_corpus,
    sample,
    train_char_lm,
    windows,
)
from mhacourse.studies.stats import bootstrap_interval
from mhacourse.studies.tiny_lm import TinyLM

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "data"
CONFIG = dict(embed_dim=64, num_layers=2, max_len=64)
TRAIN = dict(steps=800, batch=32, lr=3e-3)
HEADS, SEEDS = (1, 2, 4, 8), (0, 1, 2)
EARLY, EARLY_WINDOWS = 100, 256  # the cheap re-run: steps, validation windows
PROMPT = "def attention("
COMMAND = "python tools/real_text_lm.py train --jobs 2"


def corpus():
    """(charset, train ids (T,), validation windows (N, L + 1))."""
    c = load_corpus(DATA)
    train = encode(c["train"], c["charset"])  # (T,)
    val = windows(encode(c["val"], c["charset"]), CONFIG["max_len"])  # (N, L + 1)
    return c["charset"], train, val


@torch.no_grad()
def val_loss(model: TinyLM, val: torch.Tensor) -> float:
    """Mean next-character loss (nats) over validation windows (N, L + 1)."""
    model.eval()
    total = sum(char_losses(model, chunk).sum().item() for chunk in val.split(256))
    return total / (val.shape[0] * (val.shape[1] - 1))


def new_model(heads: int, seed: int, vocab: int) -> TinyLM:
    """The seeded, untrained model with ``heads`` heads."""
    seed_all(seed)
    return TinyLM(num_heads=heads, vocab_size=vocab, **CONFIG)


def early_loss(heads: int, seed: int, train, val, vocab: int) -> float:
    """Validation loss (first EARLY_WINDOWS windows) after the first EARLY steps."""
    model = new_model(heads, seed, vocab)
    train_char_lm(model, train, seed=seed, stop=EARLY, **TRAIN)
    return val_loss(model, val[:EARLY_WINDOWS])


def summary(values: list[float]) -> dict:
    lo, hi = bootstrap_interval(values)
    return dict(mean=statistics.fmean(values), low=lo, high=hi,
                sd=statistics.stdev(values))  # fmt: skip


def one_run(heads: int, seed: int) -> tuple[dict, dict]:
    """Train one (H, seed) run; returns its record and its state dict."""
    torch.set_num_threads(1)
    charset, train, val = corpus()
    t0 = time.perf_counter()
    early = early_loss(heads, seed, train, val, len(charset))
    model = new_model(heads, seed, len(charset))
    curve = train_char_lm(model, train, seed=seed, **TRAIN)
    run = dict(heads=heads, seed=seed, val_loss=val_loss(model, val),
               early_val_loss=early, train_curve=curve,
               seconds=round(time.perf_counter() - t0, 1))  # fmt: skip
    print(heads, seed, run["val_loss"], early, run["seconds"], flush=True)
    return run, model.state_dict()


def run_sweep(jobs: int) -> list[dict]:
    """Every (H, seed) run in ``jobs`` processes."""
    grid = [(h, s) for h in HEADS for s in SEEDS]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        done = list(pool.map(one_run, *zip(*grid, strict=True)))
    return [run for run, _ in done]


def sweep(jobs: int) -> None:
    """Every (H, seed) run; writes real_text_sweep.json."""
    runs = run_sweep(jobs)
    per_h = {h: [r for r in runs if r["heads"] == h] for h in HEADS}
    stats = {h: dict(val_loss=summary([r["val_loss"] for r in rs]),
                     early_val_loss=summary([r["early_val_loss"] for r in rs]))
             for h, rs in per_h.items()}  # fmt: skip
    best = min(HEADS, key=lambda h: stats[h]["val_loss"]["mean"])
    out = dict(command=COMMAND, config=CONFIG, train=TRAIN, early_steps=EARLY,
               early_windows=EARLY_WINDOWS, runs=runs, best_heads=best,
               per_heads={str(h): s for h, s in stats.items()})  # fmt: skip
    (DATA / "real_text_sweep.json").write_text(json.dumps(out, indent=1) + "\n")


def shipped_heads() -> list[int]:
    """One head, and the best mean validation loss among H > 1 in the sweep."""
    per = json.loads((DATA / "real_text_sweep.json").read_text())["per_heads"]
    multi = min(
        (h for h in HEADS if h > 1), key=lambda h: per[str(h)]["val_loss"]["mean"]
    )
    return [1, multi]


def ship(jobs: int, heads: list[int] | None = None) -> None:
    """Retrain seed 0 of the shipped head counts; weights, samples, real_text_lm.json.

    The runs are the sweep's seed-0 runs again: their validation loss must
    equal the one the sweep recorded (training is deterministic on one CPU).
    """
    charset, _, val = corpus()
    heads = heads or shipped_heads()
    sweep_runs = json.loads((DATA / "real_text_sweep.json").read_text())["runs"]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=ctx) as pool:
        done = list(pool.map(one_run, heads, [0] * len(heads)))
    models = {}
    for run, state in done:
        (want,) = [
            r["val_loss"]
            for r in sweep_runs
            if (r["heads"], r["seed"]) == (run["heads"], 0)
        ]
        print(f"H = {run['heads']}: {run['val_loss']:.6f} (sweep: {want:.6f})")
        model = new_model(run["heads"], 0, len(charset))
        model.load_state_dict(state)
        torch.save(model.state_dict(), DATA / f"real_text_h{run['heads']}.pt")
        text = decode(sample(model.double(), encode(PROMPT, charset), 200), charset)
        models[str(run["heads"])] = dict(config=model.config, val_loss=run["val_loss"],
                                         file=f"real_text_h{run['heads']}.pt",
                                         sample=text)  # fmt: skip
    info = dict(command=COMMAND, train=TRAIN, prompt=PROMPT, val_windows=val.shape[0],
                models=models, multi_heads=heads[1])  # fmt: skip
    (DATA / "real_text_lm.json").write_text(json.dumps(info, indent=1) + "\n")


def timing() -> None:
    """Seconds per training step (to size TRAIN['steps'])."""
    torch.set_num_threads(1)
    charset, train_ids, val = corpus()
    for h in (1, 8):
        model = new_model(h, 0, len(charset))
        t0 = time.perf_counter()
        train_char_lm(model, train_ids, stop=40, **TRAIN)
        t1 = time.perf_counter()
        vl = val_loss(model, val)
        print(h, (t1 - t0) / 40, "s/step; val eval", time.perf_counter() - t1, vl)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["train", "sweep", "ship", "timing"])
    parser.add_argument("--jobs", type=int, default=1, help="processes")
    parser.add_argument("--heads", type=int, nargs=2, help="ship: H = 1 and H > 1")
    args = parser.parse_args()
    if args.what in ("train", "sweep"):
        sweep(args.jobs)
    if args.what in ("train", "ship"):
        ship(args.jobs, args.heads)
    if args.what == "timing":
        timing()
