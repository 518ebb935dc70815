"""Chapter 5's experiment on symmetry breaking: how much diversity a little noise makes.

>>> q7.kind
'experiment'
"""

from __future__ import annotations

import math

import torch

from ..core.mistakes import mistake
from ..core.questions import experiment

__all__ = ["noise_diversity", "q7"]


def noise_diversity():
    """Diversity of identical heads plus noise 1e-2, over the same with 1e-3."""
    from mhacourse import MultiHeadAttention
    from mhacourse.studies.head_analysis import head_diversity, make_heads_identical

    torch.manual_seed(0)
    base = make_heads_identical(MultiHeadAttention(8, 2, dtype=torch.float64))
    x = torch.randn(1, 6, 8, dtype=torch.float64)  # (B, L, D)

    # The experiment:
    def diversity(eps):
        gen = torch.Generator().manual_seed(1)
        mha = MultiHeadAttention(8, 2, dtype=torch.float64)
        mha.load_state_dict(base.state_dict())
        with torch.no_grad():
            for p in mha.parameters():
                p.add_(eps * torch.randn(p.shape, generator=gen, dtype=p.dtype))
            return float(head_diversity(mha(x)[1]))

    return round(diversity(1e-2) / diversity(1e-3))


def _one_generator():
    """The ratio when one generator draws both noises (not reseeded): other noise."""
    from mhacourse import MultiHeadAttention
    from mhacourse.studies.head_analysis import head_diversity, make_heads_identical

    torch.manual_seed(0)
    base = make_heads_identical(MultiHeadAttention(8, 2, dtype=torch.float64))
    x = torch.randn(1, 6, 8, dtype=torch.float64)  # (B, L, D)
    gen = torch.Generator().manual_seed(1)  # once, for both
    diversity = []
    for eps in (1e-2, 1e-3):
        mha = MultiHeadAttention(8, 2, dtype=torch.float64)
        mha.load_state_dict(base.state_dict())
        with torch.no_grad():
            for p in mha.parameters():
                p.add_(eps * torch.randn(p.shape, generator=gen, dtype=p.dtype))
            diversity.append(float(head_diversity(mha(x)[1])))
    return diversity[0] / diversity[1]


q7 = experiment(
    "ch05.q7",
    "Experiment: how much diversity does a little noise make?",
    r"""
    The stub builds two identical heads (`base`) and an input `x`. Add Gaussian
    noise of size $\varepsilon$ to every parameter of a copy of `base` (seed the
    noise with `torch.Generator().manual_seed(1)`), and measure the diversity of the
    two heads' attention maps with
    `mhacourse.studies.head_analysis.head_diversity(weights)`. Report
    diversity($\varepsilon = 10^{-2}$) / diversity($\varepsilon = 10^{-3}$),
    rounded to an integer. Why must training amplify such a small start?
    """,
    noise_diversity,
    rtol=0.15,
    mistakes=[
        mistake(
            "linear",
            lambda: 10.0,
            message="10 would be a diversity proportional to the noise. 1 - cos of two "
            "nearly equal vectors grows like the square of their difference.",
        ),
        mistake(
            "inverted",
            lambda: 0.01,
            message="That is the ratio the other way round: larger noise gives more "
            "diversity. Divide diversity(1e-2) by diversity(1e-3).",
        ),
        mistake(
            "log_ratio",
            lambda: math.log10(noise_diversity()),
            message="That is the ratio's order of magnitude (its log10). Report the "
            "ratio itself, diversity(1e-2) / diversity(1e-3), rounded to an integer.",
        ),
        mistake(
            "generator_shared",
            _one_generator,
            message="Both noises came from one generator, so the second draw is "
            "other noise, not the same direction scaled. Seed a fresh "
            "`torch.Generator().manual_seed(1)` for each eps: only the size of the "
            "noise may change.",
        ),
        mistake(
            "not_a_ratio",
            detect=lambda given, expected: 0 <= given < 0.005,
            message="That looks like one diversity (a tiny number, or 0 once "
            "rounded), not a ratio. Report diversity(1e-2) / diversity(1e-3), "
            "rounded to an integer.",
        ),
    ],
    hints=[
        "`mha.load_state_dict(base.state_dict())` makes a fresh copy; add "
        "`eps * torch.randn(p.shape, generator=gen, dtype=p.dtype)` to each p.",
        "`head_diversity(mha(x)[1])` on the (B, H, L, S) weights.",
    ],
)
