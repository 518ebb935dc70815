"""How a function exercise reports a failed check: seed, inputs, smaller input, prints.

:class:`Reporting` is mixed into :class:`~mhacourse.exercises.core.exercise.Exercise`;
it keeps the :class:`~mhacourse.exercises.core.failure.Failure` for ``last_failure()``.
"""

from __future__ import annotations

import copy

import torch

from ...device import get_device
from . import sandbox
from .arguments import describe, names
from .compare import diagnose
from .failure import Failure, shrink

__all__ = ["Reporting"]


def joiner(value) -> str:
    """What goes between an input's name and its description.

    >>> joiner(torch.ones(1)), joiner(3), joiner("text")
    (' ', '=', ': ')
    """
    if isinstance(value, torch.Tensor):
        return " "
    return "=" if isinstance(value, (int, float, bool, torch.dtype)) else ": "


def cast_like(got, expected):
    """``got`` in ``expected``'s dtype and device, where that fits."""
    if isinstance(expected, tuple) and isinstance(got, (tuple, list)):
        return tuple(cast_like(g, e) for g, e in zip(got, expected, strict=False))
    if (
        isinstance(got, torch.Tensor)
        and isinstance(expected, torch.Tensor)
        and got.shape == expected.shape
        and not expected.is_meta
    ):
        return got.detach().to(expected.device, expected.dtype)
    return got


class Reporting:
    """Failure reports for :class:`~mhacourse.exercises.core.exercise.Exercise`."""

    def _fail(self, fn, verdict, seed, i, case, expected, outcome, device):
        status, message, *named = verdict
        if status == "not attempted":
            return self._not_attempted()
        answer = getattr(fn, "__name__", "answer")
        # A lambda has no name to type: `...` re-checks the last function checked.
        answer = answer if answer.isidentifier() else "..."
        on = f', device="{device}"' * (device.type != get_device().type)
        replay = (
            f"args, kwargs = ex.{self.name}.inputs(seed={seed}, case={i}"
            + (f', device="{device.type}"' if device.type != "cpu" else "")
            + f"); {answer if answer != '...' else 'answer'}(*args, **kwargs)"
        )
        again = f"ex.{self.name}.check({answer}, seed={seed}{on})"
        failure = Failure(
            self.id,
            seed,
            i,
            case.args,
            case.kwargs,
            expected,
            outcome.value,
            message,
            outcome.output,
            replay,
            again=again,
        )
        if status == "incorrect":
            failure.small = self._shrink(fn, case)
        self._state["failure"] = failure
        found = named[0] if named else None
        return self._result(status, message + self._details(failure, case), found)

    def _shrink(self, fn, case):
        found = {}
        for args, kwargs in shrink(case.args, case.kwargs):
            try:
                expected = self._expect(args, kwargs)
            except Exception:  # the reference does not accept this shape
                break
            outcome = self._call(fn, *copy.deepcopy((args, kwargs)), case)
            if (
                outcome.error is not None
                or diagnose(
                    cast_like(outcome.value, expected),
                    expected,
                    case.sizes,
                    self.rtol,
                    self.atol,
                    names=self.outputs,
                )
                is None
            ):
                break
            found = {
                "args": args,
                "kwargs": kwargs,
                "expected": expected,
                "actual": outcome.value,
            }
        return found

    def _shown(self, args, kwargs):
        arg_names = names(self._fn, len(args)) + list(kwargs)
        values = [*args, *kwargs.values()]
        return ", ".join(
            f"{n}{joiner(v)}{describe(v)}"
            for n, v in zip(arg_names, values, strict=False)
        )

    def _details(self, failure, case) -> str:
        note = f" ({case.note})" if case.note else ""
        text = f"\n\nInputs: {self._shown(case.args, case.kwargs)}{note}."
        if failure.small:
            small = self._shown(failure.small["args"], failure.small["kwargs"])
            text += f" It also fails on the smaller input {small}."
        text += (
            f"\n\nReplay: `{failure.again}` repeats this check; "
            f"`ex.{self.name}.last_failure()` holds the inputs, the expected and "
            "your output."
        )
        if failure.output.strip():
            text += (
                "\n\nYour function printed:\n```text\n"
                f"{sandbox.clip(failure.output)}\n```"
            )
        return text
