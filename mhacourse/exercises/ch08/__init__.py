"""Exercises for chapter 8, reading the heads of a model trained on real text.

q1 is the model better at prose or at code (predict), q2 the previous-character
share of every head (write the function), q3 silencing a whole layer (experiment).

Where things are: :mod:`.functions` holds the write-this-function exercise,
:mod:`.questions` the predict and experiment questions about the shipped model.

>>> import torch
>>> from mhacourse.exercises import ch08
>>> ch08.q2.reference(torch.eye(3)[None, None].roll(-1, -1).tril()).tolist()
[[1.0]]
"""

from .functions import q2
from .questions import q1, q3

__all__ = ["EXERCISES", "q1", "q2", "q3"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3]
