"""tools/insert_exercises.py: generated exercise cells, idempotent, on a copy of a notebook."""

import importlib
import importlib.util
import math
import pathlib
import re

import nbformat
import pytest
import torch

from mhacourse.exercises import ch02

TOOL = pathlib.Path(__file__).resolve().parents[1] / "tools" / "insert_exercises.py"
spec = importlib.util.spec_from_file_location("insert_exercises", TOOL)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

MARKER_CELL = (
    "## Exercises\n\n<!-- exercises -->\n\n"
    "The exercises for this chapter are checked automatically by `mhacourse.exercises`."
)


def fake_notebook(folder, name="02_fake.ipynb", marker=True):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Fake"),
        nbformat.v4.new_code_cell("import torch, mhacourse"),
        nbformat.v4.new_markdown_cell(MARKER_CELL if marker else "## Summary"),
        nbformat.v4.new_markdown_cell("Stale text after the marker."),
    ]
    path = folder / name
    nbformat.write(nb, path)
    return path


def test_cells_are_generated_in_order(tmp_path):
    path = fake_notebook(tmp_path)
    assert tool.update_notebook(path)
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells[:3]][2] == MARKER_CELL and len(
        cells
    ) == 3 + 4 * len(ch02.EXERCISES)
    for i, ex in enumerate(ch02.EXERCISES):
        statement, stub, check, solution = cells[3 + 4 * i : 7 + 4 * i]
        assert [c.cell_type for c in (statement, stub, check, solution)] == [
            "markdown",
            "code",
            "code",
            "markdown",
        ]
        assert statement.source.startswith(
            f"````{{exercise}} {ex.title}\n:label: {ex.label}\n\n"
        )
        assert ex.statement in statement.source and statement.source.endswith("\n````")
        assert stub.source == ex.stub.rstrip()
        imported = "from mhacourse.exercises import ch02 as ex" in check.source
        assert imported == (i == 0) and check.source.endswith(ex.check_code)
        assert solution.source.startswith(
            f"````{{solution}} {ex.label}\n:class: dropdown\n\n```python\n"
        )
        assert ex.solution().rstrip() in solution.source
        assert (
            stub.id == f"{ex.label}-stub"
            and stub.outputs == []
            and stub.execution_count is None
        )
    nbformat.validate(nbformat.read(path, as_version=4))


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
    monkeypatch.setitem(vars(ch02.q1), "stub", ch02.q1.stub + "# changed\n")
    assert tool.update_notebook(path)
    cells = nbformat.read(path, as_version=4).cells
    assert cells[4].execution_count is None and cells[4].source.endswith("# changed")
    assert cells[5].execution_count == 1 and cells[5].outputs[0].text == "ran\n"


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
def test_every_solution_pasted_into_its_answer_cell_passes_the_check(number):
    """The solution a reader unfolds is code for the answer cell: run it there and the check cell says correct."""
    module = importlib.import_module(f"mhacourse.exercises.ch{number}")
    solutions = [c for c in tool.exercise_cells(module) if c.id.endswith("-solution")]
    assert len(solutions) == len(module.EXERCISES)
    for ex, cell in zip(module.EXERCISES, solutions):
        code = cell.source.split("```python\n", 1)[1].rsplit("\n```\n````", 1)[0]
        namespace = {
            "math": math,
            "torch": torch,
            "F": torch.nn.functional,
        }  # what the stub cells import
        exec(compile(code, ex.id, "exec"), namespace)
        answer = namespace[re.search(r"check\((\w+)\)", ex.check_code).group(1)]
        assert ex.check(answer, device="cpu").status == "correct", ex.id
