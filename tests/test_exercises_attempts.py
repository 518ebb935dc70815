"""exercises.core.attempts: tries counted per question, a brake on guessing loops,
and a replay command that works when typed as shown (issue 21, item 5)."""

import importlib
import re
import time

import pytest
import torch

from mhacourse.exercises import ch02
from mhacourse.exercises.core import attempts
from mhacourse.exercises.core.exercise import Exercise
from mhacourse.exercises.core.inputs import Case
from mhacourse.exercises.core.questions import experiment, predict


def double(x):
    """Return 2 * x."""
    return 2 * x


def _demo(id):
    return Exercise(
        id,
        "D",
        "?",
        double,
        cases=lambda gen, device: [Case((torch.randn(3, generator=gen),))],
    )


def _question(id):
    attempts._LOG.pop(id, None)
    return predict(
        id, "P", "?", lambda: "c", choices={"a": "A", "b": "B", "c": "C"}, stub="p"
    )


def test_a_correct_verdict_says_on_which_try():
    q = _question("demo.att1")
    assert q.check(...).status == "not attempted"  # not a try
    q.check("a"), q.check("b")
    result = q.check("c")
    assert result.passed and result.attempt == 3
    assert "Correct on your 3rd try." in result.message
    assert "first prediction was 'a'" in result.message


def test_the_record_survives_a_cleared_state_and_a_reloaded_chapter():
    q = _question("demo.att2")
    q.check("a")
    q._state.clear()  # what wiped "(Your first prediction was ...)" before
    q._state.update(hints=0, failure=None)
    assert "first prediction was 'a'" in q.check("c").message
    tries = ch02.q1.check(ch02.q1.reference, device="cpu").attempt
    reloaded = importlib.reload(ch02)
    assert reloaded.q1.check(reloaded.q1.reference, device="cpu").attempt == tries + 1


def test_guessing_in_a_loop_meets_the_brake(monkeypatch):
    waits = []
    monkeypatch.setattr(time, "sleep", waits.append)
    attempts._LOG.pop("demo.att3", None)
    q = experiment("demo.att3", "N", "?", lambda: 12.5, stub="answer = ...\n")
    for guess in range(attempts.FREE):  # a reader thinking between tries: no wait
        q.check(float(guess))
    assert waits == []
    for guess in range(attempts.FREE, 3 * attempts.FREE):  # a loop goes on
        result = q.check(float(guess))
    assert waits == sorted(waits) and waits[0] == attempts.STEP
    assert sum(waits) >= 100 and "wrong answers" in result.message
    assert "ex.att3.hint()" in result.message
    found = q.check(12.5)
    assert found.passed and f"Correct on your {3 * attempts.FREE + 1}st" in (
        found.message
    )


def test_function_exercises_are_never_braked(monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda s: pytest.fail("waited"))
    ex = _demo("demo.att4")
    for _ in range(attempts.FREE + 3):
        assert not ex.check(lambda x: x, device="cpu").passed


def _typed(command, namespace):
    """Run the replay command exactly as the message shows it."""
    return eval(command, namespace)


def test_the_shown_replay_command_works_as_typed():
    def wrong(x):
        return 3 * x

    ex = _demo("demo.q7")
    first = ex.check(wrong, device="cpu", seed=11)
    command = re.search(r"Replay: `([^`]+)`", first.message).group(1)
    assert command == "ex.q7.check(wrong, seed=11)"
    again = _typed(command, {"ex": type("ch", (), {"q7": ex}), "wrong": wrong})
    assert again.status == "incorrect" and again.message == first.message


def test_a_lambda_replays_with_the_ellipsis_shown():
    ex = _demo("demo.q8")
    first = ex.check(lambda x: x + 1, device="cpu", seed=5)
    command = re.search(r"Replay: `([^`]+)`", first.message).group(1)
    assert command == "ex.q8.check(..., seed=5)"
    again = _typed(command, {"ex": type("ch", (), {"q8": ex})})
    assert again.status == "incorrect" and again.message == first.message
    assert ex.check(..., device="cpu").status == "not attempted"  # no seed: stub
