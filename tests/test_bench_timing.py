"""Side-by-side timing: medians of pooled samples; slow functions one call at a time."""

import statistics
import time

import pytest

from mhacourse.bench.timing import compare, format_time


def test_medians_are_medians_of_the_samples():
    r = compare(
        {"a": lambda: sum(range(50)), "b": lambda: sum(range(5000))},
        rounds=3,
        min_run_time=0.01,
    )
    assert set(r) == {"a", "b"}
    for row in r.values():
        assert len(row["samples_s"]) >= 3  # at least one block per round
        assert row["median_s"] == statistics.median(row["samples_s"])
    assert r["a"]["median_s"] < r["b"]["median_s"]


def test_slow_function_is_timed_one_call_per_round():
    r = compare({"sleep": lambda: time.sleep(0.03)}, rounds=2, min_run_time=0.02)
    assert len(r["sleep"]["samples_s"]) == 2
    assert r["sleep"]["median_s"] >= 0.03


def test_bad_rounds():
    with pytest.raises(ValueError, match="rounds"):
        compare({"a": lambda: None}, rounds=0)


def test_format_time():
    assert [format_time(t) for t in (5e-9, 1.5e-6, 0.25, 12.0)] == [
        "5 ns",
        "1.50 µs",
        "250.0 ms",
        "12.0 s",
    ]


def test_process_time_leaves_out_waiting():
    def wait_then_work():
        time.sleep(0.02)  # waiting: wall-clock time, no CPU time
        sum(range(20_000))

    fns = {"f": wait_then_work}
    wall = compare(fns, rounds=1, min_run_time=0.005)["f"]["median_s"]
    cpu = compare(fns, rounds=1, min_run_time=0.005, timer=time.process_time)
    assert wall >= 0.02 > 0 < cpu["f"]["median_s"] < 0.015
