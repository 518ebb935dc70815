"""Tests for mhacourse.studies.stats: intervals against closed forms and properties."""

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from mhacourse.studies.stats import bootstrap_interval, format_rate, wilson_interval


def test_wilson_matches_the_closed_form_at_7_of_10():
    # Wilson (1927): centre (k + z^2/2) / (n + z^2), half-width z sqrt(...) / (n + z^2)
    k, n, z = 7, 10, 1.959963984540054
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(centre - half, abs=1e-12)
    assert hi == pytest.approx(centre + half, abs=1e-12)


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_rate_and_stays_in_unit_interval(kn):
    k, n = kn
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0


def test_wilson_narrows_with_more_trials_and_more_confidence_widens():
    assert wilson_interval(70, 100)[1] - wilson_interval(70, 100)[0] < (
        wilson_interval(7, 10)[1] - wilson_interval(7, 10)[0]
    )
    w90 = wilson_interval(7, 10, 0.9)
    w95 = wilson_interval(7, 10, 0.95)
    assert w95[0] < w90[0] and w90[1] < w95[1]


@pytest.mark.parametrize("k, n", [(-1, 3), (4, 3), (1.5, 3)])
def test_wilson_refuses_impossible_counts(k, n):
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(k, n)


def test_unknown_confidence_is_named():
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=0.5)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_bootstrap_stays_within_the_data(values):
    lo, hi = bootstrap_interval(values, resamples=500)
    assert min(values) - 1e-12 <= lo <= hi <= max(values) + 1e-12


def test_bootstrap_is_deterministic_and_covers_the_mean():
    x = torch.tensor([0.2, 0.9, 1.0, 1.0, 0.3, 1.0])
    assert bootstrap_interval(x) == bootstrap_interval(x)
    lo, hi = bootstrap_interval(x)
    assert lo < x.mean().item() < hi
    assert hi - lo > 0.1  # bimodal data: the interval is wide


def test_format_rate_names_the_count_and_interval():
    assert format_rate(7, 10) == "7/10 solved (95% Wilson interval 0.40 to 0.89)"
