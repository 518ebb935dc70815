"""The Binder image installs the tested pins, plus the package itself."""

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pins(path):
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith(("#", "-"))]


def test_binder_pins_are_the_tested_pins_with_the_cpu_torch():
    tested = _pins(ROOT / "requirements.txt")
    binder = _pins(ROOT / "binder" / "requirements.txt")
    assert [p.replace("torch==2.13.0", "torch==2.13.0+cpu") for p in tested] == binder


def test_binder_installs_the_package():
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "pip install --no-deps ." in post_build.read_text()


def test_binder_lab_hides_what_make_lab_hides():
    import json
    import re

    text = (ROOT / "binder" / "postBuild").read_text()
    config = json.loads(re.search(r"<<'JSON'\n(.*?)\nJSON", text, re.S).group(1))
    makefile = (ROOT / "Makefile").read_text()
    hide = re.search(r"^LAB_HIDE := (.*)$", makefile, re.M).group(1).split()
    assert config["ContentsManager"]["hide_globs"] == hide
