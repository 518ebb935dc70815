"""A test that hangs fails within minutes (pytest-timeout, set in pyproject.toml)."""

import time

import pytest

pytest_plugins = ["pytester"]
# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

HANGS = """
import time

def test_hangs():
    time.sleep(60)
"""


def test_the_suite_has_a_timeout_of_minutes(pytestconfig):
    # pyproject.toml's [tool.pytest.ini_options] timeout, as this very run read it
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert 0 < float(pytestconfig.getini("timeout")) <= 600


def test_a_hanging_test_fails_at_the_timeout(pytester):
    pytester.makepyfile(test_hang=HANGS)
    start = time.monotonic()
    result = pytester.runpytest_subprocess("-p", "timeout", "-o", "timeout=2")
    assert time.monotonic() - start < 30
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout (>2.0s) from pytest-timeout*"])


def test_a_test_that_hangs_after_an_exercise_check_still_times_out(pytester):
    # The checker's own time limit borrows the same SIGALRM timer.
    pytester.makepyfile(
        """
        import time
        from mhacourse.exercises.core.time_limit import limited

        def test_check_then_hang():
            with limited(5):
                pass
            time.sleep(60)
        """
    )
    result = pytester.runpytest_subprocess("-p", "timeout", "-o", "timeout=3")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Timeout (>3.0s) from pytest-timeout*"])
