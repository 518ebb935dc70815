"""Exercises for chapter 5, why several heads.

q1 identical heads stay identical (predict), q2 measuring how similar the heads'
attention maps are, q3 ablating one head, q4 the rank <= E limit (predict), q5
how many heads, from the chapter's sweep (picture), q6 the ensemble test
(predict), q7 how much diversity a little noise makes (experiment), q8 which
head of the trained model does what (picture), q9 switching its marker head off
(experiment), q10 which head of the shipped language model does induction
(picture), q11 switching off a whole layer of it (experiment, a transfer of the
chapter's ablation).

Where things are: :mod:`.functions` holds the write-this-function exercises,
:mod:`.questions` the predict, experiment and picture questions (those about a trained
model in :mod:`.trained_questions`, the noise experiment in :mod:`.noise_question`,
the transfer question in :mod:`.transfer_questions`).

>>> import torch
>>> from mhacourse.exercises import ch05
>>> ch05.q2.reference(torch.ones(1, 2, 3, 3)).item()
1.0
"""

from .functions import q2, q3
from .noise_question import q7
from .questions import q1, q4, q5, q6
from .trained_questions import marker_head, q8, q9, q10, trained_model
from .transfer_questions import language_model, q11

__all__ = [
    "EXERCISES",
    "INLINE",
    "language_model",
    "marker_head",
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
    "trained_model",
]

#: The chapter's exercises, in book order.
EXERCISES = [q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11]

#: Predict questions asked just before the cell that reveals their answer.
INLINE = {
    "q1": "ch05-identical-md",
    "q4": "ch05-rank-md",
    "q6": "ch05-ensemble-sum-md",
}
