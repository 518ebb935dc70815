"""Install the course download into a fresh venv as a learner would; run all chapters.

    python tools/try_bundle.py _build/bundle/mhacourse-course.zip
    python tools/try_bundle.py ZIP --wheelhouse .whl    # install offline

It unzips the bundle into a temporary folder, creates a venv there (no access to
this checkout: PYTHONPATH is cleared and the notebooks run from the unzipped
folder), runs the README's ``pip install``, then adds nbval and pytest (the
repository's pins) and checks every chapter notebook under strict nbval with
the repository's sanitizer, in its own folder as JupyterLab runs it (``--jobs``
at a time, one thread, this CPU's own instructions), with no network: the proxy
variables point at a closed port. So the download's chapters not only run to
their end but print what the repository's do: ``make test-nb`` leaves this one
setup (best capability, one thread) to this check. With ``--wheelhouse DIR``,
``pip download`` first fills DIR with the pinned packages (kept between runs),
then the install is offline (``--no-index``): every package comes from the
bundle or from DIR.
Exit status 0 when every chapter passed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import zipfile

#: No network while the chapters run: every proxied request goes to a closed port.
OFFLINE = {
    key: "http://127.0.0.1:9"
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy")
}


ROOT = pathlib.Path(__file__).resolve().parents[1]
SANITIZE = ROOT / "book" / "nbval_sanitize.cfg"


def checker_pins(requirements: pathlib.Path = ROOT / "requirements.txt") -> list[str]:
    """The repository's exact pins of nbval and pytest (not in the download)."""
    pins = [
        line.split("#")[0].strip()
        for line in requirements.read_text().splitlines()
        if line.split("==")[0].strip().lower() in {"nbval", "pytest"}
    ]
    if len(pins) != 2:
        raise ValueError(f"expected nbval and pytest pins in {requirements}")
    return pins


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def try_bundle(
    bundle: pathlib.Path,
    wheelhouse: pathlib.Path | None,
    tmp: pathlib.Path,
    jobs: int = 2,
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
        run([*pip, "download", "-d", wheelhouse, *reqs, *checker_pins()],
            cwd=course, env=env)  # fmt: skip
        print(f"wheelhouse ready in {time.monotonic() - start:.0f} s", flush=True)
        env.pop("PIP_FIND_LINKS", None)
        pip += ["install", "--no-index", "--find-links", course]
        pip += ["--find-links", wheelhouse]
    else:
        pip.append("install")
    # No .pyc for every file of torch and Jupyter up front (a minute on 2 cores):
    # Python compiles what a chapter imports when it first imports it.
    pip.append("--no-compile")
    start = time.monotonic()
    reqs.append(wheel.name)
    run([*pip, *reqs], cwd=course, env=env)
    print(f"installed in {time.monotonic() - start:.0f} s", flush=True)
    run([*pip, *checker_pins()], cwd=course, env=env)  # the checker, after
    run_chapters(venv, course / "notebooks", env, jobs)


def run_chapters(venv, notebooks, env, jobs: int = 2):
    """Check every chapter in `notebooks` under strict nbval; raise on a failure."""
    env = {**env, **OFFLINE, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NO_PROXY": "", "no_proxy": ""}  # fmt: skip
    env.pop("ATEN_CPU_CAPABILITY", None)  # this CPU's own instructions
    chapters = sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))
    nbval = [venv / "bin" / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--nbval", "--nbval-sanitize-with", SANITIZE,
             "--nbval-current-env"]  # fmt: skip

    def one(chapter):
        start = time.monotonic()
        done = subprocess.run(
            [str(c) for c in [*nbval, chapter.name]],
            cwd=notebooks, env=env, capture_output=True, text=True,
        )  # fmt: skip
        took = time.monotonic() - start
        return chapter.name, done, took

    start, failed = time.monotonic(), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, done, took in pool.map(one, chapters):
            ok = done.returncode == 0
            print(f"{name}: {'passed nbval' if ok else 'FAILED'} in {took:.0f} s")
            if not ok:
                failed.append(name)
                print((done.stdout + done.stderr)[-4000:], file=sys.stderr)
    print(f"{len(chapters)} chapters in {time.monotonic() - start:.0f} s", flush=True)
    if failed or not chapters:
        raise subprocess.CalledProcessError(1, f"chapters {failed or 'none found'}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=pathlib.Path)
    parser.add_argument(
        "--wheelhouse", type=pathlib.Path,
        help="download the pins into this folder, then install offline from it",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", type=int, default=2, help="chapters run at once (default 2)"
    )
    args = parser.parse_args(argv)
    house = args.wheelhouse.resolve() if args.wheelhouse else None
    with tempfile.TemporaryDirectory(prefix="mhacourse-bundle-") as tmp:
        try:
            try_bundle(args.bundle.resolve(), house, pathlib.Path(tmp), args.jobs)
        except subprocess.CalledProcessError as err:
            print(f"try_bundle: failed: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
