"""The reader's session around a check: refuse a tampered one, leave it as found.

* :func:`tampered` lists what an earlier cell changed that would change the
  expected values: a patched function or method of ``torch``, ``torch.nn``'s
  modules or ``mhacourse``, or a ``TorchFunctionMode`` left on the stack. A check
  refuses to grade then, and says what to undo.
* :func:`kept` runs a check and puts back the default dtype, the thread count,
  grad mode and the global random state (torch, Python, NumPy) as they were.
* :func:`pop_modes` takes off the function modes that a call of the answer left
  on the stack, and says how many.

>>> tampered()
[]
>>> import torch
>>> with kept():
...     torch.set_default_dtype(torch.float64)
>>> torch.get_default_dtype()
torch.float32
"""

from __future__ import annotations

import contextlib
import random

import numpy as np
import torch

import mhacourse

__all__ = ["kept", "pop_modes", "refusal", "tampered"]


def _classes():
    found = [v for v in vars(torch.nn).values() if isinstance(v, type)]
    found += [v for v in vars(mhacourse).values() if isinstance(v, type)]
    return [c for c in found if issubclass(c, torch.nn.Module)]


def _functions(namespace) -> dict:
    """Its functions (not classes: set_default_dtype rebinds torch.Storage)."""
    return {
        k: v
        for k, v in vars(namespace).items()
        if callable(v) and not isinstance(v, type)
    }


_MODULES = {"torch": torch, "torch.nn.functional": torch.nn.functional}
_MODULES.update({"mhacourse": mhacourse, "torch.Tensor": torch.Tensor})
_AS_IMPORTED = {name: _functions(ns) for name, ns in _MODULES.items()}
_CLASSES = {c: _functions(c) for c in _classes()}


def _qualname(cls) -> str:
    module = "torch.nn" if cls.__module__.startswith("torch.nn") else "mhacourse"
    return f"{module}.{cls.__name__}"


def _changed(now, then) -> bool:
    """True if ``now`` replaced ``then`` and is not PyTorch's own rebinding.

    torch.compile's first use wraps some torch functions (``torch.manual_seed``)
    in its own code: that is the library, not the reader.
    """
    if now is then:
        return False
    module = getattr(now, "__module__", None) or ""
    return not (module == "torch" or module.startswith("torch."))


def tampered() -> list[str]:
    """What the session changed that the checker relies on ([] when nothing)."""
    found = [
        f"`{name}.{k}`"
        for name, ns in _MODULES.items()
        for k, v in _AS_IMPORTED[name].items()
        if _changed(vars(ns).get(k), v)
    ]
    found += [
        f"`{_qualname(cls)}.{k}`"
        for cls, saved in _CLASSES.items()
        for k, v in saved.items()
        if _changed(vars(cls).get(k), v)
    ]
    modes = torch._C._len_torch_function_stack()
    return found + [f"{modes} TorchFunctionMode(s) left on the stack"] * bool(modes)


def refusal() -> str | None:
    """The message refusing to grade a tampered session, or None."""
    found = tampered()
    if not found:
        return None
    return (
        f"This check cannot be trusted in this session: {', '.join(found[:5])} "
        "changed since `mhacourse` was imported, and the expected values depend on "
        "it. Undo it (or restart the kernel and run the cells again), then check."
    )


def pop_modes(depth: int) -> int:
    """Pop the function modes above ``depth``; return how many there were."""
    popped = 0
    while torch._C._len_torch_function_stack() > depth:
        torch._C._pop_torch_function_stack()
        popped += 1
    return popped


@contextlib.contextmanager
def kept():
    """Run a block; put back dtype, threads, grad mode and the global RNGs after."""
    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    grad, rng = torch.is_grad_enabled(), torch.random.get_rng_state()
    py, npy = random.getstate(), np.random.get_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        torch.set_default_dtype(dtype)
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        torch.set_grad_enabled(grad)
        torch.random.set_rng_state(rng)
        random.setstate(py)
        np.random.set_state(npy)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)
