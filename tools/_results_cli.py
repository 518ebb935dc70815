"""What the tools that train a chapter's shipped results share: their spread runs.

A training run amplifies rounding, and rounding differs between CPUs. So each
tool (``ch05_results.py``, ``ch06_gqa.py``, ``ch09_results.py``) re-runs the
cheap part that its test repeats in child processes under other instruction
sets (``ATEN_CPU_CAPABILITY``) and thread counts, and the test's tolerance is
read from how far those runs land: :func:`rerun_across` runs the children,
:func:`tolerance` turns the largest deviation into a tolerance.

The tools import this module by name: run as scripts, their folder is first on
``sys.path`` (the tests load them the same way: tests/tool_loader.py).
"""

from __future__ import annotations

import json
import math
import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator, Sequence

ROOT = pathlib.Path(__file__).resolve().parents[1]


def rerun_across(
    script: str | os.PathLike,
    args: Sequence[str],
    capabilities: Sequence[str],
    threads: Sequence[int] = (1, 2),
    pass_threads: bool = False,
) -> Iterator[tuple[str, int, object]]:
    """``python script *args`` per capability x thread count, from the repo root.

    Yields ``(capability, threads, value)``, ``value`` the JSON that the child
    printed on its last line of stdout. The capability ``"best"`` leaves
    ``ATEN_CPU_CAPABILITY`` unset (this CPU's best); any other sets it, and
    ``OMP_NUM_THREADS`` is set to the thread count (also passed as a last
    argument if ``pass_threads``). A failing child raises
    :class:`subprocess.CalledProcessError`.
    """
    for capability in capabilities:
        for n in threads:
            env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
            env |= {"OMP_NUM_THREADS": str(n)}
            env |= {"ATEN_CPU_CAPABILITY": capability} if capability != "best" else {}
            argv = [sys.executable, str(script), *args]
            argv += [str(n)] if pass_threads else []
            done = subprocess.run(
                argv, env=env, capture_output=True, text=True, check=True, cwd=ROOT
            )
            yield capability, n, json.loads(done.stdout.strip().splitlines()[-1])


def tolerance(deviation: float) -> float:
    """Twice the largest deviation, rounded up to a hundredth, at least 0.01.

    >>> tolerance(0.0), tolerance(0.012), tolerance(0.05)
    (0.01, 0.03, 0.1)
    """
    return max(0.01, math.ceil(200 * deviation) / 100)
