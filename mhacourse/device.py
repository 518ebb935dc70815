"""Where to run, and how to make a run repeatable."""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["get_device", "seed"]


def get_device() -> torch.device:
    """The best available device: CUDA if present, then Apple's MPS, else CPU.

    >>> get_device().type in {"cuda", "mps", "cpu"}
    True
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed(n: int = 0) -> None:
    """Seed Python's ``random``, NumPy and PyTorch (all devices) with ``n``.

    >>> seed(0); a = torch.rand(1); seed(0); torch.equal(a, torch.rand(1))
    True
    """
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
