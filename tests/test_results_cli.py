"""tools/_results_cli.py: the spread runs the result tools share."""

import doctest
import subprocess
import sys

import pytest
from tool_loader import ROOT, load_script

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

cli = load_script("tools/_results_cli.py")

CHILD = """
import json, os, sys
print("noise first")
print(json.dumps([os.environ.get("ATEN_CPU_CAPABILITY"),
                  os.environ["OMP_NUM_THREADS"], sys.argv[1:], os.getcwd()]))
"""


def test_each_child_runs_under_its_capability_and_threads(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    got = list(cli.rerun_across(script, ["subset"], ["default", "best"]))
    assert [(cap, n) for cap, n, _ in got] == [
        ("default", 1), ("default", 2), ("best", 1), ("best", 2)
    ]  # fmt: skip
    for cap, n, (env_cap, env_threads, argv, cwd) in got:
        assert env_cap == (None if cap == "best" else cap)
        assert env_threads == str(n) and argv == ["subset"] and cwd == str(ROOT)


def test_best_unsets_a_capability_the_parent_had(tmp_path, monkeypatch):
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    [(_, _, (env_cap, *_))] = cli.rerun_across(script, [], ["best"], threads=(1,))
    assert env_cap is None


def test_threads_can_be_passed_as_the_last_argument(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    runs = cli.rerun_across(script, ["subset"], ["default"], pass_threads=True)
    assert [argv for _, _, (_, _, argv, _) in runs] == [
        ["subset", "1"], ["subset", "2"]
    ]  # fmt: skip


def test_a_failing_child_is_an_error(tmp_path):
    script = tmp_path / "child.py"
    script.write_text("raise SystemExit(3)")
    with pytest.raises(subprocess.CalledProcessError):
        list(cli.rerun_across(script, [], ["default"]))


def test_tolerance_doctest():
    assert doctest.testmod(cli).failed == 0
    assert cli.tolerance(0.0101) == 0.03  # twice, then rounded up


def test_the_tools_run_as_scripts_with_the_helper():
    for tool in ("ch05_results", "ch06_gqa", "ch09_results"):
        done = subprocess.run(
            [sys.executable, ROOT / "tools" / f"{tool}.py", "--help"],
            capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
