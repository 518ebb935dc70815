"""Chapter 6's "write this function" exercises on blocks: q5, q6.

q5 cross-attention over a padded memory, q6 a pre-norm / post-norm encoder
block. Statements, hints and reference solutions; their inputs and catalogued
mistakes are in :mod:`.cases`.
"""

from __future__ import annotations

import torch

from ..core.exercise import Exercise
from .block_cases import Q6_MISTAKES, _block_cases
from .cases import Q5_MISTAKES, _cross_cases


# q5 -----------------------------------------------------------------------------------
def cross_attention(mha, x, memory, memory_lengths):
    """Decoder tokens attend to the encoder's output, ignoring its padding.

    mha: a mhacourse.MultiHeadAttention; x: (B, L, D) decoder tokens (queries);
    memory: (B, S, D) encoder outputs (keys and values); memory_lengths: (B,)
    int64, the number of real tokens of each memory. Returns (B, L, D).
    """
    S = memory.shape[1]
    positions = torch.arange(S, device=memory.device)  # (S,)
    real = positions < memory_lengths[:, None]  # (B, S): True at real tokens
    out, _ = mha(x, memory, memory, mask=real[:, None, None, :])  # mask (B, 1, 1, S)
    return out  # (B, L, D)


q5 = Exercise(
    "ch06.q5",
    "Cross-attention over a padded memory",
    r"""
    In an encoder-decoder Transformer, the decoder's L tokens attend to the encoder's S
    output tokens (the
    *memory*), so $L \ne S$ in general. Write
    `cross_attention(mha, x, memory, memory_lengths)`: call the
    `mhacourse.MultiHeadAttention` module `mha` with queries from the decoder tokens
    `x` (B, L, D), keys and values
    from `memory` (B, S, D), and a mask so that no query attends to the memory's
    padding (`memory_lengths`, (B,),
    counts the real tokens). Return the attention output (B, L, D).
    """,
    cross_attention,
    cases=_cross_cases,
    hints=[
        "`mha(query, key, value, mask=...)` returns `(out, weights)`.",
        "Build the padding mask (B, 1, 1, S) as in exercise 2, from `memory_lengths`.",
    ],
    mistakes=Q5_MISTAKES,
)


# q6 -----------------------------------------------------------------------------------
def encoder_block(x, attn, ff, norm1, norm2, pre_norm=True):
    """A Transformer encoder block: self-attention, then feed-forward.

    Each sublayer sits inside a residual connection with a LayerNorm.

    x: (B, L, D); attn: a MultiHeadAttention (returns (out, weights)); ff: a
    feed-forward network (B, L, D) -> (B, L, D); norm1, norm2: LayerNorms.
    pre_norm=True: x + sublayer(norm(x)). pre_norm=False (post-norm, the
    original Transformer): norm(x + sublayer(x)). Returns (B, L, D).
    """
    if pre_norm:
        x = x + attn(norm1(x))[0]  # (B, L, D): normalise the sublayer's input only
        return x + ff(norm2(x))  # (B, L, D)
    x = norm1(x + attn(x)[0])  # (B, L, D): normalise after the residual sum
    return norm2(x + ff(x))  # (B, L, D)


q6 = Exercise(
    "ch06.q6",
    "An encoder block, pre-norm and post-norm",
    r"""
    An encoder block wraps self-attention and a feed-forward network each in a
    **residual connection** and a
    **LayerNorm**. The original Transformer normalises after the sum (*post-norm*),
    most models today before the
    sublayer (*pre-norm*):

    $$\begin{aligned}
    \text{pre-norm: } & x \leftarrow x + \mathrm{attn}(\mathrm{norm}_1(x)), &
      x &\leftarrow x + \mathrm{ff}(\mathrm{norm}_2(x)) \\
    \text{post-norm: } & x \leftarrow \mathrm{norm}_1(x + \mathrm{attn}(x)), &
      x &\leftarrow \mathrm{norm}_2(x + \mathrm{ff}(x))
    \end{aligned}$$

    Write `encoder_block(x, attn, ff, norm1, norm2, pre_norm=True)` for `x` (B, L, D),
    where `attn` is a
    `mhacourse.MultiHeadAttention` (it returns `(out, weights)`), `ff` maps (B, L, D)
    to (B, L, D), and `norm1`,
    `norm2` are `nn.LayerNorm(D)`. Return (B, L, D).
    """,
    encoder_block,
    cases=_block_cases,
    hints=[
        "`attn(h)` is self-attention on h and returns a tuple: take `[0]`.",
        "In pre-norm the residual adds back the *un-normalised* x: "
        "`x = x + attn(norm1(x))[0]`.",
    ],
    mistakes=Q6_MISTAKES,
)
