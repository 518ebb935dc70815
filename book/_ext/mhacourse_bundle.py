"""The course download: built with the site and offered on its landing page.

At the end of an HTML build this writes ``mhacourse-course.zip`` (the notebooks,
the package wheel and the pinned requirements; tools/make_bundle.py) next to
``index.html``. The landing page gets a short "Run the course yourself" section
linking to it, unless its own text already links to the zip.
"""

import importlib.util
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]
ZIP = "mhacourse-course.zip"
SECTION = """
<section id="run-the-course-yourself">
<h2>Run the course yourself</h2>
<p><a class="reference download" href="{href}" download>Download the whole course</a>
(one zip: every chapter notebook, the <code>mhacourse</code> package as a wheel and
the pinned requirements). Its <code>README.txt</code> gives the one
<code>pip install</code> command; after it, everything runs offline in JupyterLab.</p>
</section>
"""


def _make_bundle():
    spec = importlib.util.spec_from_file_location(
        "make_bundle", ROOT / "tools" / "make_bundle.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _add_download_link(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or pagename != app.config.root_doc:
        return
    body = context.get("body", "")
    if ZIP not in body:  # the zip lies next to index.html, maybe pages above
        context["body"] = body + SECTION.format(href=context["pathto"](ZIP, 1))


def _write_bundle(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = _make_bundle().build_bundle(Path(app.outdir))
    logger.info("course bundle: %s", target.name)


def setup(app):
    app.connect("html-page-context", _add_download_link)
    app.connect("build-finished", _write_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
