"""The precomputed sweeps of chapter 5 agree with a cheap re-run of the same code."""

import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "book" / "data" / "ch05_sweeps.json"


def _script():
    spec = importlib.util.spec_from_file_location(
        "ch05_results", ROOT / "tools" / "ch05_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped():
    return json.loads(SWEEPS.read_text())


def test_heads_sweep_subset_matches_the_shipped_numbers(shipped):
    got = _script().heads_sweep(seeds=(0,), heads=(2,))
    want = shipped["heads"]["accuracy"]["2"][0]  # seed 0
    assert got["accuracy"]["2"][0] == pytest.approx(want, abs=2e-4)


def test_subspace_sweep_subset_matches_the_shipped_numbers(shipped):
    name = "random 2 x 8, e=8"
    got = _script().subspace_sweep(seeds=(1,), names=[name])
    assert got["accuracy"][name][0] == pytest.approx(
        shipped["subspace"]["accuracy"][name][1], abs=2e-4
    )
    assert got["params"][name] == shipped["subspace"]["params"][name]


def test_shipped_sweeps_cover_what_the_chapter_claims(shipped):
    assert sorted(int(h) for h in shipped["heads"]["accuracy"]) == [1, 2, 4, 8, 16]
    runs = shipped["subspace"]["accuracy"]
    assert all(len(r) >= 10 for r in runs.values())
    params = shipped["subspace"]["params"]
    assert params["contiguous 2 x 8, e=8"] == params["random 2 x 8, e=8"]
    assert params["contiguous 4 x 4, e=4"] == params["random 4 x 4, e=4"]
