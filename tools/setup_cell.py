"""Put the setup guard at the top of each chapter's first code cell.

    python tools/setup_cell.py            # every book/NN_*.ipynb, in place
    python tools/setup_cell.py --check    # exit 1 if a notebook lacks the current guard

The guard runs before the chapter's imports. Where ``mhacourse`` is installed it
does nothing and prints nothing. On Colab (``google.colab`` is loaded) it
installs the package from the repository URL in _config.yml, when one is set.
Anywhere else it stops the notebook with one line saying how to get the
package, with no traceback (IPython prints ``_render_traceback_``'s lines
instead). The cell keeps its own imports below the guard; running the tool
again replaces the guard, so it is idempotent.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN = "# Setup: mhacourse is the course's package (Colab: this cell installs it)."
END = "# End of setup."
MESSAGE = (
    "mhacourse is not installed: download the course from the book's home page "
    "and follow its README.txt (pip install -r requirements.txt mhacourse-*.whl)"
)
MISSING = """\

    class MissingPackage(Exception):
        def _render_traceback_(self):  # IPython prints this line, no traceback
            return [str(self)]

    raise MissingPackage(
{message}
    )"""
COLAB = """\
    if "google.colab" in sys.modules:
        import subprocess

        pip = [sys.executable, "-m", "pip", "install", "-q"]
        source = "{requirement}"
        subprocess.run([*pip, source], check=True)
        importlib.invalidate_caches()
    else:"""


def repository(config: pathlib.Path = ROOT / "_config.yml") -> tuple[str, str]:
    """(url, branch) of ``repository:`` in _config.yml; url is "" when unset."""
    text = config.read_text() if config.exists() else ""
    block = re.search(r"^repository:\n((?:[ \t].*\n?)*)", text, flags=re.MULTILINE)
    field = r"^\s+(\w+):\s*\"?([^\"#\n]*?)\"?\s*(?:#.*)?$"
    fields = dict(re.findall(field, block.group(1) if block else "", re.MULTILINE))
    return fields.get("url", "").strip(), fields.get("branch", "").strip() or "main"


def guard(package: str = "mhacourse", url: str = "", branch: str = "main") -> str:
    """The guard's source: `package` missing -> install it on Colab or say how."""
    words = [f'"{w} "' for w in re.findall(r"\S+(?: \S+){0,7}", MESSAGE)]
    words[-1] = words[-1][:-2] + '"'
    message = "\n".join(f"        {w}" for w in words)
    missing = MISSING.format(message=message)
    imports = "import importlib.util\n"
    if url:
        requirement = f"{package} @ git+{url.rstrip('/')}@{branch}"
        missing = COLAB.format(requirement=requirement) + "\n" + _indent(missing)
        imports += "import sys\n"
    return (
        f"{BEGIN}\n{imports}\n"
        f'if importlib.util.find_spec("{package}") is None:\n{missing}\n{END}\n'
    )


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else line for line in text.split("\n"))


def with_guard(source: str, new_guard: str) -> str:
    """`source` with its old guard (if any) replaced by `new_guard`."""
    start = source.find(BEGIN)
    if start == 0 and END in source:
        source = source[source.index(END) + len(END) :].lstrip("\n")
    return f"{new_guard}\n{source}"


def update(path: pathlib.Path, new_guard: str, write: bool) -> bool:
    """Put `new_guard` into the notebook's first code cell; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    source = with_guard(cell.source, new_guard)
    if source == cell.source:
        return False
    if write:
        cell.source = source
        nbformat.write(nb, path)
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--check", action="store_true", help="change nothing")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    new_guard = guard("mhacourse", *repository())
    stale = [p for p in notebooks if update(p, new_guard, write=not args.check)]
    for path in stale:
        print(f"{path}: {'setup guard out of date' if args.check else 'updated'}")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
