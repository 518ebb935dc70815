"""Exercises whose answer is a number or a choice: predict, experiment, picture.

* **predict, then run** (:func:`predict`): the reader commits a prediction
  before the experiment runs; ``check(prediction)`` runs it and compares.
* **experiment** (:func:`experiment`): the reader runs a short experiment in the
  stub cell and reports a number; the check runs the notebook's own version.
* **read the picture** (:func:`picture`): ``ex.qN.show()`` draws a figure made
  from computed data; the reader answers which mask, head or relation it shows.

The right answer is never written down: ``compute()`` works it out (in a
pristine PyTorch) when the check first needs it, and the session keeps it, with
the values of the catalogued mistakes (some are experiments of several seconds).
A new exercise of any kind is a few declarative lines:

>>> import torch
>>> q = predict("demo.q1", "Shift", "Does softmax change if every score gets +5?",
...             lambda: "no" if torch.allclose(torch.softmax(torch.arange(3.0), 0),
...                                           torch.softmax(torch.arange(3.0) + 5, 0))
...             else "yes",
...             choices={"yes": "it changes", "no": "it stays the same"},
...             wrong={"yes": "Softmax ignores a shift common to every score."},
...             hints=["Write softmax(x + c) out.", "The e^c cancels."])
>>> q.kind, q.check(...).status, q.check("yes").status, q.check("no").status
('predict', 'not attempted', 'incorrect', 'correct')
"""

from __future__ import annotations

import inspect
import json
import textwrap

from . import attempts
from .base import BaseExercise
from .guard import pristine
from .mistakes import Mistake
from .render import Code
from .stub import imports_for, source

__all__ = ["Question", "experiment", "picture", "predict", "worked_out"]


class Question(BaseExercise):
    """An exercise whose answer is a number or one of ``choices`` (see the module)."""

    def __init__(
        self,
        id,
        title,
        statement,
        compute,
        *,
        kind,
        choices=None,
        wrong=None,
        show=None,
        stub=None,
        rtol=0.02,
        atol=0.0,
        hints=(),
        mistakes=(),
        alt=None,
        why="",
    ):
        wrong = [
            Mistake(f"chose_{k}", m, detect=_chose(k)) for k, m in (wrong or {}).items()
        ]
        super().__init__(
            id, title, statement, hints=hints, mistakes=(*wrong, *mistakes)
        )
        self.kind, self._compute, self.choices = kind, compute, choices
        self._show, self.rtol, self.atol, self.alt = show, rtol, atol, alt
        self.why = why
        var = "prediction" if kind == "predict" else "answer"
        self.variable = var
        self.stub = stub or self._default_stub(var)
        self.check_code = f"ex.{self.name}.check({var})"
        self._freeze()

    def _default_stub(self, var):
        # The figure is the cell's last expression, so that Jupyter displays it.
        show = f"ex.{self.name}.show()\n" if self._show else ""
        if self.choices:
            keys = ", ".join(f'"{k}"' for k in self.choices)
            return f"{var} = ...  # one of {keys}\n{show}"
        return f"{var} = ...  # a number\n{show}"

    @property
    def reference(self):
        """The right answer, worked out at its first use in this session."""
        return worked_out(self._compute)

    def show(self):
        """The figure (or table) that this exercise asks about."""
        with pristine():
            return self._show()

    def solution(self) -> Code:
        """The answer with the reason (an experiment: the code that computes it)."""
        if self.kind == "experiment":
            name = self._compute.__name__
            return Code(f"{source(self._compute)}\n\n{self.variable} = {name}()\n")
        why = textwrap.fill(self.why, 86, initial_indent="# ", subsequent_indent="# ")
        value = json.dumps(self.reference)
        return Code(f"{why}\n{self.variable} = {value}\n".lstrip("\n"))

    def notebook_solution(self) -> str:
        """The solution cell's code."""
        text = str(self.solution())
        return (imports_for(text) * (self.kind == "experiment") + text).rstrip()

    def _options(self) -> str:
        return "; ".join(f"`{k}`: {v}" for k, v in self.choices.items())

    def _check(self, answer, device, seed):
        """Compare ``answer`` with the computed result (device, seed unused)."""
        self._restore()
        if answer is Ellipsis or answer is None:
            return self._result(
                "not attempted",
                f"Replace the `...` with your {self.variable}, then run this cell "
                f"again. Stuck? `ex.{self.name}.hint()` gives a hint.",
            )
        given, problem = self._parse(answer)
        if problem:
            return self._result("incorrect", problem)
        expected = self.reference
        first = attempts.first(self.id)
        note = f" (Your first {self.variable} was {first!r}.)" * (
            first is not None and first != given
        )
        if self._matches(given, expected):
            return self._result("correct", f"Right: the result is {expected!r}.{note}")
        for m in self.mistakes:
            if (m.detect is not None and m.detect(given, expected)) or (
                m.fn is not None and self._matches(given, worked_out(m.fn))
            ):
                return self._result("incorrect", self.message(m) + note, m.name)
        other = {"picture": "the picture shows"}.get(self.kind, "the experiment gives")
        return self._result("incorrect", f"Not what {other}.{note}")

    def _recorded(self, answer):
        return self._parse(answer)[0]

    def _parse(self, answer):
        if self.choices:
            key = _spelling(answer)  # "(c)", " C " and "panel c" for "panel (c)"
            labels = {_spelling(v): k for k, v in self.choices.items()}
            key = labels.get(key, key)  # the choice's own label ("key b") is fine
            if key not in self.choices:
                return None, f"Answer with one of these: {self._options()}."
            return key, None
        try:
            return float(answer), None
        except (TypeError, ValueError):
            return None, f"Answer with a number, not a {type(answer).__name__}."

    def _matches(self, given, expected):
        if self.choices:
            return given == expected
        return abs(given - float(expected)) <= self.atol + self.rtol * abs(expected)


def _memo():
    """``value(work)``: ``work()`` run once per function, in a pristine PyTorch.

    A question's answer and its mistakes' values are deterministic, so the
    session computes each once. The store lives in this closure, not in a module
    attribute that a reader's cell could overwrite.
    """
    store = {}

    def value(work):
        if work not in store:
            with pristine():
                store[work] = work()
        return store[work]

    return value


worked_out = _memo()


def _spelling(text) -> str:
    """A choice or its label as typed, without case, brackets or extra spaces.

    >>> _spelling(" Panel (C) "), _spelling("(b)")
    ('panel c', 'b')
    """
    return " ".join(str(text).lower().replace("(", " ").replace(")", " ").split())


def _chose(key):
    return lambda given, expected: given == key and expected != key


def predict(id, title, statement, compute, **kw) -> Question:
    """A "predict, then run" exercise; ``compute()`` runs the experiment."""
    return Question(id, title, statement, compute, kind="predict", **kw)


def experiment(id, title, statement, compute, **kw) -> Question:
    """An "experiment" exercise: the reader reports what ``compute()`` works out."""
    if "stub" not in kw:
        kw["stub"] = _experiment_stub(compute)
    return Question(id, title, statement, compute, kind="experiment", **kw)


def picture(id, title, statement, compute, show, **kw) -> Question:
    """A "read the picture" exercise: ``show()`` draws it, ``compute()`` reads it."""
    return Question(id, title, statement, compute, kind="picture", show=show, **kw)


def _experiment_stub(compute) -> str:
    """The experiment's setup (lines before ``# The experiment``), then ``answer``."""
    body = textwrap.dedent(inspect.getsource(compute)).split("# The experiment")[0]
    lines = body.splitlines()[1:]
    if lines and lines[0].strip().startswith(('"""', "'''")):
        end = next(
            i
            for i, line in enumerate(lines)
            if line.rstrip().endswith('"""')
            and (i > 0 or line.strip().count('"""') == 2)
        )
        lines = lines[end + 1 :]
    setup = textwrap.dedent("\n".join(lines)).strip()
    return (
        f"import torch\n\n{setup}\n# Your experiment here.\nanswer = ...  # a number\n"
    )
