"""Tests for mhacourse.studies.real_text, the corpus and the shipped chapter-8 models.

The shipped validation losses come from a forward pass: the test recomputes them
from the shipped weights (rounding across CPUs moves them by ~1e-6). The sweep's
training runs are checked by re-running their cheap start (the first EARLY
steps) with a tolerance of three standard deviations over seeds, which dwarfs
the drift between instruction sets and thread counts.
"""

import json
import math
import pathlib

import pytest
import torch
from tool_loader import load_script

from mhacourse.studies.real_text import (
    bits_per_char,
    decode,
    encode,
    load_corpus,
    sample,
    windows,
)
from mhacourse.studies.tiny_lm import TinyLM

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "book" / "data"


def _script():
    return load_script("tools/real_text_lm.py")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(DATA)


@pytest.fixture(scope="module")
def sweep():
    return json.loads((DATA / "real_text_sweep.json").read_text())


@pytest.fixture(scope="module")
def info():
    return json.loads((DATA / "real_text_lm.json").read_text())


def test_split_keeps_whole_files_apart_and_the_manifest_is_true(corpus):
    m = corpus["manifest"]
    paths = {split: {f["path"] for f in m["files"] if f["split"] == split}
             for split in ("train", "val")}  # fmt: skip
    assert not paths["train"] & paths["val"]
    assert {f["kind"] for f in m["files"] if f["split"] == "val"} == {"prose", "code"}
    for split in ("train", "val"):
        text = corpus[split]
        assert len(text) == m["chars"][split]
        # each file is followed by one blank line
        assert len(text) == sum(
            f["chars"] + 1 for f in m["files"] if f["split"] == split
        )
    assert corpus["charset"] == "".join(sorted(set(corpus["train"] + corpus["val"])))
    assert 100_000 < sum(m["bytes"].values()) < 600_000  # a few hundred KB


def test_encode_decode_round_trip_and_windows(corpus):
    text = corpus["val"][:500]
    ids = encode(text, corpus["charset"])
    assert decode(ids, corpus["charset"]) == text
    win = windows(ids, 64)  # (N, 65)
    assert win.shape == (7, 65) and torch.equal(win[1, :1], win[0, 64:])
    with pytest.raises(ValueError, match="outside charset"):
        encode("\u00e9", corpus["charset"])
    with pytest.raises(ValueError, match="length=64"):
        windows(ids[:10], 64)


def shipped_model(info, heads: str) -> TinyLM:
    model = TinyLM(**info["models"][heads]["config"])
    state = torch.load(DATA / info["models"][heads]["file"], weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def test_shipped_models_reach_their_validation_loss_on_the_held_out_files(info):
    script = _script()
    _, _, val = script.corpus()
    for heads, entry in info["models"].items():
        got = script.val_loss(shipped_model(info, heads), val)
        assert got == pytest.approx(entry["val_loss"], abs=1e-3), heads
    # the claim: far below a model that knows only character frequencies
    train = encode(load_corpus(DATA)["train"], script.corpus()[0])
    freq = torch.bincount(train, minlength=len(script.corpus()[0])).double() + 1
    unigram = -(freq / freq.sum()).log()[val[:, 1:]].mean().item()
    assert bits_per_char(got) < bits_per_char(unigram) - 1.0


def test_sweep_rerun_of_the_first_steps_matches_within_the_seed_spread(sweep):
    script = _script()
    charset, train, val = script.corpus()
    heads = sweep["best_heads"]
    got = script.early_loss(heads, 0, train, val, len(charset))
    (want,) = [r["early_val_loss"] for r in sweep["runs"]
               if r["heads"] == heads and r["seed"] == 0]  # fmt: skip
    sd = sweep["per_heads"][str(heads)]["early_val_loss"]["sd"]
    assert abs(got - want) < 3 * sd, (got, want, sd)


def test_sweep_summary_is_the_runs_it_lists(sweep):
    assert {(r["heads"], r["seed"]) for r in sweep["runs"]} == {
        (h, s) for h in (1, 2, 4, 8) for s in (0, 1, 2)
    }
    for h, stats in sweep["per_heads"].items():
        losses = [r["val_loss"] for r in sweep["runs"] if r["heads"] == int(h)]
        assert stats["val_loss"]["mean"] == pytest.approx(sum(losses) / len(losses))
        assert min(losses) <= stats["val_loss"]["low"] <= stats["val_loss"]["high"]
        assert stats["val_loss"]["high"] <= max(losses)


def test_sampling_is_deterministic_for_a_seed(info):
    model = shipped_model(info, "1").double()
    prompt = encode(info["prompt"], load_corpus(DATA)["charset"])
    a, b = sample(model, prompt, 40, seed=3), sample(model, prompt, 40, seed=3)
    assert torch.equal(a, b) and torch.equal(a[: len(prompt)], prompt)
    assert not torch.equal(a, sample(model, prompt, 40, seed=4))
    assert math.isfinite(info["models"]["1"]["val_loss"])
