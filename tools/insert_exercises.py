#!/usr/bin/env python
"""Generate each chapter notebook's exercise cells from ``mhacourse.exercises``.

For every ``book/NN_*.ipynb`` it finds the markdown cell containing
``<!-- exercises -->`` and replaces everything after that cell with, for each
exercise of module ``chNN`` in order:

1. a markdown cell with the statement in a sphinx-exercise ``exercise``
   directive (``:label: chNN-qK``),
2. a code cell with the stub the reader fills in,
3. a code cell that checks it (the first one also imports ``chNN as ex``),
4. a markdown cell with the reference code in a ``solution`` directive,
   ``:class: dropdown`` so that it is folded away on the website.

Running it twice gives the same notebook: a generated cell whose source has
not changed keeps its stored outputs, so an executed notebook stays executed.
Cells that changed are written unexecuted: run ``make execute`` afterwards.

Usage::

    python tools/insert_exercises.py                  # every book/NN_*.ipynb
    python tools/insert_exercises.py book/02_*.ipynb  # some notebooks
    python tools/insert_exercises.py --check          # exit 1 if a notebook is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- exercises -->"
NOTEBOOK = re.compile(r"^(\d\d)_.*\.ipynb$")


def _chapter_module(number: str):
    sys.path.insert(0, str(ROOT))  # the repository's package, even when not installed
    from mhacourse.exercises import chapter

    return chapter(f"ch{number}")


def exercise_cells(module) -> list:
    """The generated cells for one chapter module (a list of nbformat cells)."""
    name = module.__name__.rsplit(".", 1)[-1]
    cells = []
    for i, ex in enumerate(module.EXERCISES):
        statement = (
            f"````{{exercise}} {ex.title}\n:label: {ex.label}\n\n{ex.statement}\n````"
        )
        check = (
            f"from mhacourse.exercises import {name} as ex\n\n" if i == 0 else ""
        ) + ex.check_code
        code = ex.solution().rstrip()
        if (
            ex.kind == "value"
        ):  # the check cell wants the value, not the function that computes it
            answer = re.search(r"check\((\w+)\)", ex.check_code).group(1)
            function = re.match(r"def (\w+)", code).group(1)
            code += f"\n\n\n{answer} = {function}()  # the value the check expects"
        solution = f"````{{solution}} {ex.label}\n:class: dropdown\n\n```python\n{code}\n```\n````"
        for kind, part, source in (
            ("markdown", "statement", statement),
            ("code", "stub", ex.stub.rstrip()),
            ("code", "check", check),
            ("markdown", "solution", solution),
        ):
            new = (
                nbformat.v4.new_markdown_cell
                if kind == "markdown"
                else nbformat.v4.new_code_cell
            )
            cell = new(source)
            cell["id"] = f"{ex.label}-{part}"
            cells.append(cell)
    return cells


def _marker_index(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and MARKER in cell.source:
            return i
    return None


def _merge(old: list, new: list) -> list:
    """Keep an old cell (and its outputs) where the new one has the same type, id and source."""
    by_id = {c.get("id"): c for c in old}
    merged = []
    for cell in new:
        prev = by_id.get(cell["id"])
        same = (
            prev is not None
            and prev.cell_type == cell.cell_type
            and prev.source == cell.source
        )
        merged.append(prev if same else cell)
    return merged


def update_notebook(path: Path, write: bool = True) -> bool:
    """Regenerate the exercises of one notebook; return True if it changed (or would change)."""
    match = NOTEBOOK.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: notebook names must start with a two-digit chapter number, like 02_name.ipynb"
        )
    nb = nbformat.read(path, as_version=4)
    at = _marker_index(nb)
    if at is None:
        print(f"{path}: no markdown cell contains {MARKER!r}; skipped", file=sys.stderr)
        return False
    if nb.nbformat_minor < 5:  # cell ids need nbformat 4.5
        nb.nbformat_minor = 5
    before = nbformat.writes(nb)
    nb.cells = nb.cells[: at + 1] + _merge(
        nb.cells[at + 1 :], exercise_cells(_chapter_module(match.group(1)))
    )
    after = nbformat.writes(nb)
    if after != before and write:
        nbformat.validate(nb)
        path.write_text(
            after + ("" if after.endswith("\n") else "\n"), encoding="utf-8"
        )
    return after != before


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="default: every book/NN_*.ipynb"
    )
    parser.add_argument(
        "--book",
        type=Path,
        default=ROOT / "book",
        help="folder of the chapter notebooks",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a notebook is out of date",
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(
        p for p in args.book.glob("*.ipynb") if NOTEBOOK.match(p.name)
    )
    stale = []
    for path in paths:
        if update_notebook(path, write=not args.check):
            stale.append(path)
            print(f"{path}: {'out of date' if args.check else 'exercises updated'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
