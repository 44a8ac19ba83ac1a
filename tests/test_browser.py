"""The dashboard in real headless Chromium, driven by Playwright.

Chromium is Debian's (``/usr/bin/chromium``); Playwright never downloads a
browser of its own here. The tests skip, saying why, when it is absent.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from p3bm.areas import get_area
from p3bm.catalogue import Catalogue
from p3bm.completeness import compute_completeness

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (run `make browser`)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def percent_text(database, code: str, year: int, lang: str = "id") -> str:
    with database.connect() as connection:
        area = get_area(connection, code)
        result = compute_completeness(
            connection, Catalogue.load(connection), area, year
        )
    text = f"{result.percent:.1f} %"
    return text.replace(".", ",") if lang == "id" else text


def test_home_lands_on_bekasi(page, loaded_db, tmp_path):
    page.goto("/")
    screenshot = tmp_path / "kota-bekasi.png"
    page.screenshot(path=screenshot, full_page=False)
    assert page.url.endswith("/wilayah/32.75?lang=id")
    assert page.locator("h1").inner_text() == "Kota Bekasi (32.75)"
    assert page.get_by_test_id("completeness-percent").inner_text() == percent_text(
        loaded_db, "32.75", 2021
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_year_select_reloads_page(page, loaded_db):
    page.goto("/wilayah/32.75")
    with page.expect_navigation():
        page.locator("#year-choice").select_option("2020")
    assert page.url.endswith("/wilayah/32.75?tahun=2020&lang=id")
    assert page.locator("#year-choice").input_value() == "2020"
    assert page.locator("#completeness h2").inner_text() == "Kelengkapan data 2020"
    assert page.get_by_test_id("completeness-percent").inner_text() == percent_text(
        loaded_db, "32.75", 2020
    )


def test_map_select_shows_chosen_map(page):
    page.goto("/wilayah/32?tahun=2021")
    chosen = page.locator('.map-view[data-indicator="TPT"]')
    first = page.locator(".map-view").first
    map_id = chosen.get_attribute("id")
    assert first.is_visible()
    assert chosen.is_hidden()
    page.locator("#map-choice").select_option(map_id)
    assert chosen.is_visible()
    assert first.is_hidden()
    bekasi = chosen.locator('path[data-code="32.75"]')
    assert bekasi.is_visible()
    assert bekasi.locator("title").text_content() == "Kota Bekasi (32.75): 10,88 %"
    assert chosen.locator("path").count() == 27


def test_kecamatan_link(page):
    page.goto("/wilayah/32.75")
    with page.expect_navigation():
        page.locator("#children").get_by_role("link", name="Bekasi Timur").click()
    assert page.url.endswith("/wilayah/32.75.01?tahun=2021&lang=id")
    assert page.locator("h1").inner_text() == "Bekasi Timur (32.75.01)"
    assert "Kota Bekasi" in page.locator("header .trail").inner_text()
    assert page.locator("#children li").count() == 4


def test_indicator_form_opens_jpm(page):
    page.goto("/wilayah/32.75")
    page.locator("#indicator-choice").select_option("JPM")
    with page.expect_navigation():
        page.locator('form[action="/indikator/go"] button').click()
    assert "/indikator/JPM?wilayah=32.75&tahun=2021&lang=id" in page.url
    assert page.locator("h1").inner_text() == "JPM: Jumlah penduduk miskin"
    with page.expect_navigation():
        page.locator('select[name="tahun"]').select_option("2018")
    assert page.get_by_test_id("indicator-value").inner_text() == "119,80"
    row = page.locator("table.values tr", has_text="2018").first
    assert row.locator("td.number").inner_text() == "119,80"


def test_switch_to_english(page, loaded_db):
    page.goto("/wilayah/32.75")
    with page.expect_navigation():
        page.locator("#switch-lang").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#completeness h2").inner_text() == "Data completeness 2021"
    assert page.get_by_test_id("completeness-percent").inner_text() == percent_text(
        loaded_db, "32.75", 2021, "en"
    )
    assert page.locator("#switch-lang").inner_text() == "Bahasa Indonesia"
