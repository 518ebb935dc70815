"""Compare a reader's output with the reference, and say in words what differs.

:func:`diagnose` returns ``None`` when the output matches, else one friendly
sentence or two: wrong type (None, a NumPy array, a list), wrong shape (with
the dims named: "are the heads (H) and query length (L) dims swapped?"),
wrong device, wrong dtype, NaN where the reference has numbers, or values
that differ (with the largest difference and where it is).

>>> import torch

from .messages import dtype_message, int_message, type_message
>>> sizes = {"B": 2, "H": 3, "L": 5, "E": 4}
>>> message = diagnose(torch.zeros(2, 5, 3, 4), torch.zeros(2, 3, 5, 4), sizes)
>>> message.split(". ")[1]
'Are the heads (H) and query length (L) dims swapped?'
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from .messages import dtype_message, int_message, type_message

__all__ = ["WORDS", "diagnose", "dim_names", "shape_message"]

#: What each size letter means, for messages.
WORDS = {
    "B": "batch",
    "H": "heads",
    "L": "query length",
    "S": "key length",
    "D": "model dim",
    "E": "head dim",
    "Ev": "value dim",
    "n": "number of tokens",
    "r": "input dim",
    "dq": "query/key dim",
    "dv": "value dim",
    "Sb": "block length",
}


def dim_names(shape, sizes: dict) -> list:
    """Name each size in ``shape`` by its letter in ``sizes`` (None unless exactly one).

    >>> dim_names((2, 5, 9), {"B": 2, "L": 5, "S": 5})
    ['B', None, None]
    """
    out = []
    for n in shape:
        hits = [k for k, v in sizes.items() if v == n]
        out.append(hits[0] if len(hits) == 1 else None)
    return out


def _fmt(shape, sizes) -> str:
    shape = tuple(shape)
    names = dim_names(shape, sizes)
    if shape and all(names):
        return f"({', '.join(names)}) = {shape}"
    return str(shape)


def _dim(name) -> str:
    return f"{WORDS.get(name, name)} ({name})"


def shape_message(got, expected, sizes: dict, what: str = "Your output") -> str:
    """Explain a shape mismatch in words.

    >>> shape_message((3, 7), (3, 1, 1, 7), {"B": 3, "S": 7}).split(". ")[1][:42]
    'The sizes agree apart from the size-1 dims'
    """
    g, e = tuple(got), tuple(expected)
    msg = f"{what} should have shape {_fmt(e, sizes)}, but it has shape {g}."
    gn, en = dim_names(g, sizes), dim_names(e, sizes)
    diff = [i for i in range(len(e)) if len(g) == len(e) and g[i] != e[i]]
    if len(diff) == 2 and g[diff[0]] == e[diff[1]] and g[diff[1]] == e[diff[0]]:
        i, j = diff
        if en[i] and en[j]:
            return msg + f" Are the {_dim(en[i])} and {_dim(en[j])} dims swapped?"
        return msg + f" Are dims {i} and {j} swapped?"
    if len(diff) == 1:
        i = diff[0]
        got_name = f" = {gn[i]}, the {WORDS.get(gn[i], gn[i])}" if gn[i] else ""
        want = f" ({_dim(en[i])})" if en[i] else ""
        return (
            msg
            + f" Dim {i} has size {g[i]}{got_name}, where {e[i]}{want} was expected."
        )
    if [n for n in g if n != 1] == [n for n in e if n != 1]:
        return msg + (
            " The sizes agree apart from the size-1 dims: check where you add them"
            " (x[:, None, None, :] or unsqueeze) or where you squeeze them away."
        )
    if len(g) < len(e) and g == e[len(e) - len(g) :]:
        return msg + (
            f" The leading dims {e[: len(e) - len(g)]} are missing: keep every batch "
            f"dim, for example"
            " with negative dims (dim=-1, transpose(-2, -1)), which work for any "
            "number of leading dims."
        )
    if len(g) > len(e):
        return msg + f" It has {len(g) - len(e)} dim(s) too many."
    if np.prod(g, dtype=np.int64) == np.prod(e, dtype=np.int64):
        return msg + (
            " It has the right number of elements, so a reshape or view probably "
            "arranged them"
            " differently: a reshape never moves data between dims, only a transpose "
            "or permute does."
        )
    return msg


def _kind(got) -> str:
    if got is None:
        return "None"
    if isinstance(got, torch.Tensor):
        return "a single tensor"
    if isinstance(got, np.ndarray):
        return "a NumPy array"
    return f"a {type(got).__name__}"


def _index(flat: int, shape) -> tuple:
    return (
        tuple(int(i) for i in np.unravel_index(flat, tuple(shape)))
        if len(shape)
        else ()
    )


def _exact_message(got: torch.Tensor, exp: torch.Tensor, what: str) -> str | None:
    """Where a bool or integer tensor differs from the reference, or None."""
    wrong = got != exp
    if not wrong.any():
        return None
    at = _index(int(wrong.flatten().nonzero()[0]), exp.shape)
    return (
        f"{what} has the right shape, but {int(wrong.sum())} of {exp.numel()} "
        f"entries differ, the first "
        f"at index {at} (yours {got[at].item()}, expected {exp[at].item()})."
    )


def _value_message(
    got: torch.Tensor, exp: torch.Tensor, what: str, rtol: float, atol: float
) -> str | None:
    if exp.dtype == torch.bool or not exp.is_floating_point():
        return _exact_message(got, exp, what)
    for bad, word, why in (
        (
            torch.isnan(got) & ~torch.isnan(exp),
            "NaN",
            "NaN comes from 0/0, from 0 * log(0), or from a softmax over a row whose "
            "scores "
            "are all -inf.",
        ),
        (
            torch.isinf(got) & ~torch.isinf(exp),
            "inf",
            "inf usually means exp() overflowed: subtract the row max before exp().",
        ),
    ):
        if bad.any():
            at = _index(int(bad.flatten().nonzero()[0]), exp.shape)
            return (
                f"{what} contains {word} at {int(bad.sum())} of {exp.numel()} "
                f"positions (the first at "
                f"index {at}) where the reference has ordinary numbers. {why}"
            )
    if torch.allclose(got, exp, rtol=rtol, atol=atol, equal_nan=True):
        return None
    diff = (got - exp).abs().nan_to_num(nan=float("inf"), posinf=float("inf"))
    at = _index(int(diff.flatten().argmax()), exp.shape)
    return (
        f"{what} has the right shape, dtype and device, but its values differ from the "
        f"reference: the "
        f"largest difference is at index {at} (yours {got[at].item():.4g}, expected "
        f"{exp[at].item():.4g})."
    )


def _as_number(got):
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        return got.item()
    if isinstance(got, (numbers.Number, np.number)) and not isinstance(got, bool):
        return got
    return None


def diagnose(
    got,
    expected,
    sizes: dict | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    what: str = "Your output",
    names=None,
    default_dtype=None,
) -> str | None:
    """None if ``got`` matches ``expected``, else a message saying how it differs.

    ``expected`` may be a tensor, an int, a float or a tuple of those;
    ``names`` names the items of a tuple, e.g. ("out", "weights");
    ``default_dtype`` is the reader's default dtype, to explain a dtype mismatch.
    On the ``meta`` device only shape, device and dtype are compared.

    >>> diagnose(12, 12) is None, diagnose(torch.ones(2), torch.ones(2)) is None
    (True, True)
    >>> print(diagnose(None, torch.ones(2)))
    Your output is None. Did you forget the `return` statement?
    """
    sizes = sizes or {}
    context = (sizes, rtol, atol, what, names, default_dtype)
    if isinstance(expected, tuple):
        return _diagnose_tuple(got, expected, context)
    if isinstance(expected, numbers.Number):
        return _diagnose_number(got, expected, rtol, atol, what)
    return _diagnose_tensor(got, expected, context)


def _diagnose_tuple(got, expected, context):
    sizes, rtol, atol, what, names, default_dtype = context
    names = names or [f"item {i}" for i in range(len(expected))]
    listing = f"({', '.join(names)})"
    if not isinstance(got, (tuple, list)):
        return (
            f"You should return a tuple {listing}, but {what.lower()} is "
            f"{_kind(got)}. End with `return {', '.join(names)}`."
        )
    if len(got) != len(expected):
        return (
            f"You should return {len(expected)} things {listing}, but you returned "
            f"{len(got)}."
        )
    shapes = [tuple(getattr(t, "shape", ())) for t in got]
    wanted = [tuple(getattr(t, "shape", ())) for t in expected]
    if len(got) > 1 and shapes != wanted and shapes == wanted[::-1]:
        return (
            f"The items of your tuple seem to be in the wrong order: return {listing}."
        )
    for item, exp, name in zip(got, expected, names, strict=False):
        problem = diagnose(
            item, exp, sizes, rtol, atol, f"`{name}`", default_dtype=default_dtype
        )
        if problem:
            return problem
    return None


def _diagnose_number(got, expected, rtol, atol, what):
    value = _as_number(got)
    if value is None:
        return type_message(got, what, "a number")
    if isinstance(expected, numbers.Integral):
        if not isinstance(got, numbers.Integral):
            return int_message(got, what)
        if value == expected:
            return None
        return f"{what} is {value}, which is not the right count."
    if abs(value - expected) <= atol + rtol * abs(expected):
        return None
    return f"{what} is {value:.6g}, which differs from the reference value."


def _diagnose_tensor(got, expected, context):
    sizes, rtol, atol, what, _, default_dtype = context
    if not isinstance(got, torch.Tensor):
        wanted = f"a torch.Tensor of shape {tuple(expected.shape)}"
        return type_message(got, what, wanted)
    if got.shape != expected.shape:
        return shape_message(got.shape, expected.shape, sizes, what)
    if got.device != expected.device:
        return (
            f"{what} is on {got.device}, but it should be on {expected.device}: the "
            "device of the inputs, or the device= your function was given. A tensor "
            "made without device= lives on the CPU: pass device=x.device (or the "
            "device argument), or use torch.zeros_like(x) and friends."
        )
    if got.dtype != expected.dtype:
        return dtype_message(got.dtype, expected.dtype, what, default_dtype)
    if expected.is_meta:
        return None
    return _value_message(got, expected, what, rtol, atol)
