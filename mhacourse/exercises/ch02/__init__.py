"""Exercises for chapter 2, scaled dot-product attention.

q1 predict: how large raw scores are, q2 scaled dot-product attention with a
mask (the core), q3 ReLU instead of softmax, q4 one query as a loop, q5 masking
scores, q6 experiment: a softmax that saturates.

Where things are: :mod:`.functions` holds the write-this-function exercises (their
inputs and catalogued mistakes in :mod:`.cases`, q5's in :mod:`.mask_cases`),
:mod:`.questions` the predict, experiment and picture questions.

>>> from mhacourse.exercises import ch02
>>> ch02.q2.id, ch02.q2.reference.__name__
('ch02.q2', 'scaled_dot_product_attention')
"""

from .functions import q2, q3, q4, q5
from .questions import q1, q6

__all__ = ["EXERCISES", "INLINE", "q1", "q2", "q3", "q4", "q5", "q6"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. Here: just before the
#: derivation of Var(q . k) = E.
INLINE = {"q1": "ch02-why-sqrt-e"}
