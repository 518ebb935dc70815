"""Driving mhacourse.viewer's widgets in Chromium: hover, tap, read what they show.

Used by tests/test_viewer_browser.py, on a standalone page and on the built site.
"""

import json

# Everything the n-th viewer of the page shows, read from its DOM.
STATE_JS = """
const root = document.querySelectorAll(".mhav")[arguments[0]];
const all = (sel, el) => Array.from((el || root).querySelectorAll(sel));
return {
  live: root.classList.contains("mhav-live"),
  layer: +root.querySelector("select.mhav-layer").value,
  head: +root.querySelector("select.mhav-head").value,
  marked: all(".mhav-tok").map((b, k) => b.classList.contains("mhav-q") ? k : -1)
    .filter(k => k >= 0),
  pressed: all(".mhav-tok").map((b, k) => b.getAttribute("aria-pressed") === "true"
    ? k : -1).filter(k => k >= 0),
  numbers: all(".mhav-tok .mhav-w").map(e => e.textContent),
  bars: all(".mhav-tok .mhav-bars").map(e => e.children.length),
  rows: all(".mhav-readout tbody tr").map(tr => ({
    head: tr.querySelector("th").textContent,
    top: all("li[data-k]", tr).map(li => [+li.dataset.k,
      li.querySelector(".mhav-val").textContent]),
  })),
  caption: (root.querySelector(".mhav-readout caption") || {}).textContent,
  data: root.querySelector("script.mhav-data").textContent,
  focused: document.activeElement && document.activeElement.closest(".mhav") === root
    ? +document.activeElement.dataset.i : -1,
};
"""
# Records the kind of the last pointer press, to tell a tap from a click.
POINTER_JS = """
window.__mhavPointer = [];
document.addEventListener("pointerdown", e => window.__mhavPointer.push(e.pointerType),
  true);
"""


def state(driver, n=0):
    """What viewer ``n`` shows now, with its embedded data parsed."""
    found = driver.execute_script(STATE_JS, n)
    found["data"] = json.loads(found["data"])
    return found


def weight(data, layer, head, query, key):
    """An embedded weight, in units of 10^-precision (0 past a row's end)."""
    row = data["w"][layer][head][query]
    return row[key] if key < len(row) else 0


def under_token(v, precision):
    """The number shown under a token: ".512", "0" or "1"."""
    scale = 10**precision
    return "0" if v == 0 else "1" if v == scale else f".{v:0{precision}d}"


def expected(data, layer, head, query):
    """What a viewer showing ``query`` in (layer, head) must show: numbers, top keys.

    ``head`` -1 is all heads: no numbers under the tokens, one readout row a head.
    """
    p, length = data["precision"], len(data["tokens"])
    heads = range(data["heads"]) if head < 0 else [head]
    numbers = [
        "" if head < 0 else under_token(weight(data, layer, head, query, k), p)
        for k in range(length)
    ]
    rows = []
    for h in heads:
        row = [weight(data, layer, h, query, k) for k in range(length)]
        keys = sorted((k for k in range(length) if row[k] > 0), key=lambda k: -row[k])
        top = [[k, f"{row[k] / 10**p:.{p}f}"] for k in keys[:3]]
        rows.append({"head": data["heads_names"][h], "top": top})
    return numbers, rows


def check(driver, query, n=0, weights=None):
    """Viewer ``n`` shows ``query`` in its chosen layer and head, with the embedded
    weights (and, given ``weights`` (layers, H, L, L), the model's to the precision).
    """
    s = state(driver, n)
    data, layer, head = s["data"], s["layer"], s["head"]
    assert s["live"], "the viewer's script did not run"
    assert s["marked"] == [query], (s["marked"], query)
    assert f"token {query + 1} of" in s["caption"], s["caption"]
    numbers, rows = expected(data, layer, head, query)
    assert s["numbers"] == numbers, (layer, head, query, s["numbers"], numbers)
    assert s["rows"] == rows, (layer, head, query, s["rows"], rows)
    assert s["bars"] == [data["heads"] if head < 0 else 1] * len(data["tokens"])
    if weights is not None and head >= 0:
        half = 0.5 * 10 ** -data["precision"] + 1e-9
        model = weights[layer, head, query].tolist()
        shown = [float(x) for x in s["numbers"]]
        assert max(abs(a - b) for a, b in zip(shown, model, strict=True)) <= half
    return s


def token(driver, k, n=0):
    """The button of token ``k`` in viewer ``n``."""
    root = driver.find_elements("css selector", ".mhav")[n]
    return root.find_elements("css selector", ".mhav-tok")[k]


def hover(driver, element):
    """Move the mouse onto ``element`` (pointer events of type "mouse")."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    ActionChains(driver).move_to_element(element).perform()


def tap(driver, element):
    """Tap ``element`` with an emulated finger (touch events, then the click)."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element
    )
    x, y = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [r.left + r.width / 2, r.top + r.height / 2];",
        element,
    )
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 1}
    )
    try:
        for kind, points in (("touchStart", [{"x": x, "y": y}]), ("touchEnd", [])):
            driver.execute_cdp_cmd(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": points}
            )
    finally:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})


def choose(driver, layer=None, head=None, n=0):
    """Pick a layer and/or a head (-1: all heads) in viewer ``n``'s menus."""
    from selenium.webdriver.support.ui import Select

    root = driver.find_elements("css selector", ".mhav")[n]
    for cls, value in (("mhav-layer", layer), ("mhav-head", head)):
        if value is not None:
            menu = root.find_element("css selector", f"select.{cls}")
            Select(menu).select_by_value(str(value))
