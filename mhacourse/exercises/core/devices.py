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

import torch
from torch.overrides import TorchFunctionMode

__all__ = ["DeviceMixed", "MixedDevices"]

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
