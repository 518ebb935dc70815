"""FlexAttention with the course's masks written as mask_mod functions.

Each mask_mod must give exactly the course's bool mask, and FlexAttention
with it must equal every registered kernel given the course's mask, in
float64 (FlexAttention's unfused reference) on odd shapes (L != S where the
mask allows it, E != Ev). The compiled form, float32 only on the CPU, is
marked slow. Shape legend: B batch, H heads, L queries, S keys, E head dim,
Ev value dim.
"""

import pytest
import torch
from kernel_inputs import qkv as _qkv
from torch.nn.attention.flex_attention import create_mask

from mhacourse import causal_mask, kernels, sliding_window_mask
from mhacourse.flex import causal_mod, flex_attention, sliding_window_mod
from mhacourse.kernels import REGISTRY

TOL = dict(atol=1e-10, rtol=1e-10)
# (name, mask_mod, the course's (L, S) mask, L, S)
CASES = [
    ("causal", causal_mod(), causal_mask(7, 9), 7, 9),
    ("causal offset", causal_mod(2), causal_mask(7, 9, offset=2), 7, 9),
    ("window", sliding_window_mod(3), sliding_window_mask(9, 3), 9, 9),
    ("window + sinks", sliding_window_mod(3, 2),
     sliding_window_mask(9, 3, num_sink_tokens=2), 9, 9),
]  # fmt: skip
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("name,mod,mask,L,S", CASES, ids=IDS)
def test_each_mask_mod_is_the_course_mask(name, mod, mask, L, S):
    got = create_mask(mod, None, None, L, S, device="cpu")  # (1, 1, L, S)
    assert torch.equal(got[0, 0], mask)


@pytest.mark.parametrize("window,sinks", [(1, 0), (2, 5), (4, 1), (20, 0)])
def test_sliding_window_mod_over_more_sizes(window, sinks):
    got = create_mask(sliding_window_mod(window, sinks), None, None, 13, 13, "cpu")
    assert torch.equal(got[0, 0], sliding_window_mask(13, window, sinks))


@pytest.mark.parametrize("kernel", tuple(REGISTRY))
@pytest.mark.parametrize("name,mod,mask,L,S", CASES, ids=IDS)
def test_flex_attention_equals_every_kernel(kernel, name, mod, mask, L, S):
    q, k, v = _qkv((2, 3), L, S, 5, 3, "cpu", seed=L + S)  # (B, H, L, E)...
    got, weights = flex_attention(q, k, v, mod, scale=0.7)
    expected, _ = kernels.get(kernel)(q, k, v, mask, scale=0.7)  # (B, H, L, Ev)
    assert weights is None and got.dtype == torch.float64
    torch.testing.assert_close(got, expected, **TOL)


def test_bad_window_is_named():
    with pytest.raises(ValueError, match="window must be >= 1, got window=0"):
        sliding_window_mod(0)


def _compiled_flex_runs_on_this_cpu() -> bool:
    """PyTorch's own test: compiled FlexAttention needs AVX2 on the CPU (so not ARM,
    macOS or ATEN_CPU_CAPABILITY=default, where it raises NotImplementedError)."""
    try:
        from torch._inductor.kernel.flex.flex_cpu import check_cpu_supported
    except ImportError:  # another torch: let the test say
        return True
    return check_cpu_supported()


@pytest.mark.slow
@pytest.mark.skipif(
    not _compiled_flex_runs_on_this_cpu(),
    reason="compiled FlexAttention on the CPU needs AVX2 (PyTorch's own condition)",
)
def test_compiled_flex_attention_equals_sdpa_in_float32():
    """Compiled on the CPU (float32 only there): equal within float32's error."""
    q, k, v = _qkv((2, 3), 9, 9, 8, 8, "cpu", dtype=torch.float32)
    mask = sliding_window_mask(9, 3, num_sink_tokens=2)
    got, _ = flex_attention(q, k, v, sliding_window_mod(3, 2), compiled=True)
    expected, _ = kernels.get("sdpa")(q, k, v, mask)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
