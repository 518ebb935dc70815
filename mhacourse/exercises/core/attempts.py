"""How many answers each exercise was given in this session, and a brake on guessing.

Every graded check (correct, incorrect or an error; not "not attempted", not a
refused session) is recorded here under the exercise's id, with the answer
when it is a choice or a number. A correct verdict says on which try it came
("Correct on your 3rd try"), and a prediction keeps the *first* one given.

The record lives in this module, not on the exercise object: re-running the
notebook's import cell, reloading a chapter module or clearing an exercise's
state does not wipe it (every check puts the checker's modules back as they
were imported, so rebinding ``_LOG`` does not either). It lasts as long as the
kernel does.

A number or a choice can be found by trying answers in a loop (a number to
within 2 % falls in about 12,000 tries). So after :data:`FREE` wrong answers to
one question, each further answer waits before it is graded, longer each time
(up to :data:`LONGEST` seconds), and the message says why. A reader thinking
between tries never meets the brake; a loop of thousands of guesses takes days.

>>> _LOG.pop("demo.q9", None) and None
>>> record("demo.q9", False, "yes"), record("demo.q9", True, "no")
(1, 2)
>>> first("demo.q9"), ordinal(2), ordinal(11), ordinal(23)
('yes', '2nd', '11th', '23rd')
"""

from __future__ import annotations

import time

__all__ = ["FREE", "LONGEST", "brake", "first", "ordinal", "record", "tries"]

#: Wrong answers to one question that are graded at once.
FREE = 10
#: Seconds added to the wait by each wrong answer after the free ones, and the cap.
STEP, LONGEST = 1.0, 30.0

_LOG: dict = {}  # exercise id -> list of (correct, answer)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10)
    return f"{n}{suffix or 'th'}"


def record(exercise_id: str, correct: bool, answer=None) -> int:
    """Record one graded answer; returns how many this exercise has had."""
    log = _LOG.setdefault(exercise_id, [])
    log.append((bool(correct), answer))
    return len(log)


def tries(exercise_id: str) -> tuple:
    """``(answers, wrong answers)`` recorded for the exercise."""
    log = _LOG.get(exercise_id, [])
    return len(log), sum(not ok for ok, _ in log)


def first(exercise_id: str):
    """The first answer recorded for the exercise (None before any)."""
    return next((a for _, a in _LOG.get(exercise_id, []) if a is not None), None)


def brake(exercise_id: str) -> str:
    """Wait if the question had more than :data:`FREE` wrong answers; say why.

    Returns the note for the verdict ("" when there was no wait).
    """
    wrong = tries(exercise_id)[1]
    if wrong < FREE:
        return ""
    wait = min(STEP * (wrong - FREE + 1), LONGEST)
    time.sleep(wait)
    return (
        f" (This question has had {wrong} wrong answers, so the checker waited "
        f"{wait:g} s before grading this one: trying answers in a loop does not "
        "teach anything. `ex.{name}.hint()` gives a hint.)"
    )
