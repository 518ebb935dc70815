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
