"""The exercise contract (exercises, exercise.py) and the checker's robustness."""

import inspect
import re

import numpy as np
import pytest
import torch

from mhacourse.exercises import CHAPTERS, CheckResult, Exercise, all_exercises, chapter
from mhacourse.exercises.core import inputs as I
from mhacourse.exercises.core.inputs import Case
from mhacourse.exercises.core.questions import worked_out

EXERCISES = all_exercises()
BY_ID = {ex.id: ex for ex in EXERCISES}
FUNCTIONS = [ex for ex in EXERCISES if ex.kind == "function"]


def dot_scores(q, k):
    """Raw scores q k^T, (..., L, S)."""
    return q @ k.transpose(-2, -1)


SCORES = Exercise(
    "demo.q1",
    "Scores",
    "Write `dot_scores(q, k)`.",
    dot_scores,
    cases=lambda gen, device: [
        Case(I.qkv(gen, b, device)[:2], sizes=I.SIZES) for b in ((), (2,), (2, 3))
    ],
)


def _fresh(ex):
    """A fresh copy of the exercise's stub, defined as the reader would run it."""
    namespace = {"ex": chapter(ex.id.split(".")[0])}
    exec(ex.stub, namespace)
    return namespace


# --- the catalogue --------------------------------------------------------------------
def test_there_are_enough_exercises_with_stable_ids():
    assert len(EXERCISES) >= 28
    for name in CHAPTERS:
        ids = [ex.id for ex in chapter(name).EXERCISES]
        assert len(ids) >= 4, name
        assert ids == [f"{name}.q{i}" for i in range(1, len(ids) + 1)]
        assert all(
            getattr(chapter(name), ex.name) is ex for ex in chapter(name).EXERCISES
        )
    assert len(BY_ID) == len(EXERCISES)
    assert chapter(2) is chapter("ch02")
    with pytest.raises(ValueError, match="ch10"):
        chapter("ch10")


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_exercise_is_complete(ex):
    assert ex.title and ex.statement and len(ex.hints) >= 2
    assert ex.label == ex.id.replace(".", "-") and re.fullmatch(r"ch0\d-q\d+", ex.label)
    assert ex.check_code.startswith(f"ex.{ex.name}.check(")
    compile(ex.stub, ex.id, "exec")
    if ex.kind == "function":
        assert callable(ex.reference) and ex.stub.rstrip().endswith(
            "raise NotImplementedError"
        )
        stub_fn = _fresh(ex)[ex.reference.__name__]
        assert inspect.signature(stub_fn) == inspect.signature(ex.reference)
        assert stub_fn.__doc__ == ex.reference.__doc__
    else:
        assert "= ..." in ex.stub


@pytest.mark.parametrize("ex", FUNCTIONS, ids=lambda e: e.id)
def test_solution_is_the_tested_reference_source(ex):
    shown = ex.solution()
    assert shown == inspect.getsource(ex._fn) and isinstance(shown, str)
    assert shown._repr_markdown_().startswith("```python\n")


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_reference_passes_its_own_check(ex, device):
    result = ex.check(ex.reference, device=device)
    assert result.status == "correct", result.message


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_fresh_stub_is_not_attempted(ex):
    namespace = _fresh(ex)
    answer = namespace[re.search(r"check\((\w+)\)", ex.check_code).group(1)]
    result = ex.check(answer, device="cpu")
    assert result.status == "not attempted"
    assert f"ex.{ex.name}.hint()" in result.message


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_catalogue_mistakes_are_told_apart(ex):
    """Each catalogued wrong implementation differs from the reference and is named."""
    for m in ex.mistakes:
        if m.fn is None:
            continue
        result = ex.check(
            m.fn if ex.kind == "function" else worked_out(m.fn), device="cpu"
        )
        assert result.status == "incorrect", m.name
        assert result.message.startswith(ex.message(m)), (m.name, result.message)


def test_check_does_not_touch_the_global_random_state():
    state = torch.get_rng_state()
    BY_ID["ch06.q6"].check(
        BY_ID["ch06.q6"].reference, device="cpu"
    )  # builds modules too
    assert torch.equal(state, torch.get_rng_state())


def test_each_check_draws_fresh_inputs():
    seen = []
    ex = SCORES
    for _ in range(2):
        ex.check(
            lambda q, k: seen.append(q.clone()) or q @ k.transpose(-2, -1), device="cpu"
        )
    assert not torch.equal(seen[0], seen[len(seen) // 2])  # each check's first case


# --- robustness against the reader's code ---------------------------------------------
SDPA = BY_ID["ch02.q2"]


def test_returning_ellipsis_is_not_attempted():
    assert SDPA.check(lambda q, k, v, mask=None: ...).status == "not attempted"
    assert BY_ID["ch01.q2"].check(...).status == "not attempted"


def test_not_implemented_from_a_library_is_an_error_not_a_stub():
    def no_forward(q, k, v, mask=None):
        return torch.nn.Module()(
            q
        )  # torch raises NotImplementedError: the module has no forward

    result = SDPA.check(no_forward, device="cpu")
    assert (
        result.status == "error"
        and "NotImplementedError" in result.message
        and "`no_forward`" in result.message
    )


def test_exiting_is_an_error_not_a_crash():
    assert (
        SDPA.check(lambda q, k, v, mask=None: exit(3), device="cpu").status == "error"
    )


def test_an_exception_is_reported_with_the_readers_line():
    def buggy(q, k, v, mask=None):
        scores = q @ k  # forgot the transpose
        return scores, scores

    result = SDPA.check(buggy, device="cpu")
    assert result.status == "error"
    assert (
        "RuntimeError" in result.message
        and "scores = q @ k  # forgot the transpose" in result.message
    )
    assert f"line {buggy.__code__.co_firstlineno + 1} of `buggy`" in result.message
    assert "shape mismatch" in result.message  # the tip


def test_errors_deep_inside_torch_point_at_the_readers_call():
    def buggy(x, num_heads):
        return x.transpose(1, 2).view(-1)  # view of a non-contiguous tensor

    result = BY_ID["ch04.q1"].check(buggy, device="cpu")
    assert (
        result.status == "error"
        and "`buggy`" in result.message
        and ".reshape" in result.message
    )


@pytest.mark.parametrize(
    "value, words",
    [
        (None, "is None. Did you forget the `return`"),
        (np.zeros((5, 7)), "is a NumPy array"),
        ([[0.0] * 7] * 5, "is a Python list"),
        ("scores", "is a str"),
    ],
)
def test_wrong_return_types_are_named(value, words):
    result = SCORES.check(lambda q, k: value, device="cpu")
    assert result.status == "incorrect" and words in result.message


def test_nan_output_is_named():
    result = SCORES.check(
        lambda q, k: q @ k.transpose(-2, -1) * float("nan"), device="cpu"
    )
    assert result.status == "incorrect" and "contains NaN" in result.message


def test_mutating_an_input_is_caught_even_when_the_output_is_right():
    def sneaky(m, l, acc, scores, v):
        out = BY_ID["ch07.q3"].reference(m, l, acc, scores, v)
        acc.zero_()  # destroys the caller's accumulator
        return out

    result = BY_ID["ch07.q3"].check(sneaky, device="cpu")
    assert (
        result.status == "incorrect"
        and "changed its input `acc` in place" in result.message
    )


def test_a_tiny_change_in_place_is_caught():
    # An answer that nudges an input by 1e-4 in place gives the right output within
    # the comparison's tolerance: only an exact in-place test catches it.
    def nudge(m, l, acc, scores, v):
        out = BY_ID["ch07.q3"].reference(m, l, acc.clone(), scores, v)
        acc.mul_(1 + 1e-4)  # e.g. a rescaling done in place and left behind
        return out

    result = BY_ID["ch07.q3"].check(nudge, device="cpu")
    assert result.status == "incorrect" and "`acc` in place" in result.message


def test_mutation_cannot_poison_the_comparison():
    def poison(q, k):
        k.zero_()  # if the reference saw this k, a zero answer would match
        return torch.zeros(*q.shape[:-1], k.shape[-2], dtype=q.dtype)

    assert SCORES.check(poison, device="cpu").status == "incorrect"


def test_mutating_a_module_input_is_caught():
    def rewire(mha, x, memory, lengths):
        with torch.no_grad():
            mha.out_proj.weight.mul_(2)
        return BY_ID["ch06.q5"].reference(mha, x, memory, lengths)

    result = BY_ID["ch06.q5"].check(rewire, device="cpu")
    assert result.status == "incorrect" and "`mha` in place" in result.message


def test_printing_a_lot_is_hidden(capsys):
    def chatty(q, k):
        for i in range(20000):
            print("debug", i)
        return q @ k.transpose(-2, -1)

    result = SCORES.check(chatty, device="cpu")
    sets = int(re.search(r"on (\d+) sets", result.message).group(1))
    assert result.status == "correct"
    assert f"printed {20000 * sets} lines" in result.message
    assert capsys.readouterr().out == ""


def test_passing_a_value_instead_of_a_function():
    result = SDPA.check(torch.zeros(3), device="cpu")
    assert (
        result.status == "incorrect" and "Pass your function itself" in result.message
    )


def test_value_exercise_accepts_any_float_dtype_and_explains_types():
    ex = BY_ID["ch01.q2"]
    assert (
        ex.check(torch.tensor([1.4205, 1.5752], dtype=torch.float64)).status
        == "correct"
    )
    assert "NumPy" in ex.check(np.array([1.4205, 1.5752])).message
    assert "Python list" in ex.check([1.4205, 1.5752]).message
    assert ex.check(torch.tensor([1.5, 1.5])).status == "incorrect"


# --- CheckResult, hints ---------------------------------------------------------------
def test_check_result_displays():
    r = CheckResult("ch02.q1", "incorrect", "Use `dim=-1` <not html>.")
    assert repr(r) == "Not quite (ch02.q1): Use `dim=-1` <not html>."
    assert r._repr_markdown_() == "**Not quite** (ch02.q1)\n\nUse `dim=-1` <not html>."
    assert (
        "<code>dim=-1</code>" in r._repr_html_()
        and "&lt;not html&gt;" in r._repr_html_()
    )
    assert not r.passed and CheckResult("x", "correct", "").passed
    with pytest.raises(ValueError, match="status"):
        CheckResult("x", "wrong", "")


def test_hints_come_in_levels():
    ex = Exercise("demo.q1", "Demo", "Write it.", lambda: 1, hints=["first", "second"])
    assert ex.hint() == "Hint 1 of 2: first"
    assert ex.hint().startswith("Hint 2 of 2 (last hint; `ex.q1.solution()`")
    assert ex.hint().endswith("second")  # stays on the last one
    assert (
        ex.hint(1) == "Hint 1 of 2: first"
        and ex.hint(1)._repr_markdown_() == "Hint 1 of 2: first"
    )
    assert "no hint" in Exercise("demo.q2", "D", "W", lambda: 1).hint()


def test_a_minimal_exercise_works_without_mistakes():
    def double(x):
        """Return 2 * x."""
        return 2 * x

    ex = Exercise(
        "demo.q1",
        "Double",
        "Write `double`.",
        double,
        cases=lambda gen, device: [Case((torch.ones(3, device=device),))],
    )
    assert ex.check(lambda x: x + x, device="cpu").passed
    assert ex.check(lambda x: 3 * x, device="cpu").status == "incorrect"
    assert ex.stub.endswith("    # Your code here.\n    raise NotImplementedError\n")
