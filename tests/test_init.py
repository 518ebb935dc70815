"""Importing mhacourse has no side effects: no environment change, no matplotlib."""

import os
import subprocess
import sys

import pytest

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

_PROBE = """
import os, sys
import mhacourse
print(os.environ.get("TRITON_INTERPRET"), "matplotlib" in sys.modules)
from mhacourse import diagrams  # the plotting modules still load on first use
print("matplotlib" in sys.modules, callable(mhacourse.plot.use_style))
"""


@pytest.mark.parametrize("cuda_visible", ["", None])
def test_import_changes_no_environment_and_loads_no_matplotlib(cuda_visible):
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    if cuda_visible is not None:  # as on a machine with no GPU
        env["CUDA_VISIBLE_DEVICES"] = cuda_visible
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    first, second = proc.stdout.splitlines()
    assert first == "None False"
    assert second == "True True"


def test_no_conftest_ships_inside_the_package():
    import mhacourse

    root = os.path.dirname(mhacourse.__file__)
    found = [d for d, _, files in os.walk(root) if "conftest.py" in files]
    assert found == []
