"""The precomputed sweeps of chapter 5 agree with a cheap re-run of the same code.

A training run amplifies rounding, and rounding differs between CPUs: the same
seed lands on slightly different accuracies under another instruction set
(``ATEN_CPU_CAPABILITY``). So the re-runs are compared with tolerances backed by
the spread measured by ``python tools/ch05_results.py spread`` (twice the
largest deviation from the shipped numbers over seeds 0-2, two capabilities and
1 or 2 threads, in ``tests/data/ch05_spread.json``), and with the claim the
chapter draws from them.
"""

import json
import pathlib

import pytest
from tool_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "book" / "data" / "ch05_sweeps.json"
SPREAD = ROOT / "tests" / "data" / "ch05_spread.json"
TWO_BACK = 1  # relations: previous, two back, marker, first token


def _script():
    return load_script("tools/ch05_results.py")


@pytest.fixture(scope="module")
def shipped():
    return json.loads(SWEEPS.read_text())


@pytest.fixture(scope="module")
def tolerance():
    return json.loads(SPREAD.read_text())["tolerance"]


@pytest.fixture(scope="module")
def heads_rerun():
    return _script().heads_sweep(seeds=(0,), heads=(2, 4))["accuracy"]


def test_heads_sweep_rerun_matches_where_four_heads_cover_four_relations(
    shipped, tolerance, heads_rerun
):
    got, want = heads_rerun["4"][0], shipped["heads"]["accuracy"]["4"][0]  # seed 0
    assert got == pytest.approx(want, abs=tolerance["heads H=4, per relation"])
    assert min(got) > 0.8  # the claim: four heads serve all four relations


def test_heads_sweep_rerun_with_two_heads_loses_a_relation(heads_rerun):
    # Two heads for four relations: which relation a run loses is chaotic (seed 2
    # loses another one under ATEN_CPU_CAPABILITY=default; see ch05_spread.json),
    # so the re-run is held to the chapter's claim, not to the shipped numbers.
    two, four = heads_rerun["2"][0], heads_rerun["4"][0]  # seed 0
    assert min(two) < 0.5, two  # some relation is lost ...
    assert sum(two) / 4 < sum(four) / 4 - 0.2, (two, four)  # ... and H = 4 does better


def test_shipped_heads_sweep_shows_what_the_chapter_says(shipped):
    acc = shipped["heads"]["accuracy"]
    mean = {int(h): sum(map(sum, runs)) / (4 * len(runs)) for h, runs in acc.items()}
    assert min(mean[4], mean[8]) > 0.95 > 0.8 > max(mean[1], mean[2], mean[16])
    per_relation_h2 = [sum(r[i] for r in acc["2"]) / len(acc["2"]) for i in range(4)]
    assert min(per_relation_h2) == per_relation_h2[TWO_BACK]  # suffers most at H = 2


def test_subspace_sweep_subset_matches_the_shipped_numbers(shipped, tolerance):
    name = "random 2 x 8, e=8"
    got = _script().subspace_sweep(seeds=(1,), names=[name])
    assert got["accuracy"][name][0] == pytest.approx(
        shipped["subspace"]["accuracy"][name][1],
        abs=tolerance["subspace, per relation"],
    )
    assert got["params"][name] == shipped["subspace"]["params"][name]


def test_the_tolerances_are_small_beside_the_differences_the_chapter_shows(
    tolerance,
):
    # A tolerance as wide as the effect would make the comparison vacuous: the
    # chapter contrasts H = 4 (all relations >= 0.85) with H = 2 (one below 0.5).
    assert all(0 < t <= 0.2 for t in tolerance.values()), tolerance


def test_shipped_sweeps_cover_what_the_chapter_claims(shipped):
    assert sorted(int(h) for h in shipped["heads"]["accuracy"]) == [1, 2, 4, 8, 16]
    runs = shipped["subspace"]["accuracy"]
    assert all(len(r) >= 10 for r in runs.values())
    params = shipped["subspace"]["params"]
    assert params["contiguous 2 x 8, e=8"] == params["random 2 x 8, e=8"]
    assert params["contiguous 4 x 4, e=4"] == params["random 4 x 4, e=4"]


CONTROLS = ROOT / "book" / "data" / "ch05_controls.json"


@pytest.fixture(scope="module")
def controls():
    return json.loads(CONTROLS.read_text())


def _solved(acc):
    return min(acc) >= 0.9


def test_one_against_two_heads_rerun_keeps_each_seeds_outcome(controls):
    # Whether a seed solves the task is the claim the chapter draws (7/10 against
    # 0/10, seed 4 failing like one head), so the re-run is held to that outcome.
    # A failed run's accuracies are far from 0.9 (0.16 for seed 4) and a solved
    # one's above 0.97: rounding differences between CPUs cannot flip it.
    shipped = controls["one_vs_two"]["accuracy"]
    got = _script().one_vs_two(seeds=(0, 4))["accuracy"]
    for H in ("1", "2"):
        for i, s in enumerate((0, 4)):
            assert _solved(got[H][i]) == _solved(shipped[H][s]), (H, s, got[H][i])
    assert got["2"][1][0] < 0.5  # seed 4 misses the previous token


def test_shipped_one_against_two_heads_show_what_the_chapter_says(controls):
    acc = controls["one_vs_two"]["accuracy"]
    solved = {
        H: [s for s, a in enumerate(runs) if _solved(a)] for H, runs in acc.items()
    }
    assert len(acc["1"]) == len(acc["2"]) == 10
    assert solved["1"] == [] and len(solved["2"]) == 7 and 4 not in solved["2"]
    assert {0, 1, 2} <= set(solved["2"])  # the three seeds the chapter trains live


def test_shipped_long_training_at_sixteen_heads_shows_what_the_chapter_says(
    controls, shipped
):
    # The chapter: five times more training lifts H = 16's positional relations
    # (previous, two back) only to 0.36-0.56, above chance (1/16) and far below
    # H = 4's; marker and first token reach 0.80-0.98.
    long = controls["heads_long"]
    assert long["steps"] == 5 * shipped["heads"]["steps"]
    runs = long["accuracy"]["16"]
    positional = [a for run in runs for a in run[:2]]
    assert min(positional) > 0.35 and max(positional) < 0.6
    assert all(0.8 <= a <= 0.99 for run in runs for a in run[2:])
    four = shipped["heads"]["accuracy"]["4"]
    assert min(a for run in four for a in run[:2]) > 0.95


def test_shipped_language_models_show_what_survives_retraining(controls):
    runs = controls["lm_seeds"]
    assert sorted(runs) == ["0", "1", "2"]
    induction, homonym, agreement = 5, 3, 1  # columns, RELATIONS order
    for run in runs.values():
        share, damage = run["share"], run["damage"]  # (8, R + 1) each
        copier = max(range(8), key=lambda i: share[i][induction])
        assert copier >= 4 and share[copier][induction] > 0.79  # layer 1
        assert damage[copier][induction] > 3.5
        assert max(damage[i][induction] for i in range(4)) > 1.0  # a layer-0 helper
        assert max(row[0] for row in share) < 0.17  # no previous-token head
        assert max(row[homonym] for row in damage) > 1.9
        assert max(range(8), key=lambda i: share[i][-1]) == copier  # the sink
    worst = [max(row[agreement] for row in runs[s]["damage"]) for s in "012"]
    assert worst[0] < 0.1 < 0.3 < min(worst[1:])  # survives in seed 0 only
