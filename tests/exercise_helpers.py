"""Helpers shared by the exercise tests (tests/test_exercises_*.py)."""

import torch
from torch.overrides import TorchFunctionMode

from mhacourse.exercises.core.mistakes import SHARED


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
