"""Helpers shared by the exercise tests (tests/test_exercises_*.py)."""


def named(exercise, answer, mistake, device="cpu"):
    """The check fails, and its message is the catalogued message of ``mistake``."""
    result = exercise.check(answer, device=device)
    found = next(m for m in exercise.mistakes if m.name == mistake)
    assert result.status == "incorrect", result
    assert result.message.startswith(exercise.message(found)), result.message
    return result
