"""The inputs (cases) and catalogued mistakes of chapter 9's function exercises.

The statements, hints and references are in :mod:`.functions`; nothing here is
shown to the reader as code.
"""

from __future__ import annotations

import torch

from ..core import inputs as I
from ..core.mistakes import mistake

_POLARITY = (
    "Your mask is inverted. In this course True means *may attend* (as in "
    "F.scaled_dot_product_attention): flip it with ~."
)


def _window(L, window, num_sink_tokens=0, *, strict=False, causal=True, sinks=True,
            sink_le=False, widen=False, device=None):  # fmt: skip
    """A sliding-window mask with one switchable mistake."""
    i = torch.arange(L, device=device)[:, None]  # (L, 1) queries
    j = torch.arange(L, device=device)[None, :]  # (1, L) keys
    W = window + num_sink_tokens if widen else window  # widen: sinks as a wider band
    recent = (i - j <= W) if strict else (i - j < W)  # (L, L)
    if sinks and not widen:
        recent = recent | ((j <= num_sink_tokens) if sink_le else (j < num_sink_tokens))
    return recent & (j <= i) if causal else recent  # (L, L)


def _wrong_window(invert=False, **switch):
    """The reference's signature, making the mistake ``switch`` names."""

    def wrong(L, window, num_sink_tokens=0, device=None):
        mask = _window(L, window, num_sink_tokens, device=device, **switch)  # (L, L)
        return ~mask if invert else mask

    return wrong


def _window_cases(gen, device):
    meta = torch.device("meta")
    return [
        I.Case((7, 3), {"num_sink_tokens": 0, "device": device}, {"L": 7}),
        I.Case((9, 2), {"num_sink_tokens": 2, "device": device}, {"L": 9}),
        I.Case((6, 4), {"num_sink_tokens": 1, "device": device}, {"L": 6}),
        I.Case(
            (5, 9),
            {"num_sink_tokens": 3, "device": device},
            {"L": 5},
            "the window is longer than the sequence",
        ),
        I.Case(  # last: on meta only shapes, dtype and device are compared
            (8, 3),
            {"num_sink_tokens": 2, "device": meta},
            {"L": 8},
            "on device 'meta', the `device` argument: is your mask made there?",
        ),
    ]


Q1_MISTAKES = [
    mistake("mask_polarity", _wrong_window(invert=True), message=_POLARITY),
    mistake(
        "window_off_by_one",
        _wrong_window(strict=True),
        message="Your window is one key too wide: a window of W keys holds the "
        "query itself and the W - 1 keys before it, so i - j < W, not <= W.",
    ),
    mistake(
        "sinks_see_the_future",
        _wrong_window(causal=False),
        message="Early queries now see later sink tokens (or later keys). The sink "
        "rule widens the window, it does not lift the causal rule: keep j <= i.",
    ),
    mistake(
        "no_sinks",
        _wrong_window(sinks=False),
        message="The first num_sink_tokens keys stay visible to every later query, "
        "however far back they are: add `| (j < num_sink_tokens)`.",
    ),
    mistake(
        "sinks_off_by_one",
        _wrong_window(sink_le=True),
        message="One sink too many: the sinks are keys 0 .. N - 1, so j < "
        "num_sink_tokens, not j <= num_sink_tokens.",
    ),
    mistake(
        "sinks_widen_window",
        _wrong_window(widen=True),
        message="You widened the band to W + N recent keys. The sinks are the "
        "*first* N tokens of the sequence, kept however far back they are: "
        "(i - j < W) | (j < N), then & (j <= i).",
    ),
]


def _absorb_cases(gen, device):
    H, E, C, Din = 3, 4, 5, 7
    dtype = I.wide_dtype(device)
    return [
        I.Case(
            (torch.randn(H, E, Din, generator=gen, dtype=dtype).to(device),
             torch.randn(H, E, C, generator=gen, dtype=dtype).to(device)),
            sizes={"H": H, "E": E, "C": C, "D": Din},
        ),
        I.Case(
            (torch.randn(1, 6, 2, generator=gen, dtype=dtype).to(device),
             torch.randn(1, 6, 3, generator=gen, dtype=dtype).to(device)),
            sizes={"H": 1, "E": 6, "C": 3, "D": 2}, note="one head",
        ),
        I.Case(  # last: on meta only shapes, dtype and device are compared
            (torch.empty(H, E, Din, device="meta"),
             torch.empty(H, E, C, device="meta")),
            sizes={"H": H, "E": E, "C": C, "D": Din},
            note="on device 'meta': does your code follow the inputs' device?",
        ),
    ]  # fmt: skip


Q2_MISTAKES = [
    mistake(
        "summed_heads",
        lambda w_uq, w_uk: (
            torch.einsum("hec,gei->ci", w_uk, w_uq)
            .unsqueeze(0)
            .expand(w_uq.shape[0], -1, -1)
        ),
        message="Each head keeps its own folded matrix: W^UK_h^T W^UQ_h pairs the "
        "blocks of the *same* head h, it does not sum over all pairs of heads.",
    ),
    mistake(
        "transposed_result",
        lambda w_uq, w_uk: torch.einsum("hec,hei->hic", w_uk, w_uq),
        message="Your result is (H, D, C): the folded query weight maps the D "
        "input features to C latent features, so it is (H, C, D), like a Linear's "
        "weight (out, in).",
    ),
    mistake(
        "heads_summed",
        lambda w_uq, w_uk: torch.einsum("hec,hei->ci", w_uk, w_uq),
        message="You summed over the heads: your result is one (C, D) matrix. Each "
        "head h keeps its own A_h = W^UK_h^T W^UQ_h, so keep h in the output, "
        "(H, C, D): e.g. torch.einsum('hec,hed->hcd', w_uk, w_uq).",
    ),
    mistake(
        "scaled",
        lambda w_uq, w_uk: (
            torch.einsum("hec,hei->hci", w_uk, w_uq) / w_uq.shape[1] ** 0.5
        ),
        message="Leave the 1 / sqrt(E) out: the folded weights only reorder the "
        "products, the kernel still applies its scale to the scores.",
    ),
]


def _bytes_cases(gen, device):
    f16, f32 = torch.float16, torch.float32
    return [
        I.Case((4096, 8, 128, f16), {}, note="no window"),
        I.Case((10_000, 8, 128, f16), {"window": 4096, "num_sink_tokens": 4}),
        I.Case(
            (100, 2, 64, f32),
            {"window": 4096, "num_sink_tokens": 4},
            note="fewer tokens than the window",
        ),
        I.Case((5000, 1, 96, f32), {"window": 1000}),
    ]


def _bytes(T, H_kv, E, dtype, window=None, num_sink_tokens=0, *, factor=2, kept=None,
           unit=1):  # fmt: skip
    keep = T if window is None else min(T, window + num_sink_tokens)
    keep = kept(T, window, num_sink_tokens) if kept is not None else keep
    size = factor * H_kv * E * dtype.itemsize * keep
    return size if unit == 1 else size / unit


Q3_MISTAKES = [
    mistake(
        "keys_only",
        lambda *a, **k: _bytes(*a, **k, factor=1),
        message="That counts the keys only: the cache keeps a key *and* a value "
        "per token and key/value head, a factor 2.",
    ),
    mistake(
        "window_always_full",
        lambda *a, **k: _bytes(*a, **k, kept=lambda T, W, N: T if W is None else W + N),
        message="With fewer tokens than the window, the cache holds only the tokens "
        "seen so far: min(T, W + N), not W + N.",
    ),
    mistake(
        "forgot_sinks",
        lambda *a, **k: _bytes(
            *a, **k, kept=lambda T, W, N: T if W is None else min(T, W)
        ),
        message="The sink tokens stay in the cache next to the window: keep "
        "min(T, W + N) tokens.",
    ),
    mistake(
        "always_4_bytes",
        lambda T, H_kv, E, dtype, **k: _bytes(T, H_kv, E, torch.float32, **k),
        message="Not every dtype takes 4 bytes: float16 takes 2. Use dtype.itemsize.",
    ),
    mistake(
        "sinks_beyond_tokens",
        lambda *a, **k: _bytes(
            *a, **k, kept=lambda T, W, N: T if W is None else min(T, W) + N
        ),
        message="With fewer tokens than the window, you counted N sink tokens on "
        "top of all T: the sinks are among the T tokens seen. Keep min(T, W + N).",
    ),
    mistake(
        "bits",
        lambda *a, **k: _bytes(*a, **k, factor=16),
        message="Those are bits. A byte is 8 bits: dtype.itemsize is already in bytes.",
    ),
    mistake(
        "gib",
        lambda *a, **k: _bytes(*a, **k, unit=2**30),
        message="That is in GiB. The function returns **bytes** (an int): no "
        "division by 2**30.",
    ),
    mistake(
        "gb",
        lambda *a, **k: _bytes(*a, **k, unit=10**9),
        message="That is in GB (10**9 bytes). The function returns **bytes** (an "
        "int): no division.",
    ),
]
