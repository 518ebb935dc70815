"""What a failed check leaves behind, so that the reader can replay it.

A :class:`Failure` holds the seed and the case that failed, the inputs, the
expected and the actual output, what the reader's code printed, and ``replay``:
one line that reproduces it. :func:`shrink` looks for a smaller input on which
the answer still fails, by keeping only the first item of the batch dims.

>>> import torch
>>> smaller = list(shrink((torch.zeros(2, 3, 5, 4), torch.zeros(2, 1, 1, 7)), {}))
>>> [tuple(t.shape) for t in smaller[0][0]]
[(1, 3, 5, 4), (1, 1, 1, 7)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .arguments import describe

__all__ = ["Failure", "shrink"]


@dataclass
class Failure:
    """A failed check: everything needed to look at it again."""

    exercise_id: str
    seed: int
    case: int
    args: tuple
    kwargs: dict
    expected: object
    actual: object
    message: str
    output: str = ""
    replay: str = ""
    small: dict = field(default_factory=dict)
    again: str = ""  # the check() call that repeats the whole check

    def __repr__(self):
        shown = ", ".join(describe(a) for a in (*self.args, *self.kwargs.values()))
        return (
            f"<Failure of {self.exercise_id}, seed {self.seed}, case {self.case}: "
            f"inputs {shown}; replay with: {self.replay}>"
        )


def _leading(tensors, dim):
    sizes = {t.shape[dim] for t in tensors if t.dim() > dim + 1}
    return sizes.pop() if len(sizes) == 1 else None


def _cut(value, dim, size):
    if (
        isinstance(value, torch.Tensor)
        and value.dim() > dim
        and value.shape[dim] == size
    ):
        return value.narrow(dim, 0, 1)
    return value


def shrink(args: tuple, kwargs: dict):
    """Smaller versions of a case: each batch dim (0, then 1) cut to its first item.

    Yields ``(args, kwargs)`` pairs, smallest last; the caller keeps the last
    one on which the answer still fails.
    """
    for dim in (0, 1):
        tensors = [t for t in (*args, *kwargs.values()) if isinstance(t, torch.Tensor)]
        size = _leading(tensors, dim)
        if not size or size == 1:
            continue
        args = tuple(_cut(a, dim, size) for a in args)
        kwargs = {k: _cut(v, dim, size) for k, v in kwargs.items()}
        yield args, kwargs
