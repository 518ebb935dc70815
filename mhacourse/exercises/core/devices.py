"""Device bugs that a machine without a GPU would not see.

A check's last case puts the inputs on ``meta`` (shapes, no values), so that a
tensor made without ``device=`` shows up on a CPU-only machine too. Most
operations that mix a CPU tensor with a ``meta`` one fail, as they would with a
GPU tensor; a few do not (``cpu.scatter_(dim, meta_index, 1.0)``, a batched
``cpu @ meta``), and would pass unseen. :class:`MixedDevices` watches every
PyTorch function the answer calls and fails the ones that do.

As on a GPU, a 0-dim CPU tensor (a scalar such as ``torch.tensor(-inf)``) may
meet tensors on any device, and indexing a tensor with CPU indices is fine.
Copying a ``meta`` value into a CPU tensor (``out[i] = ...``, ``copy_``) cannot
run (a ``meta`` tensor has no values to copy) but is no bug yet: the answer may
move the result to the right device afterwards. That copy is skipped, so the CPU
tensor is caught where it meets the inputs' device again, or as the output.

>>> q = torch.ones(2, 3, device="meta")
>>> with MixedDevices(torch.device("meta")):
...     _ = q * torch.tensor(2.0)  # a CPU scalar: fine on any device
...     try:
...         _ = q * torch.ones(2, 3)
...     except DeviceMixed as err:
...         print(str(err).split(": ")[1])
`mul` got a tensor of shape (2, 3) on cpu with tensors on meta
"""

from __future__ import annotations

import copy

import torch
from torch.overrides import TorchFunctionMode

from .inputs import Case

__all__ = ["DeviceMixed", "MixedDevices", "meta_case", "on_meta"]

#: The note of a case on ``meta``, where only shapes, dtypes and devices count.
META_NOTE = "on device 'meta': does your code follow the inputs' device?"

#: Functions that may take CPU tensors with tensors on another device.
_ALLOWED = {"__getitem__", "to", "cpu", "__get__", "__set__"}
#: Copies into their first argument.
_COPIES = {"__setitem__", "copy_"}


class DeviceMixed(RuntimeError):
    """An operation took a CPU tensor together with tensors on the inputs' device."""


def _tensors(values):
    for v in values:
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (tuple, list)):
            yield from _tensors(v)


def _on_cpu(value) -> bool:
    return isinstance(value, torch.Tensor) and value.device.type == "cpu"


class MixedDevices(TorchFunctionMode):
    """Raise :class:`DeviceMixed` when a function mixes CPU tensors with ``device``.

    ``device`` is where the case's inputs live (``meta``); a CPU tensor with at
    least one dim that meets them is a tensor made without ``device=``.
    """

    def __init__(self, device: torch.device):
        super().__init__()
        self.device = torch.device(device)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = str(getattr(func, "__name__", func))
        found = list(_tensors([*args, *kwargs.values()]))
        here = [t for t in found if t.device.type == self.device.type]
        if name in _COPIES and here and _on_cpu(args[0]):
            return None if name == "__setitem__" else args[0]  # see the module
        if name not in _ALLOWED | _COPIES:
            cpu = [t for t in found if _on_cpu(t) and t.dim() > 0]
            if here and cpu and self.device.type != "cpu":
                raise DeviceMixed(
                    "Expected all tensors to be on the same device: "
                    f"`{name}` got a tensor of shape {tuple(cpu[0].shape)} on cpu "
                    f"with tensors on {self.device.type}"
                )
        return func(*args, **kwargs)


def _to_meta(value):
    """``value`` with every tensor and module in it moved to ``meta``."""
    if isinstance(value, (torch.Tensor, torch.nn.Module)):
        return value.to("meta")
    if isinstance(value, (tuple, list)):
        return type(value)(_to_meta(v) for v in value)
    return value


def _has_tensor(values) -> bool:
    return any(
        isinstance(v, (torch.Tensor, torch.nn.Module))
        or (isinstance(v, (tuple, list)) and _has_tensor(v))
        for v in values
    )


def meta_case(cases, reference) -> list:
    """``[the first case, on meta]`` for an exercise that has no ``meta`` case.

    Only where it makes sense: the inputs hold tensors or modules (and no plain
    function, whose own tensors would stay on the CPU), and the reference runs
    on ``meta`` (it reads no values) and returns a tensor.

    >>> from mhacourse.exercises.core.inputs import Case
    >>> [c.args[0].device.type for c in meta_case([Case((torch.ones(2),))], torch.exp)]
    ['meta']
    >>> meta_case([Case((torch.ones(2),))], lambda x: x.sum().item())
    []
    """
    first = cases[0] if cases else None
    values = [*first.args, *first.kwargs.values()] if first else []
    if not _has_tensor(values) or any(on_meta(c) for c in cases):
        return []
    if any(callable(v) and not isinstance(v, torch.nn.Module) for v in values):
        return []  # a function given as input keeps its own tensors where they are
    args = _to_meta(copy.deepcopy(tuple(first.args)))
    kwargs = {k: _to_meta(copy.deepcopy(v)) for k, v in first.kwargs.items()}
    try:
        out = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception:  # it needs values: no meta case
        return []
    if not _has_tensor([out]):
        return []
    return [Case(args, kwargs, sizes=dict(first.sizes), note=META_NOTE)]


def on_meta(case) -> bool:
    """True if an input of ``case`` is on the ``meta`` device (shapes, no values).

    >>> on_meta(Case((torch.ones(1, device="meta"),))), on_meta(Case((torch.ones(1),)))
    (True, False)
    """
    values = [*case.args, *case.kwargs.values()]
    return any(
        getattr(v, "is_meta", False) or getattr(v, "type", None) == "meta"
        for v in values
    )
