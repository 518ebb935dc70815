"""The website, checked in a real browser (headless Debian Chromium driven by Selenium).

`make test-browser` (part of `make test`) builds the site strictly, serves _build/html
on
127.0.0.1 and opens every page: no uncaught JavaScript error or console error, no failed
request for a local resource and no request to any other host, every image loaded, no
traceback in an output, math typeset by the site's own MathJax, the sidebar reaching
every
page, numbered chapters, internal links and anchors that resolve, the .ipynb download,
search, folded solutions that open on click, readable light and dark themes, axe-core
(vendored by tools/vendor_axe.sh) with no serious or critical violation in either theme,
meaningful alt text on every image, and no sideways scrolling at 390 px or 1280 px. A
screenshot of each page's first screen and of every diagram (light and dark) is saved
under _build/screenshots/.
Set MHACOURSE_SITE to check a private build (<root>/_build/html) instead.
"""

import json
import pathlib
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
import yaml
from website import browser, site

pytestmark = pytest.mark.browser

SITE = site.site_dir()
ROOT = site.book_root(SITE)
TOC = site.toc_pages(ROOT)
DOCNAMES = [doc for doc, _ in TOC]
CHAPTERS = [doc for doc, numbered in TOC if numbered]
NOTEBOOK_PAGES = [
    doc for doc in DOCNAMES if site.source_of(ROOT, doc).suffix == ".ipynb"
]
PAGES = [*DOCNAMES, "genindex", "search"]
TITLE = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
SCREENSHOTS = SITE.parent / "screenshots"
MIN_CONTRAST = 4.5  # WCAG AA for body text
MODES = ("light", "dark")
WIDTHS = (390, 1280)  # a phone and a desktop, in CSS px
# Figures are made with mhacourse.plot.use_style(): labels of at least 10 pt, 13.9 px at
# the figure's own width. Shown at no less than 72 % of it, they stay >= 10 px.
MIN_FIGURE_SCALE = 10 / (10 * 100 / 72)
STYLED_CHAPTERS = CHAPTERS[:4]  # chapters 1-4 use the course's figure style


class Visits:
    """Opens each page once, keeps the probe's report, and screenshots the toc pages."""

    def __init__(self, driver, server):
        self.driver, self.server, self.reports = driver, server, {}
        shutil.rmtree(SCREENSHOTS, ignore_errors=True)
        SCREENSHOTS.mkdir(parents=True)

    def __call__(self, doc):
        if doc not in self.reports:
            self.server.take_requests()
            report = browser.visit(
                self.driver, self.server.url(f"{doc}.html"), self.server.origin
            )
            report["server_errors"] = [
                r for r in self.server.take_requests() if r[1] >= 400
            ]
            report["axe"] = {mode: browser.axe(self.driver, mode) for mode in MODES}
            self.driver.execute_script(
                "document.documentElement.dataset.theme = 'light'"
            )
            if doc in DOCNAMES:
                self.screenshot(doc)
                report["diagram_shots"] = self.diagrams(doc)
            self.reports[doc] = report
        return self.reports[doc]

    def screenshot(self, doc):
        name = doc.replace("/", "_")
        self.driver.execute_script("window.scrollTo(0, 0)")
        for mode in ("light", "dark"):
            self.driver.execute_script(
                "document.documentElement.dataset.theme = arguments[0]", mode
            )
            self.driver.save_screenshot(
                str(SCREENSHOTS / f"{name}{'' if mode == 'light' else '.dark'}.png")
            )
        self.driver.execute_script("document.documentElement.dataset.theme = 'light'")

    def diagrams(self, doc):
        """Save every diagram of the page (alt text "Diagram ...") in both themes."""
        saved = []
        images = self.driver.find_elements(
            "css selector", "article img[alt^='Diagram']"
        )
        for k, img in enumerate(images, start=1):
            for mode in MODES:
                self.driver.execute_script(
                    "document.documentElement.dataset.theme = arguments[0]", mode
                )
                suffix = "" if mode == "light" else ".dark"
                name = f"{doc.replace('/', '_')}.diagram{k}{suffix}.png"
                # the figure's card: the image with its frame, as the reader sees it
                card = self.driver.execute_script(
                    "return arguments[0].closest('.cell_output') || arguments[0]", img
                )
                browser.element_screenshot(self.driver, card, SCREENSHOTS / name)
                saved.append(name)
        self.driver.execute_script("document.documentElement.dataset.theme = 'light'")
        return saved


@pytest.fixture(scope="module")
def server():
    site.build_site(ROOT, SITE)
    with site.SiteServer(SITE) as srv:
        yield srv


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    yield from browser.module_driver(tmp_path_factory)


@pytest.fixture(scope="module")
def visit(driver, server):
    return Visits(driver, server)


def fetch(server, path):
    with urllib.request.urlopen(server.url(path), timeout=30) as resp:
        return resp.status, resp.headers.get_content_type(), resp.read()


def wait_for(driver, condition, seconds=20):
    return browser.wait(driver, condition, seconds, poll=0.05)


def open_page(driver, server, doc):
    driver.get(server.url(f"{doc}.html"))
    wait_for(
        driver,
        lambda: driver.execute_script("return document.readyState") == "complete",
    )


def test_every_built_page_is_checked(server):
    assert set(site.built_pages(SITE)) == set(PAGES) | {"index"}


def test_root_redirects_to_the_first_page(visit, driver, server):
    server.take_requests()
    driver.get(server.url("index.html"))
    deadline = time.time() + 10
    while (
        driver.current_url != server.url(f"{DOCNAMES[0]}.html")
        and time.time() < deadline
    ):
        time.sleep(0.05)
    assert driver.current_url == server.url(f"{DOCNAMES[0]}.html")
    assert not [r for r in server.take_requests() if r[1] >= 400]


@pytest.mark.parametrize("doc", PAGES)
def test_page_loads_cleanly(visit, doc):
    r = visit(doc)
    problems = {
        "uncaught JavaScript errors": r["uncaught"],
        "console errors": r["console_errors"],
        "failed requests": r["failed"],
        "local resources not found": r["server_errors"],
        "requests that left the machine": r["external"],
    }
    found = {k: v for k, v in problems.items() if v}
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


@pytest.mark.parametrize("doc", PAGES)
def test_every_image_loads(visit, doc):
    broken = [
        img["src"]
        for img in visit(doc)["images"]
        if not (img["complete"] and img["naturalWidth"] > 0)
    ]
    assert not broken


@pytest.mark.parametrize("doc", DOCNAMES)
def test_no_traceback_in_outputs(visit, doc):
    assert not visit(doc)["tracebacks"]


@pytest.mark.parametrize("doc", PAGES)
def test_math_is_typeset_by_the_sites_own_mathjax(visit, server, doc):
    r = visit(doc)
    math, mj = r["math"], r["mathjax"]
    assert not math["raw"], f"raw TeX left in the text: {math['raw']}"
    if doc in CHAPTERS:
        assert math["elements"] > 0, "a chapter without any math"
    if math["elements"]:
        assert mj["loaded"] and not mj.get("error"), mj
        assert mj["src"].startswith(server.url("_static/mathjax/")), mj["src"]
        assert (
            math["typeset"] == math["elements"]
            and math["containers"] >= math["elements"]
        ), math
        assert not math["errors"], f"MathJax errors: {math['errors']}"


@pytest.mark.parametrize("doc", PAGES)
def test_sidebar_reaches_every_page(visit, server, doc):
    r = visit(doc)
    reached = {
        urllib.parse.urlsplit(a["href"]).path for a in r["sidebar"] if a["visible"]
    }
    missing = {f"/{d}.html" for d in DOCNAMES[1:]} - reached
    assert not missing, f"pages the sidebar does not link to: {missing}"
    # The first page is reached through the logo and book title atop the sidebar.
    assert r["brand"]["text"] == TITLE
    assert urllib.parse.urlsplit(r["brand"]["href"]).path == f"/{DOCNAMES[0]}.html"
    assert TITLE in r["title"]


def test_chapters_are_numbered(visit):
    sidebar = {
        urllib.parse.urlsplit(a["href"]).path: a["text"]
        for a in visit(DOCNAMES[0])["sidebar"]
    }
    for number, doc in enumerate(CHAPTERS, start=1):
        assert sidebar[f"/{doc}.html"].startswith(f"{number}. "), sidebar[
            f"/{doc}.html"
        ]
        r = visit(doc)
        assert r["h1Numbered"] and r["h1"].startswith(f"{number}. "), r["h1"]
        assert r["title"].startswith(f"{number}. ")


def test_logo_and_favicon(visit, server):
    r = visit(DOCNAMES[0])
    assert any(
        img["src"].endswith("/_static/logo.svg") and img["naturalWidth"] > 0
        for img in r["images"]
    )
    status, ctype, _ = fetch(server, urllib.parse.urlsplit(r["favicon"]).path)
    assert status == 200 and ctype.startswith("image/"), (r["favicon"], ctype)
    assert fetch(server, "favicon.ico")[0] == 200


def test_internal_links_and_anchors_resolve(visit, server):
    ids = {doc: set(visit(doc)["ids"]) for doc in PAGES}
    broken = []
    for doc in PAGES:
        for link in visit(doc)["links"]:
            url = urllib.parse.urlsplit(link["href"])
            if not link["href"].startswith(server.origin + "/"):
                continue
            path = urllib.parse.unquote(url.path).lstrip("/") or "index.html"
            target = SITE / path
            if not target.is_file():
                broken.append((doc, link["raw"], "no such file"))
            elif url.fragment and path.endswith(".html"):
                anchors = ids.get(path[:-5]) or set(site.ids_in(target))
                if urllib.parse.unquote(url.fragment) not in anchors:
                    broken.append((doc, link["raw"], "no such anchor"))
    assert not broken


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_download_button_gives_the_notebook(visit, server, doc):
    hrefs = [a["href"] for a in visit(doc)["downloads"] if a["text"] == ".ipynb"]
    assert len(hrefs) == 1, visit(doc)["downloads"]
    status, _, body = fetch(server, urllib.parse.urlsplit(hrefs[0]).path)
    assert status == 200
    assert json.loads(body) == json.loads(site.source_of(ROOT, doc).read_text())


@pytest.mark.parametrize("doc", CHAPTERS)
def test_no_repository_or_launch_buttons_while_the_url_is_unset(visit, doc):
    r = visit(doc)
    assert not r["launchLinks"]
    assert not [b for b in r["headerButtons"] if "btn-source-" in b]


@pytest.mark.parametrize("doc", PAGES)
def test_light_and_dark_themes_are_readable(visit, doc):
    themes = visit(doc)["themes"]
    for mode, lum_ok in (("light", lambda v: v > 200), ("dark", lambda v: v < 60)):
        bg = [int(v) for v in themes[mode]["background"].strip("rgba()").split(",")[:3]]
        assert lum_ok(sum(bg) / 3), (mode, themes[mode]["background"])
        poor = {
            g: w
            for g, w in themes[mode]["contrast"].items()
            if w["ratio"] < MIN_CONTRAST
        }
        assert not poor, f"{mode} theme: text below contrast {MIN_CONTRAST}: {poor}"


def test_screenshots_of_every_chapter(visit):
    for doc in DOCNAMES:
        visit(doc)
        for suffix in ("", ".dark"):
            png = (SCREENSHOTS / f"{doc.replace('/', '_')}{suffix}.png").read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_exercises_and_solutions_exist(visit):
    counts = {
        doc: (visit(doc)["exercises"], visit(doc)["solutions"]) for doc in DOCNAMES
    }
    assert any(ex for ex, _ in counts.values()), f"no page has exercises: {counts}"
    assert all(sol for ex, sol in counts.values() if ex), (
        f"exercises without solutions: {counts}"
    )


def test_solutions_are_folded_and_open_on_click(visit, driver, server):
    pages = [doc for doc in DOCNAMES if visit(doc)["solutions"]]
    assert pages, "no page has solutions"
    for doc in pages:
        open_page(driver, server, doc)
        for box in driver.find_elements("css selector", ".solution.admonition"):
            body = [
                el
                for el in box.find_elements("xpath", "./*")
                if "admonition-title" not in el.get_attribute("class")
            ]
            assert body and not any(el.is_displayed() for el in body), (
                f"{doc}: a solution is not folded"
            )
            toggle = (
                box.find_elements("css selector", "button.toggle-button")
                or box.find_elements("css selector", ".admonition-title")
            )[0]
            driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'})", toggle
            )
            toggle.click()
            wait_for(
                driver, lambda b=body: any(el.is_displayed() for el in b), seconds=5
            )


def test_search_finds_multi_head(driver, server):
    from selenium.webdriver.common.keys import Keys

    open_page(driver, server, DOCNAMES[0])
    button = wait_for(
        driver,
        lambda: next(
            (
                b
                for b in driver.find_elements(
                    "css selector", "button.search-button__button"
                )
                if b.is_displayed()
            ),
            None,
        ),
    )
    button.click()
    field = driver.find_element("css selector", "#pst-search-dialog input[name=q]")
    wait_for(driver, field.is_displayed)
    field.send_keys("multi-head", Keys.ENTER)
    wait_for(
        driver, lambda: urllib.parse.urlsplit(driver.current_url).path == "/search.html"
    )
    wait_for(
        driver,
        lambda: driver.execute_script(
            "const s = document.querySelector('#search-results .search-summary');"
            "return !!(s && s.textContent.trim());"
        ),
    )
    titles = [
        a.text
        for a in driver.find_elements("css selector", "#search-results ul.search li a")
    ]
    assert any("multi-head" in t.lower() for t in titles), titles


def test_sidebar_link_and_theme_button_work(driver, server):
    open_page(driver, server, DOCNAMES[0])
    name = CHAPTERS[-1].split("/")[-1]
    driver.find_element(
        "css selector", f'.bd-sidebar-primary nav a[href$="{name}.html"]'
    ).click()
    wait_for(driver, lambda: driver.current_url == server.url(f"{CHAPTERS[-1]}.html"))
    html = driver.find_element("css selector", "html")
    seen = set()
    for _ in range(3):
        driver.find_element("css selector", "button.theme-switch-button").click()
        seen.add(html.get_attribute("data-theme"))
    assert seen == {"light", "dark"}
    driver.execute_script("localStorage.clear()")


def test_repository_url_switches_on_the_buttons(tmp_path):
    """Setting repository.url alone turns on the repository and Binder/Colab buttons."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    config["repository"]["url"] = "https://github.com/example-org/mhacourse"
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/nb\n"
    )
    (tmp_path / "book").mkdir()
    for sub in ("_static", "_ext", "_templates", "references.bib"):
        (tmp_path / "book" / sub).symlink_to(ROOT / "book" / sub)
    (tmp_path / "book" / "intro.md").write_text("# Intro\n\nText.\n")
    (tmp_path / "book" / "nb.ipynb").write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "markdown",
                        "metadata": {},
                        "source": ["# A notebook\n"],
                    }
                ],
                "metadata": {
                    "kernelspec": {
                        "name": "python3",
                        "display_name": "Python 3",
                        "language": "python",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    out = subprocess.run(
        [str(jb), "build", ".", "-W", "-n", "--keep-going"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    page = (tmp_path / "_build" / "html" / "book" / "nb.html").read_text()
    assert (
        "https://mybinder.org/v2/gh/example-org/mhacourse/main?urlpath=lab/tree/book/nb.ipynb"
        in page
    )
    assert (
        "https://colab.research.google.com/github/example-org/mhacourse/blob/main/book/nb.ipynb"
        in page
    )
    assert 'href="https://github.com/example-org/mhacourse"' in page
    assert "btn-source-issues-button" in page


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("doc", PAGES)
def test_axe_finds_no_serious_violation(visit, doc, mode):
    bad = [v for v in visit(doc)["axe"][mode] if v["impact"] in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['impact']} {v['id']} ({v['count']}x): {v['help']}; {v['nodes']}"
        for v in bad
    )


def _meaningful_alt(alt, src):
    """Alt text that says something: words, not a file name or a hash."""
    if not alt or len(alt.split()) < 3:
        return False
    name = urllib.parse.unquote(src.rsplit("/", 1)[-1])
    return alt.strip() != name and not re.search(
        r"\.(png|svg|jpe?g|gif|webp)$|^[0-9a-f]{16,}", alt.strip(), re.I
    )


@pytest.mark.parametrize("doc", PAGES)
def test_every_image_has_meaningful_alt_text(visit, doc):
    bad = [
        (img["src"].rsplit("/", 1)[-1], img["alt"])
        for img in visit(doc)["images"]
        if img["inArticle"] and not _meaningful_alt(img["alt"], img["src"])
    ]
    assert not bad, f"{len(bad)} image(s) without meaningful alt text: {bad}"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(driver, server, width):
    wide = {}
    browser.emulate_width(driver, width)
    try:
        for doc in PAGES:
            open_page(driver, server, doc)
            r = browser.overflow(driver)
            if r["scrolled"] > 0 or r["scrollWidth"] > r["clientWidth"]:
                wide[doc] = r
    finally:
        browser.emulate_width(driver, None)
    assert not wide, f"pages that scroll sideways at {width} px: {wide}"


def test_screenshots_of_every_diagram(visit):
    shots = []
    for doc in DOCNAMES:
        r = visit(doc)
        diagrams = [img for img in r["images"] if img["diagram"]]
        assert len(r["diagram_shots"]) == 2 * len(diagrams), doc
        shots += r["diagram_shots"]
    assert len(shots) >= 2 * 4, shots  # chapters 1, 3 and 4 have at least 4 diagrams
    for name in shots:
        png = (SCREENSHOTS / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000, name


def test_theme_buttons_are_overridden():
    """book/_templates: accessible names for the search and colour buttons."""
    for doc in PAGES:
        page = (SITE / f"{doc}.html").read_text()
        theme = re.findall(
            r"<button[^>]*theme-switch-button[^>]*>(.*?)</button>", page, re.S
        )
        search = re.findall(r"<button[^>]*search-button-field[^>]*>", page)
        assert theme and search, doc
        assert all('data-mhacourse-override="theme"' in page for _ in theme)
        assert not [b for b in theme if "title=" in b], f"{doc}: icons with titles"
        assert all(
            "aria-label" not in b and "data-mhacourse-override" in b for b in search
        ), doc


def test_landing_page_links_to_every_chapter(visit):
    article = {
        urllib.parse.urlsplit(a["href"]).path
        for a in visit(DOCNAMES[0])["article_links"]
    }
    missing = {f"/{doc}.html" for doc in CHAPTERS} - article
    assert not missing, f"chapters the landing page's map does not link to: {missing}"


@pytest.mark.parametrize("doc", STYLED_CHAPTERS)
def test_figure_labels_stay_readable_on_a_desktop(visit, doc):
    """At 1280 px no figure is shrunk so far that a 10 pt label falls under 10 px."""
    small = [
        (img["src"].rsplit("/", 1)[-1], img["shownWidth"], img["cssWidth"])
        for img in visit(doc)["images"]
        if img["inArticle"]
        and img["cssWidth"]
        and img["shownWidth"] / img["cssWidth"] < MIN_FIGURE_SCALE
    ]
    assert not small, f"figures shrunk below {MIN_FIGURE_SCALE:.2f}x: {small}"


@pytest.fixture(scope="module")
def layouts(driver, server):
    """Every page at each width, measured in each theme (tests/website/layout.js)."""
    found = {}
    try:
        for width in WIDTHS:
            browser.emulate_width(driver, width)
            for doc in DOCNAMES:
                open_page(driver, server, doc)
                for mode in MODES:
                    found[doc, width, mode] = browser.layout(driver, mode)
    finally:
        browser.emulate_width(driver, None)
        driver.execute_script("document.documentElement.dataset.theme = 'light'")
    return found


def _layout_items(layouts, key, width, mode=None):
    return {
        doc: [item for item in r[key]]
        for (doc, w, m), r in layouts.items()
        if w == width and (mode is None or m == mode) and r[key]
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", WIDTHS)
def test_figures_keep_their_true_aspect_ratio(layouts, width, mode):
    """Every image is drawn at its own shape: rendered width / height = natural's."""
    shown = [
        f for (_, w, m), r in layouts.items() if (w, m) == (width, mode)
        for f in r["figures"]
    ]  # fmt: skip
    assert len(shown) >= 40, f"only {len(shown)} images measured"
    squeezed = {
        doc: [(f["src"], f["natural"], f["shown"]) for f in figs if f["squeezed"]]
        for doc, figs in _layout_items(layouts, "figures", width, mode).items()
    }
    squeezed = {doc: figs for doc, figs in squeezed.items() if figs}
    count = sum(len(figs) for figs in squeezed.values())
    assert not squeezed, f"{count} of {len(shown)} images distorted: {squeezed}"


@pytest.mark.parametrize("width", WIDTHS)
def test_no_code_is_clipped(layouts, width):
    """No code or output line runs past its box's right edge (hidden until scrolled)."""
    clipped = _layout_items(layouts, "clipped", width, "light")
    count = sum(len(v) for v in clipped.values())
    assert not clipped, f"{count} clipped code blocks at {width} px: {clipped}"


@pytest.mark.parametrize("width", WIDTHS)
def test_display_maths_fits_or_scrolls_in_its_box(layouts, width):
    """Display maths stays inside the text column, scrolling in its own box if wider."""
    wide = _layout_items(layouts, "maths", width, "light")
    assert not wide, f"display maths out of its box at {width} px: {wide}"


@pytest.mark.parametrize("width", WIDTHS)
def test_figure_labels_stay_readable_at_every_width(layouts, width):
    """Course figures are never drawn under 72 % of their size: labels >= 10 px."""
    small = {
        doc: [
            (f["src"], f["width"], f["cssWidth"])
            for f in r["figures"]
            if f["width"] / f["cssWidth"] < MIN_FIGURE_SCALE - 0.005
        ]
        for (doc, w, m), r in layouts.items()
        if (w, m) == (width, "light") and doc in STYLED_CHAPTERS
    }
    small = {doc: figs for doc, figs in small.items() if figs}
    assert not small, f"figures shrunk below {MIN_FIGURE_SCALE:.2f}x: {small}"


def test_the_landing_page_has_a_single_tab_title(visit):
    assert visit(DOCNAMES[0])["title"] == TITLE


def test_bibliography_labels_read_like_the_citations():
    """Labels as the text cites them, (Vaswani et al., 2017), not [VSP+17]."""
    page = (SITE / "book" / "bibliography.html").read_text()
    labels = re.findall(
        r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span', page
    )
    assert labels, "no bibliography labels found"
    bad = [
        label for label in labels if not re.search(r", (\d{4}|n\.d\.)[a-z]?$", label)
    ]
    assert not bad, f"labels not in author-year form: {bad}"
    assert "Vaswani et al., 2017" in labels


def _search(driver, server, words):
    """Open the search page for `words`; the result snippets once they have loaded."""
    query = urllib.parse.urlencode({"q": words})
    driver.get(server.url(f"search.html?{query}"))
    wait_for(
        driver,
        lambda: driver.execute_script(
            "const s = document.querySelector('#search-results .search-summary');"
            "return !!(s && s.textContent.trim());"
        ),
        seconds=60,
    )
    items = driver.find_elements("css selector", "#search-results ul.search li")
    wait_for(
        driver,
        lambda: (
            len(driver.find_elements("css selector", "#search-results p.context"))
            >= min(len(items), 3)
        ),
        seconds=60,
    )
    time.sleep(1)  # the remaining pages' snippets
    return [
        p.text
        for p in driver.find_elements("css selector", "#search-results p.context")
    ]


def test_search_snippets_show_maths_as_text_not_tex(driver, server):
    snippets = _search(driver, server, "scaled dot product")
    assert snippets, "no snippets"
    tex = [s for s in snippets if re.search(r"\\[A-Za-z(\[)]|\$\$", s)]
    assert not tex, f"raw TeX in search snippets: {tex}"
    # the maths is there, as text (e.g. QKᵀ/√E), not dropped
    assert any(re.search(r"[ᵀ√×∈≈]", s) for s in snippets), snippets
