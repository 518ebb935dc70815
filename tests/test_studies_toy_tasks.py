"""Tests for mhacourse.studies.toy_tasks: the tasks' data are what the docs say."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse.studies.toy_tasks import IGNORE, make_two_relation_data, token_labels


@settings(max_examples=25, deadline=None)
@given(
    B=st.integers(1, 6),
    L=st.integers(2, 9),
    V=st.integers(2, 12),
    seed=st.integers(0, 1000),
)
def test_targets_follow_the_two_relations(B, L, V, seed):
    data = make_two_relation_data(B, L, V, seed=seed)
    values, flags = data.inputs[..., 0], data.inputs[..., 1]
    assert data.inputs.shape == data.targets.shape == (B, L, 2)
    assert values.min() >= 0 and values.max() < V
    assert torch.equal(
        flags.sum(1), torch.ones(B, dtype=torch.long)
    )  # exactly one marker
    assert torch.equal(flags.argmax(1), data.marker)
    assert (data.targets[:, 0, 0] == IGNORE).all()
    for b in range(B):
        for i in range(1, L):
            assert data.targets[b, i, 0] == values[b, i - 1]
        assert (data.targets[b, :, 1] == values[b, data.marker[b]]).all()


def test_same_seed_same_data_and_global_rng_untouched():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = make_two_relation_data(5, 6, 7, seed=4)
    after = torch.rand(1)
    b = make_two_relation_data(5, 6, 7, seed=4)
    c = make_two_relation_data(5, 6, 7, seed=5)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.inputs, c.inputs)
    assert torch.equal(before, after)


def test_slicing_and_to():
    data = make_two_relation_data(10, 4, 3)
    part = data[2:5]
    assert (
        len(part) == 3
        and torch.equal(part.inputs, data.inputs[2:5])
        and torch.equal(part.marker, data.marker[2:5])
    )
    assert len(data[7]) == 1
    moved = data.to("cpu")
    assert torch.equal(moved.targets, data.targets) and moved.num_values == 3


@pytest.mark.parametrize("args", [(0, 4, 3), (2, 1, 3), (2, 4, 1)])
def test_bad_sizes_raise(args):
    with pytest.raises(ValueError, match="num_seqs"):
        make_two_relation_data(*args)


def test_token_labels():
    assert token_labels(torch.tensor([[0, 0], [25, 1]])) == ["a", "Z"]
    with pytest.raises(ValueError, match="shape"):
        token_labels(torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="at most 26"):
        token_labels(torch.tensor([[26, 0]]))
