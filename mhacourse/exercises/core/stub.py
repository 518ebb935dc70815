"""The stub a reader starts from, made from the reference's own source.

>>> def double(x):
...     '''Return 2 * x.'''
...     return 2 * x
>>> print(make_stub(double))
def double(x):
    '''Return 2 * x.'''
    # Your code here.
    raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

import ast
import inspect
import textwrap

__all__ = ["imports_for", "make_stub", "source"]


def source(fn) -> str:
    """The dedented source of ``fn``.

    >>> source(source).splitlines()[0]
    'def source(fn) -> str:'
    """
    return textwrap.dedent(inspect.getsource(fn))


def imports_for(text: str) -> str:
    """The import lines that ``text`` needs (math; torch, F), sorted like isort.

    >>> print(imports_for("x = math.sqrt(torch.ones(1))"))
    import math
    <BLANKLINE>
    import torch
    <BLANKLINE>
    <BLANKLINE>
    <BLANKLINE>
    """
    stdlib = ["import math"] if "math." in text else []
    third = [
        line
        for name, line in (
            ("torch.", "import torch"),
            ("F.", "import torch.nn.functional as F"),
        )
        if name in text
    ]
    groups = ["\n".join(g) for g in (stdlib, third) if g]
    return "\n\n".join(groups) + "\n\n\n" if groups else ""


def make_stub(fn) -> str:
    """The reference's signature and docstring, raising NotImplementedError."""
    text = source(fn)
    node = ast.parse(text).body[0]
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(
            f"a reference function must be written with def, got: {text.strip()[:60]}"
        )
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(
        getattr(first, "value", None), ast.Constant
    )
    head = text.splitlines()[: first.end_lineno if has_doc else first.lineno - 1]
    pad = " " * first.col_offset
    body = [f"{pad}# Your code here.", f"{pad}raise NotImplementedError"]
    stub = "\n".join(head + body) + "\n"
    return imports_for(stub) + stub
