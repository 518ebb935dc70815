"""Auto-checked exercises, one package per chapter (``ch01`` ... ``ch09``).

Where things are: :mod:`.core` is the checking engine (the time limit is in
:mod:`.core.time_limit`), and ``chNN/`` holds all of chapter NN's exercises:
``functions.py`` (write this function), ``cases.py`` (their inputs and catalogued
mistakes) and ``questions.py`` (predict, experiment, picture).

Use from a notebook::

    from mhacourse.exercises import ch02 as ex
    ex.q1.check(my_fn)   # runs your function on fresh random inputs and compares
    ex.q1.hint()         # a hint; ask again for a more specific one
    ex.q1.solution()     # the reference code

Each exercise has a stable ``id`` like "ch02.q1", a ``statement``, a ``stub``
to start from, ``check_code`` for the notebook, and ``reference``: the
reference function (or value, for the few exercises that ask for a value).

>>> exercises = all_exercises()
>>> len(exercises) >= 28, exercises[0].id
(True, 'ch01.q1')
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

from . import core
from .core import guard
from .core.exercise import Exercise
from .core.render import CheckResult, Text

#: The checker's own modules (in :mod:`.core`): every check puts them back as they
#: were imported.
CHECKER = tuple(
    info.name for info in pkgutil.iter_modules(core.__path__, f"{core.__name__}.")
)
for _name in CHECKER:
    guard.protect(importlib.import_module(_name))

__all__ = ["CHAPTERS", "CheckResult", "Exercise", "Text", "all_exercises", "chapter"]

#: The chapter modules, in book order.
CHAPTERS = ("ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch09")


def chapter(name: str):
    """The exercise module of one chapter: ``chapter("ch02")`` or ``chapter(2)``.

    >>> chapter(2).__name__
    'mhacourse.exercises.ch02'
    """
    if isinstance(name, int):
        name = f"ch{name:02d}"
    if name not in CHAPTERS:
        raise ValueError(f"no exercises for chapter {name!r}; chapters are {CHAPTERS}")
    module = importlib.import_module(f"{__name__}.{name}")
    for loaded in [m for n, m in sys.modules.items() if n.startswith(__name__)]:
        guard.protect(loaded)
    return module


def all_exercises() -> list[Exercise]:
    """Every exercise of the course, in book order (ch01.q1, ch01.q2, ..., ch09.qN).

    >>> exercises = all_exercises()
    >>> [ex.id for ex in exercises[:2]], exercises[-1].id.startswith("ch09.")
    (['ch01.q1', 'ch01.q2'], True)
    >>> len({ex.id for ex in exercises}) == len(exercises)   # ids are unique
    True
    """
    return [ex for name in CHAPTERS for ex in chapter(name).EXERCISES]
