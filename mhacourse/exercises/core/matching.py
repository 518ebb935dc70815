"""Which catalogued mistake a wrong output makes, and the notes of a passed check.

:class:`Matching` is mixed into :class:`~mhacourse.exercises.core.exercise.Exercise`:
``_match_mistake`` runs each :class:`~.mistakes.Mistake` on the failing case and
returns the first whose output the reader's equals (or whose ``detect`` fires).
"""

from __future__ import annotations

import copy

import torch

from .compare import diagnose
from .report import cast_like

__all__ = ["NO_LIMIT", "SKIPPED", "Matching"]

#: Said when the check ran where no time limit can be set (off the main thread).
NO_LIMIT = (
    " (No time limit was enforced: the check ran outside the main thread, "
    "where the timer cannot stop it.)"
)


#: Said when the ``meta`` case could not run the answer.
SKIPPED = (
    " (The case on device `meta`, which has shapes but no values, was skipped: "
    "your function reads tensor values, e.g. with `.item()`, `.tolist()` or a "
    "Python `if` on a tensor, so whether it follows the inputs' device was not "
    "checked.)"
)


def _lossy(got, expected) -> bool:
    """True if casting ``got`` to ``expected``'s dtype would change what it says.

    >>> _lossy(torch.zeros(2), torch.zeros(2, dtype=torch.bool))
    True
    """
    return (
        isinstance(got, torch.Tensor)
        and isinstance(expected, torch.Tensor)
        and expected.dtype == torch.bool != got.dtype
    )


class Matching:
    """Mistake matching for :class:`~mhacourse.exercises.core.exercise.Exercise`."""

    def _match_mistake(self, got, expected, case):
        """The first catalogued :class:`Mistake` that ``got`` makes, or None."""
        if not _lossy(got, expected):  # a float mask cast to bool is another mask
            got = cast_like(got, expected)
        for m in self.mistakes:
            try:
                if m.detect is not None:
                    if m.detect(got, expected, case):
                        return m
                    continue
                wrong = self._expect_with(m.fn, case)
            except Exception:  # a mistake that cannot apply to this case
                continue
            differs = diagnose(
                wrong, expected, case.sizes, self.rtol, self.atol, names=self.outputs
            )
            if (
                differs is not None
                and diagnose(
                    got, wrong, case.sizes, self.rtol, self.atol, names=self.outputs
                )
                is None
            ):
                return m
        return None

    @staticmethod
    def _expect_with(fn, case):
        return fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
