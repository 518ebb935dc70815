"""Issue 21, item 6: mistakes that got a generic or misleading message now name
themselves, and the ch05.q5 figure's labels fit."""

import pytest
import torch

from mhacourse.exercises import all_exercises, ch05, ch07
from tests.exercise_helpers import named


def _labels_fit(fig):
    """(clipped, overlapping) tick labels and titles of ``fig`` once drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    box = fig.bbox
    clipped, overlapping = [], []
    for ax in [a for a in fig.axes if a.get_visible()]:
        texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
        for t in [t for t in texts if t.get_text()]:
            e = t.get_window_extent(renderer)
            if e.x0 < box.x0 - 1 or e.x1 > box.x1 + 1 or e.y0 < box.y0 - 1:
                clipped.append(t.get_text())
        ticks = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
        overlapping += [
            (i, i + 1) for i in range(len(ticks) - 1) if ticks[i].overlaps(ticks[i + 1])
        ]
    return clipped, overlapping


def test_ch05_q5_figure_labels_are_neither_clipped_nor_overlapping():
    assert _labels_fit(ch05.q5.show()) == ([], [])


def test_ch05_q9_forgetting_to_ablate_is_named():
    from mhacourse.studies.tiny_model import evaluate

    model, data = ch05.trained_model()
    on = round(evaluate(model, data)["accuracy"][1], 2)
    result = ch05.q9.check(on)
    assert result.mistake == "marker_head_still_on", result
    assert "outside" in result.message and "ablate_heads" in result.message
    assert ch05.q9.check(100 * ch05.q9.reference).mistake == "percent"
    assert ch05.q9.check(ch05.q9.reference).passed


def test_ch05_q9_mean_accuracy_is_named():
    from mhacourse.studies.head_analysis import ablate_heads
    from mhacourse.studies.tiny_model import evaluate

    model, data = ch05.trained_model()
    with ablate_heads(model.attention, [ch05.marker_head()]):
        mean = round(evaluate(model, data)["mean_accuracy"], 2)
    assert ch05.q9.check(mean).mistake == "mean_accuracy"


@pytest.mark.parametrize(
    "divisor, name", [(2**30, "gib"), (10**9, "gb")], ids=["GiB", "GB"]
)
def test_ch07_q2_gib_instead_of_bytes_is_named(divisor, name):
    named(
        ch07.q2,
        lambda B, H, L, S, dtype: B * H * L * S * dtype.itemsize / divisor,
        name,
    )


def test_ch07_q2_statement_says_bytes_and_what_gib_means():
    assert "**bytes**" in ch07.q2.statement and "2**30" in ch07.q2.statement


def test_ch07_q1_stub_does_not_state_the_formula():
    stub = ch07.q1.stub
    assert "4 *" not in stub and "2E" not in stub and "E adds" not in stub, stub
    assert "raise NotImplementedError" in stub


def test_ch01_q6_reading_a_column_is_named():
    from mhacourse.exercises import ch01

    for key in "ac":  # query 2 is the brightest cell of these keys' columns
        assert ch01.q6.check(key).mistake == "read_the_column"


def test_every_choice_question_names_every_wrong_choice():
    """A wrong choice never gets only "Not what the picture shows"."""
    missing = []
    for ex in all_exercises():
        if getattr(ex, "choices", None):
            right = ex.reference
            for key in ex.choices:
                if key != right:
                    result = ex.check(key)
                    if result.mistake is None:
                        missing.append((ex.id, key))
    assert not missing, missing


def test_the_meta_device_case_is_last_so_values_are_compared_first():
    """A value mistake is named on a real case, never waved through on meta."""
    for ex in (ch07.q4,):
        cases = ex.cases(torch.Generator().manual_seed(0), torch.device("cpu"))
        assert cases[-1].args[0].is_meta
        assert not any(a.is_meta for c in cases[:-1] for a in c.args[:1])
