"""The setup guard that tools/setup_cell.py writes atop each chapter's first cell."""

import importlib.util
import pathlib
import subprocess
import sys
import types

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "setup_cell", ROOT / "tools/setup_cell.py"
)
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)

MISSING = "mhacourse_is_not_a_real_package"


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    yield InteractiveShell.instance()
    InteractiveShell.clear_instance()


def test_every_chapter_starts_with_the_current_guard(capsys):
    assert setup_cell.main(["--check"]) == 0, capsys.readouterr().out


def test_a_missing_package_stops_with_one_line_and_no_traceback(shell, capsys):
    result = shell.run_cell(setup_cell.guard(MISSING))
    assert type(result.error_in_exec).__name__ == "MissingPackage"
    out = capsys.readouterr().out
    assert out.strip().splitlines() == [setup_cell.MESSAGE], out
    assert "Traceback" not in out


def test_an_installed_package_passes_silently(shell, capsys):
    result = shell.run_cell(setup_cell.guard("json"))
    assert result.success
    assert capsys.readouterr().out == ""


def test_on_colab_it_pip_installs_from_the_repository(shell, capsys, monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    url = "https://github.com/someone/mhacourse/"
    result = shell.run_cell(setup_cell.guard(MISSING, url, "dev"))
    assert result.success, capsys.readouterr().out
    assert calls == [
        [sys.executable, "-m", "pip", "install", "-q",
         f"{MISSING} @ git+https://github.com/someone/mhacourse@dev"]
    ]  # fmt: skip


def test_without_a_repository_url_colab_gets_the_one_line_message(
    shell, capsys, monkeypatch
):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    result = shell.run_cell(setup_cell.guard(MISSING))
    assert type(result.error_in_exec).__name__ == "MissingPackage"


def test_rewriting_keeps_the_cell_and_is_idempotent():
    cell = "import torch\n\nimport mhacourse\n"
    old = setup_cell.with_guard(cell, setup_cell.guard())
    new_guard = setup_cell.guard("mhacourse", "https://example.org/r", "main")
    once = setup_cell.with_guard(old, new_guard)
    assert once == f"{new_guard}\n{cell}"
    assert setup_cell.with_guard(once, new_guard) == once


def test_the_repository_url_comes_from_config(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text(
        'title: x\nrepository:\n  url: "https://github.com/o/r"  # the switch\n'
        "  path_to_book: ''\n  branch: trunk\n\nhtml:\n  url: nope\n"
    )
    assert setup_cell.repository(config) == ("https://github.com/o/r", "trunk")
    config.write_text('repository:\n  url: ""\n  branch: main\n')
    assert setup_cell.repository(config) == ("", "main")
