"""What every exercise has, whatever its kind: the contract and its protection.

:class:`BaseExercise` holds the id, title, statement, hints and mistakes, gives
``hint()``, ``solution()`` and ``last_failure()``, and keeps itself out of the
reader's reach: once built, its settings are read-only, and every check starts by
putting them (and the checker's modules) back as they were built.

>>> ex = BaseExercise("demo.q1", "Demo", "Say *hi*.", hints=["Just say it."])
>>> ex._freeze()
>>> ex.name, ex.label, ex.hint().endswith("shows a solution): Just say it.")
('q1', 'demo-q1', True)
>>> ex.title = "changed"
Traceback (most recent call last):
...
AttributeError: exercise demo.q1 is read-only: its settings cannot be changed
"""

from __future__ import annotations

import textwrap

from . import attempts
from .guard import restore_checker
from .render import CheckResult, Text
from .session import kept, refusal

__all__ = ["BaseExercise"]

#: The kinds whose answer is one value, which a loop could guess.
_GUESSABLE = ("predict", "experiment", "picture", "value")


class BaseExercise:
    """The shared part of every exercise kind (see the module docstring)."""

    kind = "base"

    def __init__(self, id, title, statement, *, hints=(), mistakes=(), polarity=None):
        self.id, self.title = id, title
        self.statement = textwrap.dedent(statement).strip()
        self.hints, self.mistakes = tuple(hints), tuple(mistakes)
        self.polarity = polarity or (
            "True means 'may attend': block the positions where the mask is False, "
            "e.g. scores.masked_fill(~mask, float('-inf'))"
        )
        self._state = {"hints": 0, "failure": None}

    def _freeze(self):
        """Make the settings read-only and remember them (end of __init__)."""
        object.__setattr__(self, "_built", dict(vars(self)))

    def __setattr__(self, name, value):
        if "_built" in vars(self):
            raise AttributeError(
                f"exercise {self.id} is read-only: its settings cannot be changed"
            )
        object.__setattr__(self, name, value)

    def check(self, answer, device=None, seed=None):
        """Check ``answer``; see the subclass. The session is left as it was found.

        A session whose torch, torch.nn or mhacourse functions were patched (or
        that left a function mode pushed) is refused: see :mod:`.session`.
        Every graded answer is counted (see :mod:`.attempts`); a question that
        had many wrong answers waits before grading the next one.
        """
        self._restore()
        refused = refusal()
        if refused:
            return self._result("error", refused)
        note = ""
        if self.kind in _GUESSABLE and answer is not Ellipsis and answer is not None:
            note = attempts.brake(self.id).replace("{name}", self.name)
        with kept():
            result = self._check(answer, device, seed)
        return self._counted(result, answer, note)

    def _counted(self, result, answer, note):
        """``result`` with this try recorded and counted (not a non-attempt)."""
        if result.status == "not attempted":
            return result
        n = attempts.record(self.id, result.passed, self._recorded(answer))
        said = f" Correct on your {attempts.ordinal(n)} try." * result.passed
        return CheckResult(
            self.id, result.status, result.message + said + note, result.mistake, n
        )

    def _recorded(self, answer):
        """What the attempts record keeps of an answer (a choice or a number)."""
        return None

    def _restore(self):
        """Undo any change to this exercise and to the checker's modules."""
        restore_checker()
        built = vars(self).get("_built")
        if built:
            vars(self).clear()
            vars(self).update(built, _built=built)

    name = property(lambda self: self.id.split(".")[-1], doc="'q1' for 'ch02.q1'.")
    label = property(
        lambda self: self.id.replace(".", "-"), doc="'ch02-q1', the sphinx label."
    )

    def __repr__(self):
        return f"<Exercise {self.id}: {self.title}>"

    def _repr_markdown_(self):
        return f"**{self.title}** ({self.id})\n\n{self.statement}"

    def _result(self, status, message, mistake=None) -> CheckResult:
        return CheckResult(self.id, status, message, mistake)

    def message(self, mistake) -> str:
        """A mistake's message, with this exercise's mask polarity filled in."""
        return mistake.message.replace("{polarity}", self.polarity)

    def hint(self, level: int | None = None) -> Text:
        """The next hint (or hint number ``level``, from 1), as Markdown text."""
        if not self.hints:
            return Text(
                "There is no hint for this one: try the solution with `.solution()`."
            )
        if level is None:
            self._state["hints"] = min(self._state["hints"] + 1, len(self.hints))
            level = self._state["hints"]
        level = max(1, min(level, len(self.hints)))
        last = level == len(self.hints)
        more = f" (last hint; `ex.{self.name}.solution()` shows a solution)" * last
        return Text(f"Hint {level} of {len(self.hints)}{more}: {self.hints[level - 1]}")

    def last_failure(self):
        """The :class:`~.failure.Failure` of the last failed check.

        ``None`` when the last check passed or there was none. It holds the
        inputs, the expected and the actual output, the seed, and ``replay``, a
        line of code that reproduces the failure.
        """
        return self._state["failure"]
