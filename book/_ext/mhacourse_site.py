"""Site switches for the mhacourse book (a local Sphinx extension, see _config.yml).

1. One switch for the repository: setting ``repository.url`` in _config.yml turns on the
   repository, issues and edit-this-page buttons and the Binder / Colab launch buttons.
   While it is empty they all stay off (Jupyter Book would otherwise fail on the launch
   buttons, or point them at its own repository).
2. MathJax is served from the site itself (tools/vendor_mathjax.sh puts it in
   book/_static/mathjax); a build without it warns, so ``-W`` builds fail loudly instead
   of shipping pages whose math never typesets.
3. The bibliography's entries get the ARIA role ``listitem``: docutils marks them
   ``doc-biblioentry`` inside a ``role="list"``, which axe reports as a list without
   items (aria-required-children, critical).
4. Figures keep their shape and their labels' size. myst-nb draws a retina PNG with
   ``style="width: Wpx; height: Hpx;"``; the theme caps the width at the column but
   the fixed height stayed, squeezing the figure. Each such image gets its aspect ratio
   instead of a height, and a width of no less than ``MIN_SCALE`` of its own (a 10 pt
   label stays >= 10 px): on a phone a wide figure scrolls sideways in its output box
   (book/_static/mhacourse.css) rather than shrinking past legibility.
"""

import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

REPOSITORY_BUTTONS = (
    "use_repository_button",
    "use_issues_button",
    "use_edit_page_button",
)


def _repository_switch(app, config):
    opts = config.html_theme_options
    url = (opts.get("repository_url") or "").strip()
    if url:
        opts["repository_url"] = url
        for key in REPOSITORY_BUTTONS:
            opts[key] = True
    else:
        opts.pop("repository_url", None)
        opts["launch_buttons"] = {}
        for key in REPOSITORY_BUTTONS:
            opts[key] = False


def _check_mathjax(app):
    path = app.config.mathjax_path or ""
    if not path or "://" in path or path.startswith("/"):
        return
    confdir = Path(app.confdir)
    for static in app.config.html_static_path:
        if (confdir / static / path).is_file():
            return
    logger.warning(
        "MathJax is not vendored: %s is missing from html_static_path; run "
        "`bash tools/vendor_mathjax.sh` (make book / make test do it)",
        path,
    )


def _bibliography_roles(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


#: Smallest scale a figure is drawn at: its labels (>= 10 pt, 13.9 px at its own size)
#: stay >= 10 px.
MIN_SCALE = 0.725
_SIZED_IMG = re.compile(
    r'(<img\b[^>]*?\bstyle=")width: ([\d.]+)px; height: ([\d.]+)px;(")'
)


def figure_style(html: str) -> str:
    """`html` with each fixed-size image's height replaced by its aspect ratio.

    >>> figure_style('<img src="a.png" style="width: 400px; height: 100px;" />')
    '<img src="a.png" style="width: 400px; aspect-ratio: auto 400 / 100; \
max-width: max(100%, 290px);" />'
    """

    def restyle(m):
        width, height = m.group(2), m.group(3)
        least = round(float(width) * MIN_SCALE)
        style = (
            f"width: {width}px; aspect-ratio: auto {width} / {height}; "
            f"max-width: max(100%, {least}px);"
        )
        return f"{m.group(1)}{style}{m.group(4)}"

    return _SIZED_IMG.sub(restyle, html)


def _figures(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body and "<img" in body:
        context["body"] = figure_style(body)


def setup(app):
    app.connect("html-page-context", _bibliography_roles)
    app.connect("html-page-context", _figures)
    app.connect("config-inited", _repository_switch)
    app.connect("builder-inited", _check_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
