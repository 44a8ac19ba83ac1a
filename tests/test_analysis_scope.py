"""What a scope reads: peers, subtree depth, indicators and years."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_support import write

from p3bm.analysis import AnalysisSettings, load_scope
from p3bm.analysis.aggregate import aggregate, aggregate_level
from p3bm.areas import codes
from p3bm.areas.registry import get_area

pytestmark = pytest.mark.usefixtures("postgres_admin")

ROWS = [
    ("P0", "32.75", 2019, 9.0),
    ("P0", "32.75", 2021, 10.0),
    ("P0", "32.75", 2023, 7.0),
    ("IPM", "32.75", 2011, 70.0),
    ("IPM", "32.75", 2014, 71.0),
    ("IPM", "32.75", 2023, 75.0),
    ("TPT", "32.75", 2021, 8.0),
    ("JP", "32.75.01", 2021, 100.0),
    ("JP", "32.75.01.1001", 2021, 40.0),
]


def scope(db, code: str = "32.75", **options):
    with db.connect() as connection:
        area = get_area(connection, code)
        return load_scope(connection, area, AnalysisSettings(), **options), area


@pytest.fixture
def values_db(db):
    write(db, ROWS)
    return db


def test_scope_reads_up_to_until(values_db):
    found, _area = scope(values_db, depth=0, until=2021)
    assert found.years("P0", "32.75") == [2019, 2021]


def test_scope_reads_from_since(values_db):
    found, _area = scope(values_db, depth=0, since=2020)
    assert found.years("P0", "32.75") == [2021, 2023]


def test_scope_whole_series_ignores_years(values_db):
    found, _area = scope(
        values_db, depth=0, since=2020, until=2021, whole_series=["IPM"]
    )
    assert found.years("IPM", "32.75") == [2011, 2014, 2023]
    assert found.years("P0", "32.75") == [2021]


def test_scope_reads_only_indicators(values_db):
    found, _area = scope(values_db, depth=0, indicators=["TPT"])
    assert found.years("TPT", "32.75") == [2021]
    assert found.years("P0", "32.75") == []


@pytest.mark.parametrize(
    ("depth", "present"),
    [(0, set()), (1, {"32.75.01"}), (None, {"32.75.01", "32.75.01.1001"})],
)
def test_scope_depth_limits_subtree(values_db, depth, present):
    found, _area = scope(values_db, depth=depth)
    below = {code for code in ("32.75.01", "32.75.01.1001") if found.years("JP", code)}
    assert below == present


def test_scope_without_peers_rejects_peers(values_db):
    found, area = scope(values_db, depth=0, peers=False)
    with pytest.raises(RuntimeError):
        found.peers(area)


def test_scope_frame_has_every_source(values_db):
    write(values_db, [("P0", "32.75", 2021, 11.0)], source="BPS")
    found, _area = scope(values_db, depth=0)
    chosen = found.frame[(found.frame["indicator"] == "P0")]
    assert sorted(chosen[chosen["year"] == 2021]["source"]) == ["", "BPS"]
    assert found.value("P0", "32.75", 2021).source == ""


def test_scope_source_priority_prefers_listed(values_db):
    write(values_db, [("P0", "32.75", 2021, 11.0)], source="BPS")
    with values_db.connect() as connection:
        area = get_area(connection, "32.75")
        settings = AnalysisSettings(source_priority=("BPS",))
        found = load_scope(connection, area, settings, depth=0)
    assert found.value("P0", "32.75", 2021).value == 11.0
    best = found.best[(found.best["indicator"] == "P0") & (found.best["year"] == 2021)]
    assert best["source"].tolist() == ["BPS"]


def test_aggregate_level_matches_aggregate(loaded_db):
    found, area = scope(loaded_db, "32", depth=1)
    regencies = [a.code for a in found.descendants("32", codes.REGENCY)]
    frame = found.frame[found.frame["area"].isin(regencies)]
    parent_of = dict.fromkeys(regencies, "32")
    level = aggregate_level(frame, found.catalogue, parent_of, codes.REGENCY)
    for year in (2014, 2019):
        expected = aggregate(found, "P0", area, year)
        rows = level[(level["indicator"] == "P0") & (level["year"] == year)]
        by_sources = dict(zip(rows["sources"], rows["value"], strict=True))
        for variant in expected.variants:
            label = "\x1f".join(variant.sources.values())
            assert by_sources[label] == pytest.approx(variant.value)


def test_aggregate_level_empty_frame(values_db):
    found, _area = scope(values_db, depth=0)
    empty = pd.DataFrame(columns=["indicator", "area", "year", "source", "value"])
    level = aggregate_level(empty, found.catalogue, {}, codes.REGENCY)
    assert level.empty
