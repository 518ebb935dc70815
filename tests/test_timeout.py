"""A test that hangs fails within minutes (pytest-timeout, set in pyproject.toml)."""

import time

pytest_plugins = ["pytester"]

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
