"""Chapter 9's "write this function" exercises: q1, q2, q3.

Statements, hints and reference solutions; their inputs and catalogued mistakes
are in :mod:`.cases`.
"""

from __future__ import annotations

import torch

from ..core.exercise import Exercise
from .cases import (
    Q1_MISTAKES,
    Q2_MISTAKES,
    Q3_MISTAKES,
    _absorb_cases,
    _bytes_cases,
    _window_cases,
)


# q1 -----------------------------------------------------------------------------------
def sliding_window_mask(L, window, num_sink_tokens=0, device=None):
    """Bool (L, L), True = may attend: j <= i and (i - j < window or j < sinks)."""
    i = torch.arange(L, device=device)[:, None]  # (L, 1) query positions
    j = torch.arange(L, device=device)[None, :]  # (1, L) key positions
    recent = (i - j < window) | (j < num_sink_tokens)  # (L, L)
    return recent & (j <= i)  # (L, L): never a later key


q1 = Exercise(
    "ch09.q1",
    "A sliding window with attention sinks",
    r"""
    Write `sliding_window_mask(L, window, num_sink_tokens=0, device=None)`: a bool
    (L, L) mask on `device`, True = may attend, in which query $i$ sees key $j$
    exactly when $j \le i$ and either $i - j < W$ (one of the last $W$ keys, itself
    included) or $j < N$ (one of the first $N$ tokens, the sinks), with
    $W$ = `window` and $N$ = `num_sink_tokens`.
    """,
    sliding_window_mask,
    cases=_window_cases,
    hints=[
        "Build query positions as a column and key positions as a row with "
        "`torch.arange`; broadcasting gives (L, L).",
        "Combine three bool tensors: `((i - j < window) | (j < num_sink_tokens)) & "
        "(j <= i)`.",
    ],
    mistakes=Q1_MISTAKES,
)


# q2 -----------------------------------------------------------------------------------
def absorb_key_up(w_uq, w_uk):
    """Fold MLA's key up-projection into the query weight: (H, C, D_in).

    w_uq (H, E, D_in) maps the input to each head's query; w_uk (H, E, C) maps
    the latent c to each head's key content. Head h's score q_h . (W^UK_h c)
    equals (W^UK_h^T W^UQ_h x) . c.
    """
    return torch.einsum("hec,hei->hci", w_uk, w_uq)  # (H, C, D_in)


q2 = Exercise(
    "ch09.q2",
    "Absorb the key up-projection by hand",
    r"""
    In multi-head latent attention, head $h$ builds its query $q_h = W^{UQ}_h x$
    and its key content $k_h = W^{UK}_h c$ from the cached latent $c$. Write
    `absorb_key_up(w_uq, w_uk)` for `w_uq` of shape (H, E, D) and `w_uk` of
    shape (H, E, C), returning the (H, C, D) tensor $A$ with
    $A_h = (W^{UK}_h)^\top W^{UQ}_h$, so that $(A_h x) \cdot c = q_h \cdot k_h$:
    the query then meets the latent directly and no key is ever rebuilt.
    """,
    absorb_key_up,
    cases=_absorb_cases,
    hints=[
        "q_h . (W c) = (W^T q_h) . c: move the up-projection to the query side.",
        "`torch.einsum('hec,hei->hci', w_uk, w_uq)` contracts E within each head.",
    ],
    mistakes=Q2_MISTAKES,
)


# q3 -----------------------------------------------------------------------------------
def kv_cache_bytes(T, H_kv, E, dtype, window=None, num_sink_tokens=0):
    """Bytes of one layer's key/value cache after T tokens: 2 H_kv E s min(T, W + N)."""
    kept = T if window is None else min(T, window + num_sink_tokens)  # tokens kept
    return 2 * H_kv * E * dtype.itemsize * kept  # a key and a value per kept token


q3 = Exercise(
    "ch09.q3",
    "The bytes of a cache with a window",
    r"""
    Write `kv_cache_bytes(T, H_kv, E, dtype, window=None, num_sink_tokens=0)`: the
    bytes one layer's key/value cache holds after $T$ tokens of one sequence, with
    $H_{kv}$ key/value heads of size $E$ stored in the torch `dtype`. With
    `window=None` every token is kept; with a window $W$ and $N$ sinks, the rolling
    cache keeps the sinks and the last $W$ tokens. Return an `int`.
    """,
    kv_cache_bytes,
    cases=_bytes_cases,
    hints=[
        "Per kept token: one key and one value of E numbers for each of the H_kv "
        "heads.",
        "Tokens kept: T without a window, min(T, W + N) with one.",
    ],
    mistakes=Q3_MISTAKES,
)
