"""What only the loop kernel needs checking: empty lengths leave nothing to loop over.

The contract it shares with the vectorized kernel (PyTorch in float64, float32
and half precision, masks, fully masked rows, gradients) is in test_kernels.py.
Shape legend: B batch, L query length, S key length, E head dim, Ev value dim.
"""

import pytest
import torch
import torch.nn.functional as F
from kernel_inputs import qkv as _qkv

from mhacourse.kernels.naive import scaled_dot_product_attention as attend

TOL = dict(atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize(
    "batch,L,S", [((2,), 0, 3), ((2,), 3, 0), ((0,), 3, 2), ((2, 3), 0, 0)]
)
def test_empty_lengths_give_pytorchs_empty_or_zero_result(device, batch, L, S):
    """No query, no key or no batch item: nothing to loop over, PyTorch's result."""
    q, k, v = _qkv(batch, L, S, E=4, Ev=5, device=device)
    out, w = attend(q, k, v, mask=torch.ones(L, S, dtype=torch.bool, device=device))
    assert out.shape == (*batch, L, 5) and w.shape == (*batch, L, S)
    assert out.dtype == w.dtype == torch.float64 and out.device == w.device == q.device
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), **TOL)
