"""The checker's time limit: how long one call of the reader's code may run.

:data:`SECONDS` is the limit every exercise uses unless it sets its own
(``Exercise(..., time_limit=...)``); :func:`limited` enforces it around one call
and :class:`TimeLimit` is what the reader's code gets when it runs over.

Ordinary code cannot defeat it:

* :class:`TimeLimit` is a ``BaseException``, so ``except Exception`` lets it through;
* once the limit is up, the timer fires again every :data:`RETRY` seconds and every
  further line of the reader's code raises it, until the call returns: a loop around
  a bare ``except:`` ends too; a call that swallowed it and returned still fails;
* one native operation (a huge matmul) cannot be interrupted: the signal is handled
  when it returns, and :attr:`TimeLimit.native` says so, for an honest message.

The limit needs ``SIGALRM`` and the main thread (as in a notebook); elsewhere
:attr:`Limit.enforced` is False, and the check says that no limit was enforced.

>>> import time
>>> with limited(0.05):
...     time.sleep(1)
Traceback (most recent call last):
...
mhacourse.exercises.core.time_limit.TimeLimit: it ran for more than 0.05 s
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

__all__ = ["RETRY", "SECONDS", "Limit", "TimeLimit", "limited"]

#: Seconds one call of the reader's code may run.
SECONDS = 10.0
#: Once over the limit, the timer fires again this often until the call returns.
RETRY = 0.2
#: A signal handled this many seconds late waited for one native operation.
NATIVE_DELAY = 1.0
_OURS = (os.path.dirname(os.path.abspath(__file__)), contextlib.__file__)


class TimeLimit(BaseException):
    """The reader's code ran out of time (not an ``Exception``: see the module)."""

    def __init__(self, seconds: float, elapsed: float | None = None, native=False):
        super().__init__(f"it ran for more than {seconds:g} s")
        self.seconds, self.elapsed, self.native = seconds, elapsed, native


@dataclass
class Limit:
    """What :func:`limited` could do: enforce the limit, and whether it ran out."""

    seconds: float
    enforced: bool
    expired: TimeLimit | None = None
    active: bool = True


def _usable(seconds) -> bool:
    return bool(
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def _stop_every_line(state: Limit, frame):
    """Make every further line of the reader's frames raise ``state.expired``."""

    def tracer(f, event, arg):
        if not state.active or f.f_code.co_filename.startswith(_OURS):
            return None
        if event not in ("line", "call"):
            return tracer  # a raise here would switch tracing off for good
        raise state.expired  # Python then switches tracing off: the timer re-arms it

    while frame is not None:  # the frames above the call wait for it: no lines run
        if not frame.f_code.co_filename.startswith(_OURS):
            frame.f_trace, frame.f_trace_lines = tracer, True
        frame = frame.f_back
    sys.settrace(tracer)


def _handler(state: Limit, start: float):
    def stop(signum, frame):
        if not state.active:
            return
        elapsed = time.monotonic() - start
        if state.expired is None:
            late = elapsed - state.seconds > NATIVE_DELAY
            state.expired = TimeLimit(state.seconds, elapsed, native=late)
        _stop_every_line(state, frame)
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        raise state.expired

    return stop


@contextlib.contextmanager
def limited(seconds: float = SECONDS):
    """Run the block under the time limit; yields its :class:`Limit`."""
    state = Limit(seconds, enforced=_usable(seconds))
    if not state.enforced:
        yield state
        return
    tracing, start = sys.gettrace(), time.monotonic()
    outer = signal.getitimer(signal.ITIMER_REAL)  # e.g. pytest-timeout's own timer
    previous = signal.signal(signal.SIGALRM, _handler(state, start))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield state
    finally:
        state.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.settrace(tracing)
        _rearm(outer, time.monotonic() - start)
    if state.expired is not None:
        raise state.expired  # the reader's code caught it, then returned


def _rearm(outer: tuple[float, float], elapsed: float) -> None:
    """Set the timer that ran before :func:`limited` going again, less ``elapsed``.

    A timer that came due meanwhile fires at once, so a caller's own limit (such
    as pytest-timeout's) still holds after a check.
    """
    remaining, interval = outer
    if remaining > 0:
        signal.setitimer(signal.ITIMER_REAL, max(remaining - elapsed, 1e-3), interval)
