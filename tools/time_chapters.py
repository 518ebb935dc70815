"""Where the chapters spend their time: execute notebooks and time every cell.

Runs each notebook in a fresh kernel (nothing is written back) and prints its
total and its slowest cells. Use one thread, as the budget is stated for one::

    OMP_NUM_THREADS=1 python tools/time_chapters.py            # every chapter
    OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default python tools/time_chapters.py \\
        book/07_making_it_fast.ipynb --top 12

The budget (GUIDE.md): the seven chapters within about 3 minutes together, on
one thread. Times on a busy machine are inflated; compare chapters with each
other, or rerun on an idle machine.
"""

from __future__ import annotations

import argparse
import pathlib
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]


def time_cells(path: pathlib.Path) -> tuple[float, list[tuple[float, int, str]]]:
    """Wall time of the whole notebook (kernel start included) and of each cell."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, resources={"metadata": {"path": str(path.parent)}}
    )
    cells, start = [], time.monotonic()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            began = time.monotonic()
            client.execute_cell(cell, index)
            first = cell.source.splitlines()[0] if cell.source else ""
            cells.append((time.monotonic() - began, index, first[:60]))
    return time.monotonic() - start, cells


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--top", type=int, default=5, help="slowest cells to list")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    grand = 0.0
    for path in notebooks:
        total, cells = time_cells(path)
        grand += total
        print(f"{path.name:34} {total:6.1f} s", flush=True)
        for seconds, index, first in sorted(cells, reverse=True)[: args.top]:
            print(f"    cell {index:3} {seconds:6.1f} s  {first}", flush=True)
    print(f"{'all':34} {grand:6.1f} s")


if __name__ == "__main__":
    main()
