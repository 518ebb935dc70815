"""Messages about the *type* of an output: not a tensor, or the wrong dtype.

>>> print(type_message(None, "Your output", "a tensor"))
Your output is None. Did you forget the `return` statement?
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["dtype_message", "int_message", "type_message"]


def int_message(got, what: str) -> str:
    """The message for a count given as something else than an ``int``.

    >>> int_message(96.0, "Your output")[:55]
    'Your output is a Python float (96.0), but the statement'
    """
    kind = type(got).__name__
    kind = "a 0-dim tensor" if isinstance(got, torch.Tensor) else f"a Python {kind}"
    return (
        f"{what} is {kind} ({got!r}), but the statement asks for an `int`: a count "
        "is a whole number. Return `int(...)` of it, or compute it with integers "
        "only (`//`, not `/`)."
    )


def type_message(got, what: str, wanted: str) -> str:
    """Say what ``got`` is and what was ``wanted`` ("a number": no tensor advice).

    >>> type_message((3, 4), "Your output", "a number")[:61]
    'Your output is a Python tuple, but the statement asks for one'
    """
    if got is None:
        return f"{what} is None. Did you forget the `return` statement?"
    if wanted == "a number" and isinstance(got, (list, tuple, np.ndarray)):
        kind = f"a Python {type(got).__name__}"
        kind = "a NumPy array" if isinstance(got, np.ndarray) else kind
        return (
            f"{what} is {kind}, but the statement asks for one number. Return a "
            "single Python number: `int(...)` (or `float(...)`) of it, or, if you "
            "computed the parts separately, their sum."
        )
    if isinstance(got, np.ndarray):
        return (
            f"{what} is a NumPy array, but {wanted} was expected. Keep the computation "
            f"in PyTorch: "
            "NumPy arrays cannot live on the GPU and do not keep the input's device."
        )
    if isinstance(got, (list, tuple)):
        return (
            f"{what} is a Python {type(got).__name__}, but {wanted} was expected. "
            f"Build a tensor with "
            "torch.stack(...) (from tensors) or torch.tensor(...) (from numbers)."
        )
    return f"{what} is a {type(got).__name__}, but {wanted} was expected."


def dtype_message(got: torch.dtype, exp: torch.dtype, what: str, default=None) -> str:
    """Say why ``got`` is not ``exp``: the likely cause, not always a missing dtype=."""
    if exp == torch.bool:
        return (
            f"{what} has dtype {got}, but masks are bool tensors. Build it with a "
            "comparison (e.g. positions < lengths) or tril() on a bool tensor, or "
            "convert with .bool()."
        )
    head = f"{what} has dtype {got}, but {exp} (the dtype of the inputs) was expected."
    if not got.is_floating_point:
        why = (
            " Integer or bool tensors come from argmax, arange, comparisons or integer "
            "arithmetic: convert with .to(x.dtype) before mixing them in."
        )
    elif default is not None and got == default != torch.float32:
        why = (
            f" Your session's default dtype is {default} (torch.set_default_dtype was "
            "called), and a tensor made without dtype= follows it: pass dtype=x.dtype "
            "or use torch.zeros_like(x)."
        )
    elif got.itemsize < exp.itemsize:
        why = (
            " Precision was lost on the way: a .float() call, or a result written "
            "into a tensor made without dtype= (float32 by default): pass "
            "dtype=x.dtype or use torch.zeros_like(x)."
        )
    else:
        why = (
            f" A {got} tensor joined the computation: .double(), dtype={got}, or "
            "torch.tensor / torch.from_numpy of a NumPy float64 array. Keep to the "
            "inputs' dtype."
        )
    return head + why
