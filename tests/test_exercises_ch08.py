"""Chapter 8 exercises: reader-style answers, right and wrong."""

import json

import torch
from exercise_helpers import named

from mhacourse.exercises import ch08 as ex
from mhacourse.exercises.ch08 import questions


def loop_share(weights):
    """A reader's loop: weight of query i on key i - 1, averaged over i >= 1."""
    L = weights.shape[-1]
    return sum(weights[..., i, i - 1] for i in range(1, L)) / (L - 1)


def test_previous_share_accepts_a_loop_and_names_each_mistake():
    assert ex.q2.check(loop_share).passed
    named(ex.q2, lambda w: torch.diagonal(w, 0, -2, -1).mean(-1), "self_diagonal")
    named(
        ex.q2,
        lambda w: torch.diagonal(w, -1, -2, -1).sum(-1) / w.shape[-1],
        "query_zero_counted",
    )


def test_previous_share_of_a_previous_head_is_one():
    w = torch.eye(5).roll(-1, -1).tril()  # (L, S): every query i looks at i - 1
    w[0, 0] = 1.0
    assert ex.q2.reference(w[None]).tolist() == [1.0]


def test_prose_or_code_answer_comes_from_the_measured_losses(monkeypatch):
    measured = questions.prose_or_code()
    assert measured == ex.q1.reference

    def fake_losses(loss_prose, loss_code):
        real = questions.char_losses

        def char_losses(model, win):
            is_prose = win.shape[0] == questions.validation_windows("prose").shape[0]
            return torch.full_like(
                real(model, win[:1]), loss_prose if is_prose else loss_code
            )

        return char_losses

    monkeypatch.setattr(questions, "char_losses", fake_losses(1.0, 2.0))
    assert questions.prose_or_code() == "a"
    monkeypatch.setattr(questions, "char_losses", fake_losses(2.0, 1.0))
    assert questions.prose_or_code() == "b"


def test_validation_windows_split_the_held_out_text_by_kind():
    prose, code = (
        questions.validation_windows("prose"),
        questions.validation_windows("code"),
    )
    everything = questions.validation_windows()
    assert abs(prose.shape[0] + code.shape[0] - everything.shape[0]) <= 1
    manifest = json.loads(questions.data_file("real_text_manifest.json").read_text())
    charset = manifest["charset"]
    first_code = "".join(charset[i] for i in code[0])
    assert first_code.startswith('"""What the encoder')  # mhacourse/_block.py
    assert "# Scaled dot-product" in "".join(charset[i] for i in prose[0])


def test_silencing_a_whole_layer_costs_more_than_nothing():
    assert ex.q3.reference > 0.05  # the second layer's attention matters
    assert questions._rise(0) != ex.q3.reference
    assert questions._rise(1) == ex.q3.reference


def loop_role_share(weights, targets):
    """A reader's loop over heads and concerned queries."""
    B, H, L, _ = weights.shape
    out = []
    for h in range(H):
        shares = [
            (weights[b, h, i] * targets[b, i]).sum()
            for b in range(B)
            for i in range(L)
            if targets[b, i].any()
        ]
        out.append(sum(shares) / len(shares))
    return torch.stack(out)


def test_role_share_accepts_a_loop_and_names_each_mistake():
    assert ex.q4.check(loop_role_share).passed
    named(ex.q4, lambda w, t: (w * t[:, None]).sum(-1).mean((0, 2)), "every_query")
    named(
        ex.q4,
        lambda w, t: (
            ((w * t[:, None]).sum(-1) / t[:, None].sum(-1).clamp(min=1))
            .transpose(0, 1)[:, t.any(-1)]
            .mean(-1)
        ),
        "per_target",
    )
    named(
        ex.q4, lambda w, t: loop_role_share(w.transpose(-2, -1), t), "keys_looking_back"
    )


def test_role_share_equals_the_chapters_head_role_table():
    from mhacourse.studies.text_roles import head_role_table

    g = torch.Generator().manual_seed(0)
    w = torch.softmax(torch.randn(2, 3, 6, 6, generator=g), -1)  # (B, H, L, S)
    t = torch.rand(2, 6, 6, generator=g) > 0.6  # (B, L, S)
    t[:, 1, 0] = True
    table = head_role_table(w, {"role": (t, t.any(-1))})  # (H, 1)
    torch.testing.assert_close(ex.q4.reference(w, t), table[:, 0])
