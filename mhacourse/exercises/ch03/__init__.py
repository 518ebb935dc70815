"""Exercises for chapter 3, self-attention.

q1 one output vector step by step, q2 the matrix view in columns, q3 read
the picture: attention without projections, q4 counting parameters, q5
permutation equivariance, q6 predict: doubling the values.

Where things are: :mod:`.functions` holds the write-this-function exercises (their
inputs and catalogued mistakes in :mod:`.cases`), :mod:`.questions` the predict,
experiment and picture questions.

>>> from mhacourse.exercises import ch03
>>> len(ch03.EXERCISES)
6
"""

from .functions import q1, q2, q4, q5
from .questions import q3, q6

__all__ = ["EXERCISES", "q1", "q2", "q3", "q4", "q5", "q6"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6]
