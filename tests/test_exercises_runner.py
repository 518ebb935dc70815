"""mhacourse.exercises.runner: running the reader's code and describing it."""

import sys

import torch

from mhacourse.exercises import runner


def _traceback_of(fn):
    try:
        fn()
    except Exception:
        return sys.exc_info()[2]
    raise AssertionError("expected an exception")


def test_reader_line_is_the_readers_deepest_frame():
    def reader():
        return torch.zeros(2) @ torch.zeros(3)  # the reader's bad line

    line = runner.reader_line(_traceback_of(reader))
    assert f"line {reader.__code__.co_firstlineno + 1} of `reader`" in line
    assert "# the reader's bad line" in line


def test_reader_line_skips_library_frames():
    def reader():
        import mhacourse

        return mhacourse.split_heads(torch.zeros(2, 3, 5), 2)  # raises inside mhacourse

    assert "of `reader`" in runner.reader_line(_traceback_of(reader))


def test_tips():
    assert "x @ W.T" in runner.tip_for(
        RuntimeError("mat1 and mat2 shapes cannot be multiplied (5x4 and 6x4)")
    )
    assert "device=x.device" in runner.tip_for(
        RuntimeError("Expected all tensors to be on the same device")
    )
    assert ".reshape" in runner.tip_for(
        RuntimeError("view size is not compatible with input tensor's size")
    )
    assert "take [0]" in runner.tip_for(
        TypeError("unsupported operand type(s) for +: 'Tensor' and 'tuple'")
    )
    assert runner.tip_for(KeyError("x")) == ""


def test_names_and_describe():
    assert runner.names(lambda q, k, mask=None: 0, 2) == ["q", "k"]
    assert runner.names(3, 2) == [
        "argument 0",
        "argument 1",
    ]  # no signature: generic names
    assert runner.describe(torch.zeros(2, 3, dtype=torch.float64)) == "(2, 3) float64"
    assert runner.describe(torch.nn.Linear(2, 2)) == "a Linear"
    assert runner.describe(len) == "a function" and runner.describe(3) == "3"


def test_same_spots_changes_in_place():
    x = torch.tensor([1.0, float("nan"), float("-inf")])
    assert runner.same(x, x.clone())
    y = x.clone()
    y[0] = 2.0
    assert not runner.same(x, y) and not runner.same(x, x[:2])
    lin = torch.nn.Linear(2, 2)
    other = torch.nn.Linear(2, 2)
    assert runner.same(lin, lin) and not runner.same(lin, other)
    assert runner.same([x, 3], [x.clone(), 3]) and not runner.same([x], [y])


def test_is_stub_raise():
    def stub():
        raise NotImplementedError

    def library_call():
        return torch.nn.Module()(torch.zeros(1))  # raised inside torch

    for fn, expected in ((stub, True), (library_call, False)):
        try:
            fn()
        except NotImplementedError as err:
            assert runner.is_stub_raise(err) is expected
        else:
            raise AssertionError(f"{fn.__name__} did not raise")
