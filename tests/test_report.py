import csv
import re

import pytest
import sqlalchemy as sa
from lxml import html as lxml_html

from conftest import sample_file
from p3bm.areas import codes, get_area, list_areas
from p3bm.catalogue import Catalogue
from p3bm.completeness import compute_completeness
from p3bm.report import render_report
from p3bm.storage.schema import observation

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
POPULATION_BY_SEX = "statistik/odj_jumlah_penduduk_jenis_kelamin_kabkota_jabar.csv"
QUARCS = "statistik/quarcs_grdp_populasi_kabkota_indonesia_2000_2019_long.csv"
TRENDS = '//section[@id="trends"]//div[@class="trend"]'
# Rendering takes up to a second, so each report is rendered once per database.
_rendered: dict[tuple[str, str, int, str], str] = {}


def report_html(database, code: str, year: int, lang: str = "id") -> str:
    key = (database.url, code, year, lang)
    if key not in _rendered:
        with database.connect() as connection:
            area = get_area(connection, code)
            _rendered[key] = render_report(connection, area, year, lang=lang)
    return _rendered[key]


def report(database, code: str, year: int, lang: str = "id"):
    return lxml_html.fromstring(report_html(database, code, year, lang))


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def svg(element, path: str) -> list:
    """Elements below ``element`` matching ``path`` of SVG tag names."""
    steps = "/".join(f"*[local-name()='{tag}']" for tag in path.split("/"))
    return element.xpath(f".//{steps}")


def trend_table(document, indicator: str) -> dict[int, list[str]]:
    (trend,) = document.xpath(f'{TRENDS}[@data-indicator="{indicator}"]')
    rows = trend.xpath('.//table[@class="trend-table"]/tr')
    return {
        int(row.xpath("string(td[1])")): [text_of(td) for td in row.xpath("td")[1:]]
        for row in rows[1:]
    }


def trend_labels(document, indicator: str) -> list[str]:
    (trend,) = document.xpath(f'{TRENDS}[@data-indicator="{indicator}"]')
    return [
        text_of(th) for th in trend.xpath('.//table[@class="trend-table"]/tr[1]/th')
    ]


def quality_rows(document) -> list[tuple[str, str, str, int, str]]:
    return [
        (
            row.get("data-code"),
            text_of(row.xpath("td")[0]),
            text_of(row.xpath("td")[1]),
            int(text_of(row.xpath("td")[2])),
            text_of(row.xpath("td")[4]),
        )
        for row in document.xpath('//table[@class="quality"]/tr[@data-code]')
    ]


def indonesian(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def odj_population(kode: str, year: int) -> int:
    """Men plus women of one kab/kota and year, from the Open Data Jabar file."""
    with sample_file(POPULATION_BY_SEX).open(encoding="utf-8") as handle:
        return sum(
            int(row["jumlah_penduduk"])
            for row in csv.DictReader(handle)
            if row["kode_kabupaten_kota"] == kode and row["tahun"] == str(year)
        )


def quarcs_population(kdj: str, year: int) -> int:
    with sample_file(QUARCS).open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row["KDJ"] == kdj and row["Series"] == "Populasi":
                return int(row[f"yr{year}"])
    raise AssertionError(f"no QuaRCS population for {kdj}")


@pytest.mark.parametrize(("code", "year"), [("32.75", 2021), ("32", 2021)])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_report_self_contained(loaded_db, code, year, lang):
    text = report_html(loaded_db, code, year, lang)
    document = lxml_html.fromstring(text)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls == {SVG_NAMESPACE}
    assert document.xpath("//script[@src]") == []
    assert document.xpath("//link") == []
    assert document.xpath("//img") == []
    assert document.xpath("//iframe") == []
    assert "@import" not in text
    assert document.xpath("//style")


@pytest.mark.parametrize(
    ("lang", "heading", "trends"),
    [
        ("id", "Kelengkapan data 2021", "Tren kemiskinan"),
        ("en", "Data completeness 2021", "Poverty trends"),
    ],
)
def test_report_language(loaded_db, lang, heading, trends):
    document = report(loaded_db, "32.75", 2021, lang)
    assert document.get("lang") == lang
    assert text_of(document.xpath('//section[@id="completeness"]/h2')[0]) == heading
    assert text_of(document.xpath('//section[@id="trends"]/h2')[0]) == trends


@pytest.mark.parametrize(
    ("code", "filled", "lang", "template"),
    [
        ("32.75", 7, "id", "dari {expected} indikator, {filled} terisi: {percent} %"),
        ("32", 2, "id", "dari {expected} indikator, {filled} terisi: {percent} %"),
        (
            "32.75",
            7,
            "en",
            "of {expected} indicators, {filled} are filled: {percent} %",
        ),
    ],
)
def test_completeness_headline(loaded_db, code, filled, lang, template):
    with loaded_db.connect() as connection:
        area = get_area(connection, code)
        result = compute_completeness(
            connection, Catalogue.load(connection), area, 2021
        )
    percent = f"{result.percent:.1f}"
    if lang == "id":
        percent = percent.replace(".", ",")
    document = report(loaded_db, code, 2021, lang)
    headline = text_of(document.xpath('//p[@class="headline"]')[0])
    assert result.filled == filled
    assert headline == template.format(
        expected=result.expected, filled=filled, percent=percent
    )
    shown = document.xpath('string(//*[@data-testid="completeness-percent"])')
    assert shown.strip() == f"{percent} %"


def test_bekasi_trend_values(loaded_db):
    document = report(loaded_db, "32.75", 2021)
    assert [t.get("data-indicator") for t in document.xpath(TRENDS)] == [
        "P0",
        "JPM",
        "GK",
    ]
    assert trend_labels(document, "P0") == [
        "Tahun",
        "Kota Bekasi",
        "Jawa Barat",
        "Indonesia",
    ]
    assert trend_labels(document, "JPM") == ["Tahun", "Kota Bekasi"]
    assert trend_table(document, "JPM")[2018] == ["119,80"]
    assert trend_table(document, "JPM")[2019] == ["113,65"]
    assert trend_table(document, "JPM")[2002] == ["66,20"]
    assert trend_table(document, "P0")[2021] == ["4,74", "7,97", "9,71"]
    assert trend_table(document, "P0")[2022] == ["–", "8,06", "9,54"]
    assert trend_table(document, "GK")[2020] == ["657.953", "410.988", "–"]


def test_bekasi_trend_chart_points(loaded_db):
    document = report(loaded_db, "32.75", 2021)
    (trend,) = document.xpath(f'{TRENDS}[@data-indicator="JPM"]')
    points = [text_of(title) for title in svg(trend, "svg/g/circle/title")]
    assert "Kota Bekasi 2018: 119,80" in points
    assert "Kota Bekasi 2020: 134,01" in points
    assert len(points) == 2020 - 2002 + 1


def test_trend_values_in_english(loaded_db):
    document = report(loaded_db, "32.75", 2021, "en")
    assert trend_table(document, "JPM")[2018] == ["119.80"]
    assert trend_table(document, "GK")[2020] == ["657,953", "410,988", "–"]


def test_jawa_barat_trend_values(loaded_db):
    document = report(loaded_db, "32", 2021)
    assert trend_labels(document, "P0") == ["Tahun", "Jawa Barat", "Indonesia"]
    assert trend_table(document, "P0")[2022] == ["8,06", "9,54"]
    assert trend_table(document, "P0")[2010] == ["11,27", "13,33"]
    assert document.xpath(f'{TRENDS}[@data-indicator="JPM"]') == []


def test_bekasi_heatmap_columns(loaded_db):
    document = report(loaded_db, "32.75", 2021)
    with loaded_db.connect() as connection:
        bekasi = get_area(connection, "32.75")
        districts = list_areas(connection, within=bekasi, level=codes.DISTRICT)
        villages = list_areas(connection, within=bekasi, level=codes.VILLAGE)
    for level, areas in [(codes.DISTRICT, districts), (codes.VILLAGE, villages)]:
        (table,) = document.xpath(f'//table[@class="heatmap"][@data-level="{level}"]')
        columns = table.xpath('tr[1]/th[@class="vertical"]')
        assert [th.get("title") for th in columns] == [a.code for a in areas]
        rows = table.xpath("tr")[1:]
        assert rows
        for row in rows:
            assert len(row.xpath('td[contains(@class, "cell")]')) == len(areas)
    assert len(districts) == 12
    assert len(villages) == 56


def test_bekasi_kelurahan_map(loaded_db):
    document = report(loaded_db, "32.75", 2021)
    with loaded_db.connect() as connection:
        bekasi = get_area(connection, "32.75")
        villages = list_areas(connection, within=bekasi, level=codes.VILLAGE)
    (view,) = document.xpath(
        f'//div[contains(@class, "map-view")][@data-level="{codes.VILLAGE}"]'
    )
    paths = svg(view, "svg/path")
    assert sorted(path.get("data-code") for path in paths) == sorted(
        a.code for a in villages
    )
    names = {a.code: a.name for a in villages}
    for path in paths:
        (title,) = svg(path, "title")
        assert text_of(title).startswith(f"{names[path.get('data-code')]} (")
        assert path.get("d").startswith("M")
    choices = document.xpath('//select[@id="map-choice"]/option/@value')
    views = document.xpath('//div[contains(@class, "map-view")]/@id')
    assert choices == views


def test_jawa_barat_p0_map(loaded_db):
    document = report(loaded_db, "32", 2021)
    with loaded_db.connect() as connection:
        stored = dict(
            connection.execute(
                sa.select(observation.c.area_code, observation.c.value).where(
                    observation.c.indicator_code == "P0",
                    observation.c.year == 2021,
                    observation.c.area_code.like("32.__"),
                    observation.c.disaggregation == "",
                )
            ).all()
        )
    views = document.xpath('//div[contains(@class, "map-view")][@data-indicator="P0"]')
    (view,) = [v for v in views if v.get("data-level") == str(codes.REGENCY)]
    paths = svg(view, "svg/path")
    drawn = {path.get("data-code"): float(path.get("data-value")) for path in paths}
    assert len(paths) == 27
    assert len(stored) == 27
    assert drawn == pytest.approx(stored)
    assert drawn["32.75"] == pytest.approx(4.74)
    bekasi = next(p for p in paths if p.get("data-code") == "32.75")
    assert text_of(svg(bekasi, "title")[0]) == "Kota Bekasi (32.75): 4,74 %"


def test_bekasi_sources_disagree(loaded_db):
    rows = quality_rows(report(loaded_db, "32.75", 2021))
    disagreements = [r for r in rows if r[0] == "sources_disagree"]
    assert [(r[1], r[2], r[3]) for r in disagreements] == [
        ("Kota Bekasi", "JP", 2019),
        ("Kota Bekasi", "JP", 2018),
        ("Kota Bekasi", "JP", 2017),
    ]
    for row in disagreements:
        year = row[3]
        odj = indonesian(odj_population("3275", year))
        quarcs = indonesian(quarcs_population("3275", year))
        assert row[4] == f"sumber berbeda: Open Data Jabar {odj}, QuaRCS {quarcs}"


def test_quality_scope_stated(loaded_db):
    document = report(loaded_db, "32", 2021)
    (scope,) = document.xpath('//section[@id="quality"]/p[@class="muted"]')
    assert text_of(scope) == (
        "Nilai tahun 2017–2021, ditambah perubahan metode dari tahun mana pun."
    )
    years = {row[3] for row in quality_rows(document) if row[0] != "method_break"}
    assert min(years) == 2017
    assert max(years) == 2021


def test_jawa_barat_method_break(loaded_db):
    rows = quality_rows(report(loaded_db, "32", 2021))
    breaks = [r for r in rows if r[0] == "method_break"]
    assert [(r[1], r[2], r[3]) for r in breaks] == [("Jawa Barat", "IPM", 2012)]


def test_bandung_2013_population_jump(loaded_db):
    rows = quality_rows(report(loaded_db, "32", 2014))
    bandung = odj_population("3273", 2013)
    jumps = {
        r[3]: r[4]
        for r in rows
        if r[0] == "year_on_year_jump" and r[1] == "Kota Bandung"
    }
    assert bandung == 315875
    assert jumps[2013] == (
        f"berubah -87 % dari {indonesian(quarcs_population('3273', 2012))} "
        "pada tahun sebelumnya"
    )
    assert jumps[2014] == (
        f"berubah +641 % dari {indonesian(bandung)} pada tahun sebelumnya"
    )
    sources = [r for r in rows if r[0] == "sources_disagree" and r[1] == "Kota Bandung"]
    assert (2013, f"Open Data Jabar {indonesian(bandung)}") in [
        (r[3], r[4].split(": ")[1].split(", ")[0]) for r in sources
    ]


def test_sources_listed(loaded_db):
    document = report(loaded_db, "32.75", 2021)
    listed = [text_of(li) for li in document.xpath('//section[@id="sources"]/ul/li')]
    assert "Open Data Jabar" in listed
    assert "QuaRCS" in listed
    assert "BPS 2021" in listed
