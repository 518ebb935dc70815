"""book/_ext/mhacourse_exercises.py: plain-Markdown exercise cells become the site's
sphinx-exercise boxes, and nothing else changes."""

import json
import pathlib

import nbformat
import pytest
from tool_loader import load_script

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

ROOT = pathlib.Path(__file__).resolve().parents[1]
ext = load_script("book/_ext/mhacourse_exercises.py")


def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nbformat.writes(nb)


def test_marked_cells_become_directives():
    statement = nbformat.v4.new_markdown_cell("**Exercise: Sum**\n\nAdd $a$ and $b$.")
    statement.metadata["mhacourse"] = {"exercise": "ch01-q1", "title": "Sum"}
    solution = nbformat.v4.new_markdown_cell("**Solution**\n\n```python\nx = 1\n```")
    solution.metadata["mhacourse"] = {"solution": "ch01-q1"}
    other = nbformat.v4.new_markdown_cell("**Exercise: not marked**\n\nText.")
    cells = json.loads(
        ext.notebook_with_directives(_notebook(statement, solution, other))
    )
    sources = [c["source"] for c in cells["cells"]]
    assert sources[0] == ":::{exercise} Sum\n:label: ch01-q1\n\nAdd $a$ and $b$.\n:::"
    assert sources[1] == (
        ":::{solution} ch01-q1\n:class: dropdown\n\n```python\nx = 1\n```\n:::"
    )
    assert "".join(sources[2]) == "**Exercise: not marked**\n\nText."


def test_a_predict_first_question_inside_a_chapter_is_folded():
    statement = nbformat.v4.new_markdown_cell("**Predict first: Size**\n\nGuess.")
    statement.metadata["mhacourse"] = {
        "exercise": "ch02-q1",
        "title": "Predict first: Size",
        "fold": True,
    }
    cells = json.loads(ext.notebook_with_directives(_notebook(statement)))
    assert cells["cells"][0]["source"] == (
        ":::{exercise} Predict first: Size\n:label: ch02-q1\n:class: dropdown\n\n"
        "Guess.\n:::"
    )


def test_a_notebook_without_marks_is_left_byte_for_byte():
    text = _notebook(nbformat.v4.new_markdown_cell("# Title"))
    assert ext.notebook_with_directives(text) is text


def test_every_chapter_exercise_is_marked_and_plain():
    for path in sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        marked = [c for c in nb.cells if "mhacourse" in c.metadata]
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert ":::{exercise}" not in cell.source, path
                assert ":::{solution}" not in cell.source, path
        if "<!-- exercises -->" in "".join(c.source for c in nb.cells):
            assert marked, path
