"""Verdicts on one call of the reader's function: an error, or inputs changed.

Each returns text for the reader (or ``None`` when there is nothing to say);
:class:`.exercise.Exercise` turns it into a result.

>>> error_verdict(print, ZeroDivisionError("division by zero"), 10.0)[0]
'error'
>>> changed_input(["x"], [[1]], [[1]]) is None
True
"""

from __future__ import annotations

import torch

from . import sandbox
from .arguments import same
from .errors import is_stub_raise, reader_line, tip_for

__all__ = ["changed_input", "error_verdict", "has_float"]


def has_float(values) -> bool:
    """True if an input is a floating tensor or a module (a dtype to follow)."""
    return any(
        isinstance(v, torch.nn.Module)
        or (isinstance(v, torch.Tensor) and v.is_floating_point())
        or (isinstance(v, (tuple, list)) and has_float(v))
        for v in values
    )


def changed_input(arg_names, before, after) -> str | None:
    """The message for the first input the answer changed in place, or None."""
    for name, old, now in zip(arg_names, before, after, strict=False):
        if not same(old, now):
            return (
                f"Your function changed its input `{name}` in place (e.g. with "
                f"`{name} *= ...`, `{name}[...] = ...` or a method ending in `_` "
                "like `.add_()`). Leave the inputs as they are and build new "
                "tensors: the caller still needs the originals."
            )
    return None


def time_verdict(err, time_limit: float) -> str:
    """The message for a call that ran out of time: a loop, or one long operation.

    >>> from mhacourse.exercises.core.time_limit import TimeLimit
    >>> time_verdict(TimeLimit(10.0, 37.2, native=True), 10.0)[:60]
    'Your function did not finish in time: one operation ran for '
    >>> time_verdict(TimeLimit(10.0, 10.0), 10.0).endswith("a loop that never ends.")
    True
    """
    if getattr(err, "native", False):
        return (
            f"Your function did not finish in time: one operation ran for "
            f"{err.elapsed:.0f} s against the limit of {time_limit:g} s per call, "
            "and a single PyTorch operation cannot be stopped while it runs. Look "
            "for a tensor far larger than the inputs (print the shapes)."
        )
    return (
        f"Your function did not finish: {err} (the limit is "
        f"{time_limit:g} s per call). Look for a loop that never ends."
    )


def error_verdict(fn, err, time_limit: float):
    """``(status, message)`` for an answer that raised ``err``; see the tests."""
    if isinstance(err, NotImplementedError) and is_stub_raise(err, fn):
        return "not attempted", None
    if isinstance(err, sandbox.RuleBroken):
        return "incorrect", f"Not allowed here: {err}."
    if isinstance(err, sandbox.TimeLimit):
        return "error", time_verdict(err, time_limit)
    if isinstance(err, sandbox.InputAsked):
        return "error", (
            "Your function called `input()`, which waits for someone to type: "
            "nobody can answer it during a check. Take the value as an argument "
            "(or write it in the code) instead."
        )
    if isinstance(err, SystemExit):
        return "error", (
            "Your function called `exit()`, `quit()` or `sys.exit()`. The checker "
            "caught it, so your kernel is still running; return a value instead."
        )
    text = f"{type(err).__name__}: {err}".strip().rstrip(":").splitlines()[0]
    if isinstance(err, NotImplementedError):
        tip = "A function you call still raises it: finish that one too."
    else:
        tip = tip_for(err)
    where = reader_line(err.__traceback__)
    return "error", f"Your function raised `{text}`.{where} {tip}".rstrip()
