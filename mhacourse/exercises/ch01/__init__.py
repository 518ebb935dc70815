"""Exercises for chapter 1, attention as a soft lookup.

q1 softmax from scratch, q2 one lookup by hand, q3 predict: cooling the
lookup, q4 hard lookup, q5 the entropy of the weights, q6 read a heatmap.

Where things are: :mod:`.functions` holds the write-this-function exercises (their
inputs and catalogued mistakes in :mod:`.cases`), :mod:`.questions` the predict,
experiment and picture questions.

>>> from mhacourse.exercises import ch01
>>> [ex.id for ex in ch01.EXERCISES]
['ch01.q1', 'ch01.q2', 'ch01.q3', 'ch01.q4', 'ch01.q5', 'ch01.q6']
"""

from .functions import q1, q2, q4, q5
from .questions import q3, q6

__all__ = ["EXERCISES", "INLINE", "q1", "q2", "q3", "q4", "q5", "q6"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. Here: just before the cell that
#: shows the two limits of the temperature.
INLINE = {"q3": "ch01-temperature-limits"}
