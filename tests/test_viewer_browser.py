"""mhacourse.viewer in headless Chromium, at 1280 px and on a 390 px phone.

A standalone page made by ``attention_viewer(...).page()`` (file://, the same
script and style as in a notebook's output): hovering with the mouse, tapping
with an emulated finger, clicking and the arrow keys each show the weights of
the chosen layer, head and token, equal to the model's to the stated precision
(read from the DOM); nothing is requested from any host; no sideways scrolling;
axe finds no serious or critical violation. Then every page of the built site
that holds a viewer (chapter 8 must) gets the same checks against the weights it
embeds; the test fails when the site has no viewer. Screenshots of the viewer
go to _build/screenshots/viewer-<width>.png.
"""

import pathlib
import re

import pytest
import torch
from selenium.webdriver.common.keys import Keys
from website import browser, site
from website import viewer as vw

from mhacourse.viewer import attention_viewer

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
TEXT = "if (a) { return [b, a]; }"
LAYERS, HEADS = 3, 4
SHOTS = site.ROOT / "_build" / "screenshots"
SITE = site.site_dir()


def model_weights():
    """Causal attention weights (layers, H, L, L), peaked like a trained model's."""
    length = len(TEXT)
    g = torch.Generator().manual_seed(8)
    scores = 3 * torch.randn(LAYERS, HEADS, length, length, generator=g)
    future = torch.ones(length, length, dtype=torch.bool).triu(1)  # (L, L)
    return scores.masked_fill(future, float("-inf")).softmax(-1)  # (layers, H, L, L)


WEIGHTS = model_weights()


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from browser.module_driver(tmp_path_factory)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    names = [f"block {i + 1}" for i in range(LAYERS)]
    view = attention_viewer(list(TEXT), WEIGHTS, title="Heads", layer_names=names)
    path = tmp_path_factory.mktemp("viewer") / "viewer.html"
    path.write_text(view.page())
    return path.as_uri()


def load(driver, url, width):
    """Open ``url`` laid out ``width`` px wide, with fresh logs."""
    browser.emulate_width(driver, width)
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get(url)
    driver.execute_script(vw.POINTER_JS)


def clean(driver, origin):
    """No script error, console error, failed or outside request since ``load``."""
    errors = driver.execute_script("return window.__mhacourseErrors || []")
    console = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    external, failed = browser.network(driver.get_log("performance"), origin)
    assert not (errors or console or external or failed), (
        errors,
        console,
        external,
        failed,
    )


def no_sideways_scroll(driver, width):
    r = browser.overflow(driver)
    assert r["scrolled"] == 0 and r["scrollWidth"] <= r["clientWidth"], (width, r)


def no_serious_axe(driver, modes=("light",)):
    for mode in modes:
        bad = [
            v
            for v in browser.axe(driver, mode)
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, (mode, bad)


@pytest.mark.parametrize("width", WIDTHS)
def test_hover_tap_and_click_show_the_models_weights(driver, page, width):
    load(driver, page, width)
    try:
        last = len(TEXT) - 1
        vw.check(driver, last, weights=WEIGHTS)  # the last token is chosen at first
        vw.hover(driver, vw.token(driver, 4))
        vw.check(driver, 4, weights=WEIGHTS)
        vw.hover(driver, driver.find_element("css selector", ".mhav-title"))
        vw.check(driver, last, weights=WEIGHTS)  # back to the chosen token
        vw.choose(driver, layer=2, head=3)
        vw.tap(driver, vw.token(driver, 9))
        assert driver.execute_script("return window.__mhavPointer") == ["touch"]
        s = vw.check(driver, 9, weights=WEIGHTS)
        assert (s["layer"], s["head"], s["pressed"]) == (2, 3, [9])
        vw.choose(driver, layer=1, head=0)
        with vw.no_focus_on_click(driver):  # as Safari: a click does not focus
            vw.token(driver, 15).click()
        s = vw.check(driver, 15, weights=WEIGHTS)
        assert (s["layer"], s["head"], s["pressed"]) == (1, 0, [15])
        vw.choose(driver, head=-1)  # all heads, as colours
        assert len(vw.check(driver, 15)["rows"]) == HEADS
        no_sideways_scroll(driver, width)
        clean(driver, "file://")
        SHOTS.mkdir(parents=True, exist_ok=True)
        vw.choose(driver, head=0)
        vw.hover(driver, vw.token(driver, 20))
        root = driver.find_element("css selector", ".mhav")
        browser.element_screenshot(driver, root, SHOTS / f"viewer-{width}.png")
    finally:
        browser.emulate_width(driver, None)


def test_tokens_are_reached_and_moved_through_with_the_keyboard(driver, page):
    load(driver, page, 1280)
    tabbable = driver.execute_script(
        "return Array.from(document.querySelectorAll('.mhav-tok'))"
        ".filter(b => b.tabIndex === 0).map(b => +b.dataset.i)"
    )
    assert tabbable == [len(TEXT) - 1]  # one tab stop: the chosen token
    head = driver.find_element("css selector", "select.mhav-head")
    head.send_keys(Keys.TAB)  # from the last menu to the tokens
    assert vw.state(driver)["focused"] == len(TEXT) - 1
    for key, to in ((Keys.ARROW_LEFT, len(TEXT) - 2), (Keys.HOME, 0),
                    (Keys.ARROW_RIGHT, 1), (Keys.END, len(TEXT) - 1)):  # fmt: skip
        driver.switch_to.active_element.send_keys(key)
        s = vw.check(driver, to, weights=WEIGHTS)
        assert s["focused"] == to and s["pressed"] == [to]
    clean(driver, "file://")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_viewer_passes_axe(driver, page, width):
    load(driver, page, width)
    try:
        vw.choose(driver, head=-1)
        no_serious_axe(driver)
        vw.choose(driver, head=1)
        vw.token(driver, 3).click()
        no_serious_axe(driver)
    finally:
        browser.emulate_width(driver, None)


def viewer_pages(folder):
    """Built pages that hold a head viewer, as paths relative to ``folder``."""
    return [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*.html"))
        if not {"_static", "_sources"} & set(p.relative_to(folder).parts)
        and 'class="mhav"' in p.read_text(errors="replace")
    ]


@pytest.fixture(scope="module")
def server():
    site.build_site(site.book_root(SITE), SITE)
    with site.SiteServer(SITE) as srv:
        yield srv


@pytest.mark.parametrize("width", WIDTHS)
def test_every_viewer_on_the_site_shows_its_weights(driver, server, width):
    pages = viewer_pages(SITE)
    assert pages, f"no page of {SITE} shows a head viewer (chapter 8 must)"
    try:
        for path in pages:
            load(driver, server.url(path), width)
            count = len(driver.find_elements("css selector", ".mhav"))
            embedded = pathlib.Path(SITE / path).read_text()
            assert count == len(re.findall('class="mhav"', embedded)), path
            sizes = [len(vw.state(driver, n)["data"]["tokens"]) for n in range(count)]
            for n, length in enumerate(sizes):  # taps first, the mouse untouched
                vw.check(driver, length - 1, n)
                vw.tap(driver, vw.token(driver, length // 2, n))
                assert vw.check(driver, length // 2, n)["pressed"] == [length // 2]
            for n, length in enumerate(sizes):
                vw.hover(driver, vw.token(driver, length // 3, n))
                vw.check(driver, length // 3, n)
                root = driver.find_elements("css selector", ".mhav")[n]
                vw.hover(driver, root.find_element("css selector", ".mhav-help"))
                vw.check(driver, length // 2, n)  # the mouse left: the tapped token
                vw.choose(driver, head=-1, n=n)  # all heads, as colours
                vw.check(driver, length // 2, n)
            no_sideways_scroll(driver, width)
            clean(driver, server.origin)
            no_serious_axe(driver, ("light", "dark"))
    finally:
        browser.emulate_width(driver, None)
