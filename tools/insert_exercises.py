#!/usr/bin/env python
"""Generate each chapter notebook's exercise cells from ``mhacourse.exercises``.

For every ``book/NN_*.ipynb`` it finds the markdown cell containing
``<!-- exercises -->`` and replaces everything after that cell with one code cell
that imports the chapter's exercises as ``ex``, then, for each exercise of module
``chNN`` in order:

1. a markdown cell with the statement: plain Markdown under a bold
   ``**Exercise: title**`` line, marked ``{"mhacourse": {"exercise": "chNN-qK",
   "title": ...}}`` in its metadata;
2. a code cell with the stub the reader fills in (a picture's stub draws it);
3. a code cell that checks it;
4. a markdown cell with the solution's code under ``**Solution**``, marked
   ``{"mhacourse": {"solution": "chNN-qK"}}``.

Why this form (issue 22): JupyterLab, VS Code, Colab and GitHub render plain
Markdown as formatted text with its maths, with no directive lines left showing
(a ``:::{exercise}`` colon fence left its first line, ``:label:`` and closing
``:::`` as text). The website still shows sphinx-exercise's boxes: when Sphinx
reads a notebook, book/_ext/mhacourse_exercises.py turns each marked cell into
an ``exercise`` (or folded ``solution``) directive. The solution cell carries
``jupyter.source_hidden``, so JupyterLab (and VS Code) show it collapsed until the
reader clicks it open; ``ex.qN.solution()`` shows the same code anywhere.

A predict question belongs just before the cell that reveals its answer, not at
the end of the chapter (issue 23): a markdown cell above the end marker that
contains ``<!-- exercise chNN-qK -->`` gets that exercise's four cells right
after it (its check cell imports ``ex`` itself, as the end's import cell comes
later), and the exercise is left out of the end section.

Code cells are formatted with ``ruff format``, so ``ruff format --check`` passes
on the notebooks. Running the tool twice gives the same notebook: a generated
cell whose source has not changed keeps its stored outputs. Cells that changed
are written unexecuted: run ``make execute`` afterwards.

Usage::

    python tools/insert_exercises.py                  # every book/NN_*.ipynb
    python tools/insert_exercises.py book/02_*.ipynb  # some notebooks
    python tools/insert_exercises.py --check          # exit 1 if one is out of date
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- exercises -->"
INLINE = re.compile(r"<!-- exercise (ch\d\d-q\d+) -->")
NOTEBOOK = re.compile(r"^(\d\d)_.*\.ipynb$")
HIDDEN = {"jupyter": {"source_hidden": True}, "tags": ["solution"]}


def _chapter_module(number: str):
    sys.path.insert(0, str(ROOT))  # the repository's package, even when not installed
    from mhacourse.exercises import chapter

    return chapter(f"ch{number}")


def _ruff() -> str:
    here = Path(sys.executable).with_name("ruff")
    return str(here) if here.exists() else (shutil.which("ruff") or "ruff")


def ruff_format(source: str) -> str:
    """``source`` as ``ruff format`` writes it in a notebook cell (no final newline)."""
    done = subprocess.run(
        [_ruff(), "format", "--stdin-filename", str(ROOT / "cell.py"), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return done.stdout.rstrip("\n")


def _cell(kind, source, cell_id, metadata=None):
    new = (
        nbformat.v4.new_markdown_cell
        if kind == "markdown"
        else nbformat.v4.new_code_cell
    )
    cell = new(source if kind == "markdown" else ruff_format(source))
    cell["id"] = cell_id
    cell.metadata.update(metadata or {})
    return cell


def statement_markdown(ex) -> str:
    """The statement cell: plain Markdown under a bold "Exercise: title" line."""
    return f"**Exercise: {ex.title}**\n\n{ex.statement}"


def solution_markdown(ex) -> str:
    """The solution cell: plain Markdown, the code under a bold "Solution" line."""
    code = ex.notebook_solution()
    return f"**Solution**\n\n```python\n{code}\n```"


def statement_metadata(ex) -> dict:
    """Marks the statement for book/_ext/mhacourse_exercises.py (an exercise box)."""
    return {"mhacourse": {"exercise": ex.label, "title": ex.title}}


def solution_metadata(ex) -> dict:
    """Marks the solution (a folded solution box on the site; collapsed in Lab)."""
    return {**HIDDEN, "mhacourse": {"solution": ex.label}}


def one_exercise_cells(ex, import_line: str = "") -> list:
    """Statement, stub, check and solution cells of one exercise."""
    alt = getattr(ex, "alt", None)
    figure = {"mystnb": {"image": {"alt": alt}}} if alt else None
    check = f"{import_line}\n\n{ex.check_code}" if import_line else ex.check_code
    return [
        _cell(
            "markdown",
            statement_markdown(ex),
            f"{ex.label}-statement",
            statement_metadata(ex),
        ),
        _cell("code", ex.stub, f"{ex.label}-stub", figure),
        _cell("code", check, f"{ex.label}-check"),
        _cell(
            "markdown",
            solution_markdown(ex),
            f"{ex.label}-solution",
            solution_metadata(ex),
        ),
    ]


def exercise_cells(module, skip=()) -> list:
    """The generated end cells for one chapter module, without the ``skip`` labels."""
    name = module.__name__.rsplit(".", 1)[-1]
    cells = [
        _cell(
            "code",
            f"from mhacourse.exercises import {name} as ex",
            f"{name}-exercises-import",
        )
    ]
    for ex in module.EXERCISES:
        if ex.label not in skip:
            cells += one_exercise_cells(ex)
    return cells


def inline_cells(cells: list, module) -> tuple[list, set]:
    """``cells`` (the body) with each anchored exercise placed after its anchor."""
    name = module.__name__.rsplit(".", 1)[-1]
    by_label = {ex.label: ex for ex in module.EXERCISES}
    anchors = {
        m.group(1)
        for c in cells
        if c.cell_type == "markdown"
        for m in INLINE.finditer(c.source)
    }
    unknown = anchors - set(by_label)
    if unknown:
        raise ValueError(f"anchors name no exercise of {name}: {sorted(unknown)}")
    ours = {f"{label}-{part}" for label in anchors for part in PARTS}
    old = [c for c in cells if c.get("id") in ours]
    out = []
    for cell in cells:
        if cell.get("id") in ours:
            continue
        out.append(cell)
        for m in INLINE.finditer(cell.source if cell.cell_type == "markdown" else ""):
            new = one_exercise_cells(
                by_label[m.group(1)], f"from mhacourse.exercises import {name} as ex"
            )
            out += _merge(old, new)
    return out, anchors


PARTS = ("statement", "stub", "check", "solution")


def _marker_index(nb) -> int | None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and MARKER in cell.source:
            return i
    return None


#: Cell metadata that executing a notebook writes (nbclient's timings): kept, and
#: never a reason to call a notebook out of date.
VOLATILE = ("execution",)


def _merge(old: list, new: list) -> list:
    """Keep an old cell (and its outputs) where the new one has its type, id, source."""
    by_id = {c.get("id"): c for c in old}
    merged = []
    for cell in new:
        prev = by_id.get(cell["id"])
        same = (
            prev is not None
            and prev.cell_type == cell.cell_type
            and prev.source == cell.source
        )
        if same:  # keep what executing it recorded (timings), take the rest anew
            volatile = {k: prev.metadata[k] for k in VOLATILE if k in prev.metadata}
            prev.metadata = nbformat.from_dict({**cell.metadata, **volatile})
        merged.append(prev if same else cell)
    return merged


def update_notebook(path: Path, write: bool = True) -> bool:
    """Regenerate the exercises of one notebook; True if it changed (or would)."""
    match = NOTEBOOK.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: notebook names must start with a two-digit chapter number, "
            "like 02_name.ipynb"
        )
    nb = nbformat.read(path, as_version=4)
    at = _marker_index(nb)
    if at is None:
        print(f"{path}: no markdown cell contains {MARKER!r}; skipped", file=sys.stderr)
        return False
    if nb.nbformat_minor < 5:  # cell ids need nbformat 4.5
        nb.nbformat_minor = 5
    before = nbformat.writes(nb)
    module = _chapter_module(match.group(1))
    body, inline = inline_cells(nb.cells[: at + 1], module)
    nb.cells = body + _merge(nb.cells[at + 1 :], exercise_cells(module, inline))
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
        "--book", type=Path, default=ROOT / "book", help="folder of the chapters"
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
