"""Exercises for chapter 7, making attention fast.

q1 counting FLOPs, q2 the memory of the scores matrix, q3 one online-softmax
update, q4 attention tiled over blocks of keys.

Where things are: :mod:`.functions` holds the write-this-function exercises (their
inputs and catalogued mistakes in :mod:`.cases`, q4's in :mod:`.tiled`),
:mod:`.questions` the predict, experiment and picture questions.

>>> from mhacourse.exercises import ch07
>>> ch07.q1.reference(1, 1, 2, 3, 4)
96
"""

from .functions import q1, q2, q3, q4
from .questions import q5, q6, q7, q8

__all__ = ["EXERCISES", "INLINE", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6, q7, q8]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. q6 before the section that
#: sizes the (L, S) matrix, q7 before the one that counts the backward pass, q8 before
#: the cell that says what FlashAttention keeps for it.
INLINE = {"q6": "610dbe59", "q7": "ebabf47f", "q8": "b5af0494"}
