"""Tests for mhacourse.studies.head_analysis: diversity, ablation, identical heads."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mhacourse import MultiHeadAttention, padding_mask
from mhacourse.studies.head_analysis import (
    ablate_heads,
    head_diversity,
    make_heads_identical,
)

KERNELS = ["naive", "vectorized", "sdpa"]


@pytest.mark.parametrize("metric", ["cosine", "js"])
def test_diversity_extremes(metric):
    w = torch.softmax(torch.randn(2, 1, 5, 5), -1).expand(
        2, 3, 5, 5
    )  # (B, H, L, S): identical heads
    assert float(head_diversity(w, metric)) == pytest.approx(0.0, abs=1e-6)
    disjoint = torch.stack(
        [torch.eye(4), torch.eye(4).roll(1, 0), torch.eye(4).roll(2, 0)]
    )  # (H, L, S)
    assert float(head_diversity(disjoint, metric)) == pytest.approx(1.0)


def test_diversity_known_value():
    a = torch.tensor([[[1.0, 0.0]]])  # (1, L=1, S=2)
    b = torch.tensor([[[0.5, 0.5]]])
    w = torch.cat([a, b])  # (H=2, 1, 2)
    assert float(head_diversity(w, "cosine")) == pytest.approx(1 - 0.5 / (0.5**0.5))
    # JS(p, q) with p = (1, 0), q = (1/2, 1/2), m = (3/4, 1/4)
    kl_p = torch.log2(torch.tensor(4 / 3))
    kl_q = 0.5 * torch.log2(torch.tensor(2 / 3)) + 0.5 * torch.log2(torch.tensor(2.0))
    assert float(head_diversity(w, "js")) == pytest.approx(
        float(0.5 * (kl_p + kl_q)), rel=1e-5
    )


@settings(max_examples=25, deadline=None)
@given(
    H=st.integers(2, 5),
    L=st.integers(1, 5),
    S=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_diversity_in_unit_interval_and_head_order_free(H, L, S, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.softmax(3 * torch.randn(2, H, L, S, generator=g), -1)
    perm = torch.randperm(H, generator=g)
    for metric in ("cosine", "js"):
        d = float(head_diversity(w, metric))
        assert -1e-9 <= d <= 1 + 1e-9
        assert d == pytest.approx(float(head_diversity(w[:, perm], metric)), abs=1e-9)


def test_diversity_skips_fully_masked_rows():
    mha = MultiHeadAttention(8, 2)
    x = torch.randn(2, 4, 8)
    mask = padding_mask([4, 0], 4)  # second sequence: every query row fully masked
    _, w = mha(x, mask=mask)
    assert torch.isclose(head_diversity(w), head_diversity(w[:1]))


def test_diversity_bad_input():
    with pytest.raises(ValueError, match="H >= 2"):
        head_diversity(torch.ones(1, 1, 3, 3))
    with pytest.raises(ValueError, match="metric"):
        head_diversity(torch.ones(2, 3, 3), metric="kl")
    with pytest.raises(ValueError, match="fully masked"):
        head_diversity(torch.zeros(2, 3, 3))


@pytest.mark.parametrize("kernel", KERNELS)
def test_ablation_equals_manual_zeroing(kernel, device):
    torch.manual_seed(0)
    mha = MultiHeadAttention(12, 3, kernel=kernel, device=device, dtype=torch.float64)
    x = torch.randn(2, 5, 12, device=device, dtype=torch.float64)
    E = mha.head_dim
    captured = {}
    handle = mha.out_proj.register_forward_pre_hook(
        lambda m, a: captured.setdefault("concat", a[0])
    )
    mha(x)
    handle.remove()
    concat = captured["concat"].clone()  # (B, L, H * E)
    concat[..., 1 * E : 2 * E] = 0
    expected = mha.out_proj(concat)
    with ablate_heads(mha, 1) as same:
        out, w = mha(x)
    assert same is mha
    assert torch.allclose(out, expected, atol=1e-12)
    assert torch.allclose(
        mha(x)[0], mha.out_proj(captured["concat"]), atol=1e-12
    )  # hook removed
    if w is not None:
        assert torch.allclose(w, mha(x)[1])  # weights are not changed by ablation


def test_ablation_hook_removed_on_error_and_bad_heads():
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(RuntimeError), ablate_heads(mha, [0]):
        raise RuntimeError("boom")
    assert not mha.out_proj._forward_pre_hooks
    with pytest.raises(ValueError, match="num_heads=2"), ablate_heads(mha, [2]):
        pass
    with (
        pytest.raises(TypeError, match="num_heads"),
        ablate_heads(torch.nn.Linear(2, 2), 0),
    ):
        pass


@pytest.mark.parametrize("kernel", KERNELS)
def test_identical_heads_get_identical_gradients(kernel, device):
    torch.manual_seed(1)
    mha = make_heads_identical(
        MultiHeadAttention(12, 3, kernel=kernel, device=device, dtype=torch.float64)
    )
    E = mha.head_dim
    x = torch.randn(2, 5, 12, device=device, dtype=torch.float64)
    mha.kernel = "vectorized"
    _, w = mha(x)
    assert torch.allclose(w[:, 0], w[:, 2]) and torch.allclose(w[:, 1], w[:, 2])
    mha.kernel = kernel
    out, _ = mha(x)
    (out**2).sum().backward()
    for proj in (mha.q_proj, mha.k_proj, mha.v_proj):
        g = proj.weight.grad.unflatten(0, (3, E))  # (H, E, D)
        assert torch.allclose(g[0], g[1]) and torch.allclose(g[0], g[2])
    go = mha.out_proj.weight.grad.unflatten(1, (3, E))  # (D, H, E)
    assert torch.allclose(go[:, 0], go[:, 1]) and torch.allclose(go[:, 0], go[:, 2])
    assert mha.q_proj.weight.grad.abs().sum() > 0


def test_head_tools_work_on_subspace_attention():
    # The module docstring promises any module with num_heads, head_dim and out_proj.
    from mhacourse.studies.subspace_attention import SubspaceAttention

    torch.manual_seed(0)
    idx = torch.tensor([[0, 1, 2], [0, 1, 2]])  # both heads read the same coordinates
    att = SubspaceAttention(6, idx, head_dim=4).double()
    make_heads_identical(att)
    x = torch.randn(2, 5, 6, dtype=torch.float64)
    out, w = att(x)  # w: (B, H, L, S)
    assert torch.equal(w[:, 0], w[:, 1])
    assert float(head_diversity(w)) < 1e-12
    go = att.out_proj.weight  # (D, H * e)
    assert torch.equal(go[:, :4], go[:, 4:])
    with ablate_heads(att, [0, 1]):
        silent, _ = att(x)
    assert torch.allclose(silent, att.out_proj.bias.expand_as(silent))
    assert not torch.allclose(out, silent)
