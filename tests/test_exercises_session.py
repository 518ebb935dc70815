"""exercises.core.session: a tampered session is refused; a check leaves it as found.

Each test here failed before the checker refused tampered sessions and put the
session back (issue 21, item 2).
"""

import random

import numpy as np
import pytest
import torch

import mhacourse
from mhacourse.exercises import ch05, ch06, ch07, chapter
from tests.exercise_helpers import Everything

SDPA = chapter(2).q2


def _zeros(q, k, v, mask=None):
    """Wrong values of the right shape and dtype."""
    return q.new_zeros(*q.shape[:-1], v.shape[-1]), q.new_zeros(
        *q.shape[:-1], k.shape[-2]
    )


def test_a_mode_left_pushed_by_the_answer_is_popped_and_named():
    def leaves_a_mode(q, k, v, mask=None):
        Everything().__enter__()
        return SDPA.reference(q, k, v, mask)

    result = SDPA.check(leaves_a_mode, device="cpu")
    assert torch._C._len_torch_function_stack() == 0
    assert result.status != "correct" and "TorchFunctionMode" in result.message
    assert SDPA.check(_zeros, device="cpu").status == "incorrect"
    assert SDPA.check(SDPA.reference, device="cpu").status == "correct"


def test_a_mode_left_pushed_by_an_earlier_cell_is_refused():
    mode = Everything()
    mode.__enter__()
    try:
        result = SDPA.check(_zeros, device="cpu")
    finally:
        mode.__exit__(None, None, None)
    assert result.status == "error" and "TorchFunctionMode" in result.message
    assert SDPA.check(_zeros, device="cpu").status == "incorrect"


@pytest.mark.parametrize(
    ("home", "name"),
    [
        (torch.nn.LayerNorm, "forward"),
        (mhacourse.MultiHeadAttention, "forward"),
        (torch, "softmax"),
    ],
)
def test_a_patched_library_function_is_refused_by_name(monkeypatch, home, name):
    original = getattr(home, name)
    monkeypatch.setattr(home, name, lambda *a, **k: original(*a, **k))
    result = ch06.q6.check(ch06.q6.reference, device="cpu")
    assert result.status == "error" and f".{name}`" in result.message
    assert "cannot be trusted" in result.message
    monkeypatch.undo()
    assert ch06.q6.check(ch06.q6.reference, device="cpu").status == "correct"


def test_settings_changed_by_the_answer_are_put_back():
    threads = torch.get_num_threads()

    def careless(q, k, v, mask=None):
        torch.set_default_dtype(torch.float64)
        torch.set_num_threads(1 if threads > 1 else 2)
        return SDPA.reference(q, k, v, mask)

    SDPA.check(careless, device="cpu")
    assert torch.get_default_dtype() == torch.float32
    assert torch.get_num_threads() == threads
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    "q", [ch05.q1, ch05.q4, ch05.q6, ch05.q7, ch07.q7], ids=lambda q: q.id
)
def test_a_question_leaves_the_global_random_state_as_it_was(q):
    answer = q.reference
    torch.manual_seed(123)
    random.seed(5)
    np.random.seed(7)
    expected = (torch.rand(3), random.random(), np.random.rand())
    torch.manual_seed(123)
    random.seed(5)
    np.random.seed(7)
    assert q.check(answer).status == "correct"
    assert q.reference == answer  # worked out again, the RNG untouched
    after = (torch.rand(3), random.random(), np.random.rand())
    assert torch.equal(after[0], expected[0]) and after[1:] == expected[1:]
