"""Exercises for chapter 4, multi-head attention: splitting into heads.

q1 split_heads, q2 read the picture: which split is right, q3 E = D / H and
the parameter count, q4 one head's slice of a stacked projection, q5 a full
multi-head attention forward, q6 predict: what more heads cost, q7 read the
picture: which head looks back one token.

Where things are: :mod:`.functions` holds the write-this-function exercises (their
inputs and catalogued mistakes in :mod:`.cases`), :mod:`.questions` the predict,
experiment and picture questions.

>>> import torch
>>> from mhacourse.exercises import ch04
>>> ch04.q1.reference(torch.zeros(2, 5, 12), 3).shape
torch.Size([2, 3, 5, 4])
"""

from .functions import q1, q3, q4, q5
from .questions import q2, q6, q7

__all__ = ["EXERCISES", "INLINE", "q1", "q2", "q3", "q4", "q5", "q6", "q7"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6, q7]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. Here: just before the section
#: that counts the parameters.
INLINE = {"q6": "230e918d"}
