"""tools/time_chapters.py: a notebook's total and per-cell times."""

import importlib.util
import pathlib

import nbformat
import pytest

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "time_chapters", ROOT / "tools/time_chapters.py"
)
time_chapters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(time_chapters)


def test_each_code_cell_is_timed_and_the_slow_one_shows(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# title"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.5)"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    total, cells = time_chapters.time_cells(path)
    assert [index for _, index, _ in cells] == [1, 2]
    (fast, *_), (slow, _, first) = cells
    assert slow >= 0.5 > fast and first == "import time"
    assert total >= fast + slow
