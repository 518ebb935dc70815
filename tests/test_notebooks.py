"""Strict nbval is only meaningful if every code cell is stored executed."""

import json
import pathlib

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(
    p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


def code_cells(path):
    """(index, cell) for every code cell of the notebook at `path`."""
    cells = json.loads(path.read_text())["cells"]
    return [(i, c) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_is_executed(path):
    unexecuted = [
        i
        for i, c in code_cells(path)
        if "".join(c["source"]).strip() and c.get("execution_count") is None
    ]
    assert not unexecuted, (
        f"{path.name}: code cells {unexecuted} are stored unexecuted: `make execute`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors(path):
    errors = [
        i
        for i, c in code_cells(path)
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: cells {errors} stored an error output"
