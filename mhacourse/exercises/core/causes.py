"""What probably caused an error the reader's code raised, in a learner's words.

PyTorch's messages name the symptom ("The size of tensor a (5) must match the size
of tensor b (7) at non-singleton dimension 0"); :func:`cause_for` names the likely
cause and the sizes involved, by the names the statement gives them (5 is L, 7 is
S). Only messages recognised for sure get a cause; anything else gets "".

>>> err = RuntimeError("mat1 and mat2 shapes cannot be multiplied (5x4 and 7x4)")
>>> cause = cause_for(err, sizes={"L": 5, "S": 7, "E": 4})
>>> print(cause[:51])
A shape mismatch: in `a @ b` the last dim of `a` mu
>>> cause[95:113]
' 4 (E) meets 7 (S)'
"""

from __future__ import annotations

import re

__all__ = ["arguments_cause", "cause_for"]

_DTYPES = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "bfloat16": "bfloat16",
    "long": "int64",
    "int": "int32",
    "bool": "bool",
}


def _size(n: str, sizes: dict | None) -> str:
    """``"7 (S)"``: a size with the statement's names for it, if any."""
    names = [k for k, v in (sizes or {}).items() if str(v) == n]
    return f"{n} ({' or '.join(names)})" if names else n


def _dtype(name: str) -> str:
    return _DTYPES.get(name.lower(), name)


def _matmul(m, sizes):
    inner_a, inner_b = m.group(2), m.group(3)
    return (
        "A shape mismatch: in `a @ b` the last dim of `a` must equal the "
        f"second-to-last dim of `b`, here {_size(inner_a, sizes)} meets "
        f"{_size(inner_b, sizes)}. Transpose the one you meant: k^T is "
        "k.transpose(-2, -1), which keeps the batch dims; "
        "weights stored like nn.Linear's need x @ W.T."
    )


def _broadcast(m, sizes):
    return (
        "A shape mismatch: two tensors in one operation do not line up: at dim "
        f"{m.group(3)} of the result one has {_size(m.group(1), sizes)} and the other "
        f"{_size(m.group(2), sizes)}, and sizes must be equal (or 1) to broadcast. "
        "Print both shapes: a transpose is missing, or a size-1 dim is "
        "(add it with [:, None] or unsqueeze)."
    )


def _dtypes(m, sizes):
    a, b = _dtype(m.group(1)), _dtype(m.group(2))
    return (
        f"Two tensors have different dtypes ({a} and {b}). A tensor you made "
        "without dtype= (torch.zeros, torch.tensor, torch.randn, ...) or turned "
        "with .float() is float32, whatever the inputs are: make new tensors with "
        "dtype=x.dtype (or x.new_zeros(...), torch.zeros_like(x)) and leave the "
        "inputs' dtype as it is."
    )


def _bool_arithmetic(m, sizes):
    return (
        "A bool mask is not a number: `1 - mask` and `-mask` do not work on it. "
        "Flip it with `~mask`, and block scores with "
        "`scores.masked_fill(~mask, float('-inf'))` or `torch.where(mask, scores, "
        "float('-inf'))`."
    )


def _not_bool(m, sizes):
    return (
        "A mask here must be a bool tensor (True = may attend): make it by a "
        "comparison (e.g. `positions < lengths[:, None]`), not as 0/1 floats, and "
        "flip it with `~`."
    )


def _one_value(m, sizes):
    return (
        f"`.item()`, `float()` and `int()` need a tensor of exactly one element; "
        f"this one has {_size(m.group(1), sizes)}. Keep the values in a tensor "
        "(e.g. `x.amax(dim, keepdim=True)` gives each row its own), or reduce first."
    )


def _ambiguous(m, sizes):
    return (
        "An `if`, `while`, `and`, `or` or `not` met a tensor of many values, and "
        "Python needs one True or False. Choose per element with "
        "`torch.where(condition, a, b)`, or ask `.any()` / `.all()`."
    )


def _index(m, sizes):
    i, dim, n = m.group(1), m.group(2), m.group(3)
    return (
        f"Along dim {dim} the size is {_size(n, sizes)}, so indices run from 0 to "
        f"{int(n) - 1} (or -{n} to -1): {i} is past the end. An index tensor picks "
        "along the dim it stands at; a loop runs range(n), not range(1, n + 1)."
    )


def _dim(m, sizes):
    n, got = int(m.group(2)) + 1, m.group(3)
    return (
        f"That tensor has {n} dims, so dim can be 0 to {n - 1} (or -{n} to -1); "
        f"you asked for dim {got}. Count dims from the end (dim=-1 is the last), so "
        "the code works with any number of batch dims."
    )


#: (pattern, cause) for the messages recognised for sure.
_CAUSES = (
    (r"shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)", _matmul),
    (
        r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) "
        r"at non-singleton dimension (\d+)",
        _broadcast,
    ),
    (r"expected scalar type (\w+) but found (\w+)", _dtypes),
    (r"same dtype, but got: (\w+) != (\w+)", _dtypes),
    (r"result type (\w+) can't be cast to the desired output type (\w+)", _dtypes),
    (r"[Ff]ound dtype (\w+) but expected (\w+)", _dtypes),
    (r"(?:Subtraction|negation).* bool tensor is not supported", _bool_arithmetic),
    (r"only supports boolean masks|condition to be a boolean tensor", _not_bool),
    (r"bitwise_not.* only supported for integer and boolean", _not_bool),
    (r"a Tensor with (\d+) elements cannot be converted to Scalar", _one_value),
    (r"Boolean value of Tensor with more than one value is ambiguous", _ambiguous),
    (r"index (-?\d+) is out of bounds for dimension (\d+) with size (\d+)", _index),
    (
        r"Dimension out of range \(expected to be in range of \[(-?\d+), (\d+)\], "
        r"but got (-?\d+)\)",
        _dim,
    ),
)


def cause_for(err: BaseException, sizes: dict | None = None) -> str:
    """The likely cause of ``err`` with its sizes named by ``sizes``, or "".

    >>> err = IndexError("index 4 is out of bounds for dimension 0 with size 4")
    >>> cause_for(err)[:40]
    'Along dim 0 the size is 4, so indices ru'
    >>> cause_for(ValueError("something else"))
    ''
    """
    text = str(err)
    for pattern, cause in _CAUSES:
        m = re.search(pattern, text)
        if m:
            return cause(m, sizes)
    return ""


def arguments_cause(fn, err: BaseException, case=None) -> str:
    """The cause when the checker's own call of ``fn`` had the wrong arguments.

    Only a ``TypeError`` about ``fn``'s own arguments raised before any line of
    ``fn`` ran counts: one from a helper the reader calls is that helper's.

    >>> def attention(q, k, v):
    ...     return q
    >>> try:
    ...     attention(1, 2, 3, mask=None)
    ... except TypeError as err:
    ...     print(arguments_cause(attention, err)[:54])
    The checker calls your function with the statement's a
    """
    name = getattr(fn, "__qualname__", None)
    text = str(err)
    if not isinstance(err, TypeError) or not name or not text.startswith(name + "()"):
        return ""
    if not re.search(r"positional argument|keyword argument", text):
        return ""
    tb, own = err.__traceback__, getattr(fn, "__code__", None)
    while tb is not None:
        if tb.tb_frame.f_code is own:
            return ""  # raised inside fn: a call fn makes
        tb = tb.tb_next
    given = "arguments"
    if case is not None:
        given = f"{len(case.args) + len(case.kwargs)} arguments, listed under Inputs"
        given += f" ({', '.join(case.kwargs)} by keyword)" * bool(case.kwargs)
    return (
        f"The checker calls your function with the statement's {given}; your `def` "
        "takes a different list. Give it exactly the statement's arguments (one you "
        "do not use, such as `mask=None`, is fine)."
    )
