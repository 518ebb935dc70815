"""The viewer's HTML: the widget as its script first draws it, and a whole page.

The HTML holds the view the script starts from (layer 1, head 1, the last token),
so that where the script cannot run (JupyterLab drops scripts and styles from an
untrusted notebook's outputs) the weights still read as numbers and a table.
"""

from __future__ import annotations

import html
import json
from importlib import resources

_SHOWN = {" ": "\u2423", "\n": "\u21b5", "\t": "\u21e5", "\r": "\u240d"}
_SPOKEN = {" ": "space", "\n": "new line", "\t": "tab", "\r": "carriage return"}
TOP = 3  # keys listed per head in the readout (as viewer.js's TOP)


def asset(name: str) -> str:
    """The text of ``viewer.js`` or ``viewer.css``, shipped beside this module."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def shown(token: str) -> str:
    """How a token is drawn: whitespace made visible, an empty token as ``∅``.

    >>> shown(" the"), shown("\\n"), shown("")
    ('␣the', '↵', '∅')
    """
    return "".join(_SHOWN.get(c, c) for c in token) or "\u2205"


def spoken(token: str) -> str:
    """How a screen reader names a token whose drawing is a symbol.

    >>> spoken(" "), spoken("a"), spoken(" a")
    ('space', 'a', "' a'")
    """
    if token in _SPOKEN:
        return _SPOKEN[token]
    return shown(token) if token.strip() == token and token else repr(token)


def under_token(v: int, precision: int) -> str:
    """The number under a token, ``v`` in units of 10^-precision: .512, 0 or 1.

    >>> under_token(512, 3), under_token(0, 3), under_token(1000, 3)
    ('.512', '0', '1')
    """
    scale = 10**precision
    return "0" if v == 0 else "1" if v == scale else f".{v:0{precision}d}"


def script_json(data: dict) -> str:
    """JSON safe inside <script>: no "<", ">" or "&" that could end the element.

    >>> script_json({"t": "</script>"})
    '{"t":"\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _row(data: dict, layer: int, query: int) -> list[int]:
    row = data["w"][layer][0][query]  # (S,) head 1, trailing zeros left out
    return row + [0] * (len(data["tokens"]) - len(row))


def readout(data: dict, layer: int, query: int) -> str:
    """The table of head 1's largest weights for ``query``, as viewer.js draws it."""
    row, p = _row(data, layer, query), data["precision"]
    keys = sorted((k for k, v in enumerate(row) if v > 0), key=lambda k: -row[k])
    items = (
        "".join(
            f'<li data-k="{k}"><span class="mhav-key">{html.escape(data["tokens"][k])}'
            f'</span> <span class="mhav-val">{row[k] / 10**p:.{p}f}</span></li>'
            for k in keys[:TOP]
        )
        or "<li>nothing (a masked row)</li>"
    )
    caption = (
        f"Where \u201c{html.escape(data['tokens'][query])}\u201d (token {query + 1} "
        f"of {len(row)}) looks, {html.escape(data['layers'][layer])}: largest weights"
    )
    swatch = (
        '<span class="mhav-swatch" aria-hidden="true" '
        'style="background: var(--mhav-accent);"></span>'
    )
    return (
        f'<table class="mhav-table"><caption>{caption}</caption><tbody><tr>'
        f'<th scope="row">{swatch}{data["heads_names"][0]}</th>'
        f'<td><ol class="mhav-top">{items}</ol></td></tr></tbody></table>'
    )


def controls(data: dict) -> str:
    """The layer and head menus (head -1: all heads at once, as colours)."""
    layers = "".join(
        f'<option value="{i}">{html.escape(n)}</option>'
        for i, n in enumerate(data["layers"])
    )
    heads = "".join(
        f'<option value="{h}">{n}</option>' for h, n in enumerate(data["heads_names"])
    )
    heads += '<option value="-1">all heads (colours)</option>'
    return (
        '<div class="mhav-controls">'
        f'<label>Layer <select class="mhav-layer">{layers}</select></label>'
        f'<label>Head <select class="mhav-head">{heads}</select></label></div>'
    )


def tokens(data: dict, names: list[str], query: int) -> str:
    """One button per token: its text, its bar and number for ``query`` (head 1)."""
    row, p = _row(data, 0, query), data["precision"]
    peak = max(max(row), 1)
    buttons = []
    for i, (text, name) in enumerate(zip(data["tokens"], names, strict=True)):
        on = i == query
        sr = "" if name == text else f'<span class="mhav-sr"> ({html.escape(name)})'
        buttons.append(
            f'<button type="button" class="mhav-tok{" mhav-q" * on}" data-i="{i}" '
            f'tabindex="{0 if on else -1}" aria-pressed="{"true" if on else "false"}">'
            f'<span class="mhav-t">{html.escape(text)}</span>{sr and sr + "</span>"}'
            '<span class="mhav-bars" aria-hidden="true"><span style="height: '
            f'{100 * row[i] / peak:g}%; background: var(--mhav-accent);"></span></span>'
            f'<span class="mhav-w">{under_token(row[i], p)}</span></button>'
        )
    label = 'aria-label="Tokens: choose one to see where it looks"'
    return f'<div class="mhav-tokens" role="group" {label}>{"".join(buttons)}</div>'


def widget(data: dict, names: list[str], title: str | None) -> str:
    """The whole widget: style, menus, tokens, readout, weights and script."""
    query = len(data["tokens"]) - 1
    title = title and f'<p class="mhav-title">{html.escape(title)}</p>'
    return (
        f'<div class="mhav"><style>{asset("viewer.css")}</style>{title or ""}'
        f"{controls(data)}"
        '<p class="mhav-help">Hover, tap or focus a token (arrow keys move): the '
        "numbers under the tokens are its attention weights, rounded to "
        f"{data['precision']} decimals; the bars, the same relative to the largest.</p>"
        '<p class="mhav-static"><strong>Static view</strong> (layer 1, head 1, last '
        "token): this output's script has not run. In JupyterLab, run the cell to "
        "explore (JupyterLab runs the scripts of a notebook's saved outputs only "
        "once it is trusted).</p>"
        f"{tokens(data, names, query)}"
        f'<div class="mhav-readout" aria-live="polite">{readout(data, 0, query)}</div>'
        f'<script type="application/json" class="mhav-data">{script_json(data)}'
        f"</script><script>{asset('viewer.js')}</script></div>"
    )


def page(widget_html: str, title: str | None) -> str:
    """A standalone HTML document around one widget (no other file needed)."""
    title = html.escape(title or "Attention viewer")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title></head><body style="font-family: sans-serif; '
        f'margin: 0.5rem"><main>{widget_html}</main></body></html>\n'
    )
