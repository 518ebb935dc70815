"""Exercises for chapter 6, multi-head attention in the Transformer.

q1 causal mask, q2 padding mask from lengths, q3 and q4 converting masks to
nn.MultiheadAttention's polarity and layout, q5 cross-attention over a padded
memory (L != S), q6 a pre-norm / post-norm encoder block.

Where things are: :mod:`.masks` and :mod:`.blocks` hold the write-this-function
exercises (their inputs and catalogued mistakes in :mod:`.cases`), :mod:`.questions`
the predict, experiment and picture questions (those about a trained model in
:mod:`.trained_questions`).

>>> import torch
>>> from mhacourse.exercises import ch06
>>> ch06.q1.reference(3).int()
tensor([[1, 0, 0],
        [1, 1, 0],
        [1, 1, 1]], dtype=torch.int32)
"""

from .blocks import q5, q6
from .masks import q1, q2, q3, q4
from .questions import q7, q8, q9, q10
from .trained_questions import q11

__all__ = [
    "EXERCISES",
    "INLINE",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "q6",
    "q7",
    "q8",
    "q9",
    "q10",
    "q11",
]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. Here: q7 just before rotary
#: encodings are introduced (and shown to depend on the offset only), q9 just before the
#: cell that counts what grouped-query attention saves.
INLINE = {
    "q7": "b43b363d81ae4b689946ece5c682cd59",
    "q9": "cdf66aed5cc84ca1b48e60bad68798a8",
}
