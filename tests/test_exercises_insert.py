"""tools/insert_exercises.py: exercise cells, idempotent, on a copy of a notebook."""

import importlib
import importlib.util
import pathlib
import subprocess

import nbformat
import pytest

from mhacourse.exercises import ch03, ch07

ROOT = pathlib.Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "insert_exercises.py"
spec = importlib.util.spec_from_file_location("insert_exercises", TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

MARKER_CELL = (
    "## Exercises\n\n<!-- exercises -->\n\n"
    "The exercises for this chapter are checked automatically by `mhacourse.exercises`."
)


def fake_notebook(folder, name="03_fake.ipynb", marker=True, anchor=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Fake"),
        nbformat.v4.new_code_cell("import torch, mhacourse"),
        nbformat.v4.new_markdown_cell(MARKER_CELL if marker else "## Summary"),
        nbformat.v4.new_markdown_cell("Stale text after the marker."),
    ]
    for a in (anchor,) if isinstance(anchor, str) else anchor or ():
        # the cells inline questions must precede
        nb.cells.insert(1, nbformat.v4.new_markdown_cell("The answer, revealed."))
        nb.cells[1]["id"] = a
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_cells_are_generated_in_order(tmp_path):
    path = fake_notebook(tmp_path)
    assert tool.update_notebook(path)
    cells = nbformat.read(path, as_version=4).cells
    assert cells[2].source == MARKER_CELL
    assert cells[3].source == "from mhacourse.exercises import ch03 as ex"
    assert len(cells) == 4 + 4 * len(ch03.EXERCISES)
    for i, ex in enumerate(ch03.EXERCISES):
        statement, stub, check, solution = cells[4 + 4 * i : 8 + 4 * i]
        kinds = [c.cell_type for c in (statement, stub, check, solution)]
        assert kinds == ["markdown", "code", "code", "markdown"]
        # plain Markdown (no directive lines in JupyterLab), marked for the site
        assert statement.source == f"**Exercise: {ex.title}**\n\n{ex.statement}"
        assert statement.metadata["mhacourse"] == {
            "exercise": ex.label,
            "title": ex.title,
        }
        assert ":::" not in statement.source and ":label:" not in statement.source
        assert stub.source == tool.ruff_format(ex.stub)
        assert check.source == ex.check_code
        assert solution.source.startswith("**Solution**\n\n```python\n")
        assert solution.metadata["mhacourse"] == {"solution": ex.label}
        assert ex.notebook_solution() in solution.source
        assert solution.metadata["jupyter"]["source_hidden"] is True
        assert "source_hidden" not in statement.metadata.get("jupyter", {})
        assert (
            stub.id == f"{ex.label}-stub"
            and stub.outputs == []
            and stub.execution_count is None
        )
    nbformat.validate(nbformat.read(path, as_version=4))


def test_generated_code_cells_are_ruff_format_clean(tmp_path):
    path = fake_notebook(tmp_path)
    tool.update_notebook(path)
    done = subprocess.run(
        [tool._ruff(), "format", "--check", "--no-cache", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_picture_stubs_carry_alt_text():
    cells = tool.exercise_cells(importlib.import_module("mhacourse.exercises.ch04"))
    stubs = {c.id: c for c in cells if c.id.endswith("-stub")}
    alt = stubs["ch04-q7-stub"].metadata["mystnb"]["image"]["alt"]
    assert "heatmaps" in alt and "ex.q7.show()" in stubs["ch04-q7-stub"].source


def test_running_twice_changes_nothing(tmp_path):
    path = fake_notebook(tmp_path)
    tool.update_notebook(path)
    first = path.read_bytes()
    assert not tool.update_notebook(path)
    assert path.read_bytes() == first


def test_outputs_of_unchanged_cells_survive_and_changed_cells_are_reset(
    tmp_path, monkeypatch
):
    path = fake_notebook(tmp_path)
    tool.update_notebook(path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells[3:]:
        if cell.cell_type == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
    nbformat.write(nb, path)
    assert not tool.update_notebook(path)  # still up to date: outputs kept
    monkeypatch.setitem(vars(ch03.q1), "stub", "prediction = ...\n# changed\n")
    assert tool.update_notebook(path)
    cells = nbformat.read(path, as_version=4).cells
    stub, check = cells[5], cells[6]
    assert stub.execution_count is None and stub.source.endswith("# changed")
    assert check.execution_count == 1 and check.outputs[0].text == "ran\n"


def test_notebooks_without_marker_are_left_alone(tmp_path, capsys):
    path = fake_notebook(tmp_path, marker=False)
    before = path.read_bytes()
    assert not tool.update_notebook(path)
    assert path.read_bytes() == before and "skipped" in capsys.readouterr().err


def test_notebook_names_need_a_chapter_number(tmp_path):
    with pytest.raises(ValueError, match="two-digit chapter number"):
        tool.update_notebook(fake_notebook(tmp_path, name="fake.ipynb"))


def test_main_and_check_mode(tmp_path):
    path = fake_notebook(tmp_path)
    fake_notebook(tmp_path, name="notes.ipynb")  # not a chapter: ignored
    before = path.read_bytes()
    assert tool.main(["--book", str(tmp_path), "--check"]) == 1
    assert path.read_bytes() == before  # --check wrote nothing
    assert tool.main(["--book", str(tmp_path)]) == 0
    assert tool.main(["--book", str(tmp_path), "--check"]) == 0
    assert tool.main([str(path)]) == 0


@pytest.mark.parametrize("number", ["01", "02", "03", "04", "05", "06", "07"])
def test_every_solution_cell_passes_the_check(number):
    """Run the unfolded solution cell, then the check cell: it says correct."""
    module = importlib.import_module(f"mhacourse.exercises.ch{number}")
    cells = tool.exercise_cells(module)
    cells += [c for ex in tool.inline(module) for c in tool.inline_cells(module, ex)]
    solutions = {c.id: c for c in cells if c.id.endswith("-solution")}
    assert len(solutions) == len(module.EXERCISES)
    for ex in module.EXERCISES:
        cell = solutions[f"{ex.label}-solution"]
        code = cell.source.split("```python\n", 1)[1].rsplit("\n```", 1)[0]
        namespace = {"ex": module}
        exec(compile(code, ex.id, "exec"), namespace)
        result = eval(ex.check_code, namespace)
        assert result.status == "correct", (ex.id, result.message)


def test_timings_recorded_by_execution_do_not_make_a_notebook_stale(tmp_path):
    path = fake_notebook(tmp_path)
    tool.update_notebook(path)
    nb = nbformat.read(path, as_version=4)
    timing = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    for cell in nb.cells[3:]:
        if cell.cell_type == "code":
            cell.metadata["execution"] = timing  # what nbclient writes when it runs
    nbformat.write(nb, path)
    assert not tool.update_notebook(path, write=False)
    assert not tool.update_notebook(path)
    kept = nbformat.read(path, as_version=4).cells[3].metadata
    assert kept["execution"] == timing


ANCHOR = ch07.INLINE["q6"]
ANCHORS = tuple(ch07.INLINE.values())  # the fake chapter needs every one of them


def _ids(path):
    return [c.get("id") for c in nbformat.read(path, as_version=4).cells]


def test_inline_questions_go_just_before_their_answer(tmp_path):
    path = fake_notebook(tmp_path, name="07_fake.ipynb", anchor=ANCHORS)
    assert tool.update_notebook(path)
    ids = _ids(path)
    at = ids.index(ANCHOR)
    parts = ("statement", "stub", "check", "solution")
    assert ids[at - 4 : at] == [f"ch07-q6-{p}" for p in parts]
    assert ids.count("ch07-q6-statement") == 1  # not at the end of the chapter too
    cells = nbformat.read(path, as_version=4).cells
    statement, stub, check, solution = cells[at - 4 : at]
    assert statement.source.startswith(
        "**Predict first: the score matrix when the sequence doubles**"
    )
    assert statement.metadata["mhacourse"]["fold"] is True
    assert stub.source.startswith("prediction = ...")
    # The end-of-chapter import has not run yet: the check imports the chapter.
    assert check.source == (
        "from mhacourse.exercises import ch07 as ex\n\nex.q6.check(prediction)"
    )
    assert solution.metadata["jupyter"]["source_hidden"] is True
    assert not tool.update_notebook(path)  # idempotent


def test_an_inline_question_follows_its_anchor_when_it_moves(tmp_path):
    path = fake_notebook(tmp_path, name="07_fake.ipynb", anchor=ANCHORS)
    tool.update_notebook(path)
    nb = nbformat.read(path, as_version=4)
    anchor = next(c for c in nb.cells if c.get("id") == ANCHOR)
    nb.cells.remove(anchor)
    nb.cells.insert(0, anchor)  # the answer moved to the top
    nbformat.write(nb, path)
    assert tool.update_notebook(path)
    ids = _ids(path)
    assert ids[:5] == [*(f"ch07-q6-{p}" for p in ("statement", "stub", "check",
                                                  "solution")), ANCHOR]  # fmt: skip


def test_a_missing_anchor_is_an_error_that_names_it(tmp_path):
    path = fake_notebook(tmp_path, name="07_fake.ipynb")
    with pytest.raises(ValueError, match=f"ch07.q6 goes before cell '{ANCHOR}'"):
        tool.update_notebook(path)


@pytest.mark.parametrize("number", ["01", "02", "04", "05", "06", "07"])
def test_chapter_predictions_come_before_their_answer(number):
    """In the shipped chapter, each inline question sits right before its anchor."""
    module = importlib.import_module(f"mhacourse.exercises.ch{number}")
    path = next((ROOT / "book").glob(f"{number}_*.ipynb"))
    ids = _ids(path)
    assert module.INLINE
    for name, anchor in module.INLINE.items():
        label = getattr(module, name).label
        at = ids.index(anchor)
        assert ids[at - 4] == f"{label}-statement" and ids.count(f"{label}-stub") == 1
        assert at < ids.index(f"ch{number}-exercises-import")
