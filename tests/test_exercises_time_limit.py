"""exercises.core.time_limit: a limit that ordinary code cannot swallow or outlast.

Every reader function here stops by itself after a few seconds, so a checker that
fails to stop it gives a wrong verdict (and a slow test) instead of a hang.
"""

import signal
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


def _stopped_in_time(fn):
    """``fn`` ran out of time, was told so, and was stopped long before it ended."""
    result, took = _timed_check(fn)
    assert result.status == "error" and "did not finish" in result.message
    assert took < GIVE_UP - 1


def test_the_limit_is_not_an_exception_that_except_exception_catches():
    assert issubclass(TimeLimit, BaseException)
    assert not issubclass(TimeLimit, Exception)


@pytest.mark.parametrize("caught", [Exception, BaseException], ids=lambda c: c.__name__)
def test_a_loop_that_swallows_every_exception_is_stopped(caught):
    def stubborn(x):
        start = time.perf_counter()
        while time.perf_counter() - start < GIVE_UP:
            try:  # noqa: SIM105 - what a careless answer writes
                sum(range(1000))
            except caught:
                pass
        return x

    _stopped_in_time(stubborn)


def test_a_swallowed_limit_still_fails_the_call_when_it_returns():
    def swallow_once(x):
        try:  # noqa: SIM105 - what a careless answer writes
            time.sleep(GIVE_UP)
        except BaseException:
            pass
        return x

    _stopped_in_time(swallow_once)


def _native_run(limit: float, n: int, monkeypatch):
    """Check an answer whose first call is one n x n matmul, under ``limit``.

    Returns the result, the seconds left before the limit when the matmul began
    (read from the checker's own timer) and the seconds past the limit at which
    Python first handled the timer's signal (when the matmul returned); the two
    are None if the matmul never began; the second if it ended within the limit.
    """
    a = torch.randn(n, n)
    began, handled = [], []
    install = signal.signal

    def recording(signum, handler):  # notes when the checker's handler first runs
        def wrapped(*args):
            handled.append(time.monotonic())
            return handler(*args)

        return install(signum, wrapped if callable(handler) else handler)

    def native(x):
        if not began:  # reruns (for a smaller failing input) stay quick
            began.extend((signal.getitimer(signal.ITIMER_REAL)[0], time.monotonic()))
            a @ a  # one PyTorch call: the signal is handled when it returns
        return x

    exercise = Exercise(
        "demo.q8", "Native", "Return x.", identity, cases=LOOP.cases, time_limit=limit
    )
    monkeypatch.setattr(signal, "signal", recording)
    result = exercise.check(native, device="cpu")
    monkeypatch.setattr(signal, "signal", install)
    if not began:
        return result, None, None
    left, start = began
    return result, left, handled[0] - (start + left) if handled else None


def _matmul_rate() -> float:
    """Floating-point operations per second of a float32 matmul here, now."""
    a = torch.randn(1000, 1000)
    a @ a  # warm up
    start = time.perf_counter()
    a @ a
    return 2e9 / (time.perf_counter() - start)


def test_one_long_native_operation_is_named_as_such(monkeypatch):
    # The claim holds for a run whose matmul started before the limit and ended
    # well past limit + NATIVE_DELAY. Under load either may fail to happen (a
    # slow start, a matmul sped up by freed cores): such a run is no evidence
    # either way, so it is done again with a longer limit or a larger matrix.
    # (NATIVE_DELAY cannot be lowered here: every check puts the checker's modules
    # back as imported, so a monkeypatched value never reached the check.)
    late = time_limit.NATIVE_DELAY + 0.5
    limit, rate, runs = 0.5, _matmul_rate(), []
    for _ in range(5):
        seconds = limit + late + 1.5
        n = min(8000, round((seconds * rate / 2) ** (1 / 3)))  # about ``seconds``
        result, left, past = _native_run(limit, n, monkeypatch)
        runs.append((limit, n, left, past, result.message[:60]))
        if left is None or left < 0.05:
            limit *= 2  # the answer started late: give it time to start
        elif past is None or past < late:
            rate = 2 * n**3 / (left + past) if past else 3 * rate  # a larger matrix
        else:
            assert result.status == "error", result
            assert "one operation" in result.message, result.message
            assert "loop" not in result.message, result.message
            return
    pytest.fail(f"no run had one matmul over the limit: {runs}")


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
