"""mhacourse.exercises.core.compare: differences explained in words."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse.exercises.core.compare import diagnose, dim_names, shape_message

SIZES = {"B": 2, "H": 3, "L": 5, "S": 7, "E": 4}


def test_dim_names_only_when_unambiguous():
    assert dim_names((2, 3, 5, 9), SIZES) == ["B", "H", "L", None]
    assert dim_names((5,), {"L": 5, "S": 5}) == [None]


def test_swapped_dims_are_named():
    msg = diagnose(torch.zeros(2, 5, 3, 4), torch.zeros(2, 3, 5, 4), SIZES)
    assert "(B, H, L, E) = (2, 3, 5, 4)" in msg and "(2, 5, 3, 4)" in msg
    assert msg.endswith("Are the heads (H) and query length (L) dims swapped?")


def test_swapped_dims_without_names_give_their_positions():
    assert shape_message((3, 2), (2, 3), {}).endswith("Are dims 0 and 1 swapped?")


def test_one_wrong_dim_is_named():
    msg = shape_message((5, 7), (5, 4), SIZES)
    assert (
        "Dim 1 has size 7 = S, the key length, where 4 (head dim (E)) was expected."
        in msg
    )


def test_singleton_dims_missing_batch_dims_extra_dims_and_layouts():
    assert "apart from the size-1 dims" in shape_message((3, 7), (3, 1, 1, 7), SIZES)
    assert "leading dims (2, 3) are missing" in shape_message(
        (5, 7), (2, 3, 5, 7), SIZES
    )
    assert "1 dim(s) too many" in shape_message((2, 3, 5, 7), (2, 5, 8), SIZES)
    assert "right number of elements" in shape_message((4, 15), (2, 5, 6), SIZES)


def test_device_and_dtype_are_explained():
    exp = torch.zeros(3)
    assert "is on meta, but it should be on cpu" in diagnose(
        torch.zeros(3, device="meta"), exp
    )
    assert "torch.float64, but torch.float32" in diagnose(
        torch.zeros(3, dtype=torch.float64), exp
    )
    assert "masks are bool tensors" in diagnose(
        torch.ones(2, 2), torch.ones(2, 2, dtype=torch.bool)
    )


def test_nan_and_inf_are_explained():
    exp = torch.zeros(2, 3)
    got = exp.clone()
    got[1, 2] = float("nan")
    assert "contains NaN at 1 of 6 positions (the first at index (1, 2))" in diagnose(
        got, exp
    )
    got[1, 2] = float("inf")
    assert "contains inf" in diagnose(got, exp) and "overflowed" in diagnose(got, exp)
    assert diagnose(got, got.clone()) is None  # inf where the reference has inf is fine


def test_value_differences_point_at_the_largest():
    exp = torch.zeros(2, 3)
    got = exp.clone()
    got[0, 1], got[1, 0] = 0.5, 2.0
    assert "largest difference is at index (1, 0) (yours 2, expected 0)" in diagnose(
        got, exp
    )
    assert diagnose(exp + 1e-7, exp) is None
    mask = torch.tensor([True, False])
    assert (
        "1 of 2 entries differ, the first at index (1,) (yours True, expected False)"
        in diagnose(torch.tensor([True, True]), mask)
    )


def test_tuples():
    a, b = torch.zeros(5, 6), torch.zeros(5, 7)
    names = ("out", "weights")
    assert diagnose((a, b), (a, b), names=names) is None
    assert "wrong order: return (out, weights)" in diagnose((b, a), (a, b), names=names)
    assert "is a single tensor" in diagnose(a, (a, b), names=names)
    assert "return 2 things" in diagnose((a,), (a, b), names=names)
    assert diagnose((a, b + 1), (a, b), names=names).startswith(
        "`weights` has the right shape"
    )
    assert "is None" in diagnose(None, (a, b), names=names)


def test_numbers():
    assert diagnose(96, 96) is None
    # Types as the statements say them: an int is an int, a 0-dim tensor a tensor.
    assert "asks for an `int`" in diagnose(torch.tensor(96), 96)
    assert "asks for an `int`" in diagnose(96.0, 96)
    assert "not the right count" in diagnose(95, 96)
    assert "is a NumPy array" in diagnose(np.array([1, 2]), 96)
    assert "torch.Tensor of shape ()" in diagnose(0.5, torch.tensor(0.5))
    assert diagnose(1.0 + 1e-9, 1.0) is None and "differs" in diagnose(1.1, 1.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_a_copy_always_matches(shape):
    x = torch.randn(shape)
    assert diagnose(x.clone(), x) is None


@settings(max_examples=40, deadline=None)
@given(st.permutations(["B", "H", "L", "E"]), st.data())
def test_any_two_swapped_dims_are_named(order, data):
    sizes = dict(zip(["B", "H", "L", "E"], [2, 3, 5, 4], strict=False))
    i, j = sorted(
        data.draw(st.lists(st.integers(0, 3), min_size=2, max_size=2, unique=True))
    )
    expected = [sizes[n] for n in order]
    got = list(expected)
    got[i], got[j] = got[j], got[i]
    msg = shape_message(got, expected, sizes)
    assert f"({order[i]}) and" in msg and f"({order[j]}) dims swapped?" in msg
