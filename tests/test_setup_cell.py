"""The setup guard that tools/setup_cell.py writes as each chapter's first code cell."""

import pathlib
import subprocess
import sys
import types

import pytest
from tool_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
setup_cell = load_script("tools/setup_cell.py")

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


def test_every_chapter_opens_with_a_hidden_silent_guard_cell():
    import nbformat

    chapters = sorted((ROOT / "book").glob("[0-9][0-9]_*.ipynb"))
    assert len(chapters) >= 7
    for path in chapters:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        first, second = code[0], code[1]
        assert first.source.startswith(setup_cell.BEGIN), path
        assert first.source.rstrip().endswith(setup_cell.END), path
        assert "remove-cell" in first.metadata.get("tags", []), path
        assert first.metadata.get("jupyter", {}).get("source_hidden"), path
        assert first.outputs == [], path
        assert setup_cell.BEGIN not in second.source, path
        # no stray values (such as a dict of plot settings) under the imports
        results = [o for o in second.outputs if o.output_type == "execute_result"]
        assert not results, (path, results)


def test_a_guard_atop_the_imports_moves_into_its_own_cell():
    import nbformat

    nb = nbformat.v4.new_notebook()
    imports = "import torch\n\nimport mhacourse\n"
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Chapter"),
        nbformat.v4.new_code_cell(f"{setup_cell.guard()}\n{imports}"),
    ]
    assert setup_cell.with_guard_cell(nb, setup_cell.guard())
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert nb.cells[1].source == setup_cell.guard().rstrip("\n")
    assert nb.cells[1].id == setup_cell.CELL_ID
    assert nb.cells[2].source == imports
    assert not setup_cell.with_guard_cell(nb, setup_cell.guard())  # idempotent
    new_guard = setup_cell.guard("mhacourse", "https://example.org/r", "main")
    assert setup_cell.with_guard_cell(nb, new_guard)
    assert len(nb.cells) == 3 and "example.org" in nb.cells[1].source


def test_an_executed_guard_cell_is_current_and_keeps_its_timings():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [setup_cell.guard_cell(setup_cell.guard())]
    timings = {"iopub.execute_input": "2026-12-06T03:32:49Z"}
    nb.cells[0].metadata["execution"] = timings  # what executing it records
    assert not setup_cell.with_guard_cell(nb, setup_cell.guard())
    assert nb.cells[0].metadata["execution"] == timings
    nb.cells[0].metadata["tags"] = []  # but the site's hiding tag is part of it
    assert setup_cell.with_guard_cell(nb, setup_cell.guard())


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
