"""mhacourse.viewer in a real JupyterLab: readable untrusted, live once run.

A notebook saved with its outputs (as the chapters are, executed by nbconvert)
is untrusted where it is opened: JupyterLab drops its outputs' scripts and
styles. The viewer's output must then still show the weights of its first view
(layer 1, head 1, last token) as numbers and a table, and say to run the cell.
Once the reader runs it, the output is the session's own and the viewer is live:
hovering a token shows the model's weights. Not part of `make test` (about a
minute, most of it JupyterLab and a kernel starting): `make test-viewer-lab`.
Screenshots: _build/screenshots/viewer-jupyterlab-*.png.
"""

import pathlib
import time

import nbformat
import pytest
import torch
from website import browser
from website import viewer as vw
from website.lab_server import running, wait

from mhacourse.viewer import attention_viewer

pytestmark = pytest.mark.browser
SHOTS = pathlib.Path(__file__).resolve().parents[1] / "_build" / "screenshots"
TEXT = "print(f(x), [y])"
CELL = f"""import torch
from mhacourse.viewer import attention_viewer

L = {len(TEXT)}
g = torch.Generator().manual_seed(3)
scores = 3 * torch.randn(2, 4, L, L, generator=g, dtype=torch.float64)
future = torch.ones(L, L, dtype=torch.bool).triu(1)  # (L, L)
w = scores.masked_fill(future, float("-inf")).softmax(-1)  # (layers, H, L, L)
attention_viewer(list({TEXT!r}), w, title="Heads")"""


def model_weights():
    namespace = {}
    exec(CELL.rsplit("\n", 1)[0], namespace)
    return namespace["w"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab-viewer")
    (work / "nb").mkdir()
    # The cell's output as nbconvert would save it, made here (no kernel needed).
    view = attention_viewer(list(TEXT), model_weights(), title="Heads")
    result = nbformat.v4.new_output(
        "execute_result",
        data={"text/html": view._repr_html_(), "text/plain": repr(view)},
        execution_count=1,
    )
    cell = nbformat.v4.new_code_cell(CELL, execution_count=1, outputs=[result])
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }  # fmt: skip
    nbformat.write(notebook, work / "nb" / "viewer.ipynb")
    with running(work, work / "nb") as url:
        yield url


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from browser.module_driver(tmp_path_factory, (1280, 1200))


STATIC_JS = """
const r = document.querySelector(".jp-OutputArea-output .mhav");
return r && {live: r.classList.contains("mhav-live"),
  scripts: r.querySelectorAll("script").length,
  note: getComputedStyle(r.querySelector(".mhav-static")).display,
  numbers: Array.from(r.querySelectorAll(".mhav-w")).map(e => e.textContent),
  top: Array.from(r.querySelectorAll(".mhav-readout li")).map(li =>
    li.querySelector(".mhav-val").textContent)};
"""


def test_untrusted_it_shows_numbers_and_once_run_it_is_live(lab, driver):
    w = model_weights()
    driver.get(f"{lab}/lab/tree/viewer.ipynb")
    static = wait(driver, lambda: driver.execute_script(STATIC_JS), 90)
    row = torch.round(w[0, 0, -1] * 1000).long().tolist()  # layer 1, head 1, last
    assert static["live"] is False and static["scripts"] == 0, static
    assert static["note"] != "none", "the static view does not say to run the cell"
    assert static["numbers"] == [vw.under_token(v, 3) for v in row]
    assert static["top"] == [f"{v / 1000:.3f}" for v in sorted(row, reverse=True)[:3]]
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / "viewer-jupyterlab-untrusted.png"))
    time.sleep(2)  # Lab settles; the run waits for the kernel if it is starting
    _menu(driver, "Run", "Run All Cells")
    wait(driver, lambda: (driver.execute_script(STATIC_JS) or {}).get("live"), 120)
    vw.hover(driver, vw.token(driver, 5))
    vw.check(driver, 5, weights=w)
    driver.save_screenshot(str(SHOTS / "viewer-jupyterlab-run.png"))


def _menu(driver, name, item):
    """Click ``item`` in JupyterLab's ``name`` menu."""
    labels = driver.find_elements("css selector", ".lm-MenuBar-itemLabel")
    next(m for m in labels if m.text == name).click()
    entry = wait(
        driver,
        lambda: next(
            (
                m
                for m in driver.find_elements("css selector", ".lm-Menu-itemLabel")
                if m.text.startswith(item)
            ),
            None,
        ),
        10,
    )
    entry.click()
