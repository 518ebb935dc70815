"""Every exercise whose statement involves a device has a case on ``meta``.

A tensor made without ``device=`` lives on the CPU: on a CPU-only machine that
bug passes every ordinary case. The ``meta`` case catches it, names it
(``device_not_followed``), and the in-place test works there (no values: the
version counter tells).
"""

import math

import pytest
import torch

from mhacourse.exercises import ch03, ch04, ch05, ch06, ch07, ch08, ch09
from tests.exercise_helpers import named


def _cpu_padding_mask(lengths, S):
    return (torch.arange(S) < lengths[:, None])[:, None, None, :]  # no device=


def _cpu_cross_attention(mha, x, memory, memory_lengths):
    mask = torch.arange(memory.shape[1]) < memory_lengths[:, None]  # no device=
    return mha(x, memory, memory, mask=mask[:, None, None, :])[0]


def _tiled(make):
    def tiled(q, k, v, block_size):
        m, l, acc = make(q, v)
        for s0 in range(0, k.shape[-2], block_size):
            kb, vb = k[..., s0 : s0 + block_size, :], v[..., s0 : s0 + block_size, :]
            s = q @ kb.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., L, Sb)
            m_new = torch.maximum(m, s.amax(-1))  # (..., L)
            r, p = torch.exp(m - m_new), torch.exp(s - m_new[..., None])
            l, acc, m = r * l + p.sum(-1), r[..., None] * acc + p @ vb, m_new
        return acc / l[..., None]  # (..., L, Ev)

    return tiled


def _state_on_cpu(q, v):
    m = torch.full(q.shape[:-1], float("-inf"), dtype=q.dtype)  # no device=
    l = torch.zeros(q.shape[:-1], dtype=q.dtype)
    return m, l, torch.zeros(*q.shape[:-1], v.shape[-1], dtype=q.dtype)


def _update_with_cpu_zeros(m, l, acc, scores, v):
    m_new = torch.maximum(m, scores.amax(-1))  # (..., L)
    zero = torch.zeros(m.shape, dtype=m.dtype)  # no device=
    r = torch.where(torch.isinf(m), zero, torch.exp(m - m_new))  # first block: 0
    p = torch.exp(scores - m_new[..., None])  # (..., L, Sb)
    return m_new, r * l + p.sum(-1), r[..., None] * acc + p @ v


def _previous_share_cpu_zeros(weights):
    out = torch.zeros(weights.shape[:-2], dtype=weights.dtype)  # no device=
    for i in range(1, weights.shape[-1]):
        out = out + weights[..., i, i - 1]
    return out / (weights.shape[-1] - 1)


def _window_without_device(L, window, num_sink_tokens=0, device=None):
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]  # device ignored
    return ((i - j < window) | (j < num_sink_tokens)) & (j <= i)


def _state_on_device(q, v):
    m = q.new_full(q.shape[:-1], float("-inf"))
    return m, torch.zeros_like(m), q.new_zeros(*q.shape[:-1], v.shape[-1])


@pytest.mark.parametrize(
    "exercise, answer",
    [
        (ch06.q2, _cpu_padding_mask),
        (ch06.q5, _cpu_cross_attention),
        (ch07.q3, _update_with_cpu_zeros),
        (ch07.q4, _tiled(_state_on_cpu)),
        (ch08.q2, _previous_share_cpu_zeros),
        (ch09.q1, _window_without_device),
    ],
    ids=["ch06.q2", "ch06.q5", "ch07.q3", "ch07.q4", "ch08.q2", "ch09.q1"],
)
def test_a_tensor_made_on_the_cpu_is_named_on_a_cpu_machine(exercise, answer):
    result = named(exercise, answer, "device_not_followed")
    assert "device 'meta'" in result.message  # the case's note says why


def test_the_same_answers_with_device_pass():
    assert ch07.q4.check(_tiled(_state_on_device), device="cpu").passed
    assert ch06.q2.check(
        lambda n, S: (torch.arange(S, device=n.device) < n[:, None])[:, None, None],
        device="cpu",
    ).passed


@pytest.mark.parametrize(
    "exercise",
    [ch06.q1, ch06.q2, ch06.q3, ch06.q5, ch07.q3, ch07.q4, ch08.q2, ch09.q1, ch09.q2],
)
def test_correct_answers_pass_on_meta(exercise):
    """``check(fn, device="meta")`` runs (aten::equal has no meta kernel)."""
    result = exercise.check(exercise.reference, device="meta")
    assert result.passed, result


def test_in_place_change_is_seen_on_meta():
    def clamps(lengths, S):
        lengths.clamp_(max=S)  # changes no value here, but writes into the input
        return (torch.arange(S, device=lengths.device) < lengths[:, None])[
            :, None, None, :
        ]

    named(ch06.q2, clamps, "changed_input", device="meta")


def test_in_place_update_is_seen_on_the_meta_case_of_ch07_q3():
    def in_place(m, l, acc, scores, v):  # right values, but writes into acc
        m_new = torch.maximum(m, scores.amax(-1))
        r, p = torch.exp(m - m_new), torch.exp(scores - m_new[..., None])
        return m_new, r * l + p.sum(-1), acc.mul_(r[..., None]).add_(p @ v)

    named(ch07.q3, in_place, "changed_input", device="meta")
    case = ch07.q3.inputs(seed=0, case=-1)[0]
    assert all(t.is_meta for t in case)  # the ordinary check has a meta case


def test_a_value_reading_answer_is_not_rejected_on_meta():
    def loop(lengths, S):
        mask = torch.zeros(len(lengths), S, dtype=torch.bool, device=lengths.device)
        for b in range(len(lengths)):
            mask[b, : int(lengths[b])] = True  # reads a value: cannot run on meta
        return mask[:, None, None, :]

    result = ch06.q2.check(loop, device="cpu")
    assert result.passed and "was skipped" in result.message, result


# --- the meta case the checker adds where a chapter gave none -----------------------
def _cpu_eye_similarity(weights):
    H = weights.shape[-3]
    unit = torch.nn.functional.normalize(weights.flatten(-2), dim=-1)  # (..., H, L*S)
    sim = unit @ unit.transpose(-2, -1)  # (..., H, H)
    off = 1 - torch.eye(H, dtype=weights.dtype)  # no device=
    return (sim * off).sum((-2, -1)) / (H * (H - 1))


def _cpu_loop_split(x, H):
    B, L, D = x.shape
    out = torch.zeros(B, H, L, D // H, dtype=x.dtype)  # no device=
    for h in range(H):
        out[:, h] = x[..., h * (D // H) : (h + 1) * (D // H)]
    return out


@pytest.mark.parametrize(
    "exercise, answer",
    [(ch05.q2, _cpu_eye_similarity), (ch04.q1, _cpu_loop_split)],
    ids=["ch05.q2 eye", "ch04.q1 zeros filled in a loop"],
)
def test_an_exercise_without_its_own_meta_case_gets_one(exercise, answer):
    def moved(*args):
        with torch.device(args[0].device):  # the same answer, on the inputs' device
            return answer(*args)

    assert exercise.check(moved).passed
    named(exercise, answer, "device_not_followed")


def test_no_meta_case_where_an_input_is_a_function_with_its_own_tensors():
    from mhacourse.exercises.core import inputs
    from mhacourse.exercises.core.devices import meta_case

    cases = list(ch03.q5.cases(inputs.generator(0), torch.device("cpu")))
    assert meta_case(cases, lambda f, x, p: f(x)) == []
