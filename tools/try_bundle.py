"""Install the course download into a fresh venv, as a learner would, and run chapter 1.

    python tools/try_bundle.py _build/bundle/mhacourse-course.zip
    python tools/try_bundle.py ZIP --wheelhouse .whl    # install offline

It unzips the bundle into a temporary folder, creates a venv there (no access to
this checkout: PYTHONPATH is cleared and the notebooks run from the unzipped
folder), runs the README's ``pip install`` and executes chapter 1 to its end
with nbconvert. With ``--wheelhouse DIR``, ``pip download`` first fills DIR with
the pinned packages (kept between runs), then the install is offline
(``--no-index``): every package comes from the bundle or from DIR.
Exit status 0 when chapter 1 ran without an error.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import zipfile

CHAPTER = "01_soft_lookup.ipynb"


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def try_bundle(
    bundle: pathlib.Path, wheelhouse: pathlib.Path | None, tmp: pathlib.Path
):
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp)
    course = tmp / "mhacourse-course"
    (wheel,) = course.glob("mhacourse-*.whl")
    env = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter")  # only the venv's own kernel
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    venv = tmp / "venv"
    run([sys.executable, "-m", "venv", venv], env=env)
    python = venv / "bin" / "python"
    pip = [python, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    reqs = ["-r", "requirements.txt", "-c", "constraints.txt"]
    if wheelhouse is not None:
        start = time.monotonic()
        run([*pip, "download", "-d", wheelhouse, *reqs], cwd=course, env=env)
        print(f"wheelhouse ready in {time.monotonic() - start:.0f} s", flush=True)
        env.pop("PIP_FIND_LINKS", None)
        pip += ["install", "--no-index", "--find-links", course]
        pip += ["--find-links", wheelhouse]
    else:
        pip.append("install")
    start = time.monotonic()
    reqs.append(wheel.name)
    run([*pip, *reqs], cwd=course, env=env)
    print(f"installed in {time.monotonic() - start:.0f} s", flush=True)
    start = time.monotonic()
    run(
        [venv / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--ExecutePreprocessor.timeout=600", "--output-dir", tmp / "executed",
         course / "notebooks" / CHAPTER],
        cwd=course / "notebooks", env=env,
    )  # fmt: skip
    print(f"{CHAPTER} ran to the end in {time.monotonic() - start:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=pathlib.Path)
    parser.add_argument(
        "--wheelhouse", type=pathlib.Path,
        help="download the pins into this folder, then install offline from it",
    )  # fmt: skip
    args = parser.parse_args(argv)
    house = args.wheelhouse.resolve() if args.wheelhouse else None
    with tempfile.TemporaryDirectory(prefix="mhacourse-bundle-") as tmp:
        try:
            try_bundle(args.bundle.resolve(), house, pathlib.Path(tmp))
        except subprocess.CalledProcessError as err:
            print(f"try_bundle: failed: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
