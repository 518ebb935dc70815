"""Seeded random inputs shared by the kernel tests.

They are drawn on the CPU, then moved, so every device sees the same numbers.
"""

import torch


def randn(*shape, device, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(device, dtype)


def qkv(batch, L, S, E, Ev, device, dtype=torch.float64, seed=0):
    """q (*batch, L, E), k (*batch, S, E), v (*batch, S, Ev)."""
    return (
        randn(*batch, L, E, device=device, dtype=dtype, seed=seed),
        randn(*batch, S, E, device=device, dtype=dtype, seed=seed + 1),
        randn(*batch, S, Ev, device=device, dtype=dtype, seed=seed + 2),
    )
