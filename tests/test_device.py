"""get_device picks the best accelerator; seed makes random, NumPy, torch repeatable."""

import random

import numpy as np
import pytest
import torch

import mhacourse


def _no_mps(monkeypatch):
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: False)


def test_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert mhacourse.get_device() == torch.device("cuda")


def test_cpu_otherwise(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    _no_mps(monkeypatch)
    assert mhacourse.get_device() == torch.device("cpu")


def test_mps_when_no_cuda(monkeypatch):
    if getattr(torch.backends, "mps", None) is None:
        pytest.skip("this torch build has no torch.backends.mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert mhacourse.get_device() == torch.device("mps")


def _best_present() -> str:
    """What this machine has, asked of PyTorch directly (nothing patched)."""
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def test_the_real_device_is_the_best_one_present():
    # Exact, not "one of cuda/mps/cpu": skipping a GPU that is there fails here.
    device = mhacourse.get_device()
    assert device.type == _best_present()
    a = torch.arange(6.0).reshape(2, 3)  # (2, 3)
    on_device = (a.to(device) @ a.T.to(device)).cpu()  # (2, 2), computed there
    assert torch.equal(on_device, torch.tensor([[5.0, 14.0], [14.0, 50.0]]))


@pytest.mark.cuda
def test_cuda_is_picked_on_a_gpu_machine():
    assert mhacourse.get_device().type == "cuda"


def _draw(device):
    return (
        random.random(),
        np.random.rand(3).tolist(),
        torch.rand(3, device=device).tolist(),
    )


def test_seed_is_reproducible(device):
    mhacourse.seed(123)
    first = _draw(device)
    mhacourse.seed(123)
    assert _draw(device) == first
    mhacourse.seed(124)
    other = _draw(device)
    assert all(a != b for a, b in zip(other, first, strict=True)), (
        "another seed should change every generator"
    )


def test_seed_defaults_to_zero():
    mhacourse.seed()
    first = _draw("cpu")
    mhacourse.seed(0)
    assert _draw("cpu") == first
