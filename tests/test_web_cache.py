"""The area page's cache: a new value shows at once, other databases never leak,
requests that miss together build an entry once, and no request compiles a
template."""

import threading
import time

import httpx
import pytest

from conftest import running_server
from p3bm.areas import load_region
from p3bm.catalogue import install_default_catalogue
from p3bm.imports import Importer, ImportOptions
from p3bm.rendering import environment
from p3bm.storage import Database
from p3bm.web.cache import VersionedCache

PARALLEL_REQUESTS = 8


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


def test_parallel_misses_build_once():
    cache = VersionedCache()
    started = threading.Event()
    release = threading.Event()
    builds = []

    def build() -> str:
        builds.append(threading.get_ident())
        started.set()
        release.wait(timeout=10)
        return "overview"

    results = []

    def request() -> None:
        results.append(cache.get_or_build("32.75", (1, 1), build))

    threads = [threading.Thread(target=request) for _ in range(PARALLEL_REQUESTS)]
    for thread in threads:
        thread.start()
    assert started.wait(timeout=10)
    # Let the other threads reach the cache while the first build runs.
    time.sleep(0.3)
    release.set()
    for thread in threads:
        thread.join(timeout=10)
    assert len(builds) == 1
    assert results == ["overview"] * PARALLEL_REQUESTS


def test_new_version_builds_again():
    cache = VersionedCache()
    first = cache.get_or_build("32.75", (1, 1), lambda: "before")
    cached = cache.get_or_build("32.75", (1, 1), lambda: "not built")
    second = cache.get_or_build("32.75", (2, 1), lambda: "after")
    assert first == "before"
    assert cached == "before"
    assert second == "after"


def test_failed_build_is_retried():
    cache = VersionedCache()

    def fail() -> str:
        raise RuntimeError("database unavailable")

    with pytest.raises(RuntimeError, match="database unavailable"):
        cache.get_or_build("32.75", (1, 1), fail)
    assert cache.get_or_build("32.75", (1, 1), lambda: "overview") == "overview"


def test_waiting_request_builds_after_failure():
    cache = VersionedCache()
    started = threading.Event()
    release = threading.Event()

    def fail() -> str:
        started.set()
        release.wait(timeout=10)
        raise RuntimeError("database unavailable")

    errors = []

    def first_request() -> None:
        try:
            cache.get_or_build("32.75", (1, 1), fail)
        except RuntimeError as exc:
            errors.append(str(exc))

    results = []
    first = threading.Thread(target=first_request)
    first.start()
    assert started.wait(timeout=10)
    waiting = threading.Thread(
        target=lambda: results.append(
            cache.get_or_build("32.75", (1, 1), lambda: "overview")
        )
    )
    waiting.start()
    time.sleep(0.3)
    release.set()
    first.join(timeout=10)
    waiting.join(timeout=10)
    assert errors == ["database unavailable"]
    assert results == ["overview"]


def test_server_start_compiles_templates(db):
    templates = environment()
    templates.cache.clear()
    with running_server(db.url):
        compiled = {name for _loader, name in templates.cache}
    assert "web/area.html" in compiled
    assert compiled == set(templates.list_templates())
