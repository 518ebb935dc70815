"""Issue 11, item 2: in a real JupyterLab, exercises read well, solutions hide.

Starts JupyterLab on a copy of chapter 1, opens it in headless Chromium and checks
that the exercise statement is rendered Markdown with typeset maths, that no
solution code is visible until its collapsed cell is opened, and that opening it
shows the code. Saves ``_build/screenshots/jupyterlab-ch01.png``.
"""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from website import browser

from mhacourse.exercises import ch01

pytestmark = pytest.mark.browser
ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "01_soft_lookup.ipynb"
SCREENSHOT = ROOT / "_build" / "screenshots" / "jupyterlab-ch01.png"
SETTINGS = {  # every cell rendered (no virtual scrolling), no news pop-up
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settings(folder):
    for plugin, values in SETTINGS.items():
        package, name = plugin.rsplit("/", 1)
        path = folder / package / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    shutil.copy(CHAPTER, work / CHAPTER.name)
    _settings(work / "settings")
    port = _free_port()
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(work / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
    )
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        f"--ServerApp.root_dir={work}",
        "--allow-root",
    ]
    log = (work / "lab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.terminate()
        pytest.fail(f"JupyterLab did not start: {(work / 'lab.log').read_text()}")
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    reason = browser.missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    drv = browser.start(tmp_path_factory.mktemp("chromium-profile"))
    drv.set_window_size(1280, 1600)
    yield drv
    drv.quit()


def _wait(driver, condition, seconds=60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(
        lambda d: condition()
    )


def _statement_cell(driver, title):
    cells = driver.find_elements("css selector", ".jp-MarkdownCell")
    return next(c for c in cells if f"{{exercise}} {title}" in c.text)


def _secret(ex):
    """A line of the solution that the stub does not have."""
    lines = [line.strip() for line in ex.notebook_solution().splitlines()]
    return next(
        line
        for line in reversed(lines)
        if len(line) > 8 and line not in ex.stub and not line.startswith(("#", '"'))
    )


def test_statement_is_rendered_and_solution_hidden(lab, driver):
    driver.get(f"{lab}/lab/tree/{CHAPTER.name}")
    _wait(driver, lambda: len(driver.find_elements("css selector", ".jp-Cell")) > 20)
    statement = _wait(driver, lambda: _statement_cell(driver, ch01.q1.title))
    _wait(driver, lambda: statement.find_elements("css selector", "mjx-container"))
    rendered = statement.find_element("css selector", ".jp-RenderedMarkdown")
    assert rendered.find_elements("css selector", "p, li")  # Markdown, not a code block
    assert not rendered.find_elements("css selector", "pre")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", statement)
    time.sleep(1)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOT))

    page = driver.find_element("tag name", "body").text
    assert "raise NotImplementedError" in page  # the stubs are there to fill in
    for ex in ch01.EXERCISES:
        secret = _secret(ex)
        assert secret not in page, f"{ex.id}: solution visible: {secret}"
    hidden = driver.find_elements("css selector", ".jp-InputPlaceholder")
    assert len(hidden) >= len(ch01.EXERCISES)


def test_a_solution_opens_on_click(lab, driver):
    secret = _secret(ch01.q1)
    assert secret not in driver.find_element("tag name", "body").text
    placeholder = driver.find_elements("css selector", ".jp-InputPlaceholder")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", placeholder)
    placeholder.click()
    _wait(driver, lambda: secret in driver.find_element("tag name", "body").text, 20)
