"""Bad input fails early, with a message that names the argument and its shape.

Every kernel shares the checks in mhacourse._validate, so each case runs
against every registered kernel (sdpa and triton included) as well as
against the check itself.
"""

import re

import pytest
import torch

from mhacourse._validate import check_divisible, check_mask, check_qkv
from mhacourse.kernels import REGISTRY

KERNELS = dict(REGISTRY)  # name -> Kernel, each running the shared checks


@pytest.fixture(params=sorted(KERNELS))
def attend(request):
    return KERNELS[request.param]


def _t(*shape, device="cpu", dtype=torch.float32):
    return torch.zeros(shape, device=device, dtype=dtype)


def test_good_input_passes(device):
    check_qkv(
        _t(2, 3, 4, device=device),
        _t(2, 5, 4, device=device),
        _t(2, 5, 6, device=device),
    )
    check_mask(None, (2, 3, 5), device)
    check_mask(torch.ones(3, 1, dtype=torch.bool, device=device), (2, 3, 5), device)
    assert check_divisible(12, 4) == 3


@pytest.mark.parametrize(
    "shapes,error,message",
    [
        (
            ((2, 3, 4), (2, 5, 3), (2, 5, 6)),
            ValueError,
            "q and k must have the same head dim E: q has shape (2, 3, 4) (E=4), "
            "k has shape (2, 5, 3) (E=3)",
        ),
        (
            ((2, 3, 4), (2, 5, 4), (2, 6, 6)),
            ValueError,
            "k and v must have the same length S: k has shape (2, 5, 4) (S=5), "
            "v has shape (2, 6, 6) (S=6)",
        ),
        (
            ((2, 3, 4), (1, 5, 4), (1, 5, 6)),
            ValueError,
            "q, k and v must have the same leading batch dims, got q (2, 3, 4), "
            "k (1, 5, 4), v (1, 5, 6)",
        ),
        (
            ((4,), (5, 4), (5, 6)),
            ValueError,
            "q must have at least 2 dims (..., length, dim), got shape (4,)",
        ),
    ],
)
def test_shape_mismatches(device, attend, shapes, error, message):
    q, k, v = (_t(*s, device=device) for s in shapes)
    for fn in (check_qkv, attend):
        with pytest.raises(error, match=re.escape(message)):
            fn(q, k, v)


def test_dtype_problems(attend):
    with pytest.raises(
        TypeError, match=r"k must be a floating-point tensor, got dtype torch\.int64"
    ):
        attend(_t(3, 4), torch.zeros(5, 4, dtype=torch.long), _t(5, 6))
    with pytest.raises(
        TypeError,
        match=r"q, k and v must share a dtype, got q torch\.float32, k torch\.float32, "
        "v torch.float64",
    ):
        attend(_t(3, 4), _t(5, 4), _t(5, 6, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"v must be a torch\.Tensor, got list"):
        attend(_t(3, 4), _t(5, 4), [[0.0] * 6] * 5)


@pytest.mark.parametrize(
    "mask_shape", [(3, 6), (4, 5), (2, 3, 3, 5), (3, 2, 3, 5), (1, 2, 3, 5)]
)
def test_mask_that_cannot_broadcast(device, attend, mask_shape):
    """(3, 2, 3, 5) and (1, 2, 3, 5) would silently *grow* the (2, 3, 5) scores."""
    q, k, v = (
        _t(2, 3, 4, device=device),
        _t(2, 5, 4, device=device),
        _t(2, 5, 6, device=device),
    )
    mask = torch.ones(mask_shape, dtype=torch.bool, device=device)
    message = (
        f"mask with shape {mask_shape} cannot broadcast to the scores' shape "
        "(..., L, S) = (2, 3, 5)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        attend(q, k, v, mask=mask)


@pytest.mark.parametrize("dtype", [torch.float32, torch.int64, torch.uint8])
def test_non_bool_mask_is_a_type_error(device, attend, dtype):
    q, k, v = _t(3, 4, device=device), _t(5, 4, device=device), _t(5, 6, device=device)
    message = (
        f"mask must have dtype torch.bool (True = may attend), got {dtype} "
        "with shape (3, 5)"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        attend(q, k, v, mask=torch.ones(3, 5, dtype=dtype, device=device))


def test_mask_that_is_not_a_tensor(attend):
    with pytest.raises(
        TypeError, match=r"mask must be a bool torch\.Tensor or None, got list"
    ):
        attend(_t(3, 4), _t(5, 4), _t(5, 6), mask=[[True] * 5] * 3)


def test_tensors_on_different_devices(attend):
    """A "meta" tensor has a device but no data: it stands in for a GPU tensor."""
    with pytest.raises(
        ValueError,
        match="q, k and v must be on one device, got q on cpu, k on meta, v on cpu",
    ):
        attend(_t(3, 4), _t(5, 4, device="meta"), _t(5, 6))
    with pytest.raises(ValueError, match="mask is on meta but the inputs are on cpu"):
        attend(
            _t(3, 4),
            _t(5, 4),
            _t(5, 6),
            mask=torch.ones(3, 5, dtype=torch.bool, device="meta"),
        )


@pytest.mark.cuda
def test_tensors_on_cpu_and_cuda(attend):
    with pytest.raises(
        ValueError, match="q, k and v must be on one device, got q on cuda:0, k on cpu"
    ):
        attend(_t(3, 4, device="cuda"), _t(5, 4), _t(5, 6, device="cuda"))
    with pytest.raises(ValueError, match="mask is on cpu but the inputs are on cuda:0"):
        attend(
            _t(3, 4, device="cuda"),
            _t(5, 4, device="cuda"),
            _t(5, 6, device="cuda"),
            mask=torch.ones(3, 5, dtype=torch.bool),
        )


@pytest.mark.parametrize(
    "D,H,message",
    [
        (10, 4, "embed_dim=10 is not divisible by num_heads=4"),
        (8, 0, "num_heads must be positive, got num_heads=0"),
        (8, -2, "num_heads must be positive, got num_heads=-2"),
    ],
)
def test_check_divisible(D, H, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        check_divisible(D, H)


def test_check_mask_names_the_target_it_was_given():
    with pytest.raises(ValueError, match=re.escape("(B, H, L, S) = (1, 2, 3, 4)")):
        check_mask(
            torch.ones(2, 1, 1, 4, dtype=torch.bool),
            (1, 2, 3, 4),
            torch.device("cpu"),
            what="(B, H, L, S)",
        )
