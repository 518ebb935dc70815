"""What an answer may not do in a check: leave the kernel, or wait for typing.

:func:`kept_in` turns ``exit()``, ``quit()`` and ``sys.exit()`` into a
``SystemExit`` that the sandbox reports, and ``input()`` (or reading ``sys.stdin``)
into :class:`InputAsked`. In a notebook, IPython's own ``exit`` (the one a
notebook's functions see) asks the kernel to stop after the cell and tells the
front end to shut it down: during the check that request raises ``SystemExit``
instead, and any request made anyway is withdrawn, so the kernel lives.

>>> with kept_in():
...     try:
...         input("x? ")
...     except InputAsked as err:
...         print(err)
input() waits for someone to type, and nobody can during a check
"""

from __future__ import annotations

import builtins
import contextlib
import io
import sys

__all__ = ["InputAsked", "kept_in"]


class InputAsked(RuntimeError):
    """The reader's code asked for typed input."""

    def __init__(self, *args):
        super().__init__(
            "input() waits for someone to type, and nobody can during a check"
        )


def _leave(*args, **kwargs):
    raise SystemExit(*args[:1])


def _ask(*args, **kwargs):
    raise InputAsked()


class _NoStdin(io.TextIOBase):
    def read(self, *args):
        raise InputAsked()

    readline = read

    def readable(self):
        return True


def _shell():
    return getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()


@contextlib.contextmanager
def _ipython_kept_in(shell):
    if shell is None:
        yield
        return
    own = vars(shell).get("ask_exit") if hasattr(shell, "__dict__") else None
    payloads = getattr(getattr(shell, "payload_manager", None), "_payload", None)
    before = len(payloads) if isinstance(payloads, list) else 0
    shell.ask_exit = _leave
    try:
        yield
    finally:
        if own is None:
            vars(shell).pop("ask_exit", None)
        else:
            shell.ask_exit = own
        if getattr(shell, "exit_now", False):
            shell.exit_now = False  # withdraw IPython's "stop after this cell"
        if isinstance(payloads, list):  # and the front end's "shut the kernel down"
            payloads[before:] = [
                p for p in payloads[before:] if p.get("source") != "ask_exit"
            ]


@contextlib.contextmanager
def kept_in():
    """Run a block where exit(), quit(), sys.exit() and input() cannot escape."""
    saved = {n: getattr(builtins, n, None) for n in ("exit", "quit", "input")}
    stdin = sys.stdin
    builtins.exit = builtins.quit = _leave
    builtins.input, sys.stdin = _ask, _NoStdin()
    try:
        with _ipython_kept_in(_shell()):
            yield
    finally:
        sys.stdin = stdin
        for name, value in saved.items():
            setattr(builtins, name, value)
