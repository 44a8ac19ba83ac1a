"""The analysis API, dashboard pages and report sections over a real server."""

from __future__ import annotations

import re

import httpx
import pytest
from analysis_support import add_targets, write

from conftest import running_server
from p3bm.areas.registry import get_area
from p3bm.report import render_report

pytestmark = pytest.mark.usefixtures("postgres_admin")

ROWS = [
    ("P0", "32.75", 2019, 9.0),
    ("P0", "32.75", 2021, 10.0),
    ("P0", "32", 2021, 8.0),
    ("P0", "ID", 2021, 9.0),
    ("TPT", "32.75", 2021, 11.0),
    ("TPT", "32", 2021, 10.0),
    ("JP", "32.75", 2021, 1_000_000.0),
    ("JPM", "32.75", 2021, 100.0),
    ("TPT", "32.75", 2020, 12.0),
]
KINDS = [
    "aggregate",
    "scorecard",
    "trend",
    "position",
    "quadrant",
    "priority-problems",
    "determinants",
    "priority-locations",
    "quality",
]


@pytest.fixture
def server(db):
    write(db, ROWS, status="published")
    write(db, [("P0", "32.75", 2018, 50.0)], status="draft")
    add_targets(db, [("P0", "32.75", 2026, "RPJMD", 6.0)])
    with running_server(db.url) as url:
        yield url


def get(url: str, path: str, **params) -> httpx.Response:
    return httpx.get(url + path, params=params, timeout=30)


def test_api_scorecard_rows(server):
    data = get(server, "/api/v1/analysis/scorecard", area="32.75", year=2021).json()
    cell = next(r for r in data["rows"] if (r["indicator"], r["year"]) == ("P0", 2021))
    assert (cell["status"], cell["province"], cell["national"]) == ("red", 8.0, 9.0)
    assert data["parameters"]["scheme"] == "A"


def test_api_records_inputs(server):
    data = get(server, "/api/v1/analysis/priority-problems", area="32.75", year=2021)
    inputs = data.json()["inputs"]
    assert {
        "indicator": "P0",
        "area": "32",
        "year": 2021,
        "source": "",
        "value": 8.0,
    } in inputs


def test_api_hides_unpublished_from_visitors(server):
    data = get(server, "/api/v1/analysis/trend", area="32.75", year=2021).json()
    p0 = next(r for r in data["rows"] if r["indicator"] == "P0")
    assert p0["points"] == 2


def test_api_weights_as_parameters(server):
    data = get(
        server,
        "/api/v1/analysis/priority-problems",
        area="32.75",
        year=2021,
        weight_gap=1,
        weight_trend=0,
        weight_people=0,
    ).json()
    assert data["parameters"]["weights"] == {"gap": 1.0, "trend": 0.0, "people": 0.0}


@pytest.mark.parametrize("weight", ["inf", "nan", "-1", "1000"])
def test_api_weights_must_be_finite_shares(server, weight):
    response = get(
        server,
        "/api/v1/analysis/priority-problems",
        area="32.75",
        year=2021,
        weight_gap=weight,
    )
    assert response.status_code == 422


@pytest.mark.parametrize("kind", KINDS)
def test_api_every_kind_answers(server, kind):
    response = get(server, f"/api/v1/analysis/{kind}", area="32.75", year=2021)
    assert response.status_code == 200


def test_api_unknown_area_is_404(server):
    response = get(server, "/api/v1/analysis/trend", area="99.99", year=2021)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "area_not_found"


def test_api_bad_benchmark_is_422(server):
    response = get(
        server, "/api/v1/analysis/quadrant", area="32.75", year=2021, benchmark="x"
    )
    assert response.status_code == 422


def test_openapi_documents_analysis_rows(server):
    spec = get(server, "/api/openapi.json").json()
    assert "/api/v1/analysis/priority-locations" in spec["paths"]
    row = spec["components"]["schemas"]["ScorecardRow"]
    assert {"status", "reason", "score", "province", "national"} <= set(
        row["properties"]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_page_every_kind_renders(server, kind):
    response = get(server, f"/analisis/32.75/{kind}", tahun=2021)
    assert response.status_code == 200
    assert 'id="analysis-tabs"' in response.text


def test_page_english(server):
    response = get(server, "/analisis/32.75/priority-problems", tahun=2021, lang="en")
    assert "Priority problems: Kota Bekasi" in response.text
    assert 'data-indicator="P0"' in response.text


@pytest.mark.parametrize(
    ("lang", "message"),
    [("id", "Tidak ada analisis &#39;nope&#39;."), ("en", "There is no analysis")],
)
def test_page_unknown_kind(server, lang, message):
    response = get(server, "/analisis/32.75/nope", tahun=2021, lang=lang)
    assert response.status_code == 404
    assert message in response.text


def test_page_quadrant_one_axis_indonesian(server):
    response = get(server, "/analisis/32.75/quadrant", tahun=2021, x="P0")
    assert response.status_code == 400
    assert "Kuadran memerlukan --x dan --y sekaligus" in response.text


def test_page_quadrant_chart(server):
    text = get(server, "/analisis/32.75/quadrant", tahun=2021).text
    assert 'class="chart scatter-chart"' in text
    assert re.search(r'class="point point-32-75 group-worse_both focus"', text)


def test_area_page_links_analysis(server):
    text = get(server, "/wilayah/32.75", tahun=2021).text
    assert 'href="/analisis/32.75?tahun=2021&amp;lang=id" id="analysis-link"' in text


def test_home_of_analysis_redirects(server):
    response = httpx.get(server + "/analisis/32.75?tahun=2021", follow_redirects=False)
    assert response.status_code == 302
    assert "/analisis/32.75/priority-problems" in response.headers["location"]


def test_report_has_analysis_sections(db):
    write(db, ROWS)
    with db.connect() as connection:
        html = render_report(connection, get_area(connection, "32.75"), 2021)
    for section in ('id="priority-problems"', 'id="scorecard"', 'id="quadrants"'):
        assert section in html
    assert "<script src" not in html
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")


def test_report_locations_map_real(loaded_db):
    with loaded_db.connect() as connection:
        html = render_report(connection, get_area(connection, "32"), 2019, lang="en")
    assert 'class="chart map category-map"' in html
    assert "Poor people living in P1 and P2 areas" in html
