"""Random inputs for the exercise checker.

Every check draws *fresh* inputs from a private ``torch.Generator`` seeded from
the operating system, so it never touches (or depends on) the reader's global
random state: re-running a notebook cell after a check gives the same numbers.
Tensors are drawn on the CPU and then moved to the checking device, so the
same factories work on CPU, CUDA and MPS.

The sizes used by most exercises are all different (B=2, H=3, L=5, S=7, E=4,
Ev=6, D=12), so a wrong shape can be explained by naming the dims involved.

>>> gen = generator(0)
>>> q = randn(gen, (2, 5, 4), device="cpu")
>>> q.shape, q.dtype
(torch.Size([2, 5, 4]), torch.float32)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import torch

__all__ = [
    "SIZES",
    "Case",
    "generator",
    "init_module",
    "lengths",
    "qkv",
    "rand_mask",
    "randn",
    "wide_dtype",
]

#: The default sizes: pairwise different, so each size names one dim.
SIZES = {"B": 2, "H": 3, "L": 5, "S": 7, "E": 4, "Ev": 6, "D": 12}


@dataclass
class Case:
    """One set of inputs for a check.

    Args:
        args: positional arguments passed to the reader's function.
        kwargs: keyword arguments.
        sizes: names of the sizes in play, e.g. ``{"L": 5, "S": 7}``; used to
            explain a wrong shape in words ("are L and S swapped?").
        note: extra words about the case, e.g. "some rows are fully masked".

    >>> Case((1, 2), sizes={"L": 1}).kwargs
    {}
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    sizes: dict = field(default_factory=dict)
    note: str = ""


def generator(seed: int | None = None) -> torch.Generator:
    """A CPU generator, seeded from the OS unless ``seed`` is given.

    >>> a = torch.rand(2, generator=generator(1))
    >>> torch.equal(a, torch.rand(2, generator=generator(1)))
    True
    """
    return torch.Generator().manual_seed(secrets.randbits(62) if seed is None else seed)


def randn(
    gen: torch.Generator, shape, device, dtype=torch.float32, scale: float = 1.0
) -> torch.Tensor:
    """Standard normal tensor of ``shape`` (times ``scale``) on ``device``.

    >>> randn(generator(0), (3,), "cpu", torch.float64).dtype
    torch.float64
    """
    return (torch.randn(tuple(shape), generator=gen, dtype=dtype) * scale).to(device)


def qkv(gen: torch.Generator, batch, device, dtype=torch.float32, L=5, S=7, E=4, Ev=6):
    """Queries (*batch, L, E), keys (*batch, S, E) and values (*batch, S, Ev).

    >>> [tuple(t.shape) for t in qkv(generator(0), (2,), "cpu")]
    [(2, 5, 4), (2, 7, 4), (2, 7, 6)]
    """
    batch = tuple(batch)
    return (
        randn(gen, (*batch, L, E), device, dtype),
        randn(gen, (*batch, S, E), device, dtype),
        randn(gen, (*batch, S, Ev), device, dtype),
    )


def rand_mask(
    gen: torch.Generator, shape, device, p: float = 0.6, blocked_rows: int = 0
) -> torch.Tensor:
    """Random bool mask (True = may attend) of ``shape`` (..., L, S).

    Every query row has at least one allowed and one blocked key (so the
    reversed mask also leaves every row a key), except the first
    ``blocked_rows`` query rows, which are fully masked (all False).

    >>> m = rand_mask(generator(0), (4, 6), "cpu", blocked_rows=1)
    >>> m[0].any().item(), m[1:].any(dim=-1).all().item(), (~m).any(dim=-1).all().item()
    (False, True, True)
    """
    S = shape[-1]
    mask = torch.rand(tuple(shape), generator=gen) < p  # (..., L, S)
    allowed = torch.randint(S, tuple(shape[:-1]), generator=gen)  # (..., L)
    blocked = (
        allowed + 1 + torch.randint(max(S - 1, 1), tuple(shape[:-1]), generator=gen)
    ) % S  # (..., L)
    mask = mask | torch.nn.functional.one_hot(allowed, S).bool()  # each row sees a key
    if S > 1:
        mask = (
            mask & ~torch.nn.functional.one_hot(blocked, S).bool()
        )  # ... and misses one
    mask[..., :blocked_rows, :] = False
    return mask.to(device)


def lengths(
    gen: torch.Generator, B: int, S: int, device, min_pad: int = 1
) -> torch.Tensor:
    """Int64 lengths (B,) in [1, S]: one full, the others padded (>= ``min_pad``).

    >>> l = lengths(generator(0), 3, 7, "cpu", min_pad=2)
    >>> l.max().item(), bool((l >= 1).all()), sorted(l.tolist())[-2] <= 5
    (7, True, True)
    """
    out = torch.randint(
        1, max(S - min_pad, 1) + 1, (B,), generator=gen
    )  # (B,), all <= S - min_pad
    out[torch.randint(B, (1,), generator=gen)] = S
    return out.to(device)


def wide_dtype(device) -> torch.dtype:
    """float64 where the device supports it (not on Apple's MPS), else float32.

    >>> wide_dtype("cpu")
    torch.float64
    """
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


def init_module(
    module: torch.nn.Module,
    gen: torch.Generator,
    device,
    dtype=torch.float32,
    scale: float = 0.4,
):
    """Give every parameter of ``module`` fresh normal values from ``gen``.

    Build the module on the ``meta`` device first (``device="meta"``) so that
    constructing it does not consume the reader's global random state.

    >>> lin = init_module(torch.nn.Linear(3, 2, device="meta"), generator(0), "cpu")
    >>> lin.weight.device.type, lin.weight.shape
    ('cpu', torch.Size([2, 3]))
    """
    module = module.to_empty(device=device).to(dtype)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(randn(gen, p.shape, device, dtype, scale))
    return module.eval()
