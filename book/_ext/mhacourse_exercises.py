"""Exercise and solution boxes from plain-Markdown notebook cells (a local extension).

tools/insert_exercises.py writes each exercise statement as plain Markdown, so that
JupyterLab, VS Code, Colab and GitHub show it as formatted text with no directive
lines::

    **Exercise: Title**

    The statement, with $maths$.

and marks the cell ``{"mhacourse": {"exercise": "ch01-q1", "title": "Title"}}`` in
its metadata (a solution cell: ``{"mhacourse": {"solution": "ch01-q1"}}`` under a
``**Solution**`` line). When Sphinx reads a notebook, before myst-nb parses it, this
extension turns each marked cell into the sphinx-exercise directive the website
renders: the first paragraph (the plain heading) is replaced by the directive's
title and label, and a solution is folded (``:class: dropdown``), as is a
"Predict first" question placed inside a chapter (marked ``"fold": true``). The
notebook on disk, and the copy the site offers for download, stay as they are.
"""

from __future__ import annotations

import json


def _body(source: str) -> str:
    """The cell's text after its first paragraph (the plain-Markdown heading)."""
    _, _, rest = source.partition("\n\n")
    return rest.strip("\n")


def directive_source(source: str, marks: dict) -> str | None:
    """The directive form of a marked cell's `source`; None for an unmarked cell.

    >>> directive_source("**Exercise: Sum**\\n\\nAdd $a$.", {"exercise": "q1",
    ...                  "title": "Sum"})
    ':::{exercise} Sum\\n:label: q1\\n\\nAdd $a$.\\n:::'
    >>> directive_source("**Predict first: Sum**\\n\\nGuess.", {"exercise": "q2",
    ...                  "title": "Predict first: Sum", "fold": True})
    ':::{exercise} Predict first: Sum\\n:label: q2\\n:class: dropdown\\n\\nGuess.\\n:::'
    >>> directive_source("**Solution**\\n\\nx = 1", {"solution": "q1"})
    ':::{solution} q1\\n:class: dropdown\\n\\nx = 1\\n:::'
    """
    if "exercise" in marks:
        label, title = marks["exercise"], marks.get("title", "")
        head = f":::{{exercise}} {title}".rstrip() + f"\n:label: {label}"
        if marks.get("fold"):  # a "Predict first" question inside a chapter
            head += "\n:class: dropdown"
        return f"{head}\n\n{_body(source)}\n:::"
    if "solution" in marks:
        head = f":::{{solution}} {marks['solution']}\n:class: dropdown"
        return f"{head}\n\n{_body(source)}\n:::"
    return None


def notebook_with_directives(text: str) -> str:
    """The notebook JSON `text` with every marked Markdown cell in directive form."""
    nb = json.loads(text)
    changed = False
    for cell in nb.get("cells", []):
        marks = cell.get("metadata", {}).get("mhacourse")
        if cell.get("cell_type") != "markdown" or not isinstance(marks, dict):
            continue
        source = cell["source"]
        new = directive_source(
            "".join(source) if isinstance(source, list) else source, marks
        )
        if new is not None:
            cell["source"], changed = new, True
    return json.dumps(nb) if changed else text


def _source_read(app, docname, source):
    if str(app.env.doc2path(docname)).endswith(".ipynb"):
        source[0] = notebook_with_directives(source[0])


def setup(app):
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
