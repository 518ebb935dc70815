"""The machine a benchmark ran on: its device's name and how busy it was."""

from __future__ import annotations

import os
import platform

import torch

__all__ = ["device_name", "load_average"]


def load_average():
    """The machine's 1-minute load average when measuring started (None if unknown).

    >>> load_average() is None or load_average() >= 0
    True
    """
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def device_name(device: torch.device) -> str:
    """A readable name of the device: the GPU's model, or the CPU's and its threads.

    >>> threads = torch.get_num_threads()
    >>> device_name(torch.device("cpu")).endswith(f"({threads} threads)")
    True
    """
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                line.split(":", 1)[1].strip()
                for line in f
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return f"{model} ({torch.get_num_threads()} threads)"
