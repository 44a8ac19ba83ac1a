"""The area page's cache: a new value shows at once, other databases never leak."""

import httpx

from conftest import running_server
from p3bm.areas import load_region
from p3bm.catalogue import install_default_catalogue
from p3bm.imports import Importer, ImportOptions
from p3bm.storage import Database


def completeness_percent(base: str) -> str:
    page = httpx.get(f"{base}/wilayah/32.75?tahun=2021", timeout=60).text
    marker = 'data-testid="completeness-percent">'
    return page.split(marker, 1)[1].split("<", 1)[0]


def test_page_shows_new_value_at_once(db, data_file):
    with running_server(db.url) as base:
        before = completeness_percent(base)
        path = data_file("p0.csv", "kode;tahun;P0\n32.75;2021;4,74\n")
        Importer(db, "tester").import_file(path, ImportOptions(status="published"))
        after = completeness_percent(base)
    assert before == "0,0 %"
    assert after != before


def test_cache_kept_per_application(db, tmp_path, data_file):
    other = Database(str(tmp_path / "other.sqlite"))
    other.upgrade()
    load_region(other, "32.75")
    with other.begin() as connection:
        install_default_catalogue(connection)
    path = data_file("p0.csv", "kode;tahun;P0\n32.75;2021;4,74\n")
    Importer(other, "tester").import_file(path, ImportOptions(status="published"))
    with running_server(other.url) as base:
        filled = completeness_percent(base)
    with running_server(db.url) as base:
        empty = completeness_percent(base)
    other.dispose()
    assert filled != "0,0 %"
    assert empty == "0,0 %"
