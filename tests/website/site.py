"""The built website: where it is, the pages the toc promises, a local server for it."""

import functools
import html
import http.server
import os
import pathlib
import re
import subprocess
import sys
import threading

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Pages every Sphinx HTML build adds beside the toc's: the redirect, index and search.
EXTRA_PAGES = ("index", "genindex", "search")


def site_dir():
    """The built HTML: $MHACOURSE_SITE if set (a private build), else _build/html."""
    return pathlib.Path(
        os.environ.get("MHACOURSE_SITE", ROOT / "_build" / "html")
    ).resolve()


def book_root(site):
    """The book's source folder: the site's own when the site is <root>/_build/html."""
    root = site.parents[1]
    return root if (root / "_toc.yml").is_file() else ROOT


def build_site(root, site):
    """Build the site strictly, as `make build-strict` does, unless it is built."""
    if (site / "index.html").is_file():
        return
    if site != (root / "_build" / "html").resolve():
        raise FileNotFoundError(f"{site} has no index.html; build it first")
    jb = pathlib.Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [str(jb), "build", ".", "-W", "-n", "--keep-going"], cwd=root, check=True
    )


def toc_pages(root):
    """[(docname, numbered)] for every file in _toc.yml, root first, reading order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    pages = [(toc["root"], False)]

    def walk(entries, numbered):
        for entry in entries or []:
            if "file" in entry:
                pages.append(
                    (
                        str(pathlib.PurePosixPath(entry["file"]).with_suffix("")),
                        numbered,
                    )
                )
            walk(entry.get("sections"), numbered)

    for part in toc.get("parts", []):
        walk(part.get("chapters"), bool(part.get("numbered")))
    walk(toc.get("chapters"), bool(toc.get("numbered")))
    return pages


def source_of(root, docname):
    """The source file of a toc page (.ipynb or .md)."""
    for suffix in (".ipynb", ".md"):
        path = root / f"{docname}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(docname)


def built_pages(site):
    """Docnames of every HTML page built (not the theme's templates under _static)."""
    skip = {"_static", "_sources", "_images", "jupyter_execute"}
    return sorted(
        str(p.relative_to(site).with_suffix(""))
        for p in site.rglob("*.html")
        if not skip.intersection(p.relative_to(site).parts)
    )


def ids_in(page):
    """Every id (and <a name>) in an HTML file: anchors on pages the browser skipped."""
    text = page.read_text(errors="replace")
    return [html.unescape(m) for m in re.findall(r'\s(?:id|name)="([^"]*)"', text)]


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        self.server.requests.append(
            (self.path, int(code) if str(code).isdigit() else 0)
        )

    def log_message(self, *args):
        pass


class SiteServer:
    """Serves a folder on 127.0.0.1 (a free port) from a thread; keeps every request."""

    def __init__(self, folder):
        handler = functools.partial(_Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.requests = []
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path):
        return f"{self.origin}/{path.lstrip('/')}"

    def take_requests(self):
        """[(path, status)] served since the last call."""
        got, self.httpd.requests = self.httpd.requests, []
        return got
