"""Run the reader's code so that nothing it does escapes the check.

:func:`call` runs one call of the reader's function and returns an :class:`Outcome`:
its value or the exception it raised, everything it printed (stdout, stderr and
logging), and whether it ran out of time or tried to leave. It

* stops the call after ``time_limit`` seconds (see :mod:`.time_limit`);
* turns ``exit()``, ``quit()``, ``sys.exit()`` and ``input()`` into a reported
  failure instead of a dead or waiting kernel (see :mod:`.exits`);
* enforces the statement's rules: the functions in ``forbid`` raise
  :class:`RuleBroken`, also when reached through another door (``torch._softmax``,
  ``torch.ops.aten``, ``F.softmin(-x)``: every torch function called is watched), and no
  tensor holding the sizes ``watch_shape`` in any layout may be made (e.g. the
  full (L, S) score matrix of a tiled kernel, also as einsum's (S, L)).

>>> import torch
>>> out = call(lambda x: print("hi") or x + 1, (torch.ones(1),))
>>> out.value, out.output
(tensor([2.]), 'hi\\n')
>>> call(lambda: exit()).error.__class__.__name__
'SystemExit'
>>> call(lambda x: torch.softmax(x, -1), (torch.ones(2),), forbid=("softmax",)).error
RuleBroken('the statement asks you not to call torch.softmax')
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from .devices import MixedDevices
from .exits import InputAsked, kept_in
from .session import pop_modes
from .time_limit import SECONDS, TimeLimit, limited

__all__ = ["InputAsked", "Outcome", "RuleBroken", "TimeLimit", "call", "clip"]

#: Where each forbidden name lives (module or class, attribute).
_HOMES = {
    "softmax": (
        (torch, "softmax"),
        (F, "softmax"),
        (torch.special, "softmax"),
        (torch.Tensor, "softmax"),
        (torch.nn.Softmax, "forward"),
    ),
    "log_softmax": (
        (torch, "log_softmax"),
        (F, "log_softmax"),
        (torch.Tensor, "log_softmax"),
    ),
    "sdpa": ((F, "scaled_dot_product_attention"),),
    "multi_head_attention_forward": ((F, "multi_head_attention_forward"),),
}


class RuleBroken(Exception):
    """The reader's code broke a rule of the statement."""


@dataclass
class Outcome:
    """What one call of the reader's code gave."""

    value: object = None
    error: BaseException | None = None
    output: str = ""
    limited: bool = True  # False where no time limit could be enforced


def clip(text: str, lines: int = 12, chars: int = 1200) -> str:
    """The last ``lines`` lines of ``text`` (<= ``chars`` characters), marked if cut.

    >>> clip("\\n".join(map(str, range(30))), lines=2)
    '[... 28 earlier lines]\\n28\\n29'
    """
    rows = text.rstrip("\n").splitlines()
    kept = "\n".join(rows[-lines:])[-chars:]
    cut = len(rows) - len(kept.splitlines())
    return (f"[... {cut} earlier lines]\n" if cut > 0 else "") + kept


def _forbidden(name: str):
    def refuse(*args, **kwargs):
        raise RuleBroken(f"the statement asks you not to call torch.{name}")

    return refuse


@contextlib.contextmanager
def _rules(forbid):
    saved = [
        (home, attr, vars(home).get(attr))
        for name in forbid
        for home, attr in _HOMES[name]
    ]
    for (home, attr, _), name in zip(
        saved, [n for n in forbid for _ in _HOMES[n]], strict=False
    ):
        setattr(home, attr, _forbidden(name))
    try:
        yield
    finally:
        for home, attr, value in saved:
            if value is None:
                delattr(home, attr)
            else:
                setattr(home, attr, value)


#: Each forbidden name's test on the name of a function PyTorch is asked to run,
#: whatever the door: torch._softmax, torch.ops.aten._softmax, special_softmax,
#: F.softmin(-x), nn.Softmax, torch.sparse.softmax...
_CALLS = {
    "softmax": lambda n: ("softmax" in n and "log_softmax" not in n) or "softmin" in n,
    "log_softmax": lambda n: "log_softmax" in n,
    "sdpa": lambda n: "scaled_dot_product" in n,
    "multi_head_attention_forward": lambda n: "multi_head_attention" in n,
}


def _holds(shape, dims) -> bool:
    """True if ``shape`` has the sizes ``dims`` (each its own dim) or their product.

    >>> _holds((2, 7, 1, 5), (5, 7)), _holds((2, 35), (5, 7)), _holds((5, 4), (5, 7))
    (True, True, False)
    """
    rest = list(shape)
    for d in dims:
        if d not in rest:
            return math.prod(dims) in shape
        rest.remove(d)
    return True


class _Watch(TorchFunctionMode):
    """The statement's rules on every PyTorch function the answer calls.

    Raises RuleBroken when a forbidden function runs, by any name or door, or
    when a function makes a tensor holding the ``dims`` (L, S) in any layout
    (einsum's (S, L), a transpose, a flattened one): the full score matrix.
    """

    def __init__(self, forbid, dims, what):
        super().__init__()
        self.forbid, self.what = tuple(forbid), what
        self.dims = tuple(dims) if dims else None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = str(getattr(func, "__name__", func))
        for rule in self.forbid:
            if _CALLS[rule](name.lower()):
                raise RuleBroken(
                    f"the statement asks you not to call torch.{rule} (your code "
                    f"reached it as `{name}`)"
                )
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if (
                self.dims
                and isinstance(t, torch.Tensor)
                and _holds(tuple(t.shape), self.dims)
            ):
                raise RuleBroken(
                    f"the statement asks you never to build {self.what}, but "
                    f"`{name}` made a tensor of shape {tuple(t.shape)}, which holds "
                    f"all {self.dims[0]} x {self.dims[1]} scores"
                )
        return out


def _detached(value):
    """``value`` with every tensor in it (or in a tuple or list) detached."""
    if isinstance(value, torch.Tensor):
        return value.detach()
    if isinstance(value, (tuple, list)):
        return type(value)(_detached(v) for v in value)
    return value


@contextlib.contextmanager
def _captured(buffer):
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            yield
    finally:
        root.removeHandler(handler)


def call(
    fn,
    args=(),
    kwargs=None,
    *,
    time_limit=SECONDS,
    forbid=(),
    watch_shape=None,
    watch_what="the full score matrix",
    device=None,
) -> Outcome:
    """Call ``fn(*args, **kwargs)`` in the sandbox; see the module docstring.

    With ``device`` (``meta``), an operation that mixes a CPU tensor with the
    inputs' device fails (:mod:`.devices`)."""
    buffer, outcome = io.StringIO(), Outcome()
    depth = torch._C._len_torch_function_stack()
    none = contextlib.nullcontext()
    watch = _Watch(forbid, watch_shape, watch_what) if watch_shape or forbid else none
    try:
        with (
            _captured(buffer),
            kept_in(),
            _rules(forbid),
            warnings.catch_warnings(),
            torch.enable_grad(),  # autograd is allowed in answers
            watch,
            MixedDevices(device) if device is not None else none,
            limited(time_limit) as limit,  # innermost: it ends first
        ):
            outcome.limited = limit.enforced
            warnings.simplefilter("ignore")
            outcome.value = _detached(fn(*args, **(kwargs or {})))
    except (Exception, SystemExit, TimeLimit) as err:
        outcome.error = err
    left = pop_modes(depth)
    if left and outcome.error is None:
        outcome.error = RuleBroken(
            f"your function left {left} TorchFunctionMode(s) pushed (a `with` "
            "block it entered and never left); the checker took them off"
        )
    outcome.output = buffer.getvalue()
    return outcome
