"""The batched-matmul kernel against the loop kernel, and on padding masks.

The contract both kernels share is checked once, for each, in test_kernels.py.

Shape legend: B batch, H heads, L query length, S key length, E head dim,
Ev value dim.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from kernel_inputs import qkv as _qkv

from mhacourse.kernels import naive
from mhacourse.kernels.vectorized import scaled_dot_product_attention as attend
from mhacourse.masks import padding_mask

TOL = dict(atol=1e-10, rtol=1e-10)


@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_equals_the_loop_kernel_with_gradients(device, attention_cases, data):
    case = data.draw(attention_cases(max_batch_dims=1, max_len=4))
    q, k, v, mask = case.tensors(device)
    grad_out = torch.randn(
        *case.batch, case.L, case.Ev, dtype=torch.float64, device=device
    )
    results = []
    for kernel in (naive.scaled_dot_product_attention, attend):
        inputs = [t.clone().requires_grad_() for t in (q, k, v)]
        out, w = kernel(*inputs, mask=mask, scale=case.scale)
        loss = (out * grad_out).sum() + sum(
            0 * t.sum() for t in inputs
        )  # a graph even if all is masked
        results.append((out, w, *torch.autograd.grad(loss, inputs)))
    for a, b in zip(*results, strict=True):  # out, weights, dq, dk, dv
        torch.testing.assert_close(a, b, atol=1e-12, rtol=1e-10)


def test_padding_mask_blocks_padded_keys(device, reference):
    q, k, v = _qkv((3, 2), L=4, S=5, E=3, Ev=2, device=device)
    mask = padding_mask(torch.tensor([5, 2, 1], device=device), 5)  # (B, 1, 1, S)
    out, w = attend(q, k, v, mask=mask)
    torch.testing.assert_close(out, reference(q, k, v, mask)[0], **TOL)
    assert not w[1, ..., 2:].any() and not w[2, ..., 1:].any()
    torch.testing.assert_close(
        w[2, ..., 0], torch.ones(2, 4, dtype=torch.float64, device=device)
    )
