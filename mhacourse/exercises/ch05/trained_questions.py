"""Chapter 5 questions on the trained two-head model: which head does what, ablation.

The model is the chapter's: two heads, the previous-token and marker task,
seed 0, trained in float64 on one thread (so every CPU gets the same model),
once per session (about half a second), and copied for each use.

>>> q8.reference, q9.reference, q10.reference
('a', 0.07, 'l1h3')
"""

from __future__ import annotations

import copy
import functools
import json

import torch

from ...studies.tiny_model import TinyAttentionModel, train
from ...studies.toy_tasks import make_two_relation_data, token_labels
from ..core.figures import heatmaps
from ..core.mistakes import mistake
from ..core.questions import experiment, picture
from .questions import ONE_DECIMAL, data_file

__all__ = ["marker_head", "q8", "q9", "q10", "trained_model"]


@functools.cache
def _train():
    train_data = make_two_relation_data(256, 8, 16, seed=1)
    test_data = make_two_relation_data(512, 8, 16, seed=2)
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(0)
        model = TinyAttentionModel(16, 8, 16, num_heads=2).double()
        train(model, train_data, steps=50, lr=0.03, eval_every=50)
    return model.eval(), test_data


def trained_model():
    """A fresh copy of the trained two-head model, and the test data."""
    model, test_data = _train()
    return copy.deepcopy(model), test_data


def _roles():
    """(H, 2): each head's mean weight on the previous token and on the marker."""
    model, data = trained_model()
    with torch.no_grad():
        _, w = model(data.inputs)  # (B, H, L, L)
    previous = torch.diagonal(w, offset=-1, dim1=-2, dim2=-1).mean(dim=(0, 2))  # (H,)
    marker = data.inputs[..., 1].to(w.dtype)  # (B, L): 1 at the marker
    on_marker = (w * marker[:, None, None, :]).sum(-1).mean(dim=(0, 2))  # (H,)
    return torch.stack([previous, on_marker], dim=-1)  # (H, 2)


def marker_head() -> int:
    """The head that puts the most weight on the marker."""
    return int(_roles()[:, 1].argmax())


def who_does_what():
    """Read the picture: which head tracks which relation?"""
    roles = _roles()  # (H, 2)
    prev, mark = int(roles[:, 0].argmax()), int(roles[:, 1].argmax())
    if prev == mark:
        return "c"
    return "a" if prev == 0 else "b"


def _show_heads():
    model, data = trained_model()
    with torch.no_grad():
        _, w = model(data.inputs[:1])  # (1, H, L, L)
    labels = token_labels(data.inputs[0])
    return heatmaps(list(w[0]), ["head 0", "head 1"], labels, labels)


q8 = picture(
    "ch05.q8",
    "Read the picture: which head does what?",
    r"""
    The chapter's two-head model, trained on the task with two relations (the
    previous token's value, and the marker's value). Run `ex.q8.show()`: the
    attention of both heads on one test sequence (rows: queries, columns: keys; the
    upper-case letter is the marker). Which head tracks which relation?

    - `a`: head 0 the previous token, head 1 the marker;
    - `b`: head 0 the marker, head 1 the previous token;
    - `c`: both heads look at the marker.
    """,
    who_does_what,
    _show_heads,
    choices={"a": "0 previous, 1 marker", "b": "0 marker, 1 previous", "c": "both"},
    wrong={
        "b": "The previous-token head lights up the diagonal just below the main "
        "one; the marker head lights up one column, the upper-case token's.",
        "c": "Only one panel has a bright column at the marker. The other has a "
        "bright diagonal just below the main one: each query looks one step back.",
    },
    why="Head 0 is bright one step below the diagonal (query i looks at key i - 1); "
    "head 1 is bright in the marker's column for every query.",
    hints=[
        "A previous-token head: a bright diagonal just below the main diagonal.",
        "A marker head: one bright column, the same key for every query.",
    ],
    alt="Two heatmaps of attention weights over an 8-token sequence, one per head, "
    "each with a colour bar.",
)


def ablated_marker_accuracy():
    """The marker accuracy of the trained model with its marker head switched off."""
    from mhacourse.exercises.ch05 import marker_head, trained_model
    from mhacourse.studies.head_analysis import ablate_heads
    from mhacourse.studies.tiny_model import evaluate

    model, test_data = trained_model()  # the chapter's two-head model
    h = marker_head()  # the head of q8 that looks at the marker
    # The experiment:
    with ablate_heads(model.attention, [h]):
        accuracy = evaluate(model, test_data)["accuracy"]  # [previous, marker]
    return round(accuracy[1], 2)


def _not_ablated():
    """The marker accuracy with every head on: what forgetting to ablate gives."""
    from ...studies.tiny_model import evaluate

    model, data = trained_model()
    return round(evaluate(model, data)["accuracy"][1], 2)


def _ablated(key, index=None):
    def wrong():
        from ...studies.head_analysis import ablate_heads
        from ...studies.tiny_model import evaluate

        model, data = trained_model()
        with ablate_heads(model.attention, [marker_head()]):
            result = evaluate(model, data)[key]
        return round(result if index is None else result[index], 2)

    return wrong


q9 = experiment(
    "ch05.q9",
    "Experiment: switch the marker head off",
    r"""
    The stub loads the trained two-head model of the previous exercise and finds
    its marker head `h`. Switch that head off with
    `mhacourse.studies.head_analysis.ablate_heads(model.attention, [h])` (a context
    manager) and measure the accuracy on the test data with
    `mhacourse.studies.tiny_model.evaluate(model, test_data)`. Report the **marker**
    accuracy (the second entry of `"accuracy"`), rounded to 2 decimals. Compare it
    with chance, 1/16, and look at the previous-token accuracy too.
    """,
    ablated_marker_accuracy,
    rtol=0.0,
    atol=0.011,
    mistakes=[
        mistake(
            "marker_head_still_on",
            _not_ablated,
            message="That is the marker accuracy of the model with its marker head "
            "still working (about 1). Three ways to get it: `evaluate` ran outside "
            "the `with ablate_heads(model.attention, [h]):` block (it must run "
            "inside, where the head is off), the head switched off was the other "
            "one (use `h = marker_head()`), or you reported the *previous-token* "
            "accuracy (entry 0, which the marker head does not serve) instead of "
            "the marker accuracy (entry 1).",
        ),
        mistake(
            "mean_accuracy",
            _ablated("mean_accuracy"),
            message="That is the mean accuracy over both relations. Report the "
            "marker accuracy alone, `evaluate(...)['accuracy'][1]`.",
        ),
        mistake(
            "percent",
            lambda: 100 * ablated_marker_accuracy(),
            message="That is a percentage. Report the accuracy as a fraction "
            "between 0 and 1, rounded to 2 decimals.",
        ),
        mistake(
            "accuracy_drop",
            lambda: round(_not_ablated() - ablated_marker_accuracy(), 2),
            message="That is how much the marker accuracy *fell* (or the error "
            "rate, 1 - accuracy). Report the marker accuracy itself with the head "
            "off, `evaluate(...)['accuracy'][1]` inside the `with` block.",
        ),
        ONE_DECIMAL,
        mistake(
            "loss",
            _ablated("loss"),
            message="That is the loss (cross-entropy, in nats). Report the marker "
            "*accuracy*, `evaluate(...)['accuracy'][1]`.",
        ),
    ],
    hints=[
        "`with ablate_heads(model.attention, [h]): acc = evaluate(model, test_data)`.",
        "`round(acc['accuracy'][1], 2)`.",
    ],
)


@functools.cache
def _lm_table():
    """(N*H, R + 1) head x relation shares of the shipped language model, names."""
    from ...studies.synthetic_language import RELATIONS, make_sentences
    from ...studies.tiny_lm import TinyLM, head_relation_table

    info = json.loads(data_file("ch05_tiny_lm.json").read_text())
    lm = TinyLM(**info["config"])
    state = torch.load(data_file("ch05_tiny_lm.pt"), weights_only=True)
    lm.load_state_dict(state)
    table = head_relation_table(lm.double().eval(), make_sentences(200, seed=2024))
    N, H = table.shape[:2]
    names = [f"L{n}H{h}" for n in range(N) for h in range(H)]
    return table.flatten(0, 1), names, [*RELATIONS, "first token"]  # (N*H, R+1)


def induction_head():
    """Read the picture: the head with the largest share on the induction targets."""
    table, names, columns = _lm_table()
    return names[int(table[:, columns.index("induction")].argmax())].lower()


def _show_lm():
    table, names, columns = _lm_table()
    fig = heatmaps(
        [table],
        ["share of attention on the true target"],
        columns,
        names,
        label="share",
        cols=1,
    )
    fig.set_size_inches(6.4, 4.4)
    fig.axes[0].tick_params(axis="x", labelrotation=30)
    return fig


_HEADS = [f"l{n}h{h}" for n in range(2) for h in range(4)]

q10 = picture(
    "ch05.q10",
    "Read the picture: which head copies the repeated names?",
    r"""
    The chapter's language model (2 layers of 4 heads) was trained on the synthetic
    language, where a list of names comes back at the end of a sentence
    (**induction**: each repeated name follows the name that followed it the first
    time). Run `ex.q10.show()`: for each head (rows, `L1H2` is layer 1, head 2) and
    relation (columns), the share of its attention on that relation's true
    targets. Which head does the induction? Answer with its name, e.g. `"l0h1"`.
    """,
    induction_head,
    _show_lm,
    choices={k: k.upper() for k in _HEADS},
    wrong={
        k: f"Row {k.upper()} is not the brightest cell of the induction column. "
        "Look down that column for the one cell close to 1."
        for k in _HEADS
        if k != induction_head()  # every other head, computed from the model
    },
    why="One head puts nearly all its attention on the induction targets: its cell "
    "in the induction column is close to 1, far above every other head's.",
    hints=[
        "Find the column named induction.",
        "Go down it to the brightest cell and read that row's name.",
    ],
    alt="Heatmap of 8 heads (rows L0H0 to L1H3) by 7 relations (columns), the share "
    "of attention on each relation's targets, with a colour bar.",
)
