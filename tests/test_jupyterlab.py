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
import time

import pytest
from website import browser
from website.lab_server import running, wait

from mhacourse.exercises import ch01

pytestmark = pytest.mark.browser
ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "book" / "01_soft_lookup.ipynb"
SCREENSHOT = ROOT / "_build" / "screenshots" / "jupyterlab-ch01.png"


def lab_hide_globs():
    """The Makefile's LAB_HIDE: what `make lab`'s file browser leaves out."""
    found = re.search(r"^LAB_HIDE := (.*)$", (ROOT / "Makefile").read_text(), re.M)
    return found.group(1).split()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    book = work / "book"
    shutil.copytree(
        ROOT / "book", book, ignore=shutil.ignore_patterns("mathjax", ".ipynb_*")
    )
    globs = (f"--ContentsManager.hide_globs={g}" for g in lab_hide_globs())
    with running(work, book, *globs) as url:
        yield url, book


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    required = os.environ.get("CI") == "true"
    yield from browser.module_driver(tmp_path_factory, (1280, 1600), required)


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
    wait(driver, lambda: len(driver.find_elements("css selector", ".jp-Cell")) > 20)
    statement = wait(driver, lambda: _statement_cell(driver, ch01.q1.title))
    wait(driver, lambda: statement.find_elements("css selector", "mjx-container"))
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
    items = wait(
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
    wait(
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
    wait(driver, lambda: path.stat().st_mtime_ns != before, 30)
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
    wait(driver, lambda: secret in driver.find_element("tag name", "body").text, 20)
