"""Priority problems, determinants, priority locations, quadrants and quality."""

from __future__ import annotations

import pytest
from analysis_support import add_targets, scope_of, write

from p3bm.analysis.checks import analyse_quality
from p3bm.analysis.decisions import decision_history, record_decision
from p3bm.analysis.determinants import analyse_determinants
from p3bm.analysis.locations import analyse_locations
from p3bm.analysis.priority import analyse_problems
from p3bm.analysis.quadrant import analyse_quadrant, standard_quadrants

pytestmark = pytest.mark.usefixtures("postgres_admin")

PROBLEM_ROWS = [
    # P0: red in scheme A, rising; 10 % of 1,000,000 people.
    ("P0", "32.75", 2019, 9.0),
    ("P0", "32.75", 2021, 10.0),
    ("P0", "32", 2021, 8.0),
    ("P0", "ID", 2021, 9.0),
    # TPT: red in scheme A, falling.
    ("TPT", "32.75", 2019, 12.0),
    ("TPT", "32.75", 2021, 11.0),
    ("TPT", "32", 2021, 10.0),
    ("TPT", "ID", 2021, 10.5),
    # RLS: better than the province, but misses its target.
    ("RLS", "32.75", 2021, 11.0),
    ("RLS", "32", 2021, 9.0),
    ("JP", "32.75", 2021, 1_000_000.0),
    ("JPM", "32.75", 2021, 100.0),
]


@pytest.fixture
def problem_db(db):
    write(db, PROBLEM_ROWS)
    add_targets(db, [("RLS", "32.75", 2021, "RPJMD", 12.0)])
    return db


def test_candidates_and_reasons(problem_db):
    scope, area = scope_of(problem_db, "32.75")
    rows = {r["indicator"]: r for r in analyse_problems(scope, area, 2021).rows()}
    assert set(rows) == {"P0", "TPT", "RLS"}
    # Bekasi is the only area with both values, so it is worse than both splits.
    assert rows["P0"]["reasons"] == "red_scheme_a, worst_quadrant P0+TPT"
    assert rows["RLS"]["reasons"] == "target_missed RPJMD 12"


def test_problem_score_components(problem_db):
    scope, area = scope_of(problem_db, "32.75")
    rows = {r["indicator"]: r for r in analyse_problems(scope, area, 2021).rows()}
    # Relative gaps: P0 -(10-8)/8 = -0.25, TPT -(11-10)/10 = -0.1, RLS 2/9.
    assert rows["P0"]["relative_gap"] == -0.25
    assert rows["TPT"]["relative_gap"] == -0.1
    # People affected: 10 % and 11 % of 1,000,000; RLS is in years, so the poor.
    assert rows["P0"]["people_affected"] == 100_000
    assert rows["TPT"]["people_affected"] == 110_000
    assert (rows["RLS"]["people_affected"], rows["RLS"]["people_basis"]) == (
        100_000,
        "poor_people",
    )


def test_problem_scores_hand_checked(problem_db):
    scope, area = scope_of(problem_db, "32.75")
    rows = {r["indicator"]: r for r in analyse_problems(scope, area, 2021).rows()}
    # N(-gap): P0 1, TPT (0.1+0.2222)/(0.25+0.2222), RLS 0.
    gap_tpt = (0.1 + 2 / 9) / (0.25 + 2 / 9)
    # N(-s slope): P0 slope +0.5 -> 0.5 (max), TPT -0.5 -> -0.5, RLS one year -> 0.
    # N(people): P0 100k -> 0, TPT 110k -> 1, RLS 100k -> 0.
    assert rows["P0"]["score"] == pytest.approx(0.4 * 1 + 0.3 * 1 + 0.3 * 0, abs=1e-4)
    assert rows["TPT"]["score"] == pytest.approx(
        0.4 * gap_tpt + 0.3 * 0 + 0.3, abs=1e-4
    )
    assert rows["RLS"]["score"] == pytest.approx(0.0, abs=1e-4)


def test_problem_weights_change_order(problem_db):
    scope, area = scope_of(
        problem_db, "32.75", weight_gap=0.0, weight_trend=0.0, weight_people=1.0
    )
    order = [r["indicator"] for r in analyse_problems(scope, area, 2021).rows()]
    assert order[0] == "TPT"


def test_problem_zero_benchmark(db):
    write(db, [("P0", "32.75", 2021, 3.0), ("P0", "32", 2021, 0.0)])
    scope, area = scope_of(db, "32.75")
    rows = analyse_problems(scope, area, 2021).rows()
    assert rows[0]["relative_gap"] is None
    assert rows[0]["reasons"] == "red_scheme_a"


def test_decision_changes_keep_old(problem_db):
    with problem_db.begin() as connection:
        for decision in ("accepted", "rejected"):
            record_decision(
                connection,
                area="32.75",
                year=2021,
                indicator="TPT",
                decision=decision,
                reason="rapat TKPK",
                user="ketua",
            )
        history = decision_history(connection, "32.75", 2021)
    scope, area = scope_of(problem_db, "32.75")
    rows = {
        r["indicator"]: r for r in analyse_problems(scope, area, 2021, history).rows()
    }
    assert [d.decision for d in history] == ["accepted", "rejected"]
    assert rows["TPT"]["decision"] == "rejected"


def test_determinants_ranked_with_skpd(db):
    write(
        db,
        [
            ("TPT", "32.75", 2021, 9.0),
            ("TPT", "32", 2021, 8.0),
            ("RLS", "32.75", 2021, 8.0),
            ("RLS", "32", 2021, 10.0),
            ("SANITASI", "32.75", 2021, 90.0),
            ("SANITASI", "32", 2021, 80.0),
        ],
    )
    scope, area = scope_of(db, "32.75")
    result = analyse_determinants(scope, area, 2021, ["P0"], top=3)
    rows = result.rows()
    assert [r["determinant"] for r in rows[:3]] == ["RLS", "TPT", "SANITASI"]
    assert [r["relative_gap"] for r in rows[:3]] == [-0.2, -0.125, 0.125]
    assert [r["determinant"] for r in result.priorities()] == ["RLS", "TPT"]
    assert rows[0]["skpd_name"] == "Badan Perencanaan Pembangunan Daerah"
    assert rows[-1]["rank"] == 8


LOCATION_ROWS = [
    # (kecamatan, poor, population): r = 100 / 1000 = 0.1, n = 25.
    ("32.75.01", 40.0, 200.0),
    ("32.75.02", 30.0, 400.0),
    ("32.75.03", 20.0, 100.0),
    ("32.75.04", 10.0, 300.0),
]


@pytest.fixture
def location_db(db):
    rows = []
    for code, poor, population in LOCATION_ROWS:
        rows += [("DESIL1_JIWA", code, 2022, poor), ("JP", code, 2022, population)]
    write(db, rows)
    return db


def test_priority_locations_hand_checked(location_db):
    scope, area = scope_of(location_db, "32.75")
    result = analyse_locations(scope, area, 2022, poor="DESIL1_JIWA")
    categories = {row["area"]: row["category"] for row in result.rows()}
    assert categories == {
        "32.75.01": "P1",
        "32.75.02": "P2",
        "32.75.03": "P3",
        "32.75.04": "P4",
    }


def test_priority_locations_summary(location_db):
    scope, area = scope_of(location_db, "32.75")
    summary = analyse_locations(scope, area, 2022, poor="DESIL1_JIWA").summary()
    assert summary["overall_rate_percent"] == 10.0
    assert summary["mean_poor"] == 25.0
    assert summary["share_poor_in_p1_p2_percent"] == 70.0
    assert len(summary["missing"]) == 8


def test_priority_locations_all_missing(db):
    scope, area = scope_of(db, "32.75")
    result = analyse_locations(scope, area, 2022)
    assert result.rows() == []
    assert result.summary()["share_poor_in_p1_p2_percent"] is None


def test_priority_locations_jabar_real(loaded_db):
    scope, area = scope_of(loaded_db, "32", source_priority=("QuaRCS",))
    result = analyse_locations(scope, area, 2019)
    rows = {row["area"]: row for row in result.rows()}
    assert len(rows) == 27
    # Kota Bekasi: 113.65 thousand poor of 3,004,247 people.
    assert rows["32.75"]["rate_percent"] == pytest.approx(100 * 113650 / 3004247, 1e-4)
    assert result.summary()["overall_rate_percent"] == pytest.approx(6.8927, abs=1e-3)


def test_quadrant_bekasi_real(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    result = analyse_quadrant(scope, area, 2021, "P0", "TPT")
    data = result.to_dict()
    assert data["x_split"] == {"value": 7.97, "method": "province"}
    assert data["y_split"]["method"] == "peer_median (province value missing)"
    assert result.focus_quadrant == "worse_y_only"
    assert len(result.points) == 27


def test_quadrant_count_split_at_mean(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    result = analyse_quadrant(scope, area, 2021, "P0", "JPM")
    values = [p.y.value for p in result.points]
    assert result.y_split.value == pytest.approx(sum(values) / len(values))
    assert result.y_split.method == "mean_of_points"


def test_standard_quadrants_skip_empty_pairs(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    pairs = [
        (q.x_indicator.code, q.y_indicator.code)
        for q in standard_quadrants(scope, area, 2021)
    ]
    assert ("P0", "TPT") in pairs
    assert ("P0", "LPE") not in pairs


def test_quality_ratio_against_published_real(loaded_db):
    scope, area = scope_of(loaded_db, "32")
    found = analyse_quality(scope, area, 2019)
    codes = {(f.code, f.indicator, f.year) for f in found.flags}
    # Open Data Jabar populations give 7.43 % for 2019 against BPS's 6.82 %.
    assert ("ratio_differs_from_parent", "P0", 2019) in codes


def test_quality_ratio_consistent_with_bps_population(loaded_db):
    scope, area = scope_of(loaded_db, "32", source_priority=("QuaRCS",))
    found = analyse_quality(scope, area, 2019)
    codes = {(f.code, f.indicator, f.year) for f in found.flags}
    assert ("ratio_differs_from_parent", "P0", 2019) not in codes


def test_quality_sources_side_by_side_real(loaded_db):
    scope, area = scope_of(loaded_db, "32.75")
    found = analyse_quality(scope, area, 2019).to_dict()
    bekasi = [
        row
        for row in found["sources_side_by_side"]
        if (row["indicator"], row["area"], row["year"]) == ("JP", "32.75", 2019)
    ]
    assert set(bekasi[0]["values"]) == {"Open Data Jabar", "QuaRCS"}
    assert bekasi[0]["values"]["QuaRCS"] == 3004247.0


def test_quality_dhis2_mode_flags_outlier(db):
    # With n values a single outlier reaches at most (n - 1) / sqrt(n) in DHIS2
    # mode, so all 12 kecamatan are needed to pass its threshold of 3.
    values = [10.0, 11.0, 10.5, 9.5, 10.2, 9.8, 10.1, 9.9, 10.3, 10.0, 10.4, 60.0]
    codes = [f"32.75.{n:02d}" for n in range(1, 13)]
    write(db, [("PUSKESMAS", c, 2022, v) for c, v in zip(codes, values, strict=True)])
    scope, area = scope_of(db, "32.75")
    for mode in (False, True):
        flags = analyse_quality(scope, area, 2022, dhis2_mode=mode).flags
        outliers = [f.area for f in flags if f.code == "sibling_outlier"]
        assert outliers == ["32.75.12"]


def test_quality_sum_below_parent_when_complete(db):
    codes = [f"32.75.{n:02d}" for n in range(1, 13)]
    rows = [("PUSKESMAS", c, 2022, 1.0) for c in codes] + [
        ("PUSKESMAS", "32.75", 2022, 20.0)
    ]
    write(db, rows)
    scope, area = scope_of(db, "32.75")
    flags = analyse_quality(scope, area, 2022).flags
    assert [
        (f.code, f.area, f.value) for f in flags if f.code == "sum_below_parent"
    ] == [("sum_below_parent", "32.75", 12.0)]
