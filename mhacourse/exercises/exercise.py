"""An auto-checked exercise and the result of checking an answer.

An :class:`Exercise` is data: a statement, a reference answer, hints, and a
catalogue of common mistakes. ``check(answer)`` runs the reader's function
on fresh random inputs of several shapes on the current device, compares it
with the reference, and returns a :class:`CheckResult` that shows nicely in a
notebook. Nothing the reader's code does (raise, print, return junk, mutate
its inputs) escapes the check.

>>> import torch
>>> def double(x):
...     '''Return 2 * x.'''
...     return 2 * x
>>> from mhacourse.exercises.inputs import Case
>>> ex = Exercise("demo.q1", "Double", "Write `double(x)`.", double,
...               cases=lambda gen, device: [Case((torch.ones(3, device=device),))])
>>> ex.check(lambda x: x + x).status
'correct'
>>> ex.check(lambda x: x * 3).status
'incorrect'
"""

from __future__ import annotations

import ast
import contextlib
import copy
import html
import inspect
import re
import textwrap
import warnings

import torch

from ..device import get_device
from . import inputs
from .compare import diagnose
from .runner import (
    Sink,
    describe,
    is_stub_raise,
    reader_line,
    same,
    tip_for,
)
from .runner import (
    names as arg_names,
)

__all__ = ["CheckResult", "Exercise", "Text"]

_HEADLINES = {
    "correct": "Correct",
    "incorrect": "Not quite",
    "not attempted": "Not attempted yet",
    "error": "Your code raised an error",
}
_COLOURS = {
    "correct": "#2e7d32",
    "incorrect": "#c62828",
    "not attempted": "#757575",
    "error": "#ef6c00",
}


class Text(str):
    """A string that shows as Markdown in a notebook (and without quotes in a console).

    >>> Text("**hi**")
    **hi**
    """

    def _repr_markdown_(self):
        return str(self)

    def __repr__(self):
        return str(self)


class Code(Text):
    """Python source that shows as a highlighted code block in a notebook.

    >>> Code("x = 1\\n")._repr_markdown_()
    '```python\\nx = 1\\n```'
    """

    def _repr_markdown_(self):
        return f"```python\n{self}```"


class CheckResult:
    """What ``check`` found: ``status`` ("correct", "incorrect", "not attempted", "error") and ``message``.

    >>> r = CheckResult("ch00.q1", "incorrect", "Use `dim=-1`.")
    >>> r
    Not quite (ch00.q1): Use `dim=-1`.
    >>> r.passed
    False
    """

    def __init__(self, exercise_id: str, status: str, message: str):
        if status not in _HEADLINES:
            raise ValueError(
                f"status must be one of {list(_HEADLINES)}, got {status!r}"
            )
        self.exercise_id, self.status, self.message = exercise_id, status, message

    @property
    def passed(self) -> bool:
        return self.status == "correct"

    def __repr__(self):
        return f"{_HEADLINES[self.status]} ({self.exercise_id}): {self.message}"

    def _repr_markdown_(self):
        return f"**{_HEADLINES[self.status]}** ({self.exercise_id})\n\n{self.message}"

    def _repr_html_(self):
        body = re.sub(
            r"`([^`]+)`", r"<code>\1</code>", html.escape(self.message, quote=False)
        )
        colour = _COLOURS[self.status]
        return (
            f'<div class="mhacourse-check mhacourse-{self.status.replace(" ", "-")}" style="border-left: '
            f'4px solid {colour}; padding: 0.4em 0.8em; margin: 0.2em 0; white-space: pre-wrap;">'
            f'<strong style="color: {colour};">{_HEADLINES[self.status]}</strong> ({self.exercise_id})<br>'
            f"{body}</div>"
        )


def _joiner(value) -> str:
    if isinstance(value, torch.Tensor):
        return " "
    return "=" if isinstance(value, (int, float, bool, torch.dtype)) else ": "


def _imports_for(source: str) -> str:
    found = [
        line
        for name, line in (
            ("math.", "import math"),
            ("torch.", "import torch"),
            ("F.", "import torch.nn.functional as F"),
        )
        if name in source
    ]
    return "\n".join(found) + "\n\n\n" if found else ""


def _make_stub(fn) -> str:
    """The reference's signature and docstring, with a body that raises NotImplementedError."""
    source = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(source).body[0]
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(
            f"a reference function must be written with def, got: {source.strip()[:60]}"
        )
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(
        getattr(first, "value", None), ast.Constant
    )
    head = source.splitlines()[: first.end_lineno if has_doc else first.lineno - 1]
    pad = " " * first.col_offset
    body = [f"{pad}# Your code here.", f"{pad}raise NotImplementedError"]
    return _imports_for(source) + "\n".join(head + body) + "\n"


class Exercise:
    """One exercise: statement, reference, input cases, hints and mistakes.

    Args:
        id: stable id "chNN.qK".
        title: short title for the exercise box.
        statement: MyST Markdown shown in the book.
        reference: the reference function. Without ``cases`` it takes no
            arguments and returns the expected *value* (the answer is a value).
        cases: ``cases(gen, device) -> list[Case]``, fresh inputs per check.
        hints: Markdown hints, from gentle to specific.
        mistakes: list of :class:`~mhacourse.exercises.mistakes.Mistake`.
        outputs: names of the items when the answer returns a tuple.
        stub, check_code: notebook code; derived from the reference if omitted.
        rtol, atol: tolerances of the comparison.

    A value exercise (no ``cases``: the reference takes no arguments):

    >>> ex = Exercise("demo.q2", "Two plus two", "What is `2 + 2`?", lambda: torch.tensor(4.0),
    ...               hints=["Add them."])
    >>> ex, ex.kind, ex.name, ex.label, ex.stub
    (<Exercise demo.q2: Two plus two>, 'value', 'q2', 'demo-q2', 'answer = ...\\n')
    >>> ex.check(torch.tensor(4.0)).status, ex.check(...).status
    ('correct', 'not attempted')
    >>> ex.hint()
    Hint 1 of 1 (last hint; `ex.q2.solution()` shows a solution): Add them.
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
    ):
        self.id, self.title, self.statement = (
            id,
            title,
            textwrap.dedent(statement).strip(),
        )
        self._fn, self.cases, self.hints, self.mistakes = (
            reference,
            cases,
            list(hints),
            list(mistakes),
        )
        self.outputs, self.rtol, self.atol = outputs, rtol, atol
        self.kind = "function" if cases is not None else "value"
        answer = reference.__name__ if self.kind == "function" else "answer"
        self.stub = stub or (
            _make_stub(reference) if self.kind == "function" else "answer = ...\n"
        )
        self.check_code = check_code or f"ex.{self.name}.check({answer})"
        self._hints_shown = 0

    name = property(lambda self: self.id.split(".")[-1], doc="'q1' for 'ch02.q1'.")
    label = property(
        lambda self: self.id.replace(".", "-"), doc="'ch02-q1', the sphinx label."
    )

    @property
    def reference(self):
        """The reference function, or for a value exercise the reference value."""
        return self._fn if self.kind == "function" else self._fn()

    def __repr__(self):
        return f"<Exercise {self.id}: {self.title}>"

    def _repr_markdown_(self):
        return f"**{self.title}** ({self.id})\n\n{self.statement}"

    def hint(self, level: int | None = None) -> Text:
        """The next hint (or hint number ``level``, from 1), as Markdown text."""
        if not self.hints:
            return Text(
                "There is no hint for this one: try the solution with `.solution()`."
            )
        if level is None:
            self._hints_shown = min(self._hints_shown + 1, len(self.hints))
            level = self._hints_shown
        level = max(1, min(level, len(self.hints)))
        more = (
            ""
            if level < len(self.hints)
            else f" (last hint; `ex.{self.name}.solution()` shows a solution)"
        )
        return Text(f"Hint {level} of {len(self.hints)}{more}: {self.hints[level - 1]}")

    def solution(self) -> Code:
        """The source of the reference: exactly the code the checker trusts."""
        return Code(textwrap.dedent(inspect.getsource(self._fn)))

    def _result(self, status, message):
        return CheckResult(self.id, status, message)

    def check(self, answer, device=None) -> CheckResult:
        """Check ``answer`` (a function, or a value for value exercises) on ``device`` (default: get_device())."""
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
        return self._check_function(
            answer, torch.device(device) if device is not None else get_device()
        )

    def _not_attempted(self):
        what = (
            "the `...` in the cell above with your answer"
            if self.kind == "value"
            else "`raise NotImplementedError` in the stub above with your code, run that cell"
        )
        return self._result(
            "not attempted",
            f"Replace {what}, then run this cell again. "
            f"Stuck? `ex.{self.name}.hint()` gives a hint.",
        )

    def _check_value(self, answer):
        expected = self.reference
        if (
            isinstance(answer, torch.Tensor) and answer.is_floating_point()
        ):  # any float dtype, any device
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
                return self._result("incorrect", m.message)
        return self._result("incorrect", problem)

    def _check_function(self, fn, device):
        cases = self.cases(inputs.generator(), device)
        printed = 0
        for case in cases:
            names = arg_names(self._fn, len(case.args)) + list(case.kwargs)
            values = [*case.args, *case.kwargs.values()]
            shown = ", ".join(
                f"{n}{_joiner(v)}{describe(v)}" for n, v in zip(names, values)
            )
            where = (
                f"\n\nInputs: {shown}" + (f" ({case.note})" if case.note else "") + "."
            )
            expected = self._fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
            sink = Sink()
            try:
                with (
                    contextlib.redirect_stdout(sink),
                    warnings.catch_warnings(),
                    torch.no_grad(),
                ):
                    warnings.simplefilter("ignore")
                    got = fn(*args, **kwargs)
            except NotImplementedError as err:
                if is_stub_raise(err):
                    return self._not_attempted()
                return self._error(err, where)
            except (
                Exception,
                SystemExit,
            ) as err:  # the reader's bug must not crash the notebook
                return self._error(err, where)
            printed += sink.lines
            if got is Ellipsis:
                return self._not_attempted()
            for name, before, after in zip(names, values, [*args, *kwargs.values()]):
                if not same(before, after):
                    return self._result(
                        "incorrect",
                        (
                            f"Your function changed its input `{name}` in place (e.g. with `{name} *= ...`, "
                            f"`{name}[...] = ...` or a method ending in `_` like `.add_()`). Leave the inputs as "
                            "they are and build new tensors: the caller still needs the originals."
                        )
                        + where,
                    )
            problem = diagnose(
                got, expected, case.sizes, self.rtol, self.atol, names=self.outputs
            )
            if problem is not None:
                return self._result(
                    "incorrect",
                    (self._match_mistake(got, expected, case) or problem) + where,
                )
        note = (
            f" (It printed {printed} lines, which the checker hid.)" if printed else ""
        )
        return self._result(
            "correct",
            f"Your function matches the reference on {len(cases)} sets of random "
            f"inputs on {device.type}.{note}",
        )

    def _error(self, err, where):
        text = f"{type(err).__name__}: {err}".strip().rstrip(":").splitlines()[0]
        return self._result(
            "error",
            f"Your function raised `{text}`.{reader_line(err.__traceback__)} "
            f"{tip_for(err)}".rstrip()
            + where,
        )

    def _match_mistake(self, got, expected, case):
        for m in self.mistakes:
            try:
                if m.detect is not None:
                    if m.detect(got, expected, case):
                        return m.message
                    continue
                wrong = m.fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            except Exception:  # a mistake that cannot apply to this case
                continue
            if (
                diagnose(
                    wrong,
                    expected,
                    case.sizes,
                    self.rtol,
                    self.atol,
                    names=self.outputs,
                )
                is not None
                and diagnose(
                    got, wrong, case.sizes, self.rtol, self.atol, names=self.outputs
                )
                is None
            ):
                return m.message
        return None
