"""Hand-checked cases of each analysis formula, edge cases included."""

from __future__ import annotations

import math

import pytest

from p3bm.analysis.base import InputValue, gap, min_max, relative_gap
from p3bm.analysis.locations import categorize
from p3bm.analysis.position import compare_change, place
from p3bm.analysis.quadrant import classify
from p3bm.analysis.scorecard import achievement_score, score_status
from p3bm.analysis.targets import Target
from p3bm.analysis.trend import (
    compound_growth,
    direction,
    least_squares_slope,
    measure_progress,
)


def point(year: int, value: float, code: str = "X") -> InputValue:
    return InputValue(code, "32.75", year, "", value)


@pytest.mark.parametrize(
    ("value", "benchmark", "polarity", "expected"),
    [(8.0, 10.0, -1, 2.0), (8.0, 10.0, 1, -2.0), (10.0, 10.0, -1, 0.0)],
)
def test_gap_signs(value, benchmark, polarity, expected):
    assert gap(value, benchmark, polarity) == expected


@pytest.mark.parametrize(
    ("value", "benchmark", "polarity", "expected"),
    [(12.0, 10.0, -1, -0.2), (12.0, 10.0, 1, 0.2), (-1.0, -2.0, 1, 0.5)],
)
def test_relative_gap_cases(value, benchmark, polarity, expected):
    assert relative_gap(value, benchmark, polarity) == pytest.approx(expected)


def test_relative_gap_zero_benchmark():
    assert relative_gap(3.0, 0.0, -1) is None


def test_min_max_spreads_to_unit_range():
    assert min_max([2.0, 4.0, 3.0]) == [0.0, 1.0, 0.5]


def test_min_max_missing_is_zero():
    assert min_max([None, 5.0, 1.0]) == [0.0, 1.0, 0.0]


def test_min_max_single_candidate():
    assert min_max([7.0]) == [1.0]


def test_min_max_all_missing():
    assert min_max([None, None]) == [0.0, 0.0]


@pytest.mark.parametrize(
    ("value", "target", "polarity", "expected"),
    [
        (90.0, 100.0, 1, 90.0),
        (110.0, 100.0, 1, 110.0),
        (8.0, 6.0, -1, 75.0),
        (5.0, 6.0, -1, 120.0),
    ],
)
def test_achievement_score(value, target, polarity, expected):
    assert achievement_score(value, target, polarity) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "target", "polarity"), [(0.0, 5.0, -1), (5.0, 0.0, 1), (-2.0, 5.0, -1)]
)
def test_achievement_score_undefined(value, target, polarity):
    assert achievement_score(value, target, polarity) is None


@pytest.mark.parametrize(
    ("score", "status"),
    [(100.0, "green"), (99.99, "yellow"), (90.0, "yellow"), (89.9, "red")],
)
def test_score_status_thresholds(score, status):
    assert score_status(score) == status


def test_compound_growth_doubling():
    assert compound_growth(100.0, 121.0, 2) == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("first", "last", "years"),
    [(0.0, 5.0, 2), (-1.0, 5.0, 2), (5.0, -1.0, 2), (1, 2, 0)],
)
def test_compound_growth_undefined(first, last, years):
    assert compound_growth(first, last, years) is None


def test_slope_of_line():
    assert least_squares_slope([(2018, 10.0), (2019, 9.0), (2020, 8.0)]) == -1.0


def test_slope_least_squares():
    # Points (0, 1), (1, 3), (2, 2): slope = sum(dx dy) / sum(dx^2) = 1 / 2.
    assert least_squares_slope([(2020, 1.0), (2021, 3.0), (2022, 2.0)]) == 0.5


def test_slope_one_year():
    assert least_squares_slope([(2020, 4.0)]) is None


@pytest.mark.parametrize(
    ("polarity", "slope", "expected"),
    [(-1, -0.5, "improving"), (1, -0.5, "worsening"), (1, 0.0, "stable"), (0, 1, None)],
)
def test_direction_of_slope(polarity, slope, expected):
    assert direction(polarity, slope) == expected


def target(value: float, year: int = 2026) -> Target:
    return Target("X", "32.75", year, "RPJMD", value)


def test_progress_target_already_met():
    result = measure_progress(point(2019, 6.0), point(2021, 4.0), target(4.5), -1)
    assert result.status == "achieved"
    assert result.ratio is None


def test_progress_lower_is_better_on_track():
    # Observed (8/10)^(1/2) - 1 = -0.10557; required (5/10)^(1/7) - 1 = -0.09428.
    result = measure_progress(point(2019, 10.0), point(2021, 8.0), target(5.0), -1)
    observed = (0.8) ** 0.5 - 1
    required = 0.5 ** (1 / 7) - 1
    assert result.ratio == pytest.approx(-observed / abs(required))
    assert result.status == "on_track"


def test_progress_needs_acceleration():
    # Higher is better: 100 to 106 in 2 years against 100 to 120 in 5 years.
    result = measure_progress(
        point(2020, 100.0), point(2022, 106.0), target(120.0, 2025), 1
    )
    expected = (1.06**0.5 - 1) / (1.2**0.2 - 1)
    assert result.ratio == pytest.approx(expected)
    assert result.status == "needs_acceleration"


def test_progress_limited():
    result = measure_progress(
        point(2020, 100.0), point(2022, 101.0), target(120.0, 2025), 1
    )
    assert result.status == "limited_progress"


def test_progress_deterioration_lower_is_better():
    result = measure_progress(point(2019, 10.0), point(2021, 11.0), target(5.0), -1)
    assert result.ratio < 0
    assert result.status == "deterioration"


def test_progress_target_zero_replaced():
    result = measure_progress(point(2019, 10.0), point(2021, 8.0), target(0.0), -1)
    required = (0.001 / 10.0) ** (1 / 7) - 1
    assert result.required_growth == pytest.approx(required)
    assert result.status == "limited_progress"


def test_progress_one_year_of_data():
    result = measure_progress(point(2021, 10.0), point(2021, 10.0), target(5.0), -1)
    assert result.status == "not_available"


def test_progress_sign_change_not_available():
    result = measure_progress(point(2019, -2.0), point(2021, 3.0), target(5.0), 1)
    assert result.status == "not_available"


def test_progress_neutral_not_available():
    result = measure_progress(point(2019, 1.0), point(2021, 2.0), target(5.0), 0)
    assert result.status == "not_available"


@pytest.mark.parametrize(
    ("rate", "count", "category"),
    [(0.10, 50.0, "P1"), (0.05, 50.0, "P2"), (0.10, 10.0, "P3"), (0.05, 10.0, "P4")],
)
def test_priority_location_categories(rate, count, category):
    assert categorize(rate, count, mean_rate=0.08, mean_count=30.0) == category


def test_priority_location_on_the_means_is_p1():
    assert categorize(0.08, 30.0, mean_rate=0.08, mean_count=30.0) == "P1"


@pytest.mark.parametrize(
    ("x", "y", "sx", "sy", "quadrant"),
    [
        (12.0, 12.0, -1, -1, "worse_both"),
        (12.0, 8.0, -1, -1, "worse_x_only"),
        (8.0, 12.0, -1, -1, "worse_y_only"),
        (8.0, 8.0, -1, -1, "better_both"),
        (12.0, 8.0, -1, 1, "worse_both"),
        (10.0, 10.0, -1, -1, "better_both"),
    ],
)
def test_quadrant_classify(x, y, sx, sy, quadrant):
    assert classify(x, y, 10.0, 10.0, sx, sy) == quadrant


def test_place_lower_is_better():
    rank, percentile, z = place(4.0, [4.0, 6.0, 8.0], -1)
    assert rank == 1
    assert percentile == 100.0
    assert z == pytest.approx(2.0 / math.sqrt(8.0 / 3.0))


def test_place_worst_higher_is_better():
    rank, percentile, _z = place(4.0, [4.0, 6.0, 8.0], 1)
    assert rank == 3
    assert percentile == 0.0


def test_place_single_peer():
    rank, percentile, z = place(4.0, [4.0], 1)
    assert (rank, percentile, z) == (1, None, None)


def test_place_ties_share_rank():
    assert place(5.0, [5.0, 5.0, 3.0], 1)[0] == 1


def test_change_relevant_and_effective():
    own = [point(2016, 10.0), point(2021, 7.0)]
    bench = [point(2016, 9.0), point(2021, 8.0)]
    change = compare_change(own, bench, -1, 2016)
    assert change["relevant"] is True
    assert change["effective"] is True
    assert change["change_area"] == -3.0


def test_change_relevant_not_effective():
    own = [point(2016, 10.0), point(2021, 9.5)]
    bench = [point(2016, 9.0), point(2021, 8.0)]
    change = compare_change(own, bench, -1, 2016)
    assert change["relevant"] is True
    assert change["effective"] is False


def test_change_opposite_sign_not_relevant():
    own = [point(2016, 10.0), point(2021, 11.0)]
    bench = [point(2016, 9.0), point(2021, 8.0)]
    assert compare_change(own, bench, -1, 2016)["relevant"] is False


def test_change_needs_two_common_years():
    own = [point(2021, 10.0)]
    bench = [point(2016, 9.0), point(2021, 8.0)]
    assert compare_change(own, bench, -1, 2016)["relevant"] is None
