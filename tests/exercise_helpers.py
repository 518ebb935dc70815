"""Helpers shared by the exercise tests (tests/test_exercises_*.py)."""

from mhacourse.exercises.core.mistakes import SHARED


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
