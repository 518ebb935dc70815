"""MultiHeadAttention against nn.MultiheadAttention, for every kernel.

Shape legend: B batch, H heads, L query length, S key length, D model dim,
E = D // H. Our masks say True = may attend; nn.MultiheadAttention's say
True = blocked, so every comparison converts.
"""

import dataclasses
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mhacourse import MultiHeadAttention, causal_mask, padding_mask
from mhacourse.kernels import REGISTRY
from mhacourse.masks import (
    from_torch_masks,
    to_torch_attn_mask,
    to_torch_key_padding_mask,
)

KERNELS = tuple(REGISTRY)

TOL = dict(atol=1e-10, rtol=1e-10)
B, L, S, D, H = 2, 4, 5, 12, 3


def _randn(*shape, device, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(device, dtype)


def _torch_mha(device, seed=0, dtype=torch.float64, **kwargs):
    """An nn.MultiheadAttention with every parameter random.

    (PyTorch itself zeroes the biases.)
    """
    kwargs.setdefault("batch_first", True)
    ref = nn.MultiheadAttention(D, H, device=device, dtype=dtype, **kwargs)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in ref.parameters():
            p.copy_(0.5 * torch.randn(p.shape, generator=g, dtype=torch.float64))
    return ref.eval()


# Read from the registry: a kernel registered later (tiled-compiled) is checked too.
NO_WEIGHTS = tuple(n for n in REGISTRY if not REGISTRY[n].returns_weights)


def _runnable(kernels, device):
    """The kernels that can run on ``device`` here (Triton takes CPU tensors only
    where no GPU is present)."""
    cpu_with_gpu = torch.device(device).type == "cpu" and torch.cuda.is_available()
    return [k for k in kernels if not (k == "triton" and cpu_with_gpu)]


@pytest.fixture(autouse=True)
def _triton_runs_where_it_can(request):
    """Triton interprets CPU tensors only on a machine without a GPU."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    on_cpu = params.get("device", "cpu") == "cpu"
    if params.get("kernel") == "triton" and on_cpu and torch.cuda.is_available():
        pytest.skip("with a GPU, Triton compiles for it and cannot take CPU tensors")


def _run_torch(ref, query, key, value, **masks):
    return ref(
        query, key, value, need_weights=True, average_attn_weights=False, **masks
    )


def _check(ours, ref, out, weights, kernel):
    torch.testing.assert_close(out, ref[0], **TOL)
    if kernel in NO_WEIGHTS:  # the fused and tiled kernels never form the weights
        assert weights is None
    else:
        assert weights.shape == ref[1].shape
        torch.testing.assert_close(weights, ref[1], **TOL)


@pytest.mark.parametrize("kernel", KERNELS)
def test_self_attention_equals_pytorch(device, kernel):
    ref = _torch_mha(device)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    x = _randn(B, L, D, device=device)
    out, w = ours(x)
    assert out.shape == (B, L, D)
    _check(ours, _run_torch(ref, x, x, x), out, w, kernel)
    if w is not None:  # weights are per head; PyTorch's default averages them
        torch.testing.assert_close(w.mean(1), ref(x, x, x)[1], **TOL)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "kdim,vdim", [(None, None), (7, 5)], ids=["packed", "kdim-vdim"]
)
def test_cross_attention_equals_pytorch(device, kernel, kdim, vdim):
    ref = _torch_mha(device, seed=1, kdim=kdim, vdim=vdim)
    assert ref._qkv_same_embed_dim == (kdim is None)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    query = _randn(B, L, D, device=device, seed=1)
    key = _randn(B, S, kdim or D, device=device, seed=2)
    value = _randn(B, S, vdim or D, device=device, seed=3)
    out, w = ours(query, key, value)
    assert out.shape == (B, L, D)
    _check(ours, _run_torch(ref, query, key, value), out, w, kernel)


@pytest.mark.parametrize("kernel", KERNELS)
def test_key_padding_mask(device, kernel):
    ref = _torch_mha(device, seed=2)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    query, memory = (
        _randn(B, L, D, device=device, seed=1),
        _randn(B, S, D, device=device, seed=2),
    )
    lengths = torch.tensor([5, 2], device=device)
    mask = padding_mask(lengths, S)  # (B, 1, 1, S), True = real token
    by_hand = (
        torch.arange(S, device=device)[None, :] >= lengths[:, None]
    )  # (B, S), True = padding
    assert torch.equal(to_torch_key_padding_mask(mask), by_hand)
    out, w = ours(query, memory, mask=mask)
    _check(
        ours,
        _run_torch(ref, query, memory, memory, key_padding_mask=by_hand),
        out,
        w,
        kernel,
    )
    if w is not None:
        assert not w[1, :, :, 2:].any()


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("L_,S_", [(4, 4), (4, 6)])
def test_causal_mask(device, kernel, L_, S_):
    ref = _torch_mha(device, seed=3)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    query, memory = (
        _randn(B, L_, D, device=device, seed=1),
        _randn(B, S_, D, device=device, seed=2),
    )
    mask = causal_mask(L_, S_, device=device)
    by_hand = torch.triu(
        torch.ones(L_, S_, dtype=torch.bool, device=device), diagonal=1
    )  # True = future
    assert torch.equal(to_torch_attn_mask(mask), by_hand)
    out, w = ours(query, memory, mask=mask)
    _check(
        ours, _run_torch(ref, query, memory, memory, attn_mask=by_hand), out, w, kernel
    )
    if L_ == S_:  # PyTorch's own float causal mask, read back with from_torch_masks
        float_mask = nn.Transformer.generate_square_subsequent_mask(
            L_, device=device, dtype=torch.float64
        )
        torch.testing.assert_close(
            ours(query, memory, mask=from_torch_masks(float_mask))[0], out, **TOL
        )


@pytest.mark.parametrize("kernel", KERNELS)
def test_causal_padding_and_per_head_masks_together(device, kernel):
    ref = _torch_mha(device, seed=4)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    x = _randn(B, L, D, device=device, seed=4)
    per_head = _randn(B, H, L, L, device=device, seed=5) > -0.5  # (B, H, L, S)
    per_head[..., 0] = (
        True  # keep every row alive: PyTorch gives NaN for a fully blocked row
    )
    attn_mask = to_torch_attn_mask(
        per_head.reshape(B * H, L, L)
    )  # PyTorch's (B*H, L, S) layout
    kpm = to_torch_key_padding_mask(
        padding_mask(torch.tensor([4, 3], device=device), L)
    )
    mask = from_torch_masks(attn_mask, kpm, num_heads=H)
    assert torch.equal(
        mask, per_head & padding_mask(torch.tensor([4, 3], device=device), L)
    )
    out, w = ours(x, mask=mask)
    _check(
        ours,
        _run_torch(ref, x, x, x, attn_mask=attn_mask, key_padding_mask=kpm),
        out,
        w,
        kernel,
    )


@pytest.mark.parametrize("kernel", KERNELS)
def test_without_bias(device, kernel):
    ref = _torch_mha(device, seed=5, bias=False, kdim=6, vdim=7)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    assert all(
        p.bias is None for p in (ours.q_proj, ours.k_proj, ours.v_proj, ours.out_proj)
    )
    query, key, value = (
        _randn(B, n, d, device=device, seed=d) for n, d in ((L, D), (S, 6), (S, 7))
    )
    out, w = ours(query, key, value)
    _check(ours, _run_torch(ref, query, key, value), out, w, kernel)


def test_from_torch_refuses_a_sequence_first_source():
    """Ours is batch-first: copying a (L, B, D) module silently would swap B and L."""
    with pytest.raises(ValueError, match="batch_first=False"):
        MultiHeadAttention.from_torch(nn.MultiheadAttention(8, 2))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_from_torch_keeps_dtype_device_and_copies(device, dtype):
    ref = _torch_mha(device, dtype=dtype, dropout=0.25)
    ours = MultiHeadAttention.from_torch(ref)
    assert ours.kernel == "vectorized" and ours.dropout == 0.25
    for p in ours.parameters():
        assert (
            p.dtype == dtype
            and p.device == ref.out_proj.weight.device
            and p.requires_grad
        )
    D_ = ref.embed_dim
    assert torch.equal(ours.k_proj.weight, ref.in_proj_weight[D_ : 2 * D_])
    assert torch.equal(ours.v_proj.bias, ref.in_proj_bias[2 * D_ :])
    with torch.no_grad():
        ours.q_proj.weight.zero_()  # a copy, not a view into PyTorch's parameters
    assert ref.in_proj_weight[:D_].abs().sum() > 0


def test_from_torch_float32_within_default_tolerance(device):
    ref = _torch_mha(device, dtype=torch.float32)
    ours = MultiHeadAttention.from_torch(ref)
    x = _randn(B, L, D, device=device, dtype=torch.float32)
    out, w = ours(x)
    assert out.dtype == w.dtype == torch.float32
    ref_out, ref_w = _run_torch(ref, x, x, x)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(w, ref_w)


def test_kernel_is_switchable_and_kernels_agree(device):
    ours = MultiHeadAttention.from_torch(_torch_mha(device, seed=7))
    query, memory = (
        _randn(B, L, D, device=device, seed=1),
        _randn(B, S, D, device=device, seed=2),
    )
    mask = causal_mask(L, S, device=device) & padding_mask(
        torch.tensor([5, 3], device=device), S
    )
    mask[1, 0, 0, 0] = False  # batch 1, query 0 now sees no key at all
    results = {}
    kernels = _runnable(KERNELS, device)
    for kernel in kernels:
        ours.kernel = kernel
        results[kernel] = ours(query, memory, mask=mask)
    assert all(results[k][1] is None for k in kernels if k in NO_WEIGHTS)
    for kernel in kernels:  # every kernel gives the loop kernel's output
        torch.testing.assert_close(
            results[kernel][0], results["naive"][0], atol=1e-12, rtol=0
        )
    torch.testing.assert_close(
        results["naive"][1], results["vectorized"][1], atol=1e-12, rtol=0
    )
    torch.testing.assert_close(
        results["sdpa"][0], results["vectorized"][0], atol=1e-12, rtol=0
    )
    assert torch.equal(
        results["naive"][1][1, :, 0],
        torch.zeros(H, S, dtype=torch.float64, device=device),
    )
    assert all(torch.isfinite(out).all() for out, _ in results.values())
    assert f"kernel={kernels[-1]!r}" in repr(ours)  # the last one set


def test_gradients_agree_between_kernels(device):
    mask = causal_mask(L, S, device=device)
    mask[0] = False  # a fully masked query row
    grads = {}
    for kernel in _runnable(KERNELS, device):
        ours = MultiHeadAttention.from_torch(
            _torch_mha(device, seed=8, kdim=7, vdim=5), kernel=kernel
        )
        query = _randn(B, L, D, device=device, seed=1).requires_grad_()
        key = _randn(B, S, 7, device=device, seed=2).requires_grad_()
        value = _randn(B, S, 5, device=device, seed=3).requires_grad_()
        out, _ = ours(query, key, value, mask=mask)
        (out * _randn(B, L, D, device=device, seed=9)).sum().backward()
        grads[kernel] = [query.grad, key.grad, value.grad] + [
            p.grad for p in ours.parameters()
        ]
    assert len(grads["naive"]) == 3 + 8
    for kernel in ("naive", "sdpa"):
        for a, b in zip(grads[kernel], grads["vectorized"], strict=True):
            torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_large_logits_stay_finite(device, dtype):
    ours = MultiHeadAttention.from_torch(_torch_mha(device, seed=9, dtype=dtype))
    with torch.no_grad():
        ours.q_proj.weight.mul_(1000)  # queries x1000: scores in the thousands
        ours.q_proj.bias.mul_(1000)
    x = _randn(B, L, D, device=device, dtype=dtype)
    mask = causal_mask(L, device=device)
    outs = {}
    for kernel in _runnable(KERNELS, device):
        ours.kernel = kernel
        out, w = ours(x, mask=mask)
        assert torch.isfinite(out).all(), kernel
        if w is not None:
            assert torch.isfinite(w).all()
            torch.testing.assert_close(
                w.sum(-1), torch.ones(B, H, L, dtype=dtype, device=device)
            )
        outs[kernel] = out
    torch.testing.assert_close(outs["naive"], outs["vectorized"])
    torch.testing.assert_close(outs["sdpa"], outs["vectorized"])


@pytest.mark.parametrize("kernel", ["naive", "vectorized"])
def test_dropout_only_in_training(device, kernel):
    ours = MultiHeadAttention.from_torch(_torch_mha(device, dropout=0.5), kernel=kernel)
    x = _randn(B, L, D, device=device)
    ours.eval()
    _, w_eval = ours(x)
    torch.manual_seed(0)
    ours.train()
    _, w_train = ours(x)
    dropped = w_train == 0
    assert dropped.any() and not dropped.all()
    torch.testing.assert_close(w_train[~dropped], w_eval[~dropped] / 0.5, **TOL)


def test_sdpa_dropout_only_in_training(device):
    ours = MultiHeadAttention.from_torch(_torch_mha(device, dropout=0.5), kernel="sdpa")
    x = _randn(B, L, D, device=device)
    out_eval = ours.eval()(x)[0]
    torch.testing.assert_close(ours(x)[0], out_eval, atol=0, rtol=0)
    torch.manual_seed(0)
    assert not torch.allclose(ours.train()(x)[0], out_eval)


# ------------------------------------------------------------------------- bad input


def test_embed_dim_must_divide_by_heads():
    with pytest.raises(
        ValueError, match="embed_dim=10 is not divisible by num_heads=4"
    ):
        MultiHeadAttention(10, 4)


def test_bad_kernel_name():
    with pytest.raises(ValueError, match=r"kernel must be one of .*got kernel='flash'"):
        MultiHeadAttention(8, 2, kernel="flash")
    mha = MultiHeadAttention(8, 2)
    mha.kernel = "loop"
    with pytest.raises(ValueError, match=r"got kernel='loop'"):
        mha(torch.randn(1, 3, 8))


@pytest.mark.parametrize(
    "args,message",
    [
        (((2, 4),), r"query must have shape \(B, L, 12\), got \(2, 4\)"),
        (((2, 4, 8),), r"query must have shape \(B, L, 12\), got \(2, 4, 8\)"),
        (((2, 4, 12), (2, 5, 6)), r"key must have shape \(B, S, 7\), got \(2, 5, 6\)"),
        (
            ((2, 4, 12), (2, 5, 7), (2, 5, 7)),
            r"value must have shape \(B, S, 5\), got \(2, 5, 7\)",
        ),
        (
            ((2, 4, 12), (2, 5, 7), (2, 6, 5)),
            r"key and value must share \(B, S\), got key \(2, 5, 7\) "
            r"and value \(2, 6, 5\)",
        ),
        (
            ((2, 4, 12), (3, 5, 7), (3, 5, 5)),
            r"query and key must share the batch size B, got query \(2, 4, 12\)",
        ),
    ],
)
def test_wrong_input_shapes(args, message):
    mha = MultiHeadAttention(D, H, kdim=7, vdim=5)
    with pytest.raises(ValueError, match=message):
        mha(*(torch.randn(shape) for shape in args))


def test_non_tensor_input():
    with pytest.raises(TypeError, match=r"query must be a torch\.Tensor, got list"):
        MultiHeadAttention(D, H)([[0.0] * D])


@pytest.mark.parametrize(
    "mask_shape", [(L, S + 1), (2, 1, 1, S), (1, 1, 1, L, S), (H + 1, L, S)]
)
def test_mask_that_cannot_broadcast(mask_shape):
    mha = MultiHeadAttention(D, H)
    query, key = (
        torch.randn(1, L, D),
        torch.randn(1, S, D),
    )  # B = 1: a (2, ...) mask would grow the batch
    expected = (
        f"mask with shape {tuple(mask_shape)} cannot broadcast to the scores' "
        f"shape (B, H, L, S) = (1, {H}, {L}, {S})"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        mha(query, key, mask=torch.ones(mask_shape, dtype=torch.bool))


def test_float_mask_is_a_type_error():
    mha = MultiHeadAttention(D, H)
    with pytest.raises(
        TypeError,
        match=r"mask must have dtype torch.bool .* got torch.float32 "
        r"with shape \(4, 4\)",
    ):
        mha(torch.randn(1, L, D), mask=torch.zeros(L, L))


def test_inputs_on_different_devices():
    mha = MultiHeadAttention(D, H)
    meta = torch.empty(
        1, S, D, device="meta"
    )  # stands in for a GPU tensor on a CPU-only machine
    with pytest.raises(
        ValueError,
        match="query, key and value must be on one device, got cpu, meta, meta",
    ):
        mha(torch.randn(1, L, D), meta)
    with pytest.raises(
        ValueError, match="query is on meta but the module's weights are on cpu"
    ):
        mha(torch.empty(1, L, D, device="meta"))
    with pytest.raises(ValueError, match="mask is on meta but the inputs are on cpu"):
        mha(
            torch.randn(1, L, D), mask=torch.ones(L, L, dtype=torch.bool, device="meta")
        )


@pytest.mark.cuda
def test_inputs_on_cpu_and_cuda():
    mha = MultiHeadAttention(D, H, device="cuda")
    with pytest.raises(ValueError, match="must be on one device"):
        mha(torch.randn(1, L, D, device="cuda"), torch.randn(1, S, D))
    with pytest.raises(
        ValueError, match="query is on cpu but the module's weights are on cuda"
    ):
        mha(torch.randn(1, L, D))
    with pytest.raises(ValueError, match="mask is on cpu but the inputs are on cuda"):
        mha(torch.randn(1, L, D, device="cuda"), mask=causal_mask(L))


def test_from_torch_rejects_what_it_cannot_copy():
    with pytest.raises(
        TypeError, match=r"module must be an nn\.MultiheadAttention, got Linear"
    ):
        MultiHeadAttention.from_torch(nn.Linear(4, 4))
    with pytest.raises(ValueError, match="add_bias_kv"):
        MultiHeadAttention.from_torch(
            nn.MultiheadAttention(8, 2, add_bias_kv=True, batch_first=True)
        )


@pytest.mark.parametrize(
    "mask_shape", [(), (S,), (1, S), (L, 1), (B, 1, 1, S), (1, H, L, S), (B, 1, L, 1)]
)
def test_every_broadcastable_mask_shape_gives_one_answer_for_all_kernels(
    device, mask_shape
):
    """The docstring promises any bool mask broadcastable to (B, H, L, S).

    F.scaled_dot_product_attention itself refuses 0-d and 1-d masks, so the
    "sdpa" kernel must widen them.
    """
    ours = MultiHeadAttention.from_torch(_torch_mha(device, seed=3))
    query, memory = (
        _randn(B, L, D, device=device, seed=1),
        _randn(B, S, D, device=device, seed=2),
    )
    mask = _randn(*mask_shape, device=device, seed=4) > -0.3
    expected = {}
    for kernel in _runnable(KERNELS, device):
        ours.kernel = kernel
        expected[kernel] = ours(query, memory, mask=mask.expand(B, H, L, S))[
            0
        ]  # (B, L, D)
        torch.testing.assert_close(
            ours(query, memory, mask=mask)[0], expected[kernel], **TOL
        )
    torch.testing.assert_close(expected["sdpa"], expected["vectorized"], **TOL)
    torch.testing.assert_close(expected["naive"], expected["vectorized"], **TOL)


# -------------------------------------------------------- from_torch: mode, public API


@pytest.mark.parametrize("training", [False, True])
def test_from_torch_keeps_training_mode(training):
    ref = _torch_mha("cpu").train(training)
    assert MultiHeadAttention.from_torch(ref).training is training


@pytest.mark.parametrize("kdim", [None, 7])
def test_from_torch_reads_no_private_attribute(kdim):
    """Works on a module without PyTorch's private ``_qkv_same_embed_dim``."""
    ref = _torch_mha("cpu", kdim=kdim, vdim=kdim)
    x = _randn(B, L, D, device="cpu")
    kv = x if kdim is None else _randn(B, S, kdim, device="cpu", seed=1)
    expected = _run_torch(ref, x, kv, kv)
    del ref._qkv_same_embed_dim
    out, _ = MultiHeadAttention.from_torch(ref)(x, kv, kv)
    torch.testing.assert_close(out, expected[0], **TOL)


# ------------------------------------------------------------------- dropout's output


def _dropout_reference(ours, x, weights):
    """The output the dropped weights must give: out_proj(merge(weights @ v))."""
    from mhacourse.gqa import repeat_kv
    from mhacourse.heads import merge_heads, split_heads

    groups = ours.num_heads // ours.num_kv_heads
    v = repeat_kv(split_heads(ours.v_proj(x), ours.num_kv_heads), groups)  # (B,H,S,E)
    return ours.out_proj(merge_heads(weights @ v))  # (B, L, D)


@pytest.mark.parametrize("kernel", ["naive", "vectorized"])
@pytest.mark.parametrize("num_kv_heads", [None, 1])
def test_dropout_output_uses_the_dropped_weights(kernel, num_kv_heads):
    torch.manual_seed(0)
    ours = MultiHeadAttention(
        D, H, kernel=kernel, dropout=0.5, dtype=torch.float64, num_kv_heads=num_kv_heads
    )
    x = _randn(B, L, D, device="cpu")
    out, weights = ours.train()(x)
    assert (weights == 0).any()
    torch.testing.assert_close(out, _dropout_reference(ours, x, weights), **TOL)
    assert not torch.allclose(out, ours.eval()(x)[0])


@pytest.mark.parametrize("num_kv_heads", [None, 1])
def test_sdpa_dropout_output_equals_fused_kernel_with_same_seed(num_kv_heads):
    from mhacourse.heads import merge_heads, split_heads

    ours = MultiHeadAttention(
        D, H, kernel="sdpa", dropout=0.5, dtype=torch.float64, num_kv_heads=num_kv_heads
    ).train()
    x = _randn(B, L, D, device="cpu")
    q = split_heads(ours.q_proj(x), H)  # (B, H, L, E)
    k = split_heads(ours.k_proj(x), ours.num_kv_heads)  # (B, H_kv, L, E)
    v = split_heads(ours.v_proj(x), ours.num_kv_heads)  # (B, H_kv, L, E)
    torch.manual_seed(3)
    heads = F.scaled_dot_product_attention(
        q, k, v, dropout_p=0.5, enable_gqa=num_kv_heads is not None
    )
    torch.manual_seed(3)
    out, _ = ours(x)
    torch.testing.assert_close(out, ours.out_proj(merge_heads(heads)), **TOL)


def test_tiled_kernel_refuses_dropout_in_training_only():
    ours = MultiHeadAttention(D, H, kernel="tiled", dropout=0.1, dtype=torch.float64)
    x = _randn(B, L, D, device="cpu")
    with pytest.raises(ValueError, match=r"kernel='tiled'.*dropout=0.1.*\.eval\(\)"):
        ours.train()(x)
    ours.eval()(x)  # no dropout in evaluation: fine


# --------------------------------------------------------- grouped-query attention


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("num_kv_heads", [1, 2, 6])
def test_gqa_equals_sdpa_enable_gqa(device, kernel, num_kv_heads):
    """Every kernel, with the same weights, equals PyTorch's fused GQA."""
    from mhacourse.heads import merge_heads, split_heads

    Dg, Hg = 18, 6  # E = 3, odd
    torch.manual_seed(0)
    ours = MultiHeadAttention(
        Dg, Hg, kernel=kernel, kdim=5, vdim=7, num_kv_heads=num_kv_heads,
        dtype=torch.float64, device=device,
    )  # fmt: skip
    query = _randn(B, L, Dg, device=device)
    key, value = (
        _randn(B, S, 5, device=device, seed=1),
        _randn(B, S, 7, device=device, seed=2),
    )
    mask = causal_mask(L, S, device=device) & padding_mask(torch.tensor([5, 2]), S).to(
        device
    )
    q = split_heads(ours.q_proj(query), Hg)  # (B, H, L, E)
    k = split_heads(ours.k_proj(key), num_kv_heads)  # (B, H_kv, S, E)
    v = split_heads(ours.v_proj(value), num_kv_heads)  # (B, H_kv, S, E)
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
    expected = ours.out_proj(merge_heads(heads))  # (B, L, D)
    out, _ = ours(query, key, value, mask=mask)
    torch.testing.assert_close(out, expected, **TOL)


def test_gqa_projection_sizes_and_default():
    assert MultiHeadAttention(16, 8).num_kv_heads == 8
    mqa = MultiHeadAttention(16, 8, num_kv_heads=1)
    assert mqa.k_proj.out_features == mqa.v_proj.out_features == 2  # 1 head of E = 2
    assert mqa.q_proj.out_features == mqa.out_proj.in_features == 16
    assert "num_kv_heads=1" in repr(mqa)


@pytest.mark.parametrize(
    "bad, error", [(3, ValueError), (0, ValueError), (-2, ValueError), (16, ValueError),
                   (2.0, TypeError), (True, TypeError)]
)  # fmt: skip
def test_bad_num_kv_heads_is_named(bad, error):
    with pytest.raises(error, match="num_kv_heads"):
        MultiHeadAttention(16, 8, num_kv_heads=bad)


# ------------------------------------------------------------------------- KV cache


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("num_kv_heads", [None, 1])
def test_kv_cache_decoding_equals_full_masked_pass(device, kernel, num_kv_heads):
    from mhacourse.kv_cache import KVCache

    torch.manual_seed(0)
    ours = MultiHeadAttention(
        D,
        H,
        kernel=kernel,
        num_kv_heads=num_kv_heads,
        dtype=torch.float64,
        device=device,
    ).eval()
    T = 7
    x = _randn(B, T, D, device=device)
    full, _ = ours(x, mask=causal_mask(T, device=device))  # (B, T, D)
    cache, steps = KVCache(), []
    for chunk in (x[:, :3], x[:, 3:4], x[:, 4:5], x[:, 5:]):  # a prompt, then tokens
        steps.append(ours(chunk, cache=cache)[0])
    assert len(cache) == T
    torch.testing.assert_close(torch.cat(steps, dim=1), full, **TOL)


def test_kv_cache_rejects_cross_attention_and_wrong_type():
    from mhacourse.kv_cache import KVCache

    ours = MultiHeadAttention(D, H)
    x = torch.randn(B, L, D)
    with pytest.raises(ValueError, match="self-attention"):
        ours(x, torch.randn(B, S, D), cache=KVCache())
    with pytest.raises(TypeError, match="cache must be a KVCache"):
        ours(x, cache={})


def test_every_argument_after_num_heads_is_keyword_only():
    """PyTorch's third argument is dropout: ours must not read 0.1 as a bias."""
    with pytest.raises(TypeError):
        MultiHeadAttention(16, 8, 0.1)
    with pytest.raises(TypeError):
        MultiHeadAttention(16, 8)(torch.randn(1, 2, 16), None, None, None)


@pytest.mark.parametrize("kernel", KERNELS)
def test_is_causal_equals_pytorch_and_the_explicit_mask(device, kernel):
    """is_causal=True (L != S: top-left aligned), with and without another mask."""
    ref = _torch_mha(device, seed=4)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    query, memory = _randn(B, L, D, device=device), _randn(B, S, D, device=device)
    hide = ~causal_mask(L, S, device=device)  # PyTorch's polarity: True = blocked
    expected = _run_torch(ref, query, memory, memory, attn_mask=hide)
    _check(ours, expected, *ours(query, memory, is_causal=True), kernel)
    pad = padding_mask([S, 3], S).to(device)  # (B, 1, 1, S)
    expected = _run_torch(
        ref, query, memory, memory, attn_mask=hide, key_padding_mask=~pad[:, 0, 0]
    )
    _check(ours, expected, *ours(query, memory, mask=pad, is_causal=True), kernel)


@pytest.mark.parametrize("kernel", KERNELS)
def test_is_causal_reaches_the_kernels_own_causal_path(kernel, monkeypatch):
    """A kernel declared causal gets causal=True, not a mask built for it."""
    seen = []
    spec = REGISTRY[kernel]

    def spy(q, k, v, mask=None, scale=None, **options):
        seen.append((mask, options.get("causal", False)))
        return spec.fn(q, k, v, mask, scale, **options)

    monkeypatch.setitem(REGISTRY, kernel, dataclasses.replace(spec, fn=spy))
    mha = MultiHeadAttention(D, H, kernel=kernel, dtype=torch.float64)
    mha(_randn(B, L, D, device="cpu"), is_causal=True)
    if spec.causal:
        assert all(mask is None and causal for mask, causal in seen)
    else:
        assert all(torch.equal(m, causal_mask(L)) and not c for m, c in seen)


@pytest.mark.parametrize("kernel", KERNELS)
def test_need_weights_and_average_attn_weights(device, kernel):
    """need_weights=False gives (out, None); averaging equals PyTorch's."""
    ref = _torch_mha(device, seed=5)
    ours = MultiHeadAttention.from_torch(ref, kernel=kernel)
    query, memory = _randn(B, L, D, device=device), _randn(B, S, D, device=device)
    out, none = ours(query, memory, need_weights=False)
    assert none is None
    torch.testing.assert_close(out, ref(query, memory, memory)[0], **TOL)
    out, w = ours(query, memory, average_attn_weights=True)
    ref_out, ref_w = ref(query, memory, memory, average_attn_weights=True)
    torch.testing.assert_close(out, ref_out, **TOL)
    if REGISTRY[kernel].returns_weights:
        assert w.shape == (B, L, S)
        torch.testing.assert_close(w, ref_w, **TOL)
    else:
        assert w is None


def test_triton_in_training_with_dropout_names_dropout():
    if "triton" not in REGISTRY:
        pytest.skip("triton is not installed")
    mha = MultiHeadAttention(D, H, kernel="triton", dropout=0.1)
    with pytest.raises(ValueError, match=r"kernel='triton'.*dropout=0\.1"):
        mha(torch.randn(B, L, D))
