"""Chapter 5 transfer question: change the chapter's ablation experiment.

>>> q11.reference
2.28
"""

from __future__ import annotations

import functools
import json

import torch

from ..core.mistakes import mistake
from ..core.questions import experiment
from .questions import ONE_DECIMAL, data_file

__all__ = ["language_model", "q11"]


@functools.cache
def language_model():
    """The chapter's language model (float64, eval) and its 500 fresh sentences."""
    from ...studies.synthetic_language import make_sentences
    from ...studies.tiny_lm import TinyLM

    info = json.loads(data_file("ch05_tiny_lm.json").read_text())
    lm = TinyLM(**info["config"])
    lm.load_state_dict(torch.load(data_file("ch05_tiny_lm.pt"), weights_only=True))
    return lm.double().eval(), make_sentences(500, seed=2024)


@functools.cache  # a wrong answer is compared with each: seconds, not once each
def _layer_off(layer, heads=(0, 1, 2, 3), key="induction"):
    from ...studies.head_analysis import ablate_heads
    from ...studies.tiny_lm import relation_losses

    lm, sentences = language_model()
    base = relation_losses(lm, sentences)[key]["loss"]
    with ablate_heads(lm.heads()[layer], list(heads)):
        loss = relation_losses(lm, sentences)[key]["loss"]
    return round(loss - base, 2)


def layer_off_damage():
    """How much the induction loss rises with every head of layer 0 switched off."""
    from mhacourse.exercises.ch05 import language_model
    from mhacourse.studies.head_analysis import ablate_heads
    from mhacourse.studies.tiny_lm import relation_losses

    lm, sentences = language_model()  # the chapter's model and fresh sentences
    base = relation_losses(lm, sentences)["induction"]["loss"]
    # The experiment:
    with ablate_heads(lm.heads()[0], [0, 1, 2, 3]):
        loss = relation_losses(lm, sentences)["induction"]["loss"]
    return round(loss - base, 2)


q11 = experiment(
    "ch05.q11",
    "Experiment: switch off a whole layer",
    r"""
    The chapter switched the language model's heads off one at a time, and the
    agreement heads in groups. Change the experiment: switch off **all four heads
    of layer 0** at once (`ablate_heads(lm.heads()[0], [0, 1, 2, 3])`) and report
    how much the **induction** loss rises (with the heads off, minus without, from
    `relation_losses(lm, sentences)["induction"]["loss"]`), rounded to 2 decimals.
    Compare it with the single-head damages of layer 0 in the chapter's table: is
    the layer's damage the sum of its heads'?
    """,
    layer_off_damage,
    rtol=0.0,
    atol=0.011,
    mistakes=[
        mistake(
            "other_layer",
            lambda: _layer_off(1),
            message="That is layer 1 (`lm.heads()[1]`), which holds the copying "
            "head. Switch off the heads of layer 0, `lm.heads()[0]`.",
        ),
        mistake(
            "one_head",
            lambda: _layer_off(0, heads=(2,)),
            message="That is one head, L0H2. Switch off all four heads of layer 0 "
            "together: `[0, 1, 2, 3]`.",
        ),
        mistake(
            "all_tokens",
            lambda: _layer_off(0, key="all"),
            message='That is the loss over all next tokens. Report the "induction" '
            "loss, at the names of the repeated list.",
        ),
        ONE_DECIMAL,
        mistake(
            "sign_reversed",
            detect=lambda given, expected: (
                expected > 0 and abs(given + expected) < 0.011
            ),
            message="The sign is reversed: that is the loss with every head on "
            "minus with layer 0 off. Report `loss - base` (heads off minus on), "
            "which is positive when the heads matter.",
        ),
    ],
    hints=[
        "Inside `with ablate_heads(lm.heads()[0], [0, 1, 2, 3]):`, compute `loss`.",
        "`round(loss - base, 2)`.",
    ],
)
