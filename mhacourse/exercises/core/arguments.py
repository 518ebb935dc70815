"""The reader's function's arguments: their names, a short description, and
whether one was changed in place.

>>> names(lambda q, k, v, mask=None: None, 3), describe(torch.zeros(2, 3))
(['q', 'k', 'v'], '(2, 3) float32')
"""

from __future__ import annotations

import inspect

import torch

__all__ = ["describe", "names", "same"]


def names(fn, n: int) -> list:
    """The names of the first ``n`` parameters of ``fn``.

    >>> names(lambda q, k, v, mask=None: None, 3)
    ['q', 'k', 'v']
    """
    try:
        found = list(inspect.signature(fn).parameters)[:n]
    except (TypeError, ValueError):
        found = []
    return found + [f"argument {i}" for i in range(len(found), n)]


def describe(value) -> str:
    """A short description of an input: shape and dtype of a tensor, else its repr.

    >>> describe(torch.zeros(2, 3)), describe(7)
    ('(2, 3) float32', '7')
    """
    if isinstance(value, torch.Tensor):
        return f"{tuple(value.shape)} {str(value.dtype).replace('torch.', '')}"
    if isinstance(value, torch.nn.Module):
        return f"a {type(value).__name__}"
    if callable(value):
        return "a function"
    return repr(value)


def same(a, b) -> bool:
    """True if the pristine input ``a`` still equals ``b`` after the reader's call.

    Tensors are compared exactly (NaN equal to NaN), modules by their state.
    A ``meta`` tensor has no values: ``b`` (a fresh deep copy handed to the
    reader, version 0) is the same while no in-place operation bumped its
    version counter.

    >>> x = torch.ones(2); y = x.clone(); y[0] = 5
    >>> same(x, x.clone()), same(x, y)
    (True, False)
    >>> m = torch.ones(2, device="meta"); c = m.clone()
    >>> same(m, c), same(m, c.mul_(2))
    (True, False)
    """
    if isinstance(a, torch.Tensor) and (a.is_meta or getattr(b, "is_meta", False)):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and b._version == 0
    if isinstance(a, torch.Tensor):
        return (
            isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and torch.equal(a.nan_to_num(), b.nan_to_num())
        )
    if isinstance(a, torch.nn.Module):
        sa, sb = a.state_dict(), b.state_dict()
        return sa.keys() == sb.keys() and all(same(sa[k], sb[k]) for k in sa)
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=False))
        )
    return True
