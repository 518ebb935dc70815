"""The suite's own rules from tests/conftest.py, run in a throw-away pytest."""

import pathlib

import pytest

pytest_plugins = ["pytester"]

CONFTEST = pathlib.Path(__file__).with_name("conftest.py")
SKIPPING_BROWSER_TEST = """
import pytest

@pytest.mark.browser
def test_page():
    pytest.skip("no chromium here")
"""


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_skipped_browser_test_fails_only_under_ci(pytester, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_page=SKIPPING_BROWSER_TEST)
    result = pytester.runpytest_inprocess("-o", "markers=browser", "-o", "addopts=")
    if ci:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["*CI is set, so a browser test may not skip: no chromium here*"]
        )
    else:
        result.assert_outcomes(skipped=1)


MARKED_AND_NOT = """
import pytest

@pytest.mark.cpu_independent
def test_layout():
    pass

def test_numbers():
    pass
"""


@pytest.mark.parametrize("numbers_only", ["1", ""])
def test_the_numbers_only_run_leaves_out_the_cpu_independent_tests(
    pytester, monkeypatch, numbers_only
):
    monkeypatch.setenv("MHACOURSE_NUMBERS_ONLY", numbers_only)
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makepyfile(test_two=MARKED_AND_NOT)
    result = pytester.runpytest_inprocess(
        "-o", "markers=cpu_independent", "-o", "addopts=", "-v"
    )
    if numbers_only:
        result.assert_outcomes(passed=1, deselected=1)
        result.stdout.fnmatch_lines(["*test_numbers PASSED*"])
    else:
        result.assert_outcomes(passed=2)
