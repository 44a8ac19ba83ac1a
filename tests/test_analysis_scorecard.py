"""Scorecards, trends and positions on hand-made values and the real data."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_support import add_targets, scope_of, write

from conftest import sample_file
from p3bm.analysis.position import analyse_position
from p3bm.analysis.scorecard import (
    assess,
    check_scheme,
    scorecard_area,
    scorecard_sub_areas,
)
from p3bm.analysis.trend import analyse_trends
from p3bm.errors import ConfigurationError

pytestmark = pytest.mark.usefixtures("postgres_admin")

BENCHMARKS = [("P0", "32", 2021, 8.0), ("P0", "ID", 2021, 10.0)]


def cell(db, rows, indicator="P0", year=2021, scheme="A", code="32.75", **settings):
    write(db, rows)
    scope, area = scope_of(db, "32.75", **settings)
    target = scope.get(code) if code != "32.75" else area
    return assess(scope, scope.catalogue.get(indicator), target, year, scheme)


@pytest.mark.parametrize(
    ("value", "status"),
    [(7.0, "green"), (8.0, "green"), (9.0, "yellow"), (11.0, "red")],
)
def test_scheme_a_lower_is_better(db, value, status):
    result = cell(db, [("P0", "32.75", 2021, value), *BENCHMARKS])
    assert result.status == status


@pytest.mark.parametrize(("value", "status"), [(72.0, "green"), (69.0, "red")])
def test_scheme_a_higher_is_better(db, value, status):
    rows = [("IPM", "32.75", 2021, value), ("IPM", "32", 2021, 70.0)]
    assert cell(db, rows, indicator="IPM").status == status


def test_scheme_a_province_only(db):
    result = cell(db, [("P0", "32.75", 2021, 9.0), ("P0", "32", 2021, 8.0)])
    assert result.status == "red"
    assert result.benchmarks["national"] is None


def test_scheme_a_no_benchmark_grey(db):
    result = cell(db, [("P0", "32.75", 2021, 9.0)])
    assert (result.status, result.reason) == ("grey", "no_benchmark")


def test_missing_value_grey(db):
    result = cell(db, BENCHMARKS)
    assert (result.status, result.reason) == ("grey", "missing")


def test_stale_value_grey(db):
    result = cell(db, [("P0", "32.75", 2017, 9.0)])
    assert (result.status, result.reason) == ("grey", "stale")


def test_value_within_stale_limit_used(db):
    rows = [("P0", "32.75", 2018, 7.0), ("P0", "32", 2018, 8.0)]
    result = cell(db, rows)
    assert (result.status, result.value.year) == ("green", 2018)


def test_stale_limit_is_a_setting(db):
    rows = [("P0", "32.75", 2018, 7.0), ("P0", "32", 2018, 8.0)]
    assert cell(db, rows, stale_after_years=2).reason == "stale"


def test_neutral_indicator_grey(db):
    result = cell(db, [("JP", "32.75", 2021, 100.0)], indicator="JP")
    assert result.reason == "neutral"


@pytest.mark.parametrize(
    ("previous", "value", "status"),
    [(5.0, 4.0, "green"), (7.0, 6.0, "yellow"), (5.0, 6.0, "red"), (6.0, 6.0, "red")],
)
def test_scheme_b_target_and_trend(db, previous, value, status):
    add_targets(db, [("P0", "32.75", 2021, "RPJMD", 4.5)])
    rows = [("P0", "32.75", 2020, previous), ("P0", "32.75", 2021, value)]
    assert cell(db, rows, scheme="B").status == status


def test_scheme_b_without_target_grey(db):
    result = cell(db, [("P0", "32.75", 2021, 5.0)], scheme="B")
    assert (result.status, result.reason) == ("grey", "no_target")


def test_scheme_b_prefers_rpjmd_target(db):
    add_targets(
        db,
        [("P0", "32.75", 2021, "SDG", 3.0), ("P0", "32.75", 2021, "RPJMD", 6.0)],
    )
    result = cell(db, [("P0", "32.75", 2021, 5.0)], scheme="B")
    assert (result.status, result.target_kind) == ("green", "RPJMD")


@pytest.mark.parametrize(
    ("indicator", "value", "target", "score", "status"),
    [
        ("P0", 5.0, 4.5, 90.0, "yellow"),
        ("P0", 4.0, 4.5, 112.5, "green"),
        ("P0", 6.0, 4.5, 75.0, "red"),
        ("IPM", 72.0, 80.0, 90.0, "yellow"),
    ],
)
def test_scheme_c_scores(db, indicator, value, target, score, status):
    add_targets(db, [(indicator, "32.75", 2021, "RPJMD", target)])
    result = cell(
        db, [(indicator, "32.75", 2021, value)], indicator=indicator, scheme="C"
    )
    assert result.score == pytest.approx(score)
    assert result.status == status


def test_scheme_c_zero_value_lower_is_better(db):
    add_targets(db, [("P0", "32.75", 2021, "RPJMD", 4.5)])
    result = cell(db, [("P0", "32.75", 2021, 0.0)], scheme="C")
    assert (result.status, result.reason, result.score) == (
        "green",
        "score_undefined",
        None,
    )


def test_area_scorecard_years(db):
    write(db, [("P0", "32.75", 2020, 9.0), ("P0", "32.75", 2021, 7.0), *BENCHMARKS])
    scope, area = scope_of(db, "32.75")
    result = scorecard_area(scope, area, 2021, years=3)
    assert result.columns == ["2019", "2020", "2021"]
    statuses = [row["status"] for row in result.rows() if row["indicator"] == "P0"]
    # 2020 has no benchmark of its own year, so that cell is grey.
    assert statuses == ["grey", "grey", "green"]


def test_sub_area_scorecard(db):
    write(
        db,
        [
            ("STUNTING", "32.75.01", 2022, 30.0),
            ("STUNTING", "32.75.02", 2022, 10.0),
            ("STUNTING", "32", 2022, 20.0),
        ],
    )
    scope, area = scope_of(db, "32.75")
    result = scorecard_sub_areas(scope, area, 2022, indicators=["STUNTING"])
    statuses = {row["area"]: row["status"] for row in result.rows()}
    assert len(statuses) == 12
    assert (statuses["32.75.01"], statuses["32.75.02"], statuses["32.75.03"]) == (
        "red",
        "green",
        "grey",
    )


def test_province_scorecard_of_kabkota_real(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    result = scorecard_sub_areas(scope, area, 2021, indicators=["P0"])
    rows = {row["area"]: row for row in result.rows()}
    # Kota Bekasi 4.74 is below Jawa Barat's 7.97 and Indonesia's 9.71.
    assert rows["32.75"]["status"] == "green"
    assert (rows["32.75"]["province"], rows["32.75"]["national"]) == (7.97, 9.71)
    assert rows["32.03"]["status"] == "red"


def test_trend_of_poor_people_real(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    row = analyse_trends(scope, area, 2020, indicators=["JPM"]).rows()[0]
    frame = pd.read_csv(
        sample_file("statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv")
    )
    bekasi = frame[frame["kode_kabupaten_kota"] == 3275].set_index("tahun")
    values = bekasi["jumlah_penduduk_miskin"]
    assert row["change"] == pytest.approx(values[2020] - values[2015])
    assert row["compound_growth_percent"] == pytest.approx(
        100 * ((values[2020] / values[2015]) ** 0.2 - 1), abs=1e-4
    )
    assert row["points"] == 19


def test_trend_progress_towards_target(db):
    write(db, [("P0", "32.75", 2019, 10.0), ("P0", "32.75", 2021, 8.0)])
    add_targets(db, [("P0", "32.75", 2026, "RPJMD", 5.0)])
    scope, area = scope_of(db, "32.75")
    row = analyse_trends(scope, area, 2021, indicators=["P0"], span=2).rows()[0]
    assert row["progress"] == "on_track"
    assert row["compound_growth_percent"] is None
    assert row["direction"] == "improving"


def test_trend_one_year_of_data(db):
    write(db, [("P0", "32.75", 2021, 8.0)])
    add_targets(db, [("P0", "32.75", 2026, "RPJMD", 5.0)])
    scope, area = scope_of(db, "32.75")
    row = analyse_trends(scope, area, 2021, indicators=["P0"]).rows()[0]
    assert (row["change"], row["slope"], row["progress"]) == (
        None,
        None,
        "not_available",
    )


def test_position_of_bekasi_real(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    row = analyse_position(scope, area, 2021, indicators=["P0"]).rows()[0]
    peers = [scope.value("P0", p.code, 2021) for p in scope.peers(area, 2021)]
    values = [v.value for v in peers if v is not None]
    assert row["peers"] == 27
    assert row["rank"] == 1 + sum(1 for v in values if v < 4.74)
    assert row["percentile"] == pytest.approx(100 * (27 - row["rank"]) / 26, abs=0.05)


def test_position_change_against_province(db):
    write(
        db,
        [
            ("P0", "32.75", 2016, 6.0),
            ("P0", "32.75", 2021, 4.0),
            ("P0", "32", 2016, 9.0),
            ("P0", "32", 2021, 8.0),
        ],
    )
    scope, area = scope_of(db, "32.75")
    row = analyse_position(scope, area, 2021, indicators=["P0"]).rows()[0]
    assert (row["relevant"], row["effective"]) == (True, True)
    assert (row["change_area"], row["change_benchmark"]) == (-2.0, -1.0)


def test_unknown_scheme_message_in_both_languages():
    with pytest.raises(ConfigurationError) as raised:
        check_scheme("D")
    assert raised.value.text("id") == (
        "Skema kartu skor 'D' tidak dikenal. Pakai A, B atau C."
    )
    assert raised.value.text("en") == "Unknown scorecard scheme 'D'. Use A, B or C."
