"""Debian's headless Chromium, driven by Selenium through /usr/bin/chromedriver.

Nothing is downloaded: the driver path is given explicitly, so Selenium Manager never
runs, and Chromium runs with background networking, component updates and sync off.
"""

import json
import pathlib
import urllib.parse
import warnings

CHROMIUM = pathlib.Path("/usr/bin/chromium")
CHROMEDRIVER = pathlib.Path("/usr/bin/chromedriver")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--no-default-browser-check",
    "--window-size=1280,900",
    "--force-device-scale-factor=1",
    "--lang=en-US",
]
PROBE_JS = (pathlib.Path(__file__).with_name("probe.js")).read_text()
# Installed before any page script runs, so errors thrown during loading are caught too.
ERROR_HOOK = (pathlib.Path(__file__).with_name("error_hook.js")).read_text()


def missing():
    """Why the browser tests cannot run here, or None when they can."""
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.is_file()]
    if absent:
        return (
            f"Chromium is not installed ({', '.join(absent)} missing): run "
            "`bash tools/ensure_chromium.sh` as root, or "
            "`apt-get install chromium chromium-driver`"
        )
    return None


def start(user_data_dir):
    """A headless Chromium session with console and network logs switched on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={user_data_dir}"]:
        options.add_argument(flag)
    options.set_capability(
        "goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"}
    )
    driver = webdriver.Chrome(
        service=Service(executable_path=str(CHROMEDRIVER)), options=options
    )
    driver.set_page_load_timeout(60)
    # Under the 120 s that Selenium's client waits for any reply from chromedriver, so
    # that a script that runs too long fails as a script timeout, saying so.
    driver.set_script_timeout(110)
    driver.execute_cdp_cmd(
        "Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_HOOK}
    )
    return driver


def module_driver(tmp_path_factory, window=None, required=False):
    """Yield a fresh session for a test module's ``driver`` fixture, then quit it.

    Without Chromium the module is skipped (failed where ``required``, as in
    CI). ``window``: the window's (width, height) in px, if not the default.
    """
    import pytest

    reason = missing()
    if reason:
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    driver = start(tmp_path_factory.mktemp("chromium-profile"))
    if window is not None:
        driver.set_window_size(*window)
    yield driver
    driver.quit()


def wait(driver, condition, seconds, poll):
    """The first truthy ``condition()``, polled every ``poll`` s up to ``seconds``."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=poll).until(
        lambda d: condition()
    )


def network(perf_entries, origin):
    """(requests to other hosts, failed requests), from Chromium's performance log."""
    urls, status, failed = {}, {}, {}
    for entry in perf_entries:
        msg = json.loads(entry["message"])["message"]
        method, params = msg.get("method"), msg.get("params", {})
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.responseReceived":
            status[params["requestId"]] = params["response"]["status"]
        elif method == "Network.loadingFailed":
            failed[params["requestId"]] = params.get("errorText", "failed")
    external = sorted(
        {
            u
            for u in urls.values()
            if urllib.parse.urlsplit(u).scheme in ("http", "https", "ws", "wss")
            and not u.startswith(origin + "/")
        }
    )
    # Only requests this page made: a request the previous page left in flight is
    # cancelled by the navigation and says nothing about this page.
    bad = sorted(
        {(urls[r], f"HTTP {s}") for r, s in status.items() if s >= 400 and r in urls}
        | {(urls[r], err) for r, err in failed.items() if r in urls}
    )
    return external, bad


def _probe(driver, url):
    """Load the page and run the probe, once more if the browser hangs or answers blank.

    On a loaded 2-core CI machine, the probe once went unanswered for over 120 s on a
    page whose probe takes 1-3 s here (80 visits under full CPU load). A hang says
    nothing about the page, so it gets one more try, with a warning that pytest
    prints; anything the page itself gets wrong is reported by the probe, not retried.
    """
    # chromedriver's "script timeout" arrives as a TimeoutException.
    from selenium.common.exceptions import TimeoutException
    from urllib3.exceptions import ReadTimeoutError

    for attempt in (1, 2):
        try:
            driver.get(url)
            report = driver.execute_async_script(PROBE_JS)
            if not report.get("blank") or attempt == 2:
                return report
            problem = f"a blank document ({report})"
        except (TimeoutException, ReadTimeoutError) as e:
            if attempt == 2:
                raise
            problem = type(e).__name__
        warnings.warn(
            f"the browser did not answer on {url} ({problem}); loading the page again",
            stacklevel=2,
        )
        driver.get_log("browser")  # the next try starts with clean logs
        driver.get_log("performance")


def visit(driver, url, origin):
    """Load a page, wait for math and images; return the probe's report and the logs."""
    driver.get_log("browser")
    driver.get_log("performance")
    report = _probe(driver, url)
    if report.get("blank"):
        raise AssertionError(f"{url} was a blank document twice: {report}")
    if "probeError" in report:
        raise AssertionError(
            f"the page probe failed on {url} after {report['seconds']} s "
            f"(phases done: {report['phases']}): {report['probeError']}"
        )
    console = driver.get_log("browser")
    report["console"] = [f"{e['level']}: {e['message']}" for e in console]
    report["console_errors"] = [
        f"{e['level']}: {e['message']}" for e in console if e["level"] == "SEVERE"
    ]
    report["external"], report["failed"] = network(
        driver.get_log("performance"), origin
    )
    return report


AXE_DIR = pathlib.Path(__file__).with_name("axe")
VENDOR_AXE = pathlib.Path(__file__).resolve().parents[2] / "tools" / "vendor_axe.sh"
# Runs axe-core on the page in one theme, with transitions off so colours are final.
AXE_RUN = (pathlib.Path(__file__).with_name("axe_run.js")).read_text()
# How far the page scrolls sideways, and the elements that stick out to the right.
OVERFLOW = (pathlib.Path(__file__).with_name("overflow.js")).read_text()


def axe_source():
    """axe-core's source, vendored by tools/vendor_axe.sh (run here when missing)."""
    js = AXE_DIR / "axe.min.js"
    if not js.is_file():
        import subprocess

        subprocess.run(["bash", str(VENDOR_AXE)], check=True)
    return js.read_text()


def axe(driver, mode):
    """axe-core's violations on the open page in the given theme ("light" or "dark")."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(axe_source())
    return driver.execute_async_script(AXE_RUN, mode)


def emulate_width(driver, width):
    """Lay pages out as on a screen ``width`` CSS px wide (None: back to the window)."""
    if width is None:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    else:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": 844,
                "deviceScaleFactor": 1,
                "mobile": width < 600,
            },
        )


def overflow(driver):
    """How the open page behaves sideways: scroll width, client width, scroll offset."""
    return driver.execute_async_script(OVERFLOW)


def element_screenshot(driver, element, path):
    """Save a PNG of one element, whole even when it is taller than the window."""
    height = driver.execute_script(
        "return Math.ceil(arguments[0].getBoundingClientRect().height)", element
    )
    width = driver.execute_script("return window.innerWidth")
    # A window tall enough for the whole element, then Chromium's element screenshot.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": max(900, height + 120), "deviceScaleFactor": 1,
         "mobile": False},
    )  # fmt: skip
    try:
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.screenshot(str(path))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


LAYOUT = (pathlib.Path(__file__).with_name("layout.js")).read_text()


def layout(driver, mode):
    """The open page in theme ``mode``: figure shapes, clipped code, maths overflow."""
    driver.execute_script("document.documentElement.dataset.theme = arguments[0]", mode)
    return driver.execute_async_script(LAYOUT)
