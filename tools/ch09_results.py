"""Train and time what chapter 9 loads: one tiny LM per attention variant.

Usage (from the repository root, with ``nice -n 10 OMP_NUM_THREADS=1``)::

    python tools/ch09_results.py variants  # book/data/ch09_variants.json
    python tools/ch09_results.py decode    # book/data/ch09_decode.json
    python tools/ch09_results.py spread    # tests/data/ch09_spread.json

``variants`` trains :class:`mhacourse.studies.llm_variants.VariantLM` on the
synthetic language of chapter 5 for every variant in ``VARIANTS`` and seeds
0-2, every model with the parameter count of the MHA model (the feed-forward
width takes what the attention saves), and records each relation's accuracy on
fresh sentences and the cache each variant keeps per token. ``decode`` times
one decoding step with the cache for a real-sized layer of each variant
(:func:`mhacourse.bench.decode.decode_times`). ``spread`` re-runs the short
training that ``tests/test_studies_llm_variants.py`` repeats under
``ATEN_CPU_CAPABILITY=default`` and this CPU's best with 1 and 2 threads, and
records how far the runs land apart: the test's tolerance is read from there.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

import torch
from _results_cli import rerun_across, tolerance

from mhacourse import seed as seed_all
from mhacourse.bench.decode import REAL_SIZED, decode_times
from mhacourse.studies.llm_variants import (
    VariantLM,
    cache_numbers_per_token,
    matched_ff_dim,
)
from mhacourse.studies.synthetic_language import MAX_LEN, make_sentences
from mhacourse.studies.tiny_lm import relation_losses, train_lm

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "data"
SPREAD = ROOT / "tests" / "data" / "ch09_spread.json"  # read by tests, not shipped
TRAIN = dict(embed_dim=32, num_layers=2, steps=400, batch=32, lr=5e-3)
SEEDS = (0, 1, 2)
MHA = {"kind": "mha", "num_heads": 4}
VARIANTS = {
    "MHA": MHA,
    "GQA (2 KV heads)": {"kind": "mha", "num_heads": 4, "num_kv_heads": 2},
    "MQA": {"kind": "mha", "num_heads": 4, "num_kv_heads": 1},
    "MLA (C=12, R=4)": {"kind": "mla", "num_heads": 4, "kv_latent_dim": 12,
                        "rope_dim": 4},
    "window 9 + 1 sink": {"kind": "window", "num_heads": 4, "window": 9,
                          "num_sink_tokens": 1},
    "KV sharing (MHA)": {"kind": "shared", "num_heads": 4},
}  # fmt: skip
SHORT = dict(variant="MLA (C=12, R=4)", steps=60, seed=0)  # what the test re-runs


def build(spec: dict) -> VariantLM:
    """A VariantLM of ``spec`` with the parameter count of the MHA model."""
    cfg = {k: TRAIN[k] for k in ("embed_dim", "num_layers")}
    return VariantLM(spec, ff_dim=matched_ff_dim(spec, MHA, **cfg), **cfg)


def train_one(spec: dict, seed: int, steps: int, pool, test) -> dict:
    """Train one model; its test metrics, rounded."""
    seed_all(seed)
    model = build(spec)
    train_lm(model, pool, steps, TRAIN["batch"], TRAIN["lr"], seed=seed)
    res = relation_losses(model.eval(), test)
    return {k: {m: round(v, 4) for m, v in d.items()} for k, d in res.items()}


def variants() -> None:
    torch.set_num_threads(1)
    pool, test = make_sentences(8000, seed=1), make_sentences(500, seed=2)
    out = {}
    for name, spec in VARIANTS.items():
        start = time.perf_counter()
        model = build(spec)
        runs = [train_one(spec, s, TRAIN["steps"], pool, test) for s in SEEDS]
        out[name] = {
            "spec": spec,
            "params": sum(p.numel() for p in model.parameters()),
            "cache_numbers_per_token": cache_numbers_per_token(model, MAX_LEN),
            "runs": runs,
        }
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    info = {
        "command": "python tools/ch09_results.py variants",
        "training": TRAIN | {"pool": "make_sentences(8000, seed=1)", "seeds": SEEDS},
        "test": "make_sentences(500, seed=2)",
        "cache_length": MAX_LEN,
        "variants": out,
        "short": SHORT | {"metrics": short_run()},
    }
    (DATA / "ch09_variants.json").write_text(json.dumps(info, indent=1) + "\n")


def short_run() -> dict:
    """The cheap run the test repeats: one variant, one seed, few steps."""
    pool, test = make_sentences(8000, seed=1), make_sentences(500, seed=2)
    spec = VARIANTS[SHORT["variant"]]
    return train_one(spec, SHORT["seed"], SHORT["steps"], pool, test)


def decode() -> None:
    torch.set_num_threads(1)
    result = decode_times(REAL_SIZED, context=2048, rounds=7)
    info = {"command": "python tools/ch09_results.py decode"} | result
    (DATA / "ch09_decode.json").write_text(json.dumps(info, indent=1) + "\n")


def spread(capabilities=("default", "best")) -> None:
    """``short_run`` per capability x 1, 2 threads: tests/data/ch09_spread.json."""
    runs = [
        {"capability": capability, "threads": threads, "metrics": metrics}
        for capability, threads, metrics in rerun_across(
            __file__, ["short"], capabilities
        )
    ]
    shipped = json.loads((DATA / "ch09_variants.json").read_text())["short"]["metrics"]
    devs = [
        abs(run["metrics"][k][m] - shipped[k][m])
        for run in runs
        for k in shipped
        for m in ("loss", "accuracy")
    ]
    info = {
        "command": "python tools/ch09_results.py spread",
        "runs": runs,
        "largest deviation from the shipped short run": round(max(devs), 4),
        "tolerance": tolerance(max(devs)),
    }
    SPREAD.write_text(json.dumps(info, indent=1) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["variants", "decode", "spread", "short"])
    what = parser.parse_args().what
    if what == "short":
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        print(json.dumps(short_run()))
    else:
        {"variants": variants, "decode": decode, "spread": spread}[what]()
