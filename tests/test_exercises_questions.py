"""The predict, experiment and picture exercises (issue 16 item 4); all solutions."""

import pytest
from matplotlib.figure import Figure

from mhacourse.exercises import all_exercises, chapter
from mhacourse.exercises.core import attempts
from mhacourse.exercises.core.questions import Question, experiment, predict, worked_out

NEW_KINDS = ("predict", "experiment", "picture")
QUESTIONS = [ex for ex in all_exercises() if isinstance(ex, Question)]


@pytest.mark.parametrize("name", ["ch01", "ch02", "ch03", "ch04"])
def test_a_third_of_each_stable_chapter_is_predict_experiment_or_picture(name):
    kinds = [ex.kind for ex in chapter(name).EXERCISES]
    assert 3 * sum(kind in NEW_KINDS for kind in kinds) >= len(kinds), kinds


@pytest.mark.parametrize("ex", all_exercises(), ids=lambda e: e.id)
def test_the_notebook_solution_passes_its_own_check(ex):
    """Run the solution cell as the notebook would, then the check cell."""
    namespace = {"ex": chapter(ex.id.split(".")[0])}
    exec(ex.notebook_solution(), namespace)
    result = eval(ex.check_code, namespace)
    assert result.status == "correct", result.message


@pytest.mark.parametrize("ex", QUESTIONS, ids=lambda e: e.id)
def test_every_wrong_choice_or_number_is_named(ex):
    expected = ex.reference
    if ex.choices:
        assert expected in ex.choices
        for key in ex.choices:
            if key != expected:
                attempts._LOG.clear()  # many wrong answers: not the guessing brake
                result = ex.check(key)
                assert result.status == "incorrect", key
    for m in ex.mistakes:
        if m.detect and not m.name.startswith("chose_"):
            continue  # a mistake over several answers: tested with its exercise
        wrong = m.name.removeprefix("chose_") if m.detect else worked_out(m.fn)
        attempts._LOG.clear()
        result = ex.check(wrong)
        assert result.status == "incorrect", m.name
        assert result.mistake == m.name, (m.name, result.message)
        assert result.message.startswith(ex.message(m)), (m.name, result.message)


@pytest.mark.parametrize("ex", QUESTIONS, ids=lambda e: e.id)
def test_a_question_needs_an_answer_first(ex):
    assert ex.check(...).status == "not attempted"
    assert ex.check(None).status == "not attempted"
    bad = ex.check("zz" if ex.choices else "many")
    assert bad.status == "incorrect" and "Answer with" in bad.message


@pytest.mark.parametrize(
    "ex", [q for q in QUESTIONS if q.kind == "picture"], ids=lambda e: e.id
)
def test_pictures_draw_a_figure_with_colour_bars(ex):
    """A colour bar per heatmap, or for a yes/no map two colours and a legend."""
    fig = ex.show()
    assert isinstance(fig, Figure)
    bars = any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    legends = [len(g.get_texts()) for g in fig.legends]
    assert bars != (legends == [2]), (bars, legends)
    assert ex.alt and "ex." + ex.name + ".show()" in ex.stub


def test_a_numeric_answer_uses_the_tolerance_and_named_mistakes():
    q = experiment(
        "demo.q1",
        "Two",
        "Report 2.",
        lambda: 2.0,
        rtol=0.0,
        atol=0.01,
        stub="answer = ...\n",
    )
    assert q.check(2.005).passed and not q.check(2.02).passed
    assert q.check("2.0").passed


def test_a_changed_prediction_is_remembered():
    q = predict(
        "demo.q2", "P", "?", lambda: "a", choices={"a": "yes", "b": "no"}, stub="p"
    )
    q.check("b")
    assert "first prediction was 'b'" in q.check("a").message


def test_a_question_works_its_answer_and_mistakes_out_once_per_session():
    calls = []

    def compute():
        calls.append("answer")
        return 2.0

    def doubled():
        calls.append("mistake")
        return 4.0

    from mhacourse.exercises.core.mistakes import mistake

    q = experiment(
        "demo.q9",
        "Once",
        "Report 2.",
        compute,
        mistakes=[mistake("doubled", doubled, message="You doubled it.")],
    )
    assert q.check(2.0).passed and q.check(2).passed
    assert q.check(4.0).mistake == "doubled" and q.check(4.0).mistake == "doubled"
    assert q.reference == 2.0
    assert calls == ["answer", "mistake"]
