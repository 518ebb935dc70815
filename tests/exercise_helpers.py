"""Helpers shared by the exercise tests (tests/test_exercises_*.py)."""

import torch
from torch.overrides import TorchFunctionMode

from mhacourse.exercises.core.mistakes import SHARED


class Says:
    """A verdict in the checker's own words, with no catalogued mistake.

    ``Says(words)``: the check does not pass and its message contains ``words``;
    ``Says(status, words)`` also fixes the status ("incorrect" or "error").
    """

    def __init__(self, *parts):
        *status, self.words = parts
        self.status = status[0] if status else None

    def __repr__(self):
        return f"Says({self.status!r}, {self.words!r})"


class Everything(TorchFunctionMode):
    """A mode that makes every comparison pass: torch.equal/allclose say True,
    nothing is NaN or infinite (before issue 21, a wrong answer then passed)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.equal, torch.allclose, torch.Tensor.allclose):
            return True
        if func in (torch.isnan, torch.isinf, torch.Tensor.isnan, torch.Tensor.isinf):
            return torch.zeros_like(args[0], dtype=torch.bool)
        return func(*args, **(kwargs or {}))


def named(exercise, answer, mistake, device="cpu"):
    """The check fails with the catalogued ``mistake``: its name and its message."""
    result = exercise.check(answer, device=device)
    found = next((m for m in exercise.mistakes if m.name == mistake), None)
    found = found or SHARED[mistake]
    assert result.status == "incorrect", result
    assert result.mistake == mistake, (result.mistake, result.message)
    if mistake != "changed_input":  # its message names the input
        assert result.message.startswith(exercise.message(found)), result.message
    return result


def verdict(exercise, answer, expected, device="cpu"):
    """The check of ``answer`` gives ``expected``: "correct", a :class:`Says`, or
    the name of a catalogued mistake (see :func:`named`)."""
    if expected == "correct":
        result = exercise.check(answer, device=device)
        assert result.passed, result
    elif isinstance(expected, Says):
        result = exercise.check(answer, device=device)
        assert not result.passed and result.mistake is None, result
        assert expected.status in (None, result.status), result
        assert expected.words in result.message, result.message
    else:
        named(exercise, answer, expected, device=device)
