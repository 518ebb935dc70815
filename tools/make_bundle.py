"""Build the course download: the notebooks, mhacourse as a wheel, and the pins.

    python tools/make_bundle.py OUTDIR      # writes OUTDIR/mhacourse-course.zip

The zip holds one folder, ``mhacourse-course/``, with the chapter notebooks (and
the data they read) in ``notebooks/``, the package wheel, ``requirements.txt``
(the pinned packages a learner needs: the package's own and JupyterLab's),
``constraints.txt`` (every transitive pin) and a README saying how to install.
After one ``pip install`` nothing needs the network. The website build calls
``build_bundle`` (book/_ext/mhacourse_bundle.py); ``tools/try_bundle.py``
installs the zip into a fresh venv and runs chapter 1.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = "mhacourse-course"
# What a learner installs: the package's dependencies and a notebook front end, and
# Triton for chapter 7's kernel (run in Triton's interpreter without a GPU).
LEARNER_PACKAGES = ("torch", "numpy", "matplotlib", "jupyterlab", "ipykernel", "triton")
#: Where a package has wheels only for some platforms: its requirement's marker there.
#: Triton ships Linux x86_64 / aarch64 wheels only (torch's CUDA build needs it there).
MARKERS = {"triton": 'sys_platform == "linux"'}
README = """\
Multi-Head Attention, Step by Step: the whole course for your own machine.

Install once (Python 3.10+), from this folder. 1. A virtual environment:

    python -m venv .venv && . .venv/bin/activate   # Windows: .venv\\Scripts\\activate

2. No NVIDIA GPU? Take the CPU-only build of torch first (about 190 MB): pip
   would otherwise fetch its CUDA build on Linux (several GB).

    pip install torch=={torch} --index-url https://download.pytorch.org/whl/cpu

3. Everything else (a few minutes; pip shows each package as it goes):

    pip install -r requirements.txt -c constraints.txt {wheel}

Then, with no network needed:

    jupyter lab notebooks/
"""


def learner_requirements(text: str) -> str:
    """The pinned lines of requirements.txt that a learner needs, comments dropped.

    >>> learner_requirements("# c\\ntorch==2.1\\npytest==8\\nnumpy==2.0\\n")
    'torch==2.1\\nnumpy==2.0\\n'
    >>> learner_requirements("triton==3.7.1\\n")
    'triton==3.7.1; sys_platform == "linux"\\n'
    """
    keep = []
    for line in text.splitlines():
        name = re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        if name in LEARNER_PACKAGES:
            marker = MARKERS.get(name)
            keep.append(f"{line.strip()}; {marker}" if marker else line.strip())
    return "".join(f"{line}\n" for line in keep)


def build_wheel(outdir: pathlib.Path) -> pathlib.Path:
    """Build mhacourse's wheel into `outdir` (pip, in an isolated build env).

    It builds from a clean copy of the sources: setuptools' build/ folder in the
    work tree would otherwise leave deleted modules in the wheel.
    """
    src = outdir / "src"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "mhacourse", src / "mhacourse", ignore=ignore)
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
    if _has_setuptools(77):  # as pyproject.toml asks: no need for an isolated env
        cmd.append("--no-build-isolation")
    subprocess.run([*cmd, "-w", str(outdir), str(src)], check=True)
    (wheel,) = outdir.glob("mhacourse-*.whl")
    return wheel


def _has_setuptools(major: int) -> bool:
    try:
        return int(metadata.version("setuptools").split(".")[0]) >= major
    except (metadata.PackageNotFoundError, ValueError):
        return False


def build_bundle(outdir: pathlib.Path) -> pathlib.Path:
    """Write ``outdir/mhacourse-course.zip`` and return its path."""
    outdir.mkdir(parents=True, exist_ok=True)
    target = outdir / f"{NAME}.zip"
    requirements = (ROOT / "requirements.txt").read_text()
    torch_pin = re.search(r"^torch==(\S+)", requirements, flags=re.MULTILINE)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(pathlib.Path(tmp))
        files = {
            "README.txt": README.format(
                wheel=wheel.name, torch=torch_pin.group(1) if torch_pin else "..."
            ),
            "requirements.txt": learner_requirements(requirements),
            "constraints.txt": (ROOT / "constraints.txt").read_text(),
        }
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files.items():
                zf.writestr(f"{NAME}/{name}", text)
            zf.write(wheel, f"{NAME}/{wheel.name}")
            for path in _course_files():
                rel = path.relative_to(ROOT / "book").as_posix()
                zf.write(path, f"{NAME}/notebooks/{rel}")
    return target


def _course_files() -> list[pathlib.Path]:
    book = ROOT / "book"
    notebooks = sorted(book.glob("*.ipynb"))
    data = sorted(p for p in (book / "data").rglob("*") if p.is_file())
    return notebooks + data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=pathlib.Path)
    target = build_bundle(parser.parse_args(argv).outdir)
    print(f"{target} ({target.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
