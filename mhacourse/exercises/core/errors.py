"""When the reader's code raises: where, why, and whether it is only the stub.

:func:`reader_line` finds the reader's own line in the traceback, :func:`tip_for`
adds advice for well-known errors, and :func:`is_stub_raise` tells the stub's own
``raise NotImplementedError`` from real work that fails.

>>> err = RuntimeError("mat1 and mat2 shapes cannot be multiplied (5x4 and 6x4)")
>>> tip_for(err).startswith("That is a shape")
True
"""

from __future__ import annotations

import ast
import inspect
import os
import sysconfig
import textwrap
import traceback

import torch

__all__ = ["SKIP_DIRS", "is_stub_raise", "reader_line", "tip_for"]

#: mhacourse/ itself (this file is mhacourse/exercises/core/errors.py).
_PACKAGE_DIR = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
#: Frames from these folders are library code, not the reader's.
SKIP_DIRS = tuple(
    {
        os.path.dirname(torch.__file__),
        _PACKAGE_DIR,
        *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")),
    }
)
_TIPS = (
    (
        (
            "shapes cannot be multiplied",
            "must match the size",
            "size mismatch",
            "Expected size",
        ),
        "That is a shape mismatch: print the shapes (e.g. q.shape, k.shape) and check "
        "your transposes. "
        "k^T is k.transpose(-2, -1), which keeps the batch dims; weights stored like "
        "nn.Linear's need x @ W.T.",
    ),
    (
        ("same device",),
        "A tensor you created is on another device than the inputs: create it with "
        "device=x.device.",
    ),
    (
        ("view size is not compatible",),
        "view() needs contiguous memory, and a transposed tensor is not: use "
        ".reshape(...) instead.",
    ),
    (
        ("expected scalar type", "same dtype", "expected m1 and m2"),
        "Two tensors have different dtypes: create new tensors with dtype=x.dtype.",
    ),
    (
        ("Dimension out of range",),
        "A dim number past the tensor's dims: the inputs may have any number of "
        "batch dims, even none. Count dims from the end, which works for all: "
        "k.transpose(-2, -1), dim=-1.",
    ),
    (
        ("out of bounds for dimension 0",),
        "x[idx] picks along the *first* dim, often a batch dim. To pick along "
        "another dim keep the others: x[..., idx, :], torch.gather or "
        "torch.take_along_dim.",
    ),
    (
        ("torch.return_types",),
        "x.max(dim) and x.min(dim) return a pair (values, indices): take "
        "`.values`, or use x.amax(dim) / x.amin(dim), which return the values only.",
    ),
    (
        ("Boolean value of Tensor",),
        "A Python `if` (or `and`, `or`, `not`) on a tensor of several values has "
        "no single answer. To test an optional argument, write "
        "`if mask is not None:`; to test values, use .any() or .all().",
    ),
    (
        ("but got float",),
        "A size is a float: in Python 3, D / H is a float even when H divides D. "
        "Use integer division: E = D // H.",
    ),
    (
        ("but got NoneType",),
        "A size is None: an argument left at its default None (such as S=None) "
        "reached a tensor's shape. Replace it first, e.g. `S = L if S is None else "
        "S`.",
    ),
    (
        ("'tuple'",),
        "Something returns a tuple: MultiHeadAttention returns (out, weights), so take "
        "[0].",
    ),
)


def tip_for(err: BaseException) -> str:
    """Advice for a well-known error message, or "".

    >>> tip_for(ValueError("something else"))
    ''
    """
    return next((tip for keys, tip in _TIPS if any(k in str(err) for k in keys)), "")


def reader_line(tb) -> str:
    """ " It happened at line N of `f`: `code`." for the reader's deepest frame, or "".

    Frames inside PyTorch, mhacourse and the standard library are skipped, so
    an error deep inside ``torch`` points at the reader's line that called it.

    >>> def f(x):
    ...     return x.shape
    >>> try:
    ...     f(3)
    ... except AttributeError as err:
    ...     print(reader_line(err.__traceback__))
     It happened at line 2 of `f`: `return x.shape`.
    """
    frames = [
        f
        for f in traceback.extract_tb(tb)
        if not os.path.abspath(f.filename).startswith(SKIP_DIRS)
    ]
    if not frames:
        return ""
    f = frames[-1]
    code = f" `{f.line.strip()}`" if f.line else ""
    return f" It happened at line {f.lineno} of `{f.name}`:{code}."


def is_stub_raise(err: BaseException, fn=None) -> bool:
    """True if ``err`` comes from a ``raise`` line of ``fn`` itself (a stub's).

    PyTorch also raises NotImplementedError (e.g. an operator missing on some
    device); that comes from a call, not from a ``raise`` line, and is an error.
    So is a NotImplementedError raised by a helper that ``fn`` calls: ``fn`` is
    real work, and the helper is what is left to do.

    >>> def stub(x):
    ...     raise NotImplementedError
    >>> def work(x):
    ...     return stub(x) + 1
    >>> for f in (stub, work, torch.nn.Module()):
    ...     try:
    ...         f(1)
    ...     except NotImplementedError as err:
    ...         print(is_stub_raise(err, f))
    True
    False
    False
    """
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    frame = traceback.extract_tb(tb)[-1]
    own = getattr(fn, "__code__", None)
    if own is not None and tb.tb_frame.f_code is not own:
        return False
    line = (frame.line or "").strip()
    if not line:
        return not str(err)
    if _only_raises(fn) is False:
        return False  # a half-finished answer: real work, one branch still to do
    return line.startswith("raise") and not os.path.abspath(frame.filename).startswith(
        SKIP_DIRS
    )


def _only_raises(fn) -> bool | None:
    """Whether ``fn``'s body is nothing but ``raise`` (None: source unknown).

    >>> def stub(x):
    ...     "Doc."
    ...     # Your code here.
    ...     raise NotImplementedError
    >>> def half(x):
    ...     if x:
    ...         raise NotImplementedError
    ...     return 1
    >>> _only_raises(stub), _only_raises(half), _only_raises(len)
    (True, False, None)
    """
    try:
        node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    body = [
        s
        for s in node.body
        if not isinstance(s, ast.Pass)
        and not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    return all(isinstance(s, ast.Raise) for s in body)
