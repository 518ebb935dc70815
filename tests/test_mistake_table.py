"""tools/mistake_table.py: every catalogued mistake is named by some test."""

from types import SimpleNamespace

import pytest
from tool_loader import load_script

from mhacourse.exercises import all_exercises
from mhacourse.exercises.core.mistakes import mistake

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

mistake_table = load_script("tools/mistake_table.py")


def test_every_catalogued_mistake_is_named_by_a_test(capsys):
    assert mistake_table.main(["--untested"]) == 0, capsys.readouterr().out


def test_a_mistake_no_test_names_is_listed(monkeypatch, capsys):
    ghost = mistake("ghost_mistake_nobody_tests", message="Never raised. Really.")
    fake = SimpleNamespace(
        id="ch00.q1", kind="function", mistakes=[ghost], message=lambda m: m.message
    )
    monkeypatch.setattr(mistake_table, "all_exercises", lambda: [fake])
    assert mistake_table.main(["--untested"]) == 1
    out = capsys.readouterr().out
    assert "| ch00.q1 | function | ghost_mistake_nobody_tests |" in out
    assert "| Never raised. |" in out and "1 named by no test" in out


def test_a_wrong_choice_counts_as_tested_by_its_key():
    ex = next(e for e in all_exercises() if getattr(e, "choices", None))
    wrong = next(m for m in ex.mistakes if m.name.startswith("chose_"))
    assert mistake_table._how(ex, wrong) == "choice"
