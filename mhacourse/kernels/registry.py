"""The kernels' registry: each name with what its kernel can do.

:class:`MultiHeadAttention` reads a kernel's capabilities here and never its
name, so a kernel registered with :func:`register` joins the module, the
benchmarks and the tests at once. Calling a :class:`Kernel` runs the shared
input checks, then the kernel, filling in whatever it cannot do natively:
grouped heads are repeated for a kernel that needs H_kv = H, a causal mask is
built for a kernel with no causal path, and dropout is applied to the
returned weights for a kernel that cannot drop out itself.
Shape legend: H query heads, H_kv key/value heads, L queries, S keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._validate import check_mask, check_qkv
from ..gqa import repeat_kv
from ..masks import causal_mask

__all__ = ["FLOATS", "REGISTRY", "Kernel", "get", "register"]

FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


@dataclass(frozen=True)
class Kernel:
    """A registered kernel ``fn(q, k, v, mask=None, scale=None, **options)``.

    Capabilities (what ``fn`` does natively):
        returns_weights: returns the (..., L, S) weights, not None.
        native_dropout: takes ``dropout_p`` and drops out inside.
        grouped_heads: takes k, v with H_kv heads, H_kv dividing q's H.
        causal: takes ``causal=True`` and skips the key blocks it hides.
        dtypes: the dtypes it computes in.
        devices: the device types it runs on (None: every device).
        loops_over_heads: MultiHeadAttention runs it once per head, each head
            with its own rows of the projections (the course's reading).
        interpreted_on: device types where it runs only in an interpreter
            (exact, but too slow to time: benchmarks skip it there).
        compiled: it runs through ``torch.compile`` (its first call per shape
            compiles; benchmarks skip it where PyTorch cannot compile).

    >>> get("vectorized").can_dropout, get("tiled").can_dropout
    (True, False)
    """

    name: str
    fn: Callable
    returns_weights: bool = False
    native_dropout: bool = False
    grouped_heads: bool = False
    causal: bool = False
    dtypes: tuple = FLOATS
    devices: tuple | None = None
    loops_over_heads: bool = False
    interpreted_on: tuple = ()
    compiled: bool = False

    @property
    def can_dropout(self) -> bool:
        """Dropout is possible: inside the kernel, or on the weights it returns."""
        return self.native_dropout or self.returns_weights

    def check(self, q, k, v, mask=None, dropout_p=0.0) -> None:
        """The shared input checks, plus this kernel's dtypes, devices, dropout."""
        check_qkv(q, k, v, grouped=q.dim() >= 4)
        check_mask(mask, (*q.shape[:-1], k.shape[-2]), q.device)
        if q.dtype not in self.dtypes:
            raise TypeError(
                f"kernel={self.name!r} computes in {self.dtypes}, got q of dtype "
                f"{q.dtype} with shape {tuple(q.shape)}"
            )
        if self.devices is not None and q.device.type not in self.devices:
            raise ValueError(
                f"kernel={self.name!r} runs on {self.devices}, got q on {q.device}"
            )
        if dropout_p and not self.can_dropout:
            raise ValueError(
                f"kernel={self.name!r} never forms the attention weights, so it "
                f"cannot apply dropout={dropout_p}; call .eval(), set dropout=0 "
                "or pick another kernel"
            )

    def __call__(self, q, k, v, mask=None, scale=None, *, causal=False,
                 dropout_p=0.0, **options):  # fmt: skip
        """``(out, weights or None)``; see the class docstring for the rest."""
        self.check(q, k, v, mask, dropout_p)
        L, S = q.shape[-2], k.shape[-2]
        if L == 0:  # no query: an empty output, whatever the kernel
            w = q.new_zeros(*q.shape[:-1], S) if self.returns_weights else None
            return q.new_zeros(*q.shape[:-1], v.shape[-1]), w  # (..., 0, Ev)
        if q.dim() >= 4 and q.shape[-3] != k.shape[-3] and not self.grouped_heads:
            groups = q.shape[-3] // k.shape[-3]  # query heads per key/value head
            k, v = repeat_kv(k, groups), repeat_kv(v, groups)  # (..., H, S, E)
        if causal and self.causal:
            options["causal"] = True
        elif causal:
            hide = causal_mask(L, S, device=q.device)  # (L, S)
            mask = hide if mask is None else mask & hide  # (..., L, S)
        if self.native_dropout:
            options["dropout_p"] = dropout_p
        out, weights = self.fn(q, k, v, mask, scale, **options)
        if dropout_p and not self.native_dropout:
            weights = F.dropout(weights, dropout_p)  # (..., L, S)
            out = weights @ v  # (..., L, Ev)
        return out, weights


#: Each kernel's name -> its :class:`Kernel`, read at every call: live.
REGISTRY: dict[str, Kernel] = {}


def register(name: str, fn: Callable, **capabilities) -> Kernel:
    """Register ``fn`` under ``name`` with its capabilities; return the Kernel.

    >>> from mhacourse.kernels import vectorized
    >>> k = register("mine", vectorized.scaled_dot_product_attention,
    ...              returns_weights=True)
    >>> get("mine").returns_weights
    True
    >>> del REGISTRY["mine"]
    """
    kernel = Kernel(name, fn, **capabilities)
    REGISTRY[name] = kernel
    return kernel


def get(name: str) -> Kernel:
    """The :class:`Kernel` registered under ``name``.

    >>> get("tiled").fn.__module__
    'mhacourse.kernels.tiled'
    >>> get("flash")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: kernel must be one of [...], got kernel='flash'
    """
    if name not in REGISTRY:
        raise ValueError(f"kernel must be one of {list(REGISTRY)}, got kernel={name!r}")
    return REGISTRY[name]
