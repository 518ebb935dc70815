"""Exercises for chapter 8, reading the heads of a model trained on real text.

q1 is the model better at prose or at code (predict), q2 the previous-character
share of every head (write the function), q3 silencing a whole layer (experiment),
q4 the share of a head's attention on any role's targets (write the function).

Where things are: :mod:`.functions` holds the write-this-function exercises,
:mod:`.questions` the predict and experiment questions about the shipped model.

>>> import torch
>>> from mhacourse.exercises import ch08
>>> ch08.q2.reference(torch.eye(3)[None, None].roll(-1, -1).tril()).tolist()
[[1.0]]
"""

from .functions import q2, q4
from .questions import q1, q3

__all__ = ["EXERCISES", "q1", "q2", "q3", "q4"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4]
