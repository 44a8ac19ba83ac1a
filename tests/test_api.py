import logging

import httpx
import pytest
from lxml import html as lxml_html
from openapi_spec_validator import validate

from conftest import running_server
from p3bm import __version__
from p3bm.areas import get_area, list_areas
from p3bm.catalogue import Catalogue
from p3bm.completeness import compute_completeness
from p3bm.errors import DatabaseNotReady

READ_PATHS = {
    "/api/v1/health",
    "/api/v1/areas",
    "/api/v1/areas/{code}",
    "/api/v1/indicators",
    "/api/v1/indicators/{code}",
    "/api/v1/observations",
    "/api/v1/completeness",
}


@pytest.fixture
def client(live_server):
    with httpx.Client(base_url=live_server, timeout=60) as http:
        yield http


def get_json(client, path: str, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def page(client, path: str, **params):
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return lxml_html.fromstring(response.text)


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def bekasi_completeness(database, year: int):
    with database.connect() as connection:
        area = get_area(connection, "32.75")
        return compute_completeness(connection, Catalogue.load(connection), area, year)


def test_health(client, loaded_db):
    assert get_json(client, "/api/v1/health") == {
        "status": "ok",
        "schema_revision": loaded_db.schema_revision(),
    }


@pytest.mark.parametrize(
    ("params", "total", "level", "prefix"),
    [
        ({"within": "32.75", "level": "kelurahan"}, 56, "village", "32.75."),
        ({"within": "3275", "level": "kecamatan"}, 12, "district", "32.75."),
        ({"within": "32", "level": "kabupaten"}, 27, "regency", "32."),
        ({"level": "provinsi"}, 38, "province", ""),
        ({"level": "regency"}, 514, "regency", ""),
    ],
)
def test_areas_within_and_level(client, params, total, level, prefix):
    data = get_json(client, "/api/v1/areas", **params)
    assert data["total"] == total
    assert len(data["items"]) == total
    for item in data["items"]:
        assert item["level"] == level
        assert item["code"].startswith(prefix)


def test_areas_name_search(client, loaded_db):
    with loaded_db.connect() as connection:
        expected = [
            a.code for a in list_areas(connection) if "bekasi" in a.name.lower()
        ]
    data = get_json(client, "/api/v1/areas", q="BEKASI")
    assert [item["code"] for item in data["items"]] == expected
    assert {"32.16", "32.75", "32.75.01", "32.75.01.1001"} <= set(expected)
    assert data["total"] == len(expected)


def test_areas_paging(client):
    every = get_json(client, "/api/v1/areas", within="32.75", level="kelurahan")
    page_six = get_json(
        client, "/api/v1/areas", within="32.75", level="kelurahan", limit=10, offset=50
    )
    first = get_json(
        client, "/api/v1/areas", within="32.75", level="kelurahan", limit=20
    )
    assert page_six["total"] == 56
    assert page_six["items"] == every["items"][50:]
    assert len(page_six["items"]) == 6
    assert first["items"] == every["items"][:20]


@pytest.mark.parametrize(
    ("code", "name", "children"),
    [
        ("3275", "Kota Bekasi", 12),
        ("32.75", "Kota Bekasi", 12),
        ("32.75.01", "Bekasi Timur", 4),
        ("32.75.01.1001", "Bekasijaya", 0),
        ("ID", "Indonesia", 38),
    ],
)
def test_area_by_code(client, code, name, children):
    data = get_json(client, f"/api/v1/areas/{code}")
    assert data["name"] == name
    assert len(data["children"]) == children
    for child in data["children"]:
        assert child["parent"] == data["code"]


def test_area_by_bps_code(client):
    data = get_json(client, "/api/v1/areas/3275")
    assert data["code"] == "32.75"
    assert data["bps_code"] == "3275"
    assert data["kind"] == "kota"
    assert data["has_boundary"] is True
    assert data["children"][0]["code"] == "32.75.01"


def test_indicators_list(client, loaded_db):
    with loaded_db.connect() as connection:
        catalogue = Catalogue.load(connection)
    items = get_json(client, "/api/v1/indicators")
    assert [item["code"] for item in items] == [item.code for item in catalogue]
    for item in items:
        assert {"code", "name", "name_en", "unit", "polarity", "sector"} <= set(item)
    poverty = get_json(client, "/api/v1/indicators", sector="kemiskinan")
    assert poverty
    assert {item["sector"] for item in poverty} == {"kemiskinan"}
    assert "P0" in {item["code"] for item in poverty}


def test_indicator_by_code(client):
    data = get_json(client, "/api/v1/indicators/jpm")
    assert data["code"] == "JPM"
    assert data["unit"] == "ribu jiwa"
    assert data["polarity"] == "-"
    assert data["lowest_level"] == "regency"


def test_observations_one_value(client):
    data = get_json(
        client, "/api/v1/observations", indicator="JPM", area="3275", year=2018
    )
    assert len(data["items"]) == 1
    item = data["items"][0]
    assert (item["indicator"], item["area"], item["year"]) == ("JPM", "32.75", 2018)
    assert item["value"] == pytest.approx(119.8)
    assert item["source"] == "Open Data Jabar"


def test_observations_several_years(client):
    response = client.get(
        "/api/v1/observations",
        params=[
            ("indicator", "JPM"),
            ("area", "32.75"),
            ("year", 2019),
            ("year", 2018),
        ],
    )
    items = response.json()["items"]
    assert response.status_code == 200
    assert [(i["year"], i["value"]) for i in items] == [
        (2018, pytest.approx(119.8)),
        (2019, pytest.approx(113.65)),
    ]


def test_observations_within(client, loaded_db):
    data = get_json(client, "/api/v1/observations", within="32.75", limit=10_000)
    areas = {item["area"] for item in data["items"]}
    assert data["items"]
    assert all(a == "32.75" or a.startswith("32.75.") for a in areas)
    jabar = get_json(
        client, "/api/v1/observations", indicator="P0", within="32", year=2021
    )
    assert len(jabar["items"]) == 27 + 1
    assert {i["area"] for i in jabar["items"]} >= {"32", "32.75", "32.01"}


@pytest.mark.parametrize(
    ("source", "values"),
    [
        ("QuaRCS", [("", 3004247.0)]),
        (
            "Open Data Jabar",
            [("", 2448830.0), ("sex=female", 1213340.0), ("sex=male", 1235490.0)],
        ),
    ],
)
def test_observations_by_source(client, source, values):
    data = get_json(
        client,
        "/api/v1/observations",
        indicator="JP",
        area="32.75",
        year=2019,
        source=source,
    )
    assert [(i["disaggregation"], i["value"]) for i in data["items"]] == values
    assert {i["source"] for i in data["items"]} == {source}


@pytest.mark.parametrize("source", [None, "QuaRCS"])
def test_observations_paging(client, source):
    params = {"indicator": "JP", "area": "32.75"}
    if source:
        params["source"] = source
    every = get_json(client, "/api/v1/observations", **params)["items"]
    pages = [
        get_json(client, "/api/v1/observations", limit=7, offset=offset, **params)
        for offset in range(0, len(every), 7)
    ]
    assert len(every) > 14
    assert [item for p in pages for item in p["items"]] == every
    assert pages[1]["limit"] == 7
    assert pages[1]["offset"] == 7


@pytest.mark.parametrize("year", [2020, 2021])
def test_completeness_endpoint(client, loaded_db, year):
    result = bekasi_completeness(loaded_db, year)
    data = get_json(client, "/api/v1/completeness", area="3275", year=year)
    assert (data["expected"], data["filled"], data["percent"]) == (
        result.expected,
        result.filled,
        result.percent,
    )
    assert data["area"] == "32.75"
    assert data["year"] == year
    assert {m["code"] for m in data["missing"]} == {s.code for s in result.missing}


def test_completeness_settings(client):
    data = get_json(
        client,
        "/api/v1/completeness",
        area="32.75",
        year=2021,
        stale_after_years=0,
        verified_only="true",
        lang="en",
    )
    assert data["settings"] == {"stale_after_years": 0, "verified_only": True}
    assert {s["code"] for s in data["stale"]} >= {"JPM", "GK", "JP", "PDRB"}
    sectors = {t["key"]: t["label"] for t in data["by_sector"]}
    assert sectors["kemiskinan"] == "Poverty"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/areas/32.99", 404, "area_not_found"),
        ("/api/v1/indicators/NOPE", 404, "indicator_not_found"),
        ("/api/v1/observations?area=32.99", 404, "area_not_found"),
        ("/api/v1/observations?indicator=NOPE", 404, "indicator_not_found"),
        ("/api/v1/tidak-ada", 404, "http_error"),
        ("/api/v1/completeness?area=32.75", 422, "invalid_request"),
        ("/api/v1/completeness?area=32.75&year=2021&lang=fr", 422, "invalid_request"),
        ("/api/v1/areas?limit=0", 422, "invalid_request"),
        ("/api/v1/observations?year=abc", 422, "invalid_request"),
        ("/api/v1/observations?limit=10001", 422, "invalid_request"),
    ],
)
def test_error_shape(client, path, status, code):
    response = client.get(path)
    body = response.json()
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_error_message_names_value(client):
    message = client.get("/api/v1/areas/32.99?lang=en").json()["error"]["message"]
    assert message.startswith("Area '32.99'")
    missing = client.get("/api/v1/completeness?area=32.75&lang=en").json()
    assert missing["error"]["message"] == "Invalid query.year: Field required."
    hilang = client.get("/api/v1/completeness?area=32.75").json()["error"]["message"]
    assert hilang.startswith("Nilai query.year tidak sah (wajib diisi)")
    bukan_angka = client.get("/api/v1/observations?year=abc").json()["error"]
    assert bukan_angka["message"].startswith(
        "Nilai query.year.0 tidak sah (harus bilangan bulat)"
    )


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("id", "Halaman tidak ditemukan. Periksa alamatnya."),
        ("en", "Not Found"),
    ],
)
def test_not_found_page_language(client, lang, message):
    response = client.get("/tidak-ada", params={"lang": lang})
    assert response.status_code == 404
    assert f"<p>{message}</p>" in response.text


def test_openapi_document_valid(client):
    spec = get_json(client, "/api/openapi.json")
    validate(spec)
    assert set(spec["paths"]) >= READ_PATHS
    assert not [path for path in spec["paths"] if not path.startswith("/api/")]
    assert spec["info"]["version"] == __version__


def test_home_redirects_to_region(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/wilayah/32.75?lang=id"


def test_area_page(client, loaded_db):
    result = bekasi_completeness(loaded_db, 2021)
    document = page(client, "/wilayah/32.75")
    percent = f"{result.percent:.1f}".replace(".", ",")
    assert document.get("lang") == "id"
    assert text_of(document.xpath("//h1")[0]) == "Kota Bekasi (32.75)"
    assert document.xpath('//select[@id="year-choice"]/option[@selected]/@value') == [
        "2021"
    ]
    assert text_of(document.xpath('//*[@data-testid="completeness-percent"]')[0]) == (
        f"{percent} %"
    )
    children = document.xpath('//section[@id="children"]//li/a/@href')
    assert len(children) == 12
    assert children[0] == "/wilayah/32.75.01?tahun=2021&lang=id"


def test_area_page_year_in_english(client, loaded_db):
    result = bekasi_completeness(loaded_db, 2020)
    document = page(client, "/wilayah/32.75", tahun=2020, lang="en")
    headline = text_of(document.xpath('//p[@class="headline"]')[0])
    assert document.get("lang") == "en"
    assert document.xpath('//select[@id="year-choice"]/option[@selected]/@value') == [
        "2020"
    ]
    assert headline == (
        f"of {result.expected} indicators, {result.filled} are filled: "
        f"{result.percent:.1f} %"
    )
    switch = document.xpath('//a[@id="switch-lang"]/@href')[0]
    assert switch == "/wilayah/32.75?tahun=2020&lang=id"


def test_indicator_page_for_province(client):
    document = page(client, "/indikator/JPM", wilayah="32")
    values = {
        (text_of(row.xpath("td")[0]), text_of(row.xpath("td")[1])): text_of(
            row.xpath("td")[3]
        )
        for row in document.xpath('//table[@class="values"]/tr[td]')
    }
    paths = document.xpath('//section[@id="maps"]//*[local-name()="path"]')
    assert text_of(document.xpath("//h1")[0]) == "JPM: Jumlah penduduk miskin"
    assert len(paths) == 27
    assert values[("Kota Bekasi", "2018")] == "119,80"
    assert values[("Kota Bekasi", "2020")] == "134,01"


def test_indicator_page_value(client):
    document = page(client, "/indikator/JPM", wilayah="32.75", tahun=2018)
    shown = document.xpath('string(//*[@data-testid="indicator-value"])')
    assert shown == "119,80"


def test_indicator_form_redirect(client):
    response = client.get(
        "/indikator/go",
        params={"kode": "jpm", "wilayah": "32.75", "tahun": 2018, "lang": "id"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert (
        response.headers["location"]
        == "/indikator/JPM?wilayah=32.75&tahun=2018&lang=id"
    )


def test_catalogue_page(client, loaded_db):
    with loaded_db.connect() as connection:
        size = len(Catalogue.load(connection))
    document = page(client, "/indikator")
    rows = document.xpath('//table[@class="catalogue"]/tr[td]')
    assert text_of(document.xpath("//h1")[0]) == f"Indikator ({size})"
    assert len(rows) == size
    assert rows[0].xpath("td[1]/a/@href") == ["/indikator/P0?wilayah=32.75&lang=id"]


def test_area_search_page(client):
    document = page(client, "/wilayah", q="bekasi")
    names = [
        text_of(row.xpath("td")[1])
        for row in document.xpath('//table[@class="areas"]/tr[td]')
    ]
    assert names[:2] == ["Kabupaten Bekasi", "Kota Bekasi"]
    assert "Bekasijaya" in names


def test_report_download(client):
    response = client.get("/laporan/32.75")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="p3bm-32.75-2021.html"'
    )
    assert response.text.startswith("<!DOCTYPE html>")
    assert "Kota Bekasi (32.75)" in response.text


@pytest.mark.parametrize(
    ("path", "words"),
    [("/wilayah/32.99", "'32.99'"), ("/indikator/NOPE", "'NOPE'")],
)
def test_not_found_page(client, path, words):
    response = client.get(path)
    document = lxml_html.fromstring(response.text)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert text_of(document.xpath("//h1")[0]) == "404"
    assert words in text_of(document.xpath('//div[@class="error-page"]')[0])


def test_server_logs_start_and_stop(db, caplog):
    caplog.set_level(logging.INFO, logger="p3bm.web.app")
    with running_server(db.url) as url:
        assert httpx.get(f"{url}/api/v1/health", timeout=30).status_code == 200
        started = [r.getMessage() for r in caplog.records]
        assert f"P3BM {__version__} serving {db.display_url}" in started
    messages = [r.getMessage() for r in caplog.records]
    assert f"P3BM stopped serving {db.display_url}" in messages
    started_at = messages.index(f"P3BM {__version__} serving {db.display_url}")
    stopped_at = messages.index(f"P3BM stopped serving {db.display_url}")
    assert started_at < stopped_at


def test_server_refuses_empty_database(empty_db):
    with pytest.raises((DatabaseNotReady, RuntimeError)), running_server(empty_db.url):
        pass
