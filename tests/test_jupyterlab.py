"""Issues 11 and 22: in a real JupyterLab, exercises read well, solutions hide.

Starts JupyterLab as ``make lab`` does (the Makefile's LAB_HIDE list) on a copy of
book/, opens chapter 1 in headless Chromium and checks that the file browser lists
the chapters only, that the exercise statement is rendered Markdown with typeset
maths and no directive lines (``:::{exercise}``, ``:label:``), that no solution
code is visible until its collapsed cell is opened, and that opening it shows the
code; and that saving the notebook as opened leaves it exactly as committed (its
kernel spec is the one Lab writes). Saves ``_build/screenshots/jupyterlab-ch01.png``.
"""

import json
import os
import pathlib
import re
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


def lab_hide_globs():
    """The Makefile's LAB_HIDE: what `make lab`'s file browser leaves out."""
    found = re.search(r"^LAB_HIDE := (.*)$", (ROOT / "Makefile").read_text(), re.M)
    return found.group(1).split()


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
    book = work / "book"
    shutil.copytree(
        ROOT / "book", book, ignore=shutil.ignore_patterns("mathjax", ".ipynb_*")
    )
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
        f"--ServerApp.root_dir={book}",
        "--allow-root",
        *(f"--ContentsManager.hide_globs={g}" for g in lab_hide_globs()),
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
    yield url, book
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
    return next(c for c in cells if f"Exercise: {title}" in c.text)


def _secret(ex):
    """A line of the solution that the stub does not have."""
    lines = [line.strip() for line in ex.notebook_solution().splitlines()]
    return next(
        line
        for line in reversed(lines)
        if len(line) > 8 and line not in ex.stub and not line.startswith(("#", '"'))
    )


def test_statement_is_rendered_and_solution_hidden(lab, driver):
    url, _ = lab
    driver.get(f"{url}/lab/tree/{CHAPTER.name}")
    _wait(driver, lambda: len(driver.find_elements("css selector", ".jp-Cell")) > 20)
    statement = _wait(driver, lambda: _statement_cell(driver, ch01.q1.title))
    _wait(driver, lambda: statement.find_elements("css selector", "mjx-container"))
    rendered = statement.find_element("css selector", ".jp-RenderedMarkdown")
    assert rendered.find_elements("css selector", "p, li")  # Markdown, not a code block
    assert not rendered.find_elements("css selector", "pre")
    markdown = [
        c.text for c in driver.find_elements("css selector", ".jp-MarkdownCell")
    ]
    directives = [
        t for t in markdown if ":::" in t or ":label:" in t or "{exercise}" in t
    ]
    assert not directives, f"directive lines shown as text: {directives}"
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


def test_the_file_browser_lists_the_chapters_only(lab, driver):
    _, book = lab
    items = _wait(
        driver,
        lambda: [
            el.text
            for el in driver.find_elements(
                "css selector", ".jp-DirListing-item .jp-DirListing-itemText"
            )
        ],
    )
    chapters = sorted(p.name for p in book.glob("[0-9][0-9]_*.ipynb"))
    assert set(chapters) <= set(items), items
    extra = set(items) - set(chapters) - {"data"}  # the data chapter 5 reads
    assert not extra, f"the file browser shows more than the chapters: {extra}"


def test_saving_the_opened_chapter_changes_nothing(lab, driver):
    """Lab writes its kernel spec (and autosaves): the committed notebook has it."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    _, book = lab
    path = book / CHAPTER.name
    before = path.stat().st_mtime_ns
    _wait(
        driver,
        lambda: (
            "Idle" in driver.find_element("css selector", "body").text
            or driver.find_elements("css selector", ".jp-Notebook-ExecutionIndicator")
        ),
    )
    time.sleep(2)  # the kernel's info reply (language_info) reaches the model
    notebook = driver.find_element("css selector", ".jp-NotebookPanel .jp-Notebook")
    driver.execute_script("arguments[0].focus()", notebook)
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("s").key_up(
        Keys.CONTROL
    ).perform()
    _wait(driver, lambda: path.stat().st_mtime_ns != before, 30)
    saved = json.loads(path.read_text())
    committed = json.loads(CHAPTER.read_text())
    assert saved["metadata"] == committed["metadata"]
    for new, old in zip(saved["cells"], committed["cells"], strict=True):
        assert new == old, f"cell {old.get('id')} changed on saving"


def _hidden_solutions() -> list[str]:
    """Labels of the chapter's folded solutions, in notebook order (an inline
    "Predict first" question's solution comes before the end-of-chapter ones)."""
    cells = json.loads(CHAPTER.read_text())["cells"]
    return [
        c["metadata"]["mhacourse"]["solution"]
        for c in cells
        if c["cell_type"] == "markdown"
        and c["metadata"].get("jupyter", {}).get("source_hidden")
    ]


def test_a_solution_opens_on_click(lab, driver):
    secret = _secret(ch01.q1)
    assert secret not in driver.find_element("tag name", "body").text
    placeholder = driver.find_elements(
        "css selector", ".jp-MarkdownCell .jp-InputPlaceholder"
    )[_hidden_solutions().index(ch01.q1.label)]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", placeholder)
    placeholder.click()
    _wait(driver, lambda: secret in driver.find_element("tag name", "body").text, 20)
