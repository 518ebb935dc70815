"""exercises.core.time_limit: a limit that ordinary code cannot swallow or outlast.

Every reader function here stops by itself after a few seconds, so a checker that
fails to stop it gives a wrong verdict (and a slow test) instead of a hang.
"""

import threading
import time

import pytest
import torch

from mhacourse.exercises.core import time_limit
from mhacourse.exercises.core.exercise import Exercise
from mhacourse.exercises.core.inputs import Case
from mhacourse.exercises.core.time_limit import TimeLimit, limited

LIMIT = 0.5
GIVE_UP = 4.0  # the reader's loops end by themselves after this many seconds


def identity(x):
    """Return x."""
    return x


LOOP = Exercise(
    "demo.q9",
    "Loop",
    "Return x.",
    identity,
    cases=lambda gen, device: [Case((torch.ones(2),))],
    time_limit=LIMIT,
)


def _timed_check(fn):
    start = time.perf_counter()
    result = LOOP.check(fn, device="cpu")
    return result, time.perf_counter() - start


def test_the_limit_is_not_an_exception_that_except_exception_catches():
    assert issubclass(TimeLimit, BaseException)
    assert not issubclass(TimeLimit, Exception)


def test_a_loop_that_swallows_every_exception_is_stopped():
    def stubborn(x):
        start = time.perf_counter()
        while time.perf_counter() - start < GIVE_UP:
            try:  # noqa: SIM105 - what a careless answer writes
                sum(range(1000))
            except Exception:
                pass
        return x

    result, took = _timed_check(stubborn)
    assert result.status == "error" and "did not finish" in result.message
    assert took < GIVE_UP - 1


def test_a_loop_with_a_bare_except_is_stopped_too():
    def stubborn(x):
        start = time.perf_counter()
        while time.perf_counter() - start < GIVE_UP:
            try:  # noqa: SIM105 - what a careless answer writes
                sum(range(1000))
            except BaseException:
                pass
        return x

    result, took = _timed_check(stubborn)
    assert result.status == "error" and "did not finish" in result.message
    assert took < GIVE_UP - 1


def test_a_swallowed_limit_still_fails_the_call_when_it_returns():
    def swallow_once(x):
        try:  # noqa: SIM105 - what a careless answer writes
            time.sleep(GIVE_UP)
        except BaseException:
            pass
        return x

    result, took = _timed_check(swallow_once)
    assert result.status == "error" and "did not finish" in result.message
    assert took < GIVE_UP - 1


def _one_long_matmul(seconds: float) -> torch.Tensor:
    """A square matrix whose product with itself takes about ``seconds`` here."""
    a = torch.randn(1000, 1000)
    a @ a  # warm up
    start = time.perf_counter()
    a @ a
    took = time.perf_counter() - start
    n = min(7000, int(1000 * (seconds / took) ** (1 / 3)))
    return torch.randn(n, n)


def test_one_long_native_operation_is_named_as_such(monkeypatch):
    # One matmul is one PyTorch call: the timer's signal is handled only once it
    # returns to Python, however far past the limit that is.
    monkeypatch.setattr(time_limit, "NATIVE_DELAY", 0.3)
    a = _one_long_matmul(4.0)
    calls = []

    def native(x):
        calls.append(1)
        if len(calls) == 1:  # reruns (for a smaller failing input) stay quick
            a @ a
        return x

    result, _ = _timed_check(native)
    start = time.perf_counter()
    a @ a
    assert time.perf_counter() - start > LIMIT + 0.3, "too fast to test here"
    assert result.status == "error"
    assert "one operation" in result.message and "loop" not in result.message


def test_an_ordinary_overrun_still_points_at_a_loop():
    def forever(x):
        while True:
            pass

    result, took = _timed_check(forever)
    assert result.status == "error" and "loop" in result.message and took < 3


def test_input_is_answered_with_a_clear_error():
    def ask(x):
        return x * float(input("scale? "))

    result, took = _timed_check(ask)
    assert result.status == "error" and "`input()`" in result.message
    assert took < 2


def test_the_result_says_when_no_limit_could_be_enforced():
    results = []
    thread = threading.Thread(target=lambda: results.append(_timed_check(identity)))
    thread.start()
    thread.join()
    result = results[0][0]
    assert result.status == "correct"
    assert "no time limit" in result.message.lower()
    assert "no time limit" not in _timed_check(identity)[0].message.lower()


def test_limited_restores_the_previous_handler_and_timer():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    outer, _ = signal.getitimer(signal.ITIMER_REAL)  # pytest-timeout's, if armed
    with pytest.raises(TimeLimit), limited(0.05):
        time.sleep(1)
    assert signal.getsignal(signal.SIGALRM) is before
    remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    assert remaining == 0.0 if outer == 0.0 else 0.0 < remaining < outer


def test_an_outer_timer_keeps_running_after_a_check():
    # pytest-timeout (and any caller) arms the same SIGALRM timer: a check must
    # hand it back with the time it has left, not switch it off.
    import signal

    before = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100.0)
        with limited(5):
            time.sleep(0.1)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 98.0 < remaining < 99.95
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
