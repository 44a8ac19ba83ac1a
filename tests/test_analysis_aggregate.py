"""Aggregation up the hierarchy: real BPS figures and hand-checked cases."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_support import scope_of, write

from p3bm.analysis.aggregate import aggregate, combine, contributions
from p3bm.catalogue import Indicator

# NOTE: PostgreSQL's admin engine must be set up before the loaded databases, so
# that it still exists when they drop their schemas at the end of the session.
pytestmark = pytest.mark.usefixtures("postgres_admin")

OFFICIAL_P0_JABAR = {2014: 9.18, 2015: 9.57, 2019: 6.82}
BPS_POPULATION = "JPM: Open Data Jabar / JP: QuaRCS"
ODJ_POPULATION = "JPM: Open Data Jabar / JP: Open Data Jabar"


def by_sources(result) -> dict[str, dict]:
    return {row["sources"]: row for row in result.rows()}


@pytest.mark.parametrize("year", sorted(OFFICIAL_P0_JABAR))
def test_jabar_poverty_rate_matches_bps(loaded_db, year):
    scope, area = scope_of(loaded_db, "32")
    rows = by_sources(aggregate(scope, "P0", area, year))
    assert abs(rows[BPS_POPULATION]["value"] - OFFICIAL_P0_JABAR[year]) < 0.2


@pytest.mark.parametrize("year", sorted(OFFICIAL_P0_JABAR))
def test_jabar_poverty_rate_odj_population_differs(loaded_db, year):
    scope, area = scope_of(loaded_db, "32")
    rows = by_sources(aggregate(scope, "P0", area, year))
    assert rows[ODJ_POPULATION]["value"] - rows[BPS_POPULATION]["value"] > 0.5


def test_jabar_published_value_shown(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    result = aggregate(scope, "P0", area, 2019)
    assert [(v.source, v.value) for v in result.published] == [("BPS", 6.82)]


def test_jabar_2014_misses_pangandaran(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    row = by_sources(aggregate(scope, "P0", area, 2014))[BPS_POPULATION]
    assert row["contributed"] == 26
    assert row["expected"] == 27
    assert row["missing"] == "32.18"


def test_jabar_inputs_name_each_source(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    data = aggregate(scope, "P0", area, 2019).to_dict()
    bekasi = [
        i for i in data["inputs"] if i["area"] == "32.75" and i["indicator"] == "JP"
    ]
    assert {i["source"] for i in bekasi} == {"QuaRCS", "Open Data Jabar"}


def test_jabar_poor_sum(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    frame = pd.read_csv(
        __import__("conftest").sample_file(
            "statistik/odj_jumlah_penduduk_miskin_kabkota_jabar.csv"
        )
    )
    expected = frame[frame["tahun"] == 2019]["jumlah_penduduk_miskin"].sum()
    result = aggregate(scope, "JPM", area, 2019)
    assert result.value == pytest.approx(expected)


def test_survey_estimate_not_aggregated(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    result = aggregate(scope, "P1", area, 2019)
    assert result.reason == "not_aggregable"
    assert result.value is None


KECAMATAN = [f"32.75.{n:02d}" for n in range(1, 13)]


@pytest.fixture
def stunting_db(db):
    write(
        db,
        [
            ("BALITA_STUNTING", "32.75.01", 2022, 10.0),
            ("BALITA_DIUKUR", "32.75.01", 2022, 100.0),
            ("BALITA_STUNTING", "32.75.02", 2022, 30.0),
            ("BALITA_DIUKUR", "32.75.02", 2022, 200.0),
            ("BALITA_STUNTING", "32.75.03", 2022, 5.0),
            ("JARAK_SMP", "32.75.01", 2022, 1.5),
            ("JARAK_SMP", "32.75.02", 2022, 3.2),
            ("P0", "32.75.01", 2022, 4.0),
        ],
    )
    write(db, [("BALITA_DIUKUR", "32.75.01", 2022, 120.0)], source="Posyandu")
    return db


def test_ratio_sums_parts_first(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    result = aggregate(scope, "STUNTING", area, 2022)
    assert result.value == pytest.approx(100 * 40 / 300)


def test_ratio_needs_both_parts(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    variant = aggregate(scope, "STUNTING", area, 2022).variants[0]
    assert variant.contributed == ["32.75.01", "32.75.02"]
    assert "32.75.03" in variant.missing


def test_ratio_second_source_kept_apart(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    rows = by_sources(aggregate(scope, "STUNTING", area, 2022))
    other = rows["BALITA_STUNTING: - / BALITA_DIUKUR: Posyandu"]
    assert other["value"] == pytest.approx(100 * 10 / 120)
    assert other["contributed"] == 1


def test_sum_counts_sub_areas(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    row = aggregate(scope, "BALITA_STUNTING", area, 2022).rows()[0]
    assert row["value"] == 45.0
    assert row["contributed"] == 3
    assert row["coverage_percent"] == 25.0


def test_max_takes_largest(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    assert aggregate(scope, "JARAK_SMP", area, 2022).value == 3.2


def test_below_lowest_level_refused(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    assert aggregate(scope, "P0", area, 2022).reason == "below_lowest_level"


def test_all_sub_areas_missing(stunting_db):
    scope, area = scope_of(stunting_db, "32.75")
    result = aggregate(scope, "KEMATIAN_IBU", area, 2022)
    row = result.rows()[0]
    assert result.value is None
    assert row["reason"] == "no_data"
    assert row["missing"].split(", ") == KECAMATAN


def test_village_level_has_no_sub_areas(stunting_db):
    scope, _area = scope_of(stunting_db, "32.75")
    village = scope.get("32.75.01.1001")
    assert aggregate(scope, "JP", village, 2022).reason == "no_sub_areas"


def make_indicator(aggregation: str, **extra) -> Indicator:
    return Indicator(
        code="X",
        name="x",
        name_en="x",
        unit="%",
        polarity=1,
        aggregation=aggregation,
        sector="kemiskinan",
        data_type="statistik",
        skpd="BAPPEDA",
        lowest_level=4,
        **extra,
    )


def frame_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicator", "area", "year", "source", "value"])


def test_weighted_mean_by_weight():
    item = make_indicator("weighted_mean", weight="W")
    frame = frame_of(
        [
            ("X", "a", 2020, "", 10.0),
            ("W", "a", 2020, "", 100.0),
            ("X", "b", 2020, "", 20.0),
            ("W", "b", 2020, "", 300.0),
            ("X", "c", 2020, "", 90.0),
        ]
    )
    combined = combine(contributions(frame, item), item, {"a": "p", "b": "p", "c": "p"})
    assert combined["value"].iloc[0] == pytest.approx(17.5)
    assert combined["contributed"].iloc[0] == 2


def test_ratio_zero_denominator_gives_no_value():
    item = make_indicator("ratio", numerator="N", denominator="D", factor=100.0)
    frame = frame_of([("N", "a", 2020, "", 0.0), ("D", "a", 2020, "", 0.0)])
    combined = combine(contributions(frame, item), item, {"a": "p"})
    assert pd.isna(combined["value"].iloc[0])


def test_min_takes_smallest():
    item = make_indicator("min")
    frame = frame_of([("X", "a", 2020, "", 3.0), ("X", "b", 2020, "", 1.0)])
    combined = combine(contributions(frame, item), item, {"a": "p", "b": "p"})
    assert combined["value"].iloc[0] == 1.0
