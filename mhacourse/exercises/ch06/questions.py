"""Chapter 6 questions: RoPE's offset (predict), the KV cache (experiment), GQA, masks.

>>> q7.reference, q8.reference, q9.reference, q10.reference
('a', 12288, 'c', 'c')
"""

from __future__ import annotations

import torch

from ...masks import causal_mask, padding_mask
from ...mha import MultiHeadAttention
from ...positions import apply_rotary
from ..core.figures import heatmaps, nearest
from ..core.mistakes import mistake
from ..core.questions import experiment, picture, predict

__all__ = ["q7", "q8", "q9", "q10"]


def rope_offset():
    """Run it: does a RoPE score change when both positions move by 7?"""
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 1, 16, generator=gen, dtype=torch.float64)  # (1, E) each

    def score(m, n):
        qm = apply_rotary(q, torch.tensor([m]))  # (1, E)
        return (qm @ apply_rotary(k, torch.tensor([n])).T).item()

    same = abs(score(3, 1) - score(10, 8)) < 1e-9
    swapped = abs(score(3, 1) - score(1, 3)) < 1e-9
    return "a" if same and not swapped else ("b" if same else "c")


q7 = predict(
    "ch06.q7",
    "Predict: moving a sentence along, with RoPE",
    r"""
    With rotary positions (RoPE), the query of the token at position $m$ and the
    key of the token at position $n$ are rotated by angles proportional to $m$ and
    $n$ before the score. Take one query and one key and compare the score for
    positions $(m, n) = (3, 1)$ with the score for $(10, 8)$, the same pair of
    tokens 7 places further on. **Before running anything**, predict:

    - `a`: the scores are equal: only $m - n$ matters;
    - `b`: equal, and they would also equal the score for $(1, 3)$;
    - `c`: they differ: the absolute positions matter.
    """,
    rope_offset,
    choices={"a": "equal, m - n only", "b": "equal, and symmetric", "c": "differ"},
    wrong={
        "b": "The scores depend on m - n, and m - n = 2 is not n - m = -2: rotating "
        "q by +2 steps relative to k is not the same as by -2 steps.",
        "c": "q is rotated by m w and k by n w; in the dot product only the "
        "difference of the two rotations is left, (m - n) w.",
    },
    why="Rotations compose: R(m w)^T R(n w) = R((n - m) w), so the score sees only "
    "the offset m - n, not where the pair sits in the sentence.",
    hints=[
        "Rotating both vectors by the same angle does not change their dot product.",
        "Moving both tokens by 7 adds the same rotation to q and to k.",
    ],
)


def kv_bytes_per_token():
    """Bytes of K and V cache per generated token: 12 layers, 4 kv heads, E = 64."""
    layers, kv_heads, E, dtype = 12, 4, 64, torch.float16
    # The experiment:
    cache = [
        torch.empty(2, kv_heads, 1, E, dtype=dtype, device="meta")  # (K|V, H_kv, T, E)
        for _ in range(layers)
    ]
    return sum(t.numel() * t.element_size() for t in cache)


def _kv_formula(factor=2, heads=4, size=2):
    return lambda: factor * 12 * heads * 64 * size


q8 = experiment(
    "ch06.q8",
    "Experiment: the KV cache per token",
    r"""
    A decoder with 12 layers, $H = 16$ query heads but only $H_{kv} = 4$ key/value
    heads (grouped-query attention), head size $E = 64$, caches its keys and
    values in float16. How many **bytes** does the cache grow by for each generated
    token? Work it out, or build the tensors one token adds (on the `meta` device,
    which allocates nothing) and add up `numel() * element_size()`.
    """,
    kv_bytes_per_token,
    rtol=0.0,
    mistakes=[
        mistake(
            "keys_only",
            _kv_formula(factor=1),
            message="That is half the answer: it counts the keys only (each layer "
            "caches a key *and* a value per kv head: a factor 2), or numbers instead "
            "of bytes (a float16 number takes 2 bytes).",
        ),
        mistake(
            "query_heads",
            _kv_formula(heads=16),
            message="With grouped-query attention only the H_kv = 4 key/value "
            "heads are cached, not the 16 query heads.",
        ),
        mistake(
            "float32",
            _kv_formula(size=4),
            message="float16 takes 2 bytes per number, not 4.",
        ),
        mistake(
            "bits",
            lambda: 8 * _kv_formula()(),
            message="That is in bits. Report bytes (float16: 2 bytes).",
        ),
        mistake(
            "one_layer",
            lambda: _kv_formula()() // 12,
            message="That is one layer's share. Each of the 12 layers caches its "
            "own keys and values: multiply by 12.",
        ),
        mistake(
            "one_kv_head",
            lambda: _kv_formula(heads=1)(),
            message="That is one kv head's share. Each of the H_kv = 4 kv heads "
            "caches its own key and value: multiply by 4.",
        ),
        mistake(
            "kib",
            lambda: _kv_formula()() / 1024,
            message="That is in KiB (1024 bytes). Report bytes.",
        ),
    ],
    hints=[
        "Per layer and token: one key and one value vector of size E per kv head.",
        "2 * layers * H_kv * E * bytes per number.",
    ],
)


def gqa_savings():
    """Run it: parameters with num_kv_heads=2 over those with num_kv_heads=8."""

    def count(kv):
        mha = MultiHeadAttention(512, 8, num_kv_heads=kv, bias=False, device="meta")
        return sum(p.numel() for p in mha.parameters())

    return nearest(count(2) / count(8), {"a": 0.25, "b": 0.5, "c": 0.625, "d": 1.0})


q9 = predict(
    "ch06.q9",
    "Predict: what does grouped-query attention save?",
    r"""
    `MultiHeadAttention(512, 8, num_kv_heads=2, bias=False)` keeps 8 query heads but
    only 2 key/value heads, each shared by 4 query heads. **Before running
    anything**, predict its number of parameters as a fraction of the same layer
    with `num_kv_heads=8`:

    - `a`: 1/4; `b`: 1/2; `c`: 5/8; `d`: the same.
    """,
    gqa_savings,
    choices={"a": "1/4", "b": "1/2", "c": "5/8", "d": "the same"},
    wrong={
        "a": "Only W^k and W^v shrink (to a quarter). W^q and W^o keep all 8 heads: "
        "(1 + 1/4 + 1/4 + 1) / 4 = 5/8.",
        "b": "W^k and W^v shrink to a quarter, W^q and W^o do not: "
        "(1 + 1/4 + 1/4 + 1) / 4 = 5/8, not 1/2.",
        "d": "W^k and W^v project to H_kv * E = 128 features instead of 512: they "
        "shrink to a quarter.",
    },
    why="W^q and W^o stay (512, 512); W^k and W^v become (128, 512). The total is "
    "(1 + 1/4 + 1/4 + 1) / 4 = 5/8 of the full layer. The cache shrinks to 1/4.",
    hints=[
        "Which of the four projections depend on the number of kv heads?",
        "W^k and W^v have H_kv * E rows.",
    ],
)

_MASKS = ("causal", "padding", "cross", "causal + padding")


def _masks():
    """Four masks, in _MASKS order: a target of 4 tokens, a source of 6 (2 padded)."""
    pad = padding_mask([4], 6)[0, 0]  # (1, S)
    tgt = padding_mask([3], 4)[0, 0]  # (1, L)
    return {
        "causal": causal_mask(4, 6),  # (L, S) top-left causal, a decoder's self mask
        "padding": tgt.expand(4, 4),  # (L, L) self-attention, padded target
        "cross": pad.expand(4, 6),  # (L, S) decoder queries on the source
        "causal + padding": causal_mask(4) & tgt.expand(4, 4),  # (L, L)
    }


_ORDER = ("d", "a", "c", "b")  # panel letter of each mask in _MASKS order


def cross_mask_panel():
    """Read the picture: the panel whose mask is the decoder's cross-attention mask."""
    masks = _masks()
    for name, panel in zip(_MASKS, _ORDER, strict=True):
        m = masks[name]
        if m.shape == (4, 6) and bool((m == m[:1]).all()) and not bool(m.all()):
            return panel
    raise AssertionError("no cross-attention mask among the panels")


def _show_masks():
    masks = _masks()
    by_panel = {p: masks[n] for n, p in zip(_MASKS, _ORDER, strict=True)}
    fig = heatmaps(
        [by_panel[p] for p in "abcd"],
        [f"({p})" for p in "abcd"],
        [],  # panels are 4 or 6 keys wide: labelled one by one below
        [f"query {i}" for i in range(4)],
        label="may attend",
        cmap="cividis",
    )
    for ax, p in zip(fig.axes[:4], "abcd", strict=True):  # the four panels
        width = by_panel[p].shape[-1]
        ax.set_xticks(range(width), [str(j) for j in range(width)], fontsize=10)
        ax.set_xlabel("key")
    return fig


q10 = picture(
    "ch06.q10",
    "Read the picture: which mask is cross-attention?",
    r"""
    A decoder reads a target of $L = 4$ tokens (the last one padding) and a source
    sentence of $S = 6$ tokens (the last two padding). Run `ex.q10.show()`: four
    masks, rows are queries, columns keys; teal means **may attend**, grey blocked.
    Which panel is the mask of the decoder's **cross-attention**?
    """,
    cross_mask_panel,
    _show_masks,
    choices={p: f"panel ({p})" for p in "abcd"},
    wrong={
        "a": "Panel (a) hides the padded target token from every query: a padding "
        "mask of the decoder's self-attention, 4 keys wide.",
        "b": "Panel (b) is causal and padded: the decoder's self-attention mask. "
        "Cross-attention may look at the whole source, the future included.",
        "d": "Panel (d) is triangular: a causal mask. The source is known in full, so "
        "cross-attention needs no causal mask, only the source padding.",
    },
    why="Cross-attention has a row per target token and a column per source token "
    "(4 x 6); every query sees the same real source tokens, so every row is equal "
    "and only the padded columns are off.",
    hints=[
        "How many columns does a cross-attention mask have: L or S?",
        "Can a decoder token look at a *later* source token?",
    ],
    alt="Four 4-row masks in a 2 by 2 grid, teal where attending is allowed and grey "
    "where it is blocked, with a two-colour legend.",
)
