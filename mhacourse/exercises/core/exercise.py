"""An auto-checked "write this function" (or "give this value") exercise.

``check(answer)`` first draws a seed, builds the cases and computes the
reference's outputs in a pristine PyTorch (see :mod:`.guard`), so nothing the
reader has patched or set can change what is expected. Then it runs the reader's
function on each case in the sandbox (:mod:`.sandbox`: time limit, captured
output, no ``exit()``, the statement's rules enforced) and compares. A failure
names the catalogued mistake when one matches, shows the seed, the inputs, a
smaller failing input when it finds one, and what the function printed; the
details stay in ``last_failure()``.

>>> import torch
>>> def double(x):
...     '''Return 2 * x.'''
...     return 2 * x
>>> from mhacourse.exercises.core.inputs import Case
>>> ex = Exercise("demo.q1", "Double", "Write `double(x)`.", double,
...               cases=lambda gen, device: [Case((torch.ones(3, device=device),))])
>>> ex.check(lambda x: x + x).status
'correct'
>>> result = ex.check(lambda x: x * 3, seed=7)
>>> result.status, "seed=7" in result.message
('incorrect', True)
>>> ex.last_failure().replay
'args, kwargs = ex.q1.inputs(seed=7, case=0); answer(*args, **kwargs)'
"""

from __future__ import annotations

import copy
import secrets

import torch

from ...device import get_device
from . import inputs, sandbox
from .arguments import names
from .base import BaseExercise
from .compare import diagnose
from .devices import meta_case, on_meta
from .guard import pristine
from .matching import NO_LIMIT, SKIPPED, Matching
from .render import Code
from .report import Reporting, cast_like
from .stub import imports_for, make_stub, source
from .time_limit import SECONDS
from .verdicts import (
    changed_input,
    error_verdict,
    has_float,
    meta_only,
    wrong_device,
)

__all__ = ["Exercise"]


class Exercise(Matching, Reporting, BaseExercise):
    """One function (or value) exercise: statement, reference, cases, hints, mistakes.

    Args:
        id: stable id "chNN.qK". title: short title. statement: MyST Markdown.
        reference: the reference function. Without ``cases`` it takes no
            arguments and returns the expected *value* (the answer is a value).
        cases: ``cases(gen, device) -> list[Case]``, fresh inputs per check.
        hints, mistakes: Markdown hints (gentle first) and :class:`Mistake` s.
        outputs: names of the items when the answer returns a tuple.
        stub, check_code: notebook code; derived from the reference if omitted.
        rtol, atol: tolerances of the comparison (pinned: see the tests).
        forbid: names of functions the statement forbids (see :mod:`.sandbox`).
        watch_shape: ``watch_shape(case) -> (rows, cols)``, sizes no tensor
            made by the answer may hold, in any layout (the full (L, S) scores).
        time_limit: seconds per call. polarity: how this exercise's masks read.

    A value exercise (no ``cases``: the reference takes no arguments):

    >>> ex = Exercise("demo.q2", "Two plus two", "What is `2 + 2`?",
    ...               lambda: torch.tensor(4.0), hints=["Add them."])
    >>> ex, ex.kind, ex.name, ex.label, ex.stub
    (<Exercise demo.q2: Two plus two>, 'value', 'q2', 'demo-q2', 'answer = ...\\n')
    >>> ex.check(torch.tensor(4.0)).status, ex.check(...).status
    ('correct', 'not attempted')
    """

    def __init__(
        self,
        id,
        title,
        statement,
        reference,
        *,
        cases=None,
        hints=(),
        mistakes=(),
        outputs=None,
        stub=None,
        check_code=None,
        rtol=1e-4,
        atol=1e-5,
        forbid=(),
        watch_shape=None,
        time_limit=SECONDS,
        polarity=None,
    ):
        super().__init__(
            id, title, statement, hints=hints, mistakes=mistakes, polarity=polarity
        )
        self._fn, self.cases, self.outputs = reference, cases, outputs
        self.rtol, self.atol, self.forbid = rtol, atol, tuple(forbid)
        self.watch_shape, self.time_limit = watch_shape, time_limit
        self.kind = "function" if cases is not None else "value"
        answer = reference.__name__ if self.kind == "function" else "answer"
        self.stub = stub or (
            make_stub(reference) if self.kind == "function" else "answer = ...\n"
        )
        self.check_code = check_code or f"ex.{self.name}.check({answer})"
        self._freeze()

    @property
    def reference(self):
        """The reference function, or for a value exercise the reference value."""
        if self.kind == "function":
            return self._fn
        with pristine():
            return self._fn()

    def solution(self) -> Code:
        """The source of the reference: exactly the code the checker trusts."""
        return Code(source(self._fn))

    def notebook_solution(self) -> str:
        """The solution cell's code: the reference, and for a value its value."""
        code = imports_for(str(self.solution())) + str(self.solution()).rstrip()
        if self.kind == "value":
            answer = self.check_code.split("check(")[1].rstrip(")")
            code += f"\n\n\n{answer} = {self._fn.__name__}()  # the value to check"
        return code

    def inputs(self, seed: int, case: int, device="cpu"):
        """``(args, kwargs)`` of case number ``case`` of the check with ``seed``."""
        with pristine():
            found = self.cases(inputs.generator(seed), torch.device(device))[case]
        return copy.deepcopy(found.args), copy.deepcopy(found.kwargs)

    def _check(self, answer, device, seed):
        """Check ``answer`` (a function or a value) on ``device`` (get_device()).

        ``seed`` replays an earlier check: the failure message shows its seed;
        with ``answer=...`` and a seed, the last function checked is checked again.
        """
        self._restore()
        self._state["failure"] = None
        if answer is Ellipsis and seed is not None and self.kind == "function":
            answer = self._state.get("answer", answer)  # the replay of a lambda
        if answer is Ellipsis or (self.kind == "value" and answer is None):
            return self._not_attempted()
        if self.kind == "value":
            return self._check_value(answer)
        if not callable(answer):
            return self._result(
                "incorrect",
                f"Pass your function itself, without calling it: "
                f"`{self.check_code}`. You passed a {type(answer).__name__}.",
            )
        self._state["answer"] = answer
        device = torch.device(device) if device is not None else get_device()
        seed = secrets.randbelow(10**6) if seed is None else seed
        return self._check_function(answer, device, seed)

    def _not_attempted(self):
        what = (
            "the `...` in the cell above with your answer"
            if self.kind == "value"
            else "`raise NotImplementedError` in the stub above with your code, "
            "run that cell"
        )
        return self._result(
            "not attempted",
            f"Replace {what}, then run this cell again. "
            f"Stuck? `ex.{self.name}.hint()` gives a hint.",
        )

    def _check_value(self, answer):
        with pristine():
            expected = self._fn()
            if isinstance(answer, torch.Tensor) and answer.is_floating_point():
                answer = answer.detach().to("cpu", expected.dtype)
            problem = diagnose(
                answer, expected, {}, self.rtol, self.atol, "Your answer", self.outputs
            )
            if problem is None:
                return self._result("correct", "Well done: your answer matches.")
            for m in self.mistakes:
                if (
                    m.fn is not None
                    and diagnose(answer, m.fn(), {}, self.rtol, self.atol) is None
                ):
                    return self._result("incorrect", self.message(m), m.name)
        return self._result("incorrect", problem)

    def _prepare(self, device, seed):
        """The cases, their pristine copies for the reader, and the expected outputs."""
        with pristine():
            cases = list(self.cases(inputs.generator(seed), device))
            cases += meta_case(cases, self._fn)  # where the chapter gave none
            expected = [self._expect(c.args, c.kwargs) for c in cases]
            copies = [copy.deepcopy((c.args, c.kwargs)) for c in cases]
        return cases, expected, copies

    def _expect(self, args, kwargs):
        return self._fn(*copy.deepcopy(args), **copy.deepcopy(kwargs))

    def _call(self, fn, args, kwargs, case):
        watch = self.watch_shape(case) if self.watch_shape else None
        return sandbox.call(
            fn,
            args,
            kwargs,
            time_limit=self.time_limit,
            forbid=self.forbid,
            watch_shape=watch,
            device="meta" if on_meta(case) else None,
        )

    def _check_function(self, fn, device, seed):
        default = torch.get_default_dtype()
        cases, expected, copies = self._prepare(device, seed)
        printed, unlimited, skipped = 0, False, 0
        for i, (case, exp, (args, kwargs)) in enumerate(
            zip(cases, expected, copies, strict=False)
        ):
            outcome = self._call(fn, args, kwargs, case)
            printed += outcome.output.count("\n")
            unlimited |= not outcome.limited
            if on_meta(case) and outcome.error is not None and meta_only(outcome.error):
                skipped += 1  # it reads values, which meta tensors do not have
                continue
            with pristine():
                verdict = self._judge(fn, case, exp, (args, kwargs), outcome, default)
                if verdict is not None:
                    return self._fail(fn, verdict, seed, i, case, exp, outcome, device)
        note = f" (It printed {printed} lines, which the checker hid.)" * bool(printed)
        note += NO_LIMIT * unlimited + SKIPPED * bool(skipped)
        return self._result(
            "correct",
            f"Your function matches the reference on {len(cases) - skipped} sets of "
            f"random inputs on {device.type}.{note}",
        )

    def _judge(self, fn, case, expected, called, outcome, default):
        """None if the call is right, else ``(status, message)``."""
        if outcome.error is not None:
            return error_verdict(fn, outcome.error, self.time_limit, case)
        got = outcome.value
        if got is Ellipsis:
            return "not attempted", None
        arg_names = names(self._fn, len(case.args)) + list(case.kwargs)
        values = [*case.args, *case.kwargs.values()]
        after = [*called[0], *called[1].values()]
        changed = changed_input(arg_names, values, after)
        if changed is not None:
            return "incorrect", changed, "changed_input"
        if default != torch.float32 and not has_float(values):
            got = cast_like(
                got, expected
            )  # nothing to take a dtype from but the default
        problem = diagnose(
            got,
            expected,
            case.sizes,
            self.rtol,
            self.atol,
            names=self.outputs,
            default_dtype=default,
        )
        if problem is None:
            return None
        found = wrong_device(got, expected) or self._match_mistake(got, expected, case)
        if found is None:
            return "incorrect", problem
        return "incorrect", self.message(found), found.name
