"""Strict nbval is only meaningful if every code cell is stored executed."""

import json
import pathlib

import pytest

BOOK = pathlib.Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(
    p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7, [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_is_executed(path):
    cells = json.loads(path.read_text())["cells"]
    unexecuted = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code"
        and "".join(c["source"]).strip()
        and c.get("execution_count") is None
    ]
    assert not unexecuted, (
        f"{path.name}: code cells {unexecuted} are stored unexecuted; run `make execute`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_errors(path):
    cells = json.loads(path.read_text())["cells"]
    errors = [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, f"{path.name}: cells {errors} stored an error output"
