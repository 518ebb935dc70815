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
from .causes import arguments_cause, cause_for
from .errors import is_stub_raise, reader_line, tip_for
from .mistakes import MESSAGES, SHARED

__all__ = ["changed_input", "error_verdict", "has_float", "meta_only", "wrong_device"]

#: What PyTorch says when an operation mixes devices.
_DEVICE_ERRORS = ("same device", "not on the expected device", "Expected all tensors")
DEVICE = SHARED["device_not_followed"]


def has_float(values) -> bool:
    """True if an input is a floating tensor or a module (a dtype to follow)."""
    return any(
        isinstance(v, torch.nn.Module)
        or (isinstance(v, torch.Tensor) and v.is_floating_point())
        or (isinstance(v, (tuple, list)) and has_float(v))
        for v in values
    )


def changed_input(arg_names, before, after) -> str | None:
    """The message for the first input the answer changed in place, or None.

    Named ``changed_input``; on the ``meta`` device (no values) an in-place
    operation is seen by the tensor's version counter.
    """
    for name, old, now in zip(arg_names, before, after, strict=False):
        if not same(old, now):
            return MESSAGES["changed_input"].replace("{input}", name)
    return None


def meta_only(err) -> bool:
    """True if ``err`` says an operation cannot run on ``meta`` (it needs values).

    ``.item()``, a Python ``if`` on a tensor or a loop over its values is right
    on a real device; on ``meta`` it cannot run, so such a case is skipped.

    >>> meta_only(RuntimeError("Tensor.item() cannot be called on meta tensors"))
    True
    """
    text = str(err)
    return "meta" in text.lower() and not any(e in text for e in _DEVICE_ERRORS)


def wrong_device(got, expected):
    """:data:`DEVICE` if an output tensor is on another device than expected.

    >>> wrong_device(torch.ones(1), torch.ones(1, device="meta")).name
    'device_not_followed'
    """
    if isinstance(expected, tuple) and isinstance(got, (tuple, list)):
        found = [wrong_device(g, e) for g, e in zip(got, expected, strict=False)]
        return next((f for f in found if f is not None), None)
    if (
        isinstance(got, torch.Tensor)
        and isinstance(expected, torch.Tensor)
        and got.device != expected.device
    ):
        return DEVICE
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


def error_verdict(fn, err, time_limit: float, case=None):
    """``(status, message[, mistake])`` for an answer that raised ``err``.

    An operation that mixed the inputs' device with the CPU is the catalogued
    ``device_not_followed`` (see the tests).
    """
    if isinstance(err, NotImplementedError) and is_stub_raise(err, fn):
        return "not attempted", None
    if isinstance(err, RuntimeError) and any(e in str(err) for e in _DEVICE_ERRORS):
        line = reader_line(err.__traceback__)
        return "incorrect", DEVICE.message + line, DEVICE.name
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
        sizes = getattr(case, "sizes", None)
        cause = cause_for(err, sizes) or arguments_cause(fn, err, case)
        tip = " ".join(t for t in (cause, tip_for(err)) if t)  # what, then what to do
    where = reader_line(err.__traceback__)
    return "error", f"Your function raised `{text}`.{where} {tip}".rstrip()
