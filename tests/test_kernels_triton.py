"""The Triton FlashAttention-2 kernel, run by Triton's interpreter on the CPU.

TRITON_INTERPRET=1 must be in the environment before anything imports
triton, so it is set here, at collection time, before any test runs. Only on
a machine without CUDA: there compiled kernels cannot run anyway, and
torch.compile's CPU backend is unaffected by it. On a CUDA machine the
variable stays unset, the compiled variants (marked cuda) run, and the
interpreter tests skip unless the variable was set from outside.

Shapes are small and odd (L != S, E != Ev, lengths not multiples of the
16-wide blocks) because the interpreter runs each program in Python.
"""

import json
import os
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from kernel_inputs import qkv as _qkv

if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")  # before triton is imported
pytest.importorskip("triton")

from mhacourse import kernels
from mhacourse.kernels import triton as tk
from mhacourse.kernels.triton import _launch

BLOCK = (16, 16)
needs_interpreter = pytest.mark.skipif(
    not _launch.INTERPRETED, reason="CPU tensors need TRITON_INTERPRET=1 at import"
)


def _reference(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q k^T * scale) v in float64 by hand; a row that sees nothing gives 0."""
    q, k, v = q.double(), k.double(), v.double()
    s = q @ k.transpose(-2, -1) * (q.shape[-1] ** -0.5 if scale is None else scale)
    allowed = torch.ones(s.shape[-2:], dtype=torch.bool, device=q.device)  # (L, S)
    if causal:
        allowed = allowed.tril()
    if mask is not None:
        allowed = allowed & mask
    w = s.masked_fill(~allowed, float("-inf")).softmax(-1).nan_to_num(0.0)
    return w @ v  # (..., L, Ev)


def _sdpa_error(q, k, v, mask, causal, ref):
    """Error of PyTorch's SDPA in q's own precision: the yardstick for fp16."""
    allowed = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
    full = (allowed if causal else torch.ones_like(allowed)).to(q.device)  # (L, S)
    if mask is not None:
        full = full & mask
    full = full.expand(*q.shape[:-1], k.shape[-2])  # (..., L, S)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=full)
    out = out.masked_fill(~full.any(-1, keepdim=True), 0.0)  # (..., L, Ev)
    return (out.double() - ref).abs().max().item()


def _inputs(dtype, device="cpu", L=19, S=33, batch=(2,), seed=0):
    return _qkv(batch, L=L, S=S, E=8, Ev=5, device=device, dtype=dtype, seed=seed)


def _padding(S, lengths, device="cpu"):
    """(B, 1, S) key-padding mask: True for the first lengths[b] keys."""
    return (
        torch.arange(S, device=device) < torch.tensor(lengths, device=device)[:, None]
    )[:, None, :]


def _check_close(out, ref, dtype, yardstick):
    err = (out.double() - ref).abs().max().item()
    limit = {torch.float64: 1e-12, torch.float32: 1e-5}.get(dtype)
    if limit is None:  # fp16: at most twice PyTorch's own fp16 error
        limit = 2 * yardstick + 1e-5
    assert err <= limit, f"max error {err:.3g} > {limit:.3g}"


CASES = [  # (dtype, L, S, causal, mask, (BLOCK_M, BLOCK_N))
    (torch.float64, 19, 33, False, None, (16, 16)),
    (torch.float32, 19, 33, True, None, (16, 16)),
    # L > S: late queries see every key; BLOCK_M != BLOCK_N moves the causal bounds
    (torch.float32, 35, 18, True, "padding", (32, 16)),
    (torch.float16, 19, 33, False, "padding", (16, 16)),
    (torch.float16, 33, 37, True, "full", (16, 32)),
]


@needs_interpreter
@pytest.mark.parametrize("dtype,L,S,causal,mask_kind,block", CASES)
def test_forward_and_gradients_match_float64(dtype, L, S, causal, mask_kind, block):
    q, k, v = _inputs(dtype, L=L, S=S)  # (2, L, 8), (2, S, 8), (2, S, 5)
    mask = None
    if mask_kind == "padding":
        mask = _padding(S, [S - 1, 7])  # (2, 1, S)
    elif mask_kind == "full":
        mask = torch.rand(L, S, generator=torch.Generator().manual_seed(9)) < 0.6
        mask[2] = False  # (L, S) with one query that sees nothing
    for t in (q, k, v):
        t.requires_grad_()
    out, w = tk.scaled_dot_product_attention(
        q, k, v, mask, causal=causal, block_size=block
    )
    assert w is None and out.shape == (2, L, 5) and out.dtype == dtype
    ref = _reference(q, k, v, mask, causal)
    _check_close(out, ref, dtype, _sdpa_error(q, k, v, mask, causal, ref))
    g = torch.randn(2, L, 5, generator=torch.Generator().manual_seed(5)).double()
    grads = torch.autograd.grad(out, (q, k, v), g.to(dtype))
    qd, kd, vd = (t.detach().double().requires_grad_() for t in (q, k, v))
    ref_grads = torch.autograd.grad(
        _reference(qd, kd, vd, mask, causal), (qd, kd, vd), g
    )
    for name, got, want in zip("qkv", grads, ref_grads, strict=True):
        yard = 0.0
        if dtype == torch.float16:  # PyTorch's fp16 gradient error, same recipe
            q16, k16, v16 = (t.detach().clone().requires_grad_() for t in (q, k, v))
            full = _reference_mask(L, S, mask, causal)
            o16 = F.scaled_dot_product_attention(q16, k16, v16, attn_mask=full)
            g16 = torch.autograd.grad(o16, (q16, k16, v16), g.to(dtype))
            yard = (g16["qkv".index(name)].double() - want).abs().max().item()
        _check_close(got, want, dtype, yard)


def _reference_mask(L, S, mask, causal):
    full = torch.ones(L, S, dtype=torch.bool)
    if causal:
        full = full.tril()
    return full if mask is None else full & mask


@needs_interpreter
def test_fully_masked_rows_give_zero_output_and_exact_gradients():
    q, k, v = _inputs(torch.float64, L=18, S=20)
    for t in (q, k, v):
        t.requires_grad_()
    mask = torch.rand(2, 18, 20, generator=torch.Generator().manual_seed(4)) < 0.5
    mask[0, 3] = False  # one query sees nothing
    mask[1, :, 16:] = False  # the second key block is hidden from every query
    out, _ = tk.scaled_dot_product_attention(q, k, v, mask, block_size=BLOCK)
    assert torch.isfinite(out).all() and out[0, 3].abs().max() == 0
    ref = _reference(q, k, v, mask)
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=0)
    grads = torch.autograd.grad(out.square().sum(), (q, k, v))
    ref_grads = torch.autograd.grad(ref.square().sum(), (q, k, v))
    for got, want in zip(grads, ref_grads, strict=True):
        torch.testing.assert_close(got, want, atol=1e-12, rtol=0)
    assert grads[0][0, 3].abs().max() == 0 and grads[1][1, 16:].abs().max() == 0


@needs_interpreter
@pytest.mark.parametrize(
    "mask_shape", [(), (20,), (2, 1, 1, 20), (1, 3, 17, 20), (2, 3, 17, 1)]
)
def test_every_broadcastable_mask_shape(mask_shape):
    q, k, v = _qkv((2, 3), L=17, S=20, E=8, Ev=5, device="cpu", dtype=torch.float64)
    mask = torch.rand(mask_shape, generator=torch.Generator().manual_seed(3)) < 0.6
    out, _ = tk.scaled_dot_product_attention(q, k, v, mask, block_size=BLOCK)
    torch.testing.assert_close(out, _reference(q, k, v, mask), atol=1e-12, rtol=0)


@needs_interpreter
def test_non_contiguous_inputs_and_a_given_scale():
    g = torch.Generator().manual_seed(6)
    q = torch.randn(2, 8, 19, generator=g, dtype=torch.float64).transpose(-2, -1)
    k = torch.randn(2, 8, 21, generator=g, dtype=torch.float64).transpose(-2, -1)
    v = torch.randn(2, 5, 21, generator=g, dtype=torch.float64).transpose(-2, -1)
    assert not (q.is_contiguous() or k.is_contiguous() or v.is_contiguous())
    out, _ = tk.scaled_dot_product_attention(q, k, v, scale=0.3)  # default blocks
    torch.testing.assert_close(out, _reference(q, k, v, scale=0.3), atol=1e-12, rtol=0)


@needs_interpreter
def test_registered_kernel_is_this_one_and_matches_tiled():
    assert kernels.get("triton").fn is tk.scaled_dot_product_attention
    q, k, v = _inputs(torch.float64, L=5, S=7)
    mask = _padding(7, [7, 2])
    out, _ = kernels.get("triton")(q, k, v, mask)
    torch.testing.assert_close(out, kernels.get("tiled")(q, k, v, mask)[0])


@pytest.mark.parametrize(
    "kwargs,error,words",
    [
        (dict(mask=torch.ones(19, 33)), TypeError, ["mask", "(19, 33)"]),
        (
            dict(mask=torch.ones(4, 33, dtype=torch.bool)),
            ValueError,
            ["mask", "(4, 33)"],
        ),
        (dict(causal=1), TypeError, ["causal"]),
        (dict(block_size=(16, 24)), ValueError, ["block_size", "(16, 24)"]),
    ],
)
def test_bad_arguments_get_clear_errors(kwargs, error, words):
    q, k, v = _inputs(torch.float32)
    with pytest.raises(error) as info:
        tk.scaled_dot_product_attention(q, k, v, **kwargs)
    assert all(w in str(info.value) for w in words), str(info.value)


def test_bfloat16_on_cpu_and_missing_triton_errors(monkeypatch):
    q, k, v = _inputs(torch.bfloat16)
    with pytest.raises(TypeError, match="bfloat16"):
        tk.scaled_dot_product_attention(q, k, v)
    monkeypatch.setitem(sys.modules, "mhacourse.kernels.triton._launch", None)
    with pytest.raises(ImportError, match=r"pip install triton==3\.7\.1"):
        tk.scaled_dot_product_attention(*_inputs(torch.float32))


# Run in a fresh process without TRITON_INTERPRET: importing mhacourse must not
# import triton, and the forward kernel must compile for a GPU (sm_90, the
# H100/H200 generation) even here, where there is none (Triton can compile
# ahead of time), with no TF32 instruction in its fp32 PTX. One kernel only:
# a cold compile takes seconds. (All three compile for fp32, fp16 and bf16.)
_COMPILE_FOR_SM90 = """
import json, sys
import torch
import mhacourse.kernels, mhacourse.mha
report = {"imported_triton": "triton" in sys.modules}
import triton, triton.language as tl
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from mhacourse.kernels.triton import _launch
fn = _launch.PROGRAMS[sys.argv[1]]
consts = dict(HAS_MASK=True, CAUSAL=True, ACC=tl.float32,
              PREC=_launch.precision(torch.float32), BLOCK_M=64, BLOCK_N=64,
              BLOCK_E=64, BLOCK_EV=64)
sig = {a: "constexpr" if a in consts else "i32" for a in fn.arg_names}
sig.update({a: "*fp32" for a in ("Q", "K", "V", "Out", "Lse", "Scale", "dO", "Dl")})
sig.update({"M": "*u8", "dK": "*fp32", "dV": "*fp32", "dQ": "*fp32"})
sig = {a: t for a, t in sig.items() if a in fn.arg_names}
src = ASTSource(fn=fn, signature=sig, constexprs=consts)
ptx = triton.compile(src, target=GPUTarget("cuda", 90, 32)).asm["ptx"]
report.update(ptx_lines=ptx.count("\\n"), tf32="tf32" in ptx)
print(json.dumps(report))
"""


def test_import_is_lazy_and_fp32_forward_compiles_for_sm90_without_tf32(tmp_path):
    # Explicitly off: without a GPU, importing mhacourse would choose the interpreter.
    env = {**os.environ, "TRITON_INTERPRET": "0"}
    env["TRITON_CACHE_DIR"] = str(tmp_path)  # a cold cache: really compile
    proc = subprocess.run(
        [sys.executable, "-c", _COMPILE_FOR_SM90, "attention_forward"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["imported_triton"] is False
    assert report["ptx_lines"] > 100  # it really compiled
    assert report["tf32"] is False, "fp32 tl.dot rounds its inputs to TF32"


def test_pin_is_the_installed_version_and_fp32_asks_for_ieee():
    from importlib.metadata import version

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "requirements.txt")) as f:
        assert tk.TRITON_PIN in f.read().split()
    assert f"triton=={version('triton')}" == tk.TRITON_PIN
    assert _launch.precision(torch.float32) == "ieee"  # never TF32, see test below


# --- compiled on a GPU -------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.skipif(_launch.INTERPRETED, reason="this process interprets triton")
def test_compiled_fp32_is_ieee_accurate_not_tf32():
    """TF32 products would err by ~1e-3 here; true fp32 stays near 1e-6."""
    q, k, v = _qkv(
        (2, 4), L=300, S=257, E=64, Ev=48, device="cuda", dtype=torch.float32
    )
    q = q * 4  # sharper softmax: rounding errors in the scores show up in the output
    out, _ = tk.scaled_dot_product_attention(q, k, v, causal=True)
    err = (out.double() - _reference(q, k, v, causal=True)).abs().max().item()
    assert err < 2e-5, f"fp32 error {err:.3g}: is tl.dot running in TF32?"


@pytest.mark.cuda
@pytest.mark.skipif(_launch.INTERPRETED, reason="this process interprets triton")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_compiled_forward_and_backward_on_cuda(dtype):
    q, k, v = _qkv((2, 3), L=200, S=129, E=64, Ev=64, device="cuda", dtype=dtype)
    mask = _padding(129, [129, 50], "cuda")[:, None]  # (2, 1, 1, S)
    for t in (q, k, v):
        t.requires_grad_()
    out, _ = tk.scaled_dot_product_attention(q, k, v, mask, causal=True)
    ref = _reference(q, k, v, mask, causal=True)
    _check_close(out, ref, dtype, _sdpa_error(q, k, v, mask, True, ref))
    grads = torch.autograd.grad(out.float().square().sum(), (q, k, v))
    qd, kd, vd = (t.detach().double().requires_grad_() for t in (q, k, v))
    ref_out = _reference(qd, kd, vd, mask, causal=True)
    ref_grads = torch.autograd.grad(ref_out.square().sum(), (qd, kd, vd))
    for got, want in zip(grads, ref_grads, strict=True):
        rel = ((got.double() - want).norm() / want.norm()).item()
        assert rel < {torch.float32: 1e-5}.get(dtype, 2e-2), rel


@pytest.mark.cuda
@pytest.mark.skipif(_launch.INTERPRETED, reason="this process interprets triton")
def test_compiled_float64_is_refused_clearly():
    q, k, v = _inputs(torch.float64, device="cuda")
    with pytest.raises(TypeError, match="float64"):
        tk.scaled_dot_product_attention(q, k, v)
