"""The checker's catalogue as a table: every exercise, each mistake it names, how a
check recognises it, whether a test makes that check fail with that name, and the
message the learner gets.

    python tools/mistake_table.py                 # Markdown table on stdout
    python tools/mistake_table.py --run           # also check each wrong answer
    python tools/mistake_table.py --untested      # only the mistakes no test names

A mistake is *tested* when a test makes a check fail with its name: either the
catalogue's own wrong answer (``fn``), which ``tests/test_exercises_core.py`` checks
for every exercise, or a learner's answer in a test that names it (the ``named``
helper of ``tests/exercise_helpers.py``, or a ``.mistake ==`` assertion). With
``--run`` each catalogued wrong answer is checked here and its verdict shown.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mhacourse.exercises import all_exercises  # noqa: E402
from mhacourse.exercises.core.mistakes import SHARED  # noqa: E402
from mhacourse.exercises.core.questions import worked_out  # noqa: E402

HOW = {
    "fn": "its own wrong answer",
    "choice": "the wrong choice itself",
    "detect": "a detector on the output",
}


def tested_names(tests: pathlib.Path = ROOT / "tests") -> set[str]:
    """Every quoted identifier that a test file puts where a mistake name goes.

    >>> "changed_input" in tested_names()
    True
    """
    names = set()
    for path in sorted(tests.glob("test_exercises_*.py")):
        text = path.read_text()
        names |= set(re.findall(r"""["']([a-z][a-z0-9_]*)["']""", text))
    return names


def first_sentence(text: str, most: int = 160) -> str:
    """The message's first sentence, cut at ``most`` characters, with pipes escaped.

    >>> first_sentence("Use dim=-1 (e.g. `x.sum(-1)`). Then divide.")
    'Use dim=-1 (e.g. `x.sum(-1)`).'
    """
    head = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(text.split()), maxsplit=1)[0]
    head = head if len(head) <= most else head[: most - 1] + "…"
    return head.replace("|", "\\|")


def rows(run: bool = False):
    """(exercise, kind, mistake, how, tested, message[, verdict]) per mistake."""
    names = tested_names()
    for ex in all_exercises():
        for m in ex.mistakes:
            how = HOW[_how(ex, m)]
            # tests/test_exercises_questions.py checks each wrong choice by its key.
            tested = _how(ex, m) != "detect" or m.name in names
            row = [ex.id, ex.kind, m.name, how, tested, first_sentence(ex.message(m))]
            if run:
                row.append(_verdict(ex, m))
            yield row
    for name, m in SHARED.items():
        row = ["every function", "function", name, HOW["detect"], name in names]
        yield row + [first_sentence(m.message)] + (["(per exercise)"] if run else [])


def _how(ex, m) -> str:
    """How the catalogue makes the mistake: ``fn``, ``choice`` or ``detect``."""
    if m.fn is not None:
        return "fn"
    key = m.name.removeprefix("chose_")
    return "choice" if key in (getattr(ex, "choices", None) or {}) else "detect"


def _verdict(ex, m) -> str:
    how = _how(ex, m)
    if how == "detect":
        return "—"
    if how == "choice":
        answer = m.name.removeprefix("chose_")
    else:
        answer = m.fn if ex.kind == "function" else worked_out(m.fn)
    result = ex.check(answer, device="cpu") if ex.kind == "function" else None
    result = result or ex.check(answer)
    return "named" if result.mistake == m.name else f"{result.status}: {result.mistake}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="check each wrong answer")
    parser.add_argument("--untested", action="store_true", help="only untested ones")
    args = parser.parse_args(argv)
    head = ["exercise", "kind", "mistake", "recognised by", "tested", "message"]
    head += ["verdict of its wrong answer"] if args.run else []
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    count = untested = 0
    for row in rows(args.run):
        count, untested = count + 1, untested + (not row[4])
        if args.untested and row[4]:
            continue
        row[4] = "yes" if row[4] else "**no**"
        print("| " + " | ".join(str(x) for x in row) + " |")
    print(f"\n{count} catalogued mistakes, {untested} named by no test.")
    return 1 if untested else 0


if __name__ == "__main__":
    sys.exit(main())
