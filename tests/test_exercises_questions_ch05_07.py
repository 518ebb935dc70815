"""Chapters 5-7's predict, experiment and picture exercises: their answers are computed.

The generic checks (each solution passes, each catalogued mistake is named, a
picture has colour bars) run for every exercise in test_exercises_questions.py;
here: the share of new kinds, the course total, and that each answer follows
from the computation it claims (change the computation, and the answer moves).
"""

import json
import time

import pytest
import torch

from mhacourse.exercises import all_exercises, chapter
from mhacourse.exercises.ch05 import noise_question
from mhacourse.exercises.ch05 import questions as q05
from mhacourse.exercises.ch05 import trained_questions as q05t
from mhacourse.exercises.ch06 import questions as q06
from mhacourse.exercises.ch06 import trained_questions as q06t
from mhacourse.exercises.ch07 import questions as q07
from mhacourse.exercises.core.questions import Question
from mhacourse.kv_cache import cache_bytes_per_token

NEW_KINDS = ("predict", "experiment", "picture")


@pytest.mark.parametrize("name", ["ch05", "ch06", "ch07"])
def test_a_third_of_chapters_5_to_7_is_predict_experiment_or_picture(name):
    kinds = [ex.kind for ex in chapter(name).EXERCISES]
    assert 3 * sum(kind in NEW_KINDS for kind in kinds) >= len(kinds), kinds


def test_the_course_has_at_least_40_exercises():
    assert len(all_exercises()) >= 40


def test_chapter_5_no_longer_asks_to_retype_repeat_or_indexing():
    names = {
        ex.reference.__name__
        for ex in chapter("ch05").EXERCISES
        if callable(ex.reference)
    }
    assert not names & {"identical_heads", "subspace_heads", "subspace_overlap"}


def test_identical_heads_answer_comes_from_training(monkeypatch):
    assert q05.identical_after_training() == "a"
    monkeypatch.setattr(q05, "make_heads_identical", lambda module: module)
    assert q05.identical_after_training() == "b"  # random heads do differ


def test_the_sweep_picture_reads_the_shipped_data(monkeypatch, tmp_path):
    assert q05.sixteen_heads() == "c"
    shipped = q05.data_file("ch05_sweeps.json")
    data = json.loads(shipped.read_text())
    acc = data["heads"]["accuracy"]
    acc["16"] = [[1.0] * 4 for _ in acc["16"]]  # pretend H = 16 learned everything
    fake = tmp_path / "ch05_sweeps.json"
    fake.write_text(json.dumps(data))
    monkeypatch.setattr(q05, "data_file", lambda name: fake)
    assert q05.sixteen_heads() == "a"


def test_the_rank_follows_the_head_size():
    assert q05.score_rank() == "b"  # E = 2


def test_noise_diversity_grows_like_the_square_of_the_noise():
    assert 80 <= noise_question.noise_diversity() <= 125


def test_the_trained_heads_split_the_relations_and_ablation_shows_it():
    roles = q05t._roles()  # (H, 2) weight on previous token, on marker
    assert q05t.who_does_what() == "a"
    assert roles[0, 0] > 0.8 and roles[1, 1] > 0.8  # head 0 previous, head 1 marker
    assert q05t.marker_head() == 1
    assert q05t.ablated_marker_accuracy() < 0.15  # about chance, 1/16
    assert q05t._ablated("accuracy", 0)() > 0.95  # the other relation survives


def test_the_trained_model_is_a_fresh_copy_each_time():
    model, _ = q05t.trained_model()
    with torch.no_grad():
        model.attention.out_proj.weight.zero_()
    assert q05t.who_does_what() == "a" and q05t.ablated_marker_accuracy() < 0.15


def test_the_induction_head_is_read_from_the_shipped_model():
    table, names, columns = q05t._lm_table()  # (N*H, R + 1)
    share = table[:, columns.index("induction")]
    best = int(share.argmax())
    assert q05t.induction_head() == names[best].lower()
    assert share[best] > 0.8 > share[torch.arange(len(names)) != best].max()


def test_rope_offset_uses_the_real_rotation(monkeypatch):
    assert q06.rope_offset() == "a"
    monkeypatch.setattr(q06, "apply_rotary", lambda x, positions: x)  # no positions
    assert q06.rope_offset() == "b"


def test_kv_cache_experiment_agrees_with_the_library():
    assert q06.kv_bytes_per_token() == cache_bytes_per_token(12, 4, 64, torch.float16)


def test_gqa_fraction_matches_the_projection_shapes():
    full, kv = 512 * 512, 128 * 512
    assert q06.gqa_savings() == q06.nearest(
        (2 * full + 2 * kv) / (4 * full), {"a": 0.25, "b": 0.5, "c": 0.625, "d": 1.0}
    )


def test_the_cross_attention_panel_is_the_one_with_source_columns():
    masks = q06._masks()
    panel = dict(zip(q06._ORDER, q06._MASKS, strict=True))[q06.cross_mask_panel()]
    assert masks[panel].shape == (4, 6) and panel == "cross"


def test_the_trained_cross_attention_is_anti_diagonal():
    w = q06t._cross_weights()  # (H, L, S)
    flipped = w.flip(-1)  # anti-diagonal -> diagonal
    assert torch.diagonal(flipped, dim1=-2, dim2=-1).mean() > 0.6
    assert q06t.cross_pattern() == "b"


def test_no_running_max_overflows_only_in_float32(monkeypatch):
    assert q07.without_running_max() == "b"


def test_backward_costs_two_matmuls_per_forward_matmul():
    assert q07.backward_ratio() == "b"


def test_the_logsumexp_rebuilds_the_weights():
    s = torch.randn(3, 9, dtype=torch.float64)
    m, l = q07._online_stats(s)
    assert torch.allclose(torch.exp(s - (m + torch.log(l))), torch.softmax(s, -1))
    assert q07.what_to_save() == "c"


@pytest.mark.parametrize(
    "ex",
    [
        e
        for n in ("ch05", "ch06", "ch07")
        for e in chapter(n).EXERCISES
        if isinstance(e, Question)
    ],
    ids=lambda e: e.id,
)
def test_new_questions_are_deterministic_and_quick(ex):
    first = ex.reference  # warms up lazy imports (the first backward pass)
    start = time.process_time()
    assert ex.reference == first
    assert time.process_time() - start < 2.0


@pytest.mark.parametrize(
    "ex",
    [e for e in all_exercises() if getattr(e, "kind", None) == "picture"],
    ids=lambda e: e.id,
)
def test_a_picture_shows_itself_as_the_stubs_last_expression(ex):
    """Jupyter shows a cell's last value: the stub ends with show(), a PNG."""
    assert ex.stub.rstrip().endswith(f"ex.{ex.name}.show()")
    assert ex.show()._repr_png_().startswith(b"\x89PNG")
