"""mhacourse.exercises.core.errors and .arguments: the reader's errors and inputs."""

import sys

import torch

from mhacourse.exercises.core import arguments, errors


def _traceback_of(fn):
    try:
        fn()
    except Exception:
        return sys.exc_info()[2]
    raise AssertionError("expected an exception")


def test_reader_line_is_the_readers_deepest_frame():
    def reader():
        return torch.zeros(2) @ torch.zeros(3)  # the reader's bad line

    line = errors.reader_line(_traceback_of(reader))
    assert f"line {reader.__code__.co_firstlineno + 1} of `reader`" in line
    assert "# the reader's bad line" in line


def test_reader_line_skips_library_frames():
    def reader():
        import mhacourse

        return mhacourse.split_heads(torch.zeros(2, 3, 5), 2)  # raises inside mhacourse

    assert "of `reader`" in errors.reader_line(_traceback_of(reader))


def test_tips():
    assert "x @ W.T" in errors.tip_for(
        RuntimeError("mat1 and mat2 shapes cannot be multiplied (5x4 and 6x4)")
    )
    assert "device=x.device" in errors.tip_for(
        RuntimeError("Expected all tensors to be on the same device")
    )
    assert ".reshape" in errors.tip_for(
        RuntimeError("view size is not compatible with input tensor's size")
    )
    assert "take [0]" in errors.tip_for(
        TypeError("unsupported operand type(s) for +: 'Tensor' and 'tuple'")
    )
    assert errors.tip_for(KeyError("x")) == ""


def test_names_and_describe():
    assert arguments.names(lambda q, k, mask=None: 0, 2) == ["q", "k"]
    assert arguments.names(3, 2) == [
        "argument 0",
        "argument 1",
    ]  # no signature: generic names
    assert (
        arguments.describe(torch.zeros(2, 3, dtype=torch.float64)) == "(2, 3) float64"
    )
    assert arguments.describe(torch.nn.Linear(2, 2)) == "a Linear"
    assert arguments.describe(len) == "a function" and arguments.describe(3) == "3"


def test_same_spots_changes_in_place():
    x = torch.tensor([1.0, float("nan"), float("-inf")])
    assert arguments.same(x, x.clone())
    y = x.clone()
    y[0] = 2.0
    assert not arguments.same(x, y) and not arguments.same(x, x[:2])
    lin = torch.nn.Linear(2, 2)
    other = torch.nn.Linear(2, 2)
    assert arguments.same(lin, lin) and not arguments.same(lin, other)
    assert arguments.same([x, 3], [x.clone(), 3]) and not arguments.same([x], [y])


def test_same_is_exact_to_the_last_bit():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64)
    for change in (1e-3, 1e-6, 1e-12):
        assert not arguments.same(x, x + change), change
    assert not arguments.same(x, torch.nextafter(x, x + 1))


def test_is_stub_raise():
    def stub():
        raise NotImplementedError

    def library_call():
        return torch.nn.Module()(torch.zeros(1))  # raised inside torch

    for fn, expected in ((stub, True), (library_call, False)):
        try:
            fn()
        except NotImplementedError as err:
            assert errors.is_stub_raise(err) is expected
        else:
            raise AssertionError(f"{fn.__name__} did not raise")
