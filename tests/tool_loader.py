"""Load a script of the repository (tools/, book/_ext/) as a module, for its tests.

The scripts are not a package: Python runs them with their own folder on
``sys.path``, and some import a sibling by name (``tools/_results_cli.py``), so
the folder goes on ``sys.path`` here too (at its end: nothing else is shadowed).
"""

import importlib.util
import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parents[1]


def load_script(path: str) -> types.ModuleType:
    """The module of ``ROOT / path`` (e.g. "tools/nb_matrix.py"), run afresh.

    It is named after its file and not registered in ``sys.modules``.
    """
    file = ROOT / path
    if str(file.parent) not in sys.path:
        sys.path.append(str(file.parent))
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
