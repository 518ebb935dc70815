"""Exercises for chapter 9, multi-head attention in today's LLMs.

q1 a sliding-window mask with attention sinks, q2 absorbing the key
up-projection of MLA into the query by hand, q3 the cache bytes of a layer with
a window, q4 MLA against GQA per token (predict), q5 which mask is this
(picture), q6 the smallest window that lets two layers reach a token
(experiment).

Where things are: :mod:`.functions` holds the write-this-function exercises
(their inputs and catalogued mistakes in :mod:`.cases`), :mod:`.questions` the
predict, experiment and picture questions.

>>> from mhacourse.exercises import ch09
>>> ch09.q1.reference(3, 2).int().tolist()
[[1, 0, 0], [1, 1, 0], [0, 1, 1]]
"""

from .functions import q1, q2, q3
from .questions import q4, q5, q6

__all__ = ["EXERCISES", "INLINE", "q1", "q2", "q3", "q4", "q5", "q6"]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6]

#: Predict questions placed inline, before the cell that answers them
#: (tools/insert_exercises.py): {name: that cell's id}. q4 before the cell that
#: prints the real caches' bytes, GQA's and MLA's among them.
INLINE = {"q4": "8a5fd687"}
