"""tools/nb_matrix.py: which cells failed, and what the failure said."""

import json
import pathlib

from tool_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
nb_matrix = load_script("tools/nb_matrix.py")

# As nbval writes it to a pipe: plain pytest headers, coloured nbval messages.
LOG = """\
..F.
_______________ book/06_transformer.ipynb::Cell 18 _______________
\x1b[91mNotebook cell execution failed\x1b[0m
Cell 18: Cell execution caused an exception

\x1b[31mAssertionError\x1b[39m: GRU time did not climb
=========================== short test summary info ============================
FAILED book/06_transformer.ipynb::Cell 18
1 failed, 59 passed in 24.76s
"""


def test_failures_name_the_cells():
    assert nb_matrix.failures(LOG) == ["book/06_transformer.ipynb::Cell 18"]


def test_details_give_the_failure_without_colours():
    lines = nb_matrix.details(LOG)
    assert lines[0] == "Notebook cell execution failed"
    assert "AssertionError: GRU time did not climb" in lines
    assert not any("\x1b" in line for line in lines)


def test_details_keep_the_end_of_a_long_report():
    long = LOG.replace("Cell 18: ", "line\n" * 100 + "Cell 18: ")
    lines = nb_matrix.details(long, most=5)
    assert len(lines) == 5 and lines[-1].startswith("1 failed")


def test_no_details_without_a_failing_cell():
    assert nb_matrix.details("60 passed in 24.76s") == []


def _timed_cell(start, end):
    execution = {"iopub.execute_input": start, "shell.execute_reply": end}
    return {"cell_type": "code", "metadata": {"execution": execution}}


def test_recorded_seconds_adds_the_cells_timings(tmp_path):
    nb = tmp_path / "nb.ipynb"
    cells = [
        _timed_cell("2026-01-01T10:00:00.000000Z", "2026-01-01T10:00:01.500000Z"),
        _timed_cell("2026-01-01T10:00:02.000000Z", "2026-01-01T10:00:04.000000Z"),
        {"cell_type": "markdown", "metadata": {}},
        {"cell_type": "code", "metadata": {}},  # executed without timings
    ]
    nb.write_text(json.dumps({"cells": cells}))
    assert nb_matrix.recorded_seconds(nb) == 3.5


def test_the_committed_chapters_carry_timings_to_schedule_by():
    chapters = sorted((ROOT / "book").glob("*.ipynb"))
    assert chapters and all(nb_matrix.recorded_seconds(nb) > 0 for nb in chapters)


def test_slow_notebooks_run_alone_slowest_first_and_quick_ones_together():
    a, b, c, d = (pathlib.Path(f"{n}.ipynb") for n in "abcd")
    cost = {a: 5.0, b: 40.0, c: 20.0, d: 3.0}
    assert nb_matrix.batches([a, b, c, d], cost) == [(b,), (c,), (a, d)]
    assert nb_matrix.batches([b], cost) == [(b,)]


def test_a_skipped_setup_gets_no_job_and_the_others_all_do(monkeypatch):
    seen = []
    monkeypatch.setattr(nb_matrix, "best_capability", lambda: "avx512")
    monkeypatch.setattr(nb_matrix, "recorded_seconds", lambda nb: 1.0)
    monkeypatch.setattr(nb_matrix, "_schedule", lambda jobs, cores: seen.extend(jobs))
    nb_matrix.main(["a.ipynb", "--skip", "best:1"])
    setups = {(c, t) for t, c, _ in seen}
    assert setups == {("default", 1), ("default", 2), ("avx512", 2)}


def test_make_test_leaves_exactly_the_bundles_setup_to_the_bundle():
    # tools/try_bundle.py checks the chapters with this CPU's best capability on one
    # thread; the matrix must cover the other three setups.
    makefile = (ROOT / "Makefile").read_text()
    assert "nb_matrix.py --skip best:1 $(NOTEBOOKS)" in makefile
    bundle = (ROOT / "tools" / "try_bundle.py").read_text()
    assert '"OMP_NUM_THREADS": "1"' in bundle and "--nbval" in bundle
    assert 'env.pop("ATEN_CPU_CAPABILITY", None)' in bundle


def test_a_one_thread_job_fills_the_core_a_two_thread_job_leaves(monkeypatch):
    import threading
    import time

    running, overlaps, lock = set(), [], threading.Lock()

    def fake_job(group, capability, threads):
        with lock:
            running.add(group)
            overlaps.append(frozenset(running))
        time.sleep(0.2)
        with lock:
            running.discard(group)
        return 0, ""

    monkeypatch.setattr(nb_matrix, "run_job", fake_job)
    a, b, c = ((pathlib.Path(f"{n}.ipynb"),) for n in "abc")
    jobs = [(2, "default", a), (2, "avx512", b), (1, "default", c)]
    assert nb_matrix._schedule(jobs, 3) == 0
    together = {g for seen in overlaps for g in seen if len(seen) > 1}
    assert {a, c} <= together  # c ran beside a, not after b
    assert not any({a, b} <= seen for seen in overlaps)  # never 4 threads


def test_each_capability_compiles_into_its_own_cache(monkeypatch):
    seen = {}

    def fake_run(cmd, env, **kwargs):
        seen[env["ATEN_CPU_CAPABILITY"]] = env["TORCHINDUCTOR_CACHE_DIR"]
        return type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(nb_matrix.subprocess, "run", fake_run)
    for cap in ("default", "avx512"):
        nb_matrix.run_job([pathlib.Path("a.ipynb")], cap, 1)
    assert seen["default"] != seen["avx512"]
    assert all(path.endswith(cap) for cap, path in seen.items())
