"""Shared fixtures: every device-aware test runs once per device present.

Also home of the hypothesis profile and of the random attention cases that
both kernel test files draw from (exposed as fixtures, so no test imports
this module).
"""

import importlib.util
import os
import sys
from pathlib import Path
from typing import NamedTuple

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])

# Without a GPU the Triton kernel runs in Triton's interpreter, which must be chosen
# before triton is first imported; torch.profiler and torch.compile import it too, so
# choose it here, before any test runs.
if not torch.cuda.is_available():
    os.environ.setdefault("TRITON_INTERPRET", "1")

# The `device` fixture is function-scoped but immutable, so reusing it across
# hypothesis examples is safe. Examples are derandomized so a CI failure
# replays exactly; HYPOTHESIS_PROFILE=explore searches fresh examples.
settings.register_profile(
    "mhacourse",
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
)
settings.register_profile(
    "explore",
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "mhacourse"))


def _on_ci() -> bool:
    """True under CI=true (or 1/yes), as CI services set it."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI, a browser test that skips (no Chromium, say) fails instead.

    On a learner's machine a missing browser is a fair reason to skip; on CI it
    would silently drop every website check.
    """
    outcome = yield
    report = outcome.get_result()
    if report.skipped and "browser" in item.keywords and _on_ci():
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"CI is set, so a browser test may not skip: {reason}"


# The Triton kernel package's examples, under --doctest-modules: _kernels.py and
# _launch.py hold none and import triton, which must not happen at collection time
# (it would fix the interpreter switch too early), so they are never collected.
# The examples use CPU tensors: skipped without triton, and on a CUDA machine
# unless TRITON_INTERPRET=1.
TRITON_PACKAGE = Path(__file__).parents[1] / "mhacourse" / "kernels" / "triton"
if importlib.util.find_spec("triton") is None:
    TRITON_SKIP = "needs the triton package (see requirements.txt)"
elif torch.cuda.is_available() and os.environ.get("TRITON_INTERPRET") != "1":
    TRITON_SKIP = "CPU examples need TRITON_INTERPRET=1 on a CUDA machine"
else:
    TRITON_SKIP = None


def pytest_ignore_collect(collection_path, config):
    """Never import the Triton host modules while collecting doctests."""
    if collection_path.parent == TRITON_PACKAGE and collection_path.name in (
        "_kernels.py",
        "_launch.py",
    ):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords and not torch.cuda.is_available():
            item.add_marker(skip)
        if TRITON_SKIP and Path(item.path).parent == TRITON_PACKAGE:
            item.add_marker(pytest.mark.skip(reason=TRITON_SKIP))
    _leave_out_cpu_independent(config, items)


def _leave_out_cpu_independent(config, items):
    """Under MHACOURSE_NUMBERS_ONLY=1 (make test's second run, under
    ATEN_CPU_CAPABILITY=default: tools/pytest_both.sh), deselect the tests marked
    cpu_independent: they check processes, text or layout, which a CPU's
    instructions cannot change, and the first run has checked them."""
    if os.environ.get("MHACOURSE_NUMBERS_ONLY") != "1":
        return
    left = [item for item in items if "cpu_independent" in item.keywords]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = [item for item in items if "cpu_independent" not in item.keywords]


@pytest.fixture(params=DEVICES)
def device(request):
    """A torch.device, once for the CPU and once for CUDA when present."""
    return torch.device(request.param)


class AttentionCase(NamedTuple):
    """Shapes and seeds of one random attention problem; tensors come from `tensors`."""

    batch: tuple
    L: int
    S: int
    E: int
    Ev: int
    scale: float | None
    mask_shape: tuple | None  # None: no mask
    density: float  # chance that a mask entry is True
    kill_first_row: bool  # make query row 0 fully masked
    seed: int

    def tensors(self, device, dtype=torch.float64):
        """(q, k, v, mask) on `device`: q (..., L, E), k (..., S, E), v (..., S, Ev)."""
        g = torch.Generator().manual_seed(self.seed)
        q = torch.randn(*self.batch, self.L, self.E, generator=g, dtype=torch.float64)
        k = torch.randn(*self.batch, self.S, self.E, generator=g, dtype=torch.float64)
        v = torch.randn(*self.batch, self.S, self.Ev, generator=g, dtype=torch.float64)
        mask = None
        if self.mask_shape is not None:
            mask = torch.rand(self.mask_shape, generator=g) < self.density
            if self.kill_first_row and mask.dim() >= 2:
                mask[..., 0, :] = False
            mask = mask.to(device)
        return q.to(device, dtype), k.to(device, dtype), v.to(device, dtype), mask


@st.composite
def _attention_cases(draw, max_batch_dims=2, max_len=6):
    batch = tuple(draw(st.lists(st.integers(1, 3), max_size=max_batch_dims)))
    L = draw(st.integers(1, max_len - 1))
    S = draw(st.integers(1, max_len).filter(lambda s: s != L))
    E = draw(st.integers(1, 4))
    Ev = draw(st.integers(1, 5).filter(lambda e: e != E))
    scale = draw(st.none() | st.floats(0.1, 3.0))
    mask_shape = None
    if draw(st.booleans()):
        full = (*batch, L, S)
        kept = full[
            draw(st.integers(0, len(full))) :
        ]  # drop some leading dims: broadcasting adds them back
        mask_shape = tuple(
            n if draw(st.booleans()) else 1 for n in kept
        )  # and shrink some to 1
    density = draw(st.sampled_from([0.3, 0.7, 1.0]))
    return AttentionCase(
        batch,
        L,
        S,
        E,
        Ev,
        scale,
        mask_shape,
        density,
        draw(st.booleans()),
        draw(st.integers(0, 2**16)),
    )


@pytest.fixture(scope="session")
def attention_cases():
    """Strategy factory for AttentionCase: use with ``data.draw(attention_cases())``."""
    return _attention_cases


def _reference(q, k, v, mask=None, scale=None, is_causal=False):
    """(out, weights) from PyTorch: out from F.scaled_dot_product_attention,
    weights by hand as softmax(q k^T * scale) with masked scores at -inf and
    fully masked rows set to zero."""
    if (
        mask is not None
    ):  # SDPA rejects some valid broadcasts, e.g. a 0-d mask with 4-D q
        mask = mask.expand(*q.shape[:-1], k.shape[-2])  # (..., L, S)
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=mask, scale=scale, is_causal=is_causal
    )
    s = q.shape[-1] ** -0.5 if scale is None else scale
    scores = q @ k.transpose(-2, -1) * s  # (..., L, S)
    if is_causal:
        mask = torch.ones(
            q.shape[-2], k.shape[-2], dtype=torch.bool, device=q.device
        ).tril()
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # (..., L, S)
    return out, weights


@pytest.fixture(scope="session")
def reference():
    """PyTorch: ``reference(q, k, v, mask, scale, is_causal) -> (out, weights)``.

    ``mask``, ``scale`` and ``is_causal`` are optional (None, None, False).
    """
    return _reference


@pytest.fixture(autouse=True)
def _tile_step_eager_unless_marked(request, monkeypatch):
    """The "tiled-compiled" kernel runs its tile step eagerly in the tests that
    check every registered kernel's contract (masks, dtypes, shapes, modules): each
    new shape would otherwise cost a compilation of seconds. The same step, compiled,
    is checked against PyTorch in tests/test_kernels_compiled.py (marked compiles)."""
    if "compiles" not in request.keywords:
        from mhacourse.kernels import compiled

        monkeypatch.setattr(compiled, "_compiled_step", lambda: compiled.tile_step)


@pytest.fixture(autouse=True)
def _fresh_attempts():
    """Each test starts with no tries recorded, so the checker's brake on guessing
    (exercises.core.attempts) never makes one test wait for another's answers."""
    attempts = sys.modules.get("mhacourse.exercises.core.attempts")
    if attempts is not None:
        attempts._LOG.clear()
