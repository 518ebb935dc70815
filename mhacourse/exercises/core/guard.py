"""Keep the checker's own state out of the reader's reach.

Two things can change behind the checker's back in a notebook session:

* **global settings and patched library functions**: ``torch.set_default_dtype``,
  ``torch.softmax = my_softmax``, ``torch.Tensor.sum = ...``;
* **the checker itself**: a reader's function (or cell) that replaces
  ``compare.diagnose`` or an exercise's ``cases`` would make every later check pass.

:func:`pristine` runs a block with PyTorch's functions and settings as they were
when ``mhacourse.exercises`` was imported, and puts the reader's own back
afterwards. :func:`restore_checker` resets every checker module and class to its
snapshot (called at the start of every check and after every call of the reader's
code), and :func:`protect` adds a module to the snapshot.

>>> import torch
>>> torch.set_default_dtype(torch.float64)
>>> with pristine():
...     torch.zeros(1).dtype
torch.float32
>>> torch.get_default_dtype()
torch.float64
>>> torch.set_default_dtype(torch.float32)
"""

from __future__ import annotations

import contextlib
import math

import torch
import torch.nn.functional as F

from .session import kept

__all__ = ["pristine", "protect", "restore_checker"]

#: Namespaces whose callables the reader might patch (modules and classes).
_LIBRARY = (torch, F, torch.special, torch.linalg, torch.Tensor, torch.nn, math)
_MISSING = object()


def _snapshot(namespace) -> dict:
    return dict(vars(namespace))


def _restore(namespace, saved: dict) -> None:
    now = vars(namespace)
    for name in [n for n in now if n not in saved]:
        with contextlib.suppress(AttributeError, TypeError):
            delattr(namespace, name)
    for name, value in saved.items():
        if now.get(name, _MISSING) is not value:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(namespace, name, value)


_PRISTINE = {ns: _snapshot(ns) for ns in _LIBRARY}
_CHECKER: dict = {}


def protect(module) -> None:
    """Snapshot ``module`` and the classes defined in it, for :func:`restore_checker`.

    >>> import mhacourse.exercises.core.compare as compare
    >>> protect(compare); original = compare.diagnose
    >>> compare.diagnose = lambda *args, **kw: None   # a reader's "fix"
    >>> restore_checker(); compare.diagnose is original
    True
    """
    _CHECKER.setdefault(module, _snapshot(module))
    for value in list(vars(module).values()):
        if isinstance(value, type) and value.__module__ == module.__name__:
            _CHECKER.setdefault(value, _snapshot(value))


def restore_checker() -> None:
    """Put every protected checker module and class back as it was imported."""
    for namespace, saved in list(_CHECKER.items()):
        _restore(namespace, saved)


@contextlib.contextmanager
def pristine():
    """Run a block with PyTorch as imported: default dtype float32, unpatched functions.

    The reader's settings and patches are put back afterwards; the checker's
    modules are reset to their snapshot on the way in.
    """
    theirs = {ns: _snapshot(ns) for ns in _LIBRARY}
    dtype = torch.get_default_dtype()
    grad = torch.is_grad_enabled()
    for ns, saved in _PRISTINE.items():
        _restore(ns, saved)
    restore_checker()
    torch.set_default_dtype(torch.float32)
    try:
        with kept(), torch.no_grad():  # the reader's RNG, threads... as they were
            yield
    finally:
        torch.set_default_dtype(dtype)
        torch.set_grad_enabled(grad)
        for ns, saved in theirs.items():
            _restore(ns, saved)
