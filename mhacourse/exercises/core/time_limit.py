"""The checker's time limit: how long one call of the reader's code may run.

:data:`SECONDS` is the limit every exercise uses unless it sets its own
(``Exercise(..., time_limit=...)``); :func:`limited` enforces it around one call
and :class:`TimeLimit` is what the reader's code gets when it runs over.

>>> import time
>>> with limited(0.05):
...     time.sleep(1)
Traceback (most recent call last):
...
mhacourse.exercises.core.time_limit.TimeLimit: it ran for more than 0.05 s
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["SECONDS", "TimeLimit", "limited"]

#: Seconds one call of the reader's code may run.
SECONDS = 10.0


class TimeLimit(Exception):
    """The reader's code ran out of time."""


@contextlib.contextmanager
def limited(seconds: float = SECONDS):
    """Run the block with a ``SIGALRM`` timer of ``seconds`` (main thread only)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise TimeLimit(f"it ran for more than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
