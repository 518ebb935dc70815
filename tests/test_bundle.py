"""The course download (tools/make_bundle.py), built the way the site builds it.

A tiny Sphinx project loads book/_ext/mhacourse_bundle.py, so this checks what
the website ships: the zip next to the pages and the link on the landing page.
tools/try_bundle.py (make test-bundle) installs the zip and runs every chapter.
"""

import pathlib
import re
import subprocess
import sys
import zipfile

import pytest

# Processes, text or layout: make test's capability=default run leaves these out.
pytestmark = pytest.mark.cpu_independent

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    src = tmp_path_factory.mktemp("src")
    (src / "book").mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        'extensions = ["mhacourse_bundle"]\nroot_doc = "book/intro"\n'
    )
    (src / "book" / "intro.rst").write_text("Intro\n=====\n\nWelcome.\n")
    (src / "book" / "other.rst").write_text(":orphan:\n\nOther\n=====\n")
    out = tmp_path_factory.mktemp("html")
    cmd = [sys.executable, "-m", "sphinx", "-q", "-W", "-b", "html", src, out]
    subprocess.run(cmd, check=True)
    return out


def test_the_landing_page_links_the_zip_next_to_index(site):
    landing = (site / "book" / "intro.html").read_text()
    links = re.findall(r'href="([^"]*mhacourse-course\.zip)"', landing)
    assert links == ["../mhacourse-course.zip"], links
    assert (site / "mhacourse-course.zip").is_file()
    assert "mhacourse-course.zip" not in (site / "book" / "other.html").read_text()


def test_the_zip_holds_notebooks_data_wheel_and_pins(site):
    with zipfile.ZipFile(site / "mhacourse-course.zip") as zf:
        names = set(zf.namelist())
        requirements = zf.read("mhacourse-course/requirements.txt").decode()
        readme = zf.read("mhacourse-course/README.txt").decode()
        (wheel,) = [n for n in names if n.endswith(".whl")]
        with zf.open(wheel) as raw, zipfile.ZipFile(raw) as whl:
            modules = {n for n in whl.namelist() if n.endswith(".py")}
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        assert f"mhacourse-course/notebooks/{nb.name}" in names
    for data in sorted((ROOT / "book" / "data").glob("*")):
        assert f"mhacourse-course/notebooks/data/{data.name}" in names
    package = {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "mhacourse").rglob("*.py")
    }
    assert modules == package, modules ^ package
    pins = dict(
        line.split(";")[0].strip().split("==") for line in requirements.splitlines()
    )
    assert set(pins) == {
        "torch", "numpy", "matplotlib", "jupyterlab", "ipykernel", "triton"
    }  # fmt: skip
    assert f"torch=={pins['torch']}" in (ROOT / "requirements.txt").read_text()
    # chapter 7's kernel: Triton where it has wheels (Linux), pinned as torch needs it
    assert f'triton=={pins["triton"]}; sys_platform == "linux"' in requirements
    assert wheel.split("/")[-1] in readme
    # the CPU build of torch goes in before the big install, or pip takes CUDA's
    cpu = readme.index("--index-url https://download.pytorch.org/whl/cpu")
    assert readme.index("python -m venv") < cpu < readme.index("-r requirements.txt")
