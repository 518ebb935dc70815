"""Issue 16: a checker the reader can trust and replay (each test names its "Why").

Every test here failed before the checker was rebuilt (guard, sandbox, failure).
"""

import builtins
import logging
import math
import time

import pytest
import torch
from exercise_helpers import named

import mhacourse.exercises.core.compare as compare
from mhacourse.exercises import all_exercises, ch01, ch02, ch06, ch07
from mhacourse.exercises.ch07 import tiled as cat07
from mhacourse.exercises.core.exercise import Exercise
from mhacourse.exercises.core.inputs import Case
from mhacourse.exercises.core.mistakes import attend, mistake
from mhacourse.exercises.core.render import CheckResult

SDPA = ch02.q2


def _sdpa(q, k, v, mask=None, factor=None):
    """A reader's scaled dot-product attention with an optional wrong scale."""
    factor = 1 / math.sqrt(q.shape[-1]) if factor is None else factor
    scores = q @ k.transpose(-2, -1) * factor
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return weights @ v, weights


# --- wrong answers are accepted -------------------------------------------------------
def test_tiled_without_running_max_is_rejected():
    named(ch07.q4, cat07._no_max, "no_running_max")


def test_tiled_keeping_block0_max_is_rejected():
    # the same overflow as no running max at all: one catalogued mistake
    named(ch07.q4, cat07._tiled(track=False), "no_running_max")


def test_forbidden_softmax_is_enforced():
    result = ch01.q1.check(lambda x, dim=-1: x.softmax(dim), device="cpu")
    assert result.status == "incorrect" and "torch.softmax" in result.message
    assert torch.softmax(torch.zeros(2), -1).sum() == 1  # put back afterwards


def test_full_score_matrix_is_forbidden_in_tiled_attention():
    def full(q, k, v, block_size):
        s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, S)
        w = (s - s.amax(-1, keepdim=True)).exp()
        return (w / w.sum(-1, keepdim=True)) @ v

    result = ch07.q4.check(full, device="cpu")
    assert result.status == "incorrect" and "full score matrix" in result.message


def test_causal_mask_must_honour_device():
    def on_cpu(L, S=None, device=None):
        return torch.ones(L, S or L, dtype=torch.bool).tril()

    result = ch06.q1.check(on_cpu, device="cpu")
    assert result.status == "incorrect" and "meta" in result.message


# --- state leaks between the reader's code and the checker ----------------------------
@pytest.mark.parametrize("ex", all_exercises(), ids=lambda e: e.id)
def test_default_dtype_float64_does_not_reject_the_reference(ex):
    torch.set_default_dtype(torch.float64)
    try:
        result = ex.check(ex.reference, device="cpu")
    finally:
        torch.set_default_dtype(torch.float32)
    assert result.status == "correct", result.message


def _by_hand(q, k, v, mask=None):
    """Scaled dot-product attention with a hand-written softmax."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    top = scores.amax(-1, keepdim=True).nan_to_num(0.0, neginf=0.0)
    e = (scores - top).exp()
    weights = (e / e.sum(-1, keepdim=True)).nan_to_num(0.0)
    return weights @ v, weights


def test_patched_torch_functions_are_refused_not_graded():
    # A patched softmax would change what the reference computes in many ways the
    # checker cannot undo everywhere (methods, modules, mhacourse): it refuses.
    original = torch.softmax
    torch.softmax = lambda x, dim=-1, **kw: original(2 * x, dim)  # a reader's patch
    try:
        result = SDPA.check(_by_hand, device="cpu")
        assert torch.softmax is not original  # the reader's patch is left in place
    finally:
        torch.softmax = original
    assert result.status == "error" and "`torch.softmax`" in result.message
    assert SDPA.check(_by_hand, device="cpu").status == "correct"


def test_patching_the_checker_during_a_check_has_no_effect_on_the_next():
    def cheat(q, k, v, mask=None):
        compare.diagnose = lambda *args, **kwargs: None
        object.__setattr__(SDPA, "cases", lambda gen, device: [])
        object.__setattr__(SDPA, "mistakes", ())
        return _sdpa(q, k, v, mask)

    SDPA.check(cheat, device="cpu")
    result = SDPA.check(lambda q, k, v, mask=None: _sdpa(q, k, v, mask, 1.0))
    assert result.status == "incorrect" and "not scaled" in result.message


def test_an_exercise_is_read_only():
    with pytest.raises(AttributeError, match="read-only"):
        SDPA.cases = lambda gen, device: []


# --- no time limit; exit() kills the kernel -------------------------------------------
def identity(x):
    """Return x."""
    return x


def fill_blocked(s, m):
    """Zero where m is True."""
    return s.masked_fill(m, 0.0)


def _small_limit(ex_id="demo.q9"):
    return Exercise(
        ex_id,
        "Loop",
        "Return x.",
        identity,
        cases=lambda gen, device: [Case((torch.ones(2),))],
        time_limit=0.5,
    )


def test_an_endless_loop_is_stopped_with_a_clear_message():
    def forever(x):
        while True:
            pass

    start = time.perf_counter()
    result = _small_limit().check(forever, device="cpu")
    assert time.perf_counter() - start < 5
    assert result.status == "error" and "did not finish" in result.message


def test_exit_is_reported_and_builtins_are_put_back():
    saved = builtins.exit
    result = SDPA.check(lambda q, k, v, mask=None: exit(), device="cpu")
    assert result.status == "error" and "kernel is still running" in result.message
    assert builtins.exit is saved


def test_ipython_exit_request_is_withdrawn(monkeypatch):
    import IPython

    class Shell:
        exit_now = False

    shell = Shell()
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)

    def ask_exit(q, k, v, mask=None):
        shell.exit_now = True  # what IPython's exit() does
        return _sdpa(q, k, v, mask)

    SDPA.check(ask_exit, device="cpu")
    assert shell.exit_now is False


# --- failures cannot be reproduced; prints are swallowed ------------------------------
def test_last_failure_replays_the_failing_case():
    def wrong(q, k, v, mask=None):
        return _sdpa(q, k, v, mask, 0.495)

    result = SDPA.check(wrong, device="cpu", seed=123)
    failure = SDPA.last_failure()
    assert "seed=123" in result.message and failure.seed == 123
    assert failure.replay.startswith("args, kwargs = ex.q2.inputs(seed=123, case=")
    namespace = {"ex": ch02, "wrong": wrong}
    exec(failure.replay.replace("; ", "\nresult = "), namespace)
    assert torch.equal(namespace["result"][0], failure.actual[0])
    assert not torch.allclose(failure.actual[0], failure.expected[0])
    again = SDPA.check(wrong, device="cpu", seed=123)
    assert again.message == result.message
    assert SDPA.check(_sdpa, device="cpu").passed and SDPA.last_failure() is None


def test_a_smaller_counterexample_is_shown():
    result = ch07.q4.check(cat07._no_max, device="cpu")
    small = ch07.q4.last_failure().small
    assert small["args"][0].shape[0] == 1 and "smaller input" in result.message


def test_prints_and_logs_are_shown_truncated_with_the_failure():
    def chatty(q, k, v, mask=None):
        for i in range(40):
            print("line", i)
        logging.getLogger("reader").warning("a warning from the reader")
        return _sdpa(q, k, v, mask, 1.0)

    result = SDPA.check(chatty, device="cpu")
    assert "a warning from the reader" in result.message
    assert "earlier lines]" in result.message and "line 0\n" not in result.message


# --- wrong statuses and messages ------------------------------------------------------
def test_a_helper_still_raising_is_an_error_not_not_attempted():
    def helper(scores):
        raise NotImplementedError

    def real_work(q, k, v, mask=None):
        return helper(q @ k.transpose(-2, -1))

    result = SDPA.check(real_work, device="cpu")
    assert result.status == "error" and "still raises" in result.message


def test_dtype_message_names_the_default_dtype():
    def follows_default(q, k, v, mask=None):
        out, w = _sdpa(q, k, v, mask)
        return out + torch.zeros(out.shape), w

    torch.set_default_dtype(torch.float64)
    try:
        result = SDPA.check(follows_default, device="cpu")
    finally:
        torch.set_default_dtype(torch.float32)
    assert "default dtype is torch.float64" in result.message


def test_dtype_message_names_lost_precision():
    def to_float(q, k, v, mask=None):
        out, w = _sdpa(q, k, v, mask)
        return out.float(), w.float()

    message = SDPA.check(to_float, device="cpu").message
    assert "Precision was lost" in message


def test_a_mistake_is_named_even_when_the_dtype_differs_too():
    def unscaled_float(q, k, v, mask=None):
        out, w = attend(q, k, v, mask, scale=None)
        return out.float(), w.float()

    named(SDPA, unscaled_float, "no_scaling")


def test_mask_polarity_is_worded_per_exercise():
    ex = Exercise(
        "demo.q8",
        "Blocked",
        "Fill where True.",
        fill_blocked,
        cases=lambda gen, device: [
            Case((torch.ones(3, 4), torch.eye(3, 4, dtype=torch.bool)))
        ],
        mistakes=[mistake("mask_polarity", lambda s, m: s.masked_fill(~m, 0.0))],
        polarity="True means 'blocked'",
    )
    result = ex.check(lambda s, m: s.masked_fill(~m, 0.0), device="cpu")
    assert "In this exercise True means 'blocked'." in result.message
    assert "may attend" not in result.message


def test_markdown_is_rendered_in_the_html():
    html = CheckResult("x.q1", "incorrect", "Pick the *best* key, **not** `argmin`.")
    shown = html._repr_html_()
    assert "<em>best</em>" in shown and "<strong>not</strong>" in shown
    assert "*best*" not in shown and "<code>argmin</code>" in shown


# --- issue 10: the comparison tolerance is pinned -------------------------------------
def half(x):
    """Return x / 2."""
    return 0.5 * x


def test_a_slightly_wrong_scale_is_rejected():
    """0.495 instead of 0.5 is a 1% error: the pinned tolerance (rtol 1e-4) sees it."""
    ex = Exercise(
        "demo.q7",
        "Half",
        "Halve x.",
        half,
        cases=lambda gen, device: [Case((torch.randn(50, generator=gen) + 3,))],
    )
    assert ex.check(lambda x: 0.5 * x, device="cpu").passed
    assert ex.check(lambda x: 0.495 * x, device="cpu").status == "incorrect"
    result = SDPA.check(
        lambda q, k, v, mask=None: _sdpa(q, k, v, mask, 0.495), device="cpu"
    )
    assert result.status == "incorrect"
