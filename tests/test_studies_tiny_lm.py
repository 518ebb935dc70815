"""Tests for mhacourse.studies.tiny_lm and the shipped chapter-5 model."""

import json
import pathlib

import pytest
import torch

from mhacourse.studies.head_analysis import ablate_heads
from mhacourse.studies.synthetic_language import RELATIONS, make_sentences
from mhacourse.studies.tiny_lm import TinyLM, head_relation_table, relation_losses

DATA = pathlib.Path(__file__).resolve().parents[1] / "book" / "data"


shipped = pytest.mark.skipif(
    not (DATA / "ch05_tiny_lm.pt").exists(),
    reason="run `python tools/ch05_results.py lm` to make the shipped weights",
)


def shipped_model() -> TinyLM:
    info = json.loads((DATA / "ch05_tiny_lm.json").read_text())
    model = TinyLM(**info["config"])
    model.load_state_dict(torch.load(DATA / "ch05_tiny_lm.pt", weights_only=True))
    return model.eval()


@shipped
def test_shipped_weights_meet_their_metrics_on_fresh_sentences():
    info = json.loads((DATA / "ch05_tiny_lm.json").read_text())
    fresh = make_sentences(300, seed=12345)  # never seen in training or in the metrics
    got = relation_losses(shipped_model(), fresh)
    for r in RELATIONS[1:]:  # the relations with a determined next token
        want = info["metrics"][r]["accuracy"]
        assert want >= 0.95, r
        assert got[r]["accuracy"] >= want - 0.02, (r, got[r], want)
    assert got["all"]["loss"] <= info["metrics"]["all"]["loss"] + 0.05


def test_causal_model_ignores_the_future():
    torch.manual_seed(0)
    model = TinyLM(16, 2, 2).eval()
    tokens = make_sentences(2, seed=0).tokens
    changed = tokens.clone()
    changed[:, -1] = 5
    with torch.no_grad():
        a, b = model(tokens), model(changed)
    assert torch.allclose(a[:, :-1], b[:, :-1], atol=1e-6)
    assert not torch.allclose(a[:, -1], b[:, -1])


def test_head_relation_table_scores_an_oracle_head():
    data = make_sentences(20, seed=3)
    model = TinyLM(16, 1, 1).eval()
    L = data.tokens.shape[1]
    prev = torch.zeros(L, L)  # (L, L): every query looks one step back
    prev[torch.arange(1, L), torch.arange(L - 1)] = 1.0
    prev[0, 0] = 1.0
    oracle = prev.expand(1, 20, 1, L, L)  # (N, B, H, L, L)
    model.attention = lambda: oracle  # the table reads the weights from here
    table = head_relation_table(model, data)  # (N, H, R + 1)
    assert table[0, 0, RELATIONS.index("previous")] == 1.0
    assert (
        table[0, 0, RELATIONS.index("homonym")] == 0.0
    )  # the topic is never just before
    real = (data.tokens[:, 1:] != 0).sum()  # queries after the first
    assert table[0, 0, -1] == pytest.approx(20 / real.item())  # only query 1 sees <s>


@shipped
def test_ablating_every_head_of_the_shipped_model_breaks_it():
    model, data = shipped_model(), make_sentences(100, seed=7)
    with ablate_heads(model.heads()[1], [0, 1, 2, 3]):
        res = relation_losses(model, data)
    assert res["induction"]["accuracy"] < 0.5


def test_head_relation_table_scores_a_sink_head():
    data = make_sentences(20, seed=3)
    model = TinyLM(16, 1, 1).eval()
    L = data.tokens.shape[1]
    sink = torch.zeros(1, 20, 1, L, L)  # (N, B, H, L, L): everything on <s>
    sink[..., 0] = 1.0
    model.attention = lambda: sink
    table = head_relation_table(model, data)  # (N, H, R + 1)
    assert table[0, 0, -1] == 1.0
    assert table[0, 0, RELATIONS.index("agreement")] == 0.0
