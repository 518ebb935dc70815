"""Chapter 9 exercises: reader-style answers, right and wrong, and computed answers."""

import torch
from exercise_helpers import named

from mhacourse.exercises import ch09 as ex
from mhacourse.exercises.ch09 import questions
from mhacourse.masks import sliding_window_mask


def test_window_mask(device):
    def loops(L, window, num_sink_tokens=0, device=None):
        m = torch.zeros(L, L, dtype=torch.bool, device=device)
        for i in range(L):
            for j in range(i + 1):
                m[i, j] = i - j < window or j < num_sink_tokens
        return m

    assert ex.q1.check(loops, device=device).passed
    assert ex.q1.check(sliding_window_mask, device=device).passed

    def band(L, window, num_sink_tokens=0, device=None, strict=False, causal=True,
             sinks=True):  # fmt: skip
        i = torch.arange(L, device=device)[:, None]
        j = torch.arange(L, device=device)[None, :]
        near = (i - j <= window) if strict else (i - j < window)
        near = near | (j < num_sink_tokens) if sinks else near
        return near & (j <= i) if causal else near

    named(ex.q1, lambda *a, **k: ~band(*a, **k), "mask_polarity")
    named(ex.q1, lambda *a, **k: band(*a, **k, strict=True), "window_off_by_one")
    named(ex.q1, lambda *a, **k: band(*a, **k, causal=False), "sinks_see_the_future")
    named(ex.q1, lambda *a, **k: band(*a, **k, sinks=False), "no_sinks")


def test_absorb_key_up(device):
    def by_loops(w_uq, w_uk):
        return torch.stack([w_uk[h].T @ w_uq[h] for h in range(w_uq.shape[0])])

    assert ex.q2.check(by_loops, device=device).passed
    named(
        ex.q2,
        lambda w_uq, w_uk: (w_uk.sum(0).T @ w_uq.sum(0)).expand(w_uq.shape[0], -1, -1),
        "summed_heads",
    )
    named(ex.q2, lambda w_uq, w_uk: w_uq.transpose(1, 2) @ w_uk, "transposed_result")
    named(
        ex.q2,
        lambda w_uq, w_uk: w_uk.transpose(1, 2) @ w_uq / w_uq.shape[1] ** 0.5,
        "scaled",
    )


def test_absorbed_query_gives_the_plain_scores():
    gen = torch.Generator().manual_seed(0)
    w_uq = torch.randn(3, 4, 7, generator=gen, dtype=torch.float64)  # (H, E, D)
    w_uk = torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)  # (H, E, C)
    x = torch.randn(7, generator=gen, dtype=torch.float64)  # (D,)
    c = torch.randn(5, generator=gen, dtype=torch.float64)  # (C,)
    plain = torch.einsum("hed,d,hec,c->h", w_uq, x, w_uk, c)  # q_h . k_h
    absorbed = ex.q2.reference(w_uq, w_uk) @ x @ c  # (H,)
    assert torch.allclose(plain, absorbed)


def test_cache_bytes():
    def answer(T, H_kv, E, dtype, window=None, num_sink_tokens=0):
        kept = T if window is None else min(T, window + num_sink_tokens)
        return int(torch.empty(2, H_kv, kept, E, dtype=dtype, device="meta").nbytes)

    assert ex.q3.check(answer, device="cpu").passed

    def wrong(factor=2, full=False, sinks=True, size=None):
        def fn(T, H_kv, E, dtype, window=None, num_sink_tokens=0):
            n = num_sink_tokens if sinks else 0
            kept = T if window is None else (window + n if full else min(T, window + n))
            return factor * H_kv * E * (size or dtype.itemsize) * kept

        return fn

    named(ex.q3, wrong(factor=1), "keys_only")
    named(ex.q3, wrong(full=True), "window_always_full")
    named(ex.q3, wrong(sinks=False), "forgot_sinks")
    named(ex.q3, wrong(size=4), "always_4_bytes")


def test_question_answers_follow_their_computations(monkeypatch):
    assert questions.mla_against_gqa() == "c"
    assert questions.window_with_sinks_panel() == "b"
    assert questions.smallest_window() == 6  # 2 (W - 1) >= 9
    panels = dict(questions._PANELS)
    panels["a"], panels["b"] = panels["b"], panels["a"]
    monkeypatch.setattr(questions, "_PANELS", panels)
    assert questions.window_with_sinks_panel() == "a"


def test_a_third_of_chapter_9_is_predict_experiment_or_picture():
    kinds = [q.kind for q in ex.EXERCISES]
    assert len(kinds) >= 6
    assert 3 * sum(k in ("predict", "experiment", "picture") for k in kinds) >= len(
        kinds
    )
