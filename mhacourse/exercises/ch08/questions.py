"""Chapter 8 questions about the shipped real-text model: prose or code, a silent layer.

>>> q1.kind, q3.kind
('predict', 'experiment')
"""

from __future__ import annotations

import functools
import json

import torch

from ...studies.head_analysis import ablate_heads
from ...studies.real_text import char_losses, encode, load_corpus, windows
from ...studies.tiny_lm import TinyLM
from ..ch05.questions import data_file
from ..core.mistakes import mistake
from ..core.questions import experiment, predict

__all__ = ["data_file", "q1", "q3", "shipped_model", "validation_windows"]


def shipped_model(heads: int | None = None) -> TinyLM:
    """A shipped model (default: the best H > 1 of the sweep), float64, eval."""
    info = json.loads(data_file("real_text_lm.json").read_text())
    entry = info["models"][str(info["multi_heads"] if heads is None else heads)]
    model = TinyLM(**entry["config"])
    model.load_state_dict(torch.load(data_file(entry["file"]), weights_only=True))
    return model.double().eval()


def validation_windows(kind: str | None = None) -> torch.Tensor:
    """Held-out windows (N, 65) of all validation text, or of its prose or code."""
    corpus = load_corpus(data_file("real_text_manifest.json").parent)
    text = corpus["val"]
    if kind is not None:  # val.txt holds the prose files first, then the code
        files = [f for f in corpus["manifest"]["files"] if f["split"] == "val"]
        cut = sum(f["chars"] + 1 for f in files if f["kind"] == "prose")
        text = text[:cut] if kind == "prose" else text[cut:]
    return windows(encode(text, corpus["charset"]), 64)  # (N, 65)


def prose_or_code():
    """Run it: the 1-head model's mean loss on held-out prose against held-out code."""
    model = shipped_model(1)
    with torch.no_grad():
        loss = {k: char_losses(model, validation_windows(k)).mean().item()
                for k in ("prose", "code")}  # fmt: skip
    return "a" if loss["prose"] < loss["code"] else "b"


q1 = predict(
    "ch08.q1",
    "Predict: is the model better at prose or at code?",
    r"""
    The held-out text is part prose (chapters' markdown) and part code (the
    package's Python). Both were in the training data in about the same
    proportions. **Before running anything**, predict on which the 1-head model's
    mean loss per character is lower:

    - `a`: prose; `b`: code.
    """,
    prose_or_code,
    choices={"a": "prose", "b": "code"},
    wrong={
        "a": "Measured, code is the easier of the two, though not by much. Code "
        "repeats itself: keywords, indentation, names defined a few lines above, "
        "brackets that must close.",
    },
    why="Compare `char_losses` on `validation_windows('prose')` and "
    "`validation_windows('code')` (from `mhacourse.exercises.ch08.questions`): "
    "the difference is a few hundredths of a nat per character.",
    hints=[
        "What makes a next character easy to guess: rigid syntax and repetition.",
        "Python has indentation, closing brackets and repeated identifiers.",
    ],
)


@functools.cache
def _losses(layer: int, heads: tuple | None = None) -> tuple:
    """(normal, silent) mean losses (nats) with ``heads`` of ``layer`` silent."""
    model, win = shipped_model(), validation_windows()[::6][:128]
    attn = model.heads()[layer]
    with torch.no_grad():
        base = char_losses(model, win).mean()
        with ablate_heads(attn, list(heads or range(attn.num_heads))):
            return float(base), float(char_losses(model, win).mean())


def _rise(layer: int, heads: tuple | None = None) -> float:
    """The loss rise (nats) with ``heads`` of ``layer`` silent (for the mistakes)."""
    base, silent = _losses(layer, heads)
    return silent - base


def layer_rise():
    """Run it: the validation loss rise (nats) with every head of layer 1 silent."""
    from mhacourse.exercises.ch08.questions import shipped_model, validation_windows
    from mhacourse.studies.real_text import char_losses

    model = shipped_model()  # the chapter's best model with several heads, float64
    win = validation_windows()[::6][:128]  # (128, 65): held-out windows

    # The experiment:
    from mhacourse.studies.head_analysis import ablate_heads

    layer = model.heads()[1]
    with torch.no_grad():
        base = char_losses(model, win).mean()
        with ablate_heads(layer, list(range(layer.num_heads))):
            silent = char_losses(model, win).mean()
    return float(silent - base)


q3 = experiment(
    "ch08.q3",
    "Experiment: how much does the second layer's attention matter?",
    r"""
    The stub loads the chapter's model with several heads and 128 held-out
    windows. Silence **every** head
    of layer 1 at once with
    `mhacourse.studies.head_analysis.ablate_heads(model.heads()[1], heads)` and
    report by
    how much the mean next-character loss rises, in nats (silent minus normal,
    with `char_losses`). Is a whole layer of attention worth more or less than the
    single heads in the chapter's ablation figure?
    """,
    layer_rise,
    rtol=0.02,
    mistakes=[
        mistake(
            "bits",
            lambda: _rise(1) / 0.6931471805599453,
            message="That is the rise in bits. char_losses gives nats (natural "
            "log): report silent - normal as it comes.",
        ),
        mistake(
            "layer_zero",
            lambda: _rise(0),
            message="That is layer 0, the first layer. model.heads()[1] is the "
            "second one.",
        ),
        mistake(
            "sign_flipped",
            lambda: -_rise(1),
            message="The rise is silent minus normal: silencing attention makes the "
            "loss larger, so the rise is positive. You subtracted the other way.",
        ),
        mistake(
            "silent_loss",
            lambda: _losses(1)[1],
            message="That is the loss with layer 1 silent. The question asks by how "
            "much it rises: subtract the normal loss (silent - normal).",
        ),
        mistake(
            "ratio",
            lambda: _losses(1)[1] / _losses(1)[0],
            message="That is the ratio silent / normal. The question asks for the "
            "rise in nats: silent - normal.",
        ),
        mistake(
            "one_head",
            lambda: _rise(1, (0,)),
            message="That silences head 0 only. Silence every head of layer 1 at "
            "once: ablate_heads(layer, list(range(layer.num_heads))).",
        ),
    ],
    hints=[
        "`with ablate_heads(layer, list(range(layer.num_heads))):` silences all.",
        "Compute `char_losses(model, win).mean()` inside and outside the block.",
    ],
)
