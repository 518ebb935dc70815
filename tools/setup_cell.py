"""Make each chapter's first code cell the setup guard, a cell of its own.

    python tools/setup_cell.py            # every book/NN_*.ipynb, in place
    python tools/setup_cell.py --check    # exit 1 if a notebook lacks the current guard

The guard runs before the chapter's imports. Where ``mhacourse`` is installed it
does nothing and prints nothing. Its cell is tagged ``remove-cell`` (the website
leaves it out) and folded in JupyterLab (``source_hidden``), so a chapter opens
on its own imports. On Colab (``google.colab`` is loaded) it
installs the package from the repository URL in _config.yml, when one is set.
Anywhere else it stops the notebook with one line saying how to get the
package, with no traceback (IPython prints ``_render_traceback_``'s lines
instead). A guard written atop the imports cell (the older layout) is moved
into its own cell; running the tool again replaces the guard, so it is
idempotent.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN = "# Setup: mhacourse is the course's package (Colab: this cell installs it)."
END = "# End of setup."
CELL_ID = "setup-guard"
# Left out of the website, folded in JupyterLab.
CELL_METADATA = {"tags": ["remove-cell"], "jupyter": {"source_hidden": True}}
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
    return f"{new_guard}\n{without_guard(source)}"


def without_guard(source: str) -> str:
    """`source` with a guard at its top (if any) taken out."""
    if source.startswith(BEGIN) and END in source:
        source = source[source.index(END) + len(END) :].lstrip("\n")
    return source


def guard_cell(new_guard: str):
    """The guard's own code cell: no outputs, hidden on the site, folded in Lab."""
    cell = nbformat.v4.new_code_cell(new_guard.rstrip("\n"))
    cell.id = CELL_ID
    cell.metadata = json.loads(json.dumps(CELL_METADATA))
    return cell


def with_guard_cell(nb, new_guard: str) -> bool:
    """Make `nb`'s first code cell the guard cell alone; True if `nb` changed."""
    at, first = next((i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code")
    want = guard_cell(new_guard)
    if first.source.startswith(BEGIN) and without_guard(first.source) == "":
        # Executing the notebook records timings under "execution": not a change.
        timings = {k: v for k, v in first.metadata.items() if k == "execution"}
        ours = {k: v for k, v in first.metadata.items() if k != "execution"}
        changed = (first.source, ours) != (want.source, want.metadata)
        first.source, first.metadata = want.source, {**want.metadata, **timings}
        return changed
    first.source = without_guard(first.source)
    nb.cells.insert(at, want)
    return True


def update(path: pathlib.Path, new_guard: str, write: bool) -> bool:
    """Put `new_guard` into the notebook's guard cell; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    changed = with_guard_cell(nb, new_guard)
    if changed and write:
        nbformat.write(nb, path)
    return changed


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
