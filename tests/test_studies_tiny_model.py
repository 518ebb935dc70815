"""Tests for mhacourse.studies.tiny_model: model and reproducible training loop."""

import pytest
import torch

from mhacourse import seed
from mhacourse.studies.subspace_attention import SubspaceAttention, contiguous_subspaces
from mhacourse.studies.tiny_model import TinyAttentionModel, evaluate, loss_fn, train
from mhacourse.studies.toy_tasks import IGNORE, make_two_relation_data

DATA = make_two_relation_data(64, 6, 8, seed=0)


def test_forward_shapes_and_custom_attention():
    model = TinyAttentionModel(
        8, 6, 12, attention=SubspaceAttention(12, contiguous_subspaces(12, 3))
    )
    logits, w = model(DATA.inputs[:5])
    assert logits.shape == (5, 6, 2, 8) and w.shape == (5, 3, 6, 6)
    with pytest.raises(ValueError, match=r"\(B, L, 2\)"):
        model(DATA.inputs[..., 0])


def test_training_is_reproducible_and_learns():
    runs = []
    for _ in range(2):
        seed(3)
        model = TinyAttentionModel(8, 6, 16, num_heads=2)
        runs.append(
            (train(model, DATA, steps=30, eval_data=DATA[:32], eval_every=10), model)
        )
    (h1, m1), (h2, m2) = runs
    assert h1.steps == [0, 10, 20, 30]
    assert (
        h1.loss == h2.loss
        and h1.accuracy == h2.accuracy
        and h1.diversity == h2.diversity
    )
    assert all(
        torch.equal(a, b)
        for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True)
    )
    assert h1.loss[-1] < 0.8 * h1.loss[0]
    assert all(0.0 <= d <= 1.0 for d in h1.diversity) and h1.seconds > 0


def test_single_head_has_no_diversity_and_threads_are_restored():
    before = torch.get_num_threads()
    hist = train(TinyAttentionModel(8, 6, 16, num_heads=1), DATA, steps=2, eval_every=1)
    assert hist.diversity == [None, None, None] and hist.accuracy == [None, None, None]
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="steps"):
        train(TinyAttentionModel(8, 6, 16), DATA, steps=-1)


def test_evaluate_counts_only_real_targets():
    class Oracle(torch.nn.Module):
        """Puts a large logit on the right class, except for target 1 of sequence 0."""

        def forward(self, inputs):
            t = DATA.targets.clamp_min(0)  # (B, L, T)
            logits = 10.0 * torch.nn.functional.one_hot(t, 8).float()  # (B, L, T, V)
            logits[0, :, 1] = logits[0, :, 1].roll(1, -1)  # wrong on purpose
            return logits, None

    res = evaluate(Oracle(), DATA)
    assert res["accuracy"][0] == 1.0
    assert res["accuracy"][1] == pytest.approx(63 / 64)
    assert res["mean_accuracy"] == pytest.approx((1 + 63 / 64) / 2)


def test_loss_ignores_ignore_targets():
    logits = torch.randn(1, 3, 1, 4)
    targets = torch.tensor([[[IGNORE], [1], [2]]])
    expected = torch.nn.functional.cross_entropy(logits[0, 1:, 0], targets[0, 1:, 0])
    assert torch.isclose(loss_fn(logits, targets), expected)
