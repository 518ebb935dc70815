"""tools/time_chapters.py: a notebook's total and per-cell times."""

import nbformat
import pytest
from tool_loader import load_script

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

time_chapters = load_script("tools/time_chapters.py")


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
