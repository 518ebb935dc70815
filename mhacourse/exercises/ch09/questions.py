"""Chapter 9 questions: MLA against GQA (predict), which mask (picture), windows.

>>> q4.reference, q5.reference, q6.reference
('c', 'b', 6)
"""

from __future__ import annotations

import torch

from ...kv_cache import KVCache
from ...masks import causal_mask, sliding_window_mask
from ...mla import LatentCache
from ..core.figures import heatmaps, nearest
from ..core.mistakes import mistake
from ..core.questions import experiment, picture, predict

__all__ = ["q4", "q5", "q6"]


def mla_against_gqa():
    """Run it: cache bytes per token of GQA (8 x 128) over MLA (C 512, R 64), fp16."""
    f16 = torch.float16
    gqa, mla = KVCache(), LatentCache()
    gqa.append(
        torch.zeros(1, 8, 1, 128, dtype=f16), torch.zeros(1, 8, 1, 128, dtype=f16)
    )
    mla.append(
        torch.zeros(1, 1, 1, 512, dtype=f16), torch.zeros(1, 1, 1, 64, dtype=f16)
    )
    ratio = gqa.nbytes() / mla.nbytes()  # one token each
    return nearest(ratio, {"a": 0.5, "b": 1.0, "c": 3.6, "d": 57.0})


q4 = predict(
    "ch09.q4",
    "Predict: MLA's cache against GQA's",
    r"""
    DeepSeek-V2 caches, per token and layer, a latent of $C = 512$ numbers and a
    RoPE key of $R = 64$. A Llama-style layer with grouped-query attention caches
    $H_{kv} = 8$ keys and values of $E = 128$. Both store float16. **Before
    running anything**, predict how the two caches compare per token:

    - `a`: GQA's is about half of MLA's;
    - `b`: about the same;
    - `c`: MLA's is about 3.6 times smaller;
    - `d`: MLA's is about 57 times smaller.
    """,
    mla_against_gqa,
    choices={
        "a": "GQA half",
        "b": "the same",
        "c": "MLA 3.6x smaller",
        "d": "MLA 57x smaller",
    },
    wrong={
        "a": "GQA keeps a key and a value for each of its 8 heads: 2 x 8 x 128 = "
        "2048 numbers. MLA keeps 512 + 64 = 576.",
        "b": "Count both: 2 x 8 x 128 = 2048 numbers against 512 + 64 = 576.",
        "d": "57 is MLA against full multi-head attention with 128 heads of 128 "
        "(2 x 128 x 128 = 32768 numbers). GQA with 8 KV heads already keeps 16 "
        "times less than that.",
    },
    why="GQA keeps 2 x 8 x 128 = 2048 numbers per token, MLA 512 + 64 = 576: "
    "2048 / 576 = 3.56. The bytes per number are the same on both sides.",
    hints=[
        "Count numbers per token: keys and values for GQA, latent and RoPE key for "
        "MLA.",
        "2 x H_kv x E against C + R.",
    ],
)

_PANELS = {  # panel letter: the mask drawn there (L = 8)
    "a": sliding_window_mask(8, 3),
    "b": sliding_window_mask(8, 3, num_sink_tokens=2),
    "c": causal_mask(8),
    "d": sliding_window_mask(8, 3) | (torch.arange(8) < 2)[None, :],
}


def window_with_sinks_panel():
    """Read the picture: the panel equal to sliding_window_mask(8, 3, 2)."""
    want = sliding_window_mask(8, 3, num_sink_tokens=2)  # (L, L)
    return next(p for p, m in _PANELS.items() if torch.equal(m, want))


def _show_panels():
    keys = [str(j) for j in range(8)]
    return heatmaps(
        [_PANELS[p] for p in "abcd"], [f"({p})" for p in "abcd"], keys,
        [f"q {i}" for i in range(8)], label="may attend",
    )  # fmt: skip


q5 = picture(
    "ch09.q5",
    "Read the picture: which mask keeps two sinks?",
    r"""
    Run `ex.q5.show()`: four (8, 8) masks, rows are queries, columns keys; the
    legend names the two colours. Which panel is
    `sliding_window_mask(8, 3, num_sink_tokens=2)`, a window of 3 keys plus two
    attention sinks?
    """,
    window_with_sinks_panel,
    _show_panels,
    choices={p: f"panel ({p})" for p in "abcd"},
    wrong={
        "a": "Panel (a) is a band of width 3 and nothing else: a window without "
        "sinks. Late queries there no longer see tokens 0 and 1.",
        "c": "Panel (c) is the full lower triangle: plain causal attention, no "
        "window at all.",
        "d": "Panel (d) shows keys 0 and 1 to every query, query 0 included: the "
        "sinks there see the future. Sinks widen the window, never past j <= i.",
    },
    why="Panel (b) is the band of the last 3 keys plus columns 0 and 1 below the "
    "diagonal: every query keeps the first two tokens and its 3 most recent ones.",
    hints=[
        "Look at the last row: which keys does query 7 see?",
        "Look at row 0: can it see key 1?",
    ],
    alt="Four 8 by 8 masks in a 2 by 2 grid, in two colours with a legend: a band, "
    "a band with two full columns at the left below the diagonal, a full lower "
    "triangle, and a band with two full columns at the left from top to bottom.",
)


def smallest_window():
    """Experiment: the smallest window with which two layers reach 9 tokens back."""
    from mhacourse import MultiHeadAttention, sliding_window_mask

    torch.manual_seed(0)
    L, back = 12, 9  # the last token must read the token 9 positions before it
    layers = [MultiHeadAttention(8, 2).double() for _ in range(2)]
    # The experiment: grow the window until the gradient reaches that token.
    for window in range(1, L + 1):
        x = torch.randn(1, L, 8, dtype=torch.float64, requires_grad=True)  # (B, L, D)
        mask = sliding_window_mask(L, window)  # (L, L)
        with torch.enable_grad():
            h = x
            for layer in layers:
                h = h + layer(h, mask=mask)[0]  # (B, L, D), residual like a block
            h[0, -1].sum().backward()
        if x.grad[0, L - 1 - back].abs().sum() > 0:
            return window
    return L


q6 = experiment(
    "ch09.q6",
    "Experiment: the smallest window that reaches a token",
    r"""
    The chapter says that through $n$ windowed layers a token reaches about
    $n (W - 1)$ positions back. Check that formula. With **two** attention
    layers (with residual connections) and no sinks, the formula says the last
    of 12 tokens can depend on the token 9 positions earlier once
    $2 (W - 1) \ge 9$. Find the smallest window $W$ for which it really does,
    and compare: the gradient of the last output with respect to that token's
    input is non-zero exactly when it depends on it.
    """,
    smallest_window,
    rtol=0.0,
    mistakes=[
        mistake(
            "one_layer",
            lambda: 10,
            message="One layer with a window of 10 would reach it, but there are "
            "two: each hop reaches W - 1 tokens back, so two hops reach 2 (W - 1).",
        ),
        mistake(
            "window_counts_back",
            lambda: 5,
            message="A window of W keys reaches W - 1 tokens back (it holds the "
            "query itself): two layers of W = 5 reach 8 tokens back, one short.",
        ),
        mistake(
            "not_rounded_up",
            lambda: 5.5,
            message="2 (W - 1) >= 9 gives W >= 5.5, but a window holds a whole "
            "number of keys: the smallest that works is the next integer. Run the "
            "experiment to confirm it.",
        ),
        mistake(
            "one_layer_counts_back",
            lambda: 9,
            message="A window of 9 would reach 9 back only if it held 9 keys before "
            "the query, and there are two layers: each hop reaches W - 1 tokens "
            "back, so two hops reach 2 (W - 1).",
        ),
    ],
    hints=[
        "Set `x.grad` by `h[0, -1].sum().backward()` and look at `x.grad[0, 2]`.",
        "Each layer lets a token read W - 1 tokens back; two layers add up.",
    ],
)
