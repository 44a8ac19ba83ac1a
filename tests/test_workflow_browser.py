"""The whole yearly round in headless Chromium, from template to publication.

An SKPD operator downloads the template, fills it in with openpyxl, uploads
it, reads the reported error, fixes it and submits; the analyst returns one
value with a comment; the operator corrects it and submits again; the
analyst verifies and publishes, and the public dashboard's completeness
rises.
"""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, sync_playwright
from web_fixtures import (
    CHROMIUM_ARGS,
    KECAMATAN,
    KELURAHAN,
    PASSWORD,
    YEAR,
    add_user,
    run_cli,
    stored,
)

from conftest import running_server

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/masuk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_selector("#logout")


def sign_out(page: Page) -> None:
    page.click("#logout")
    page.wait_for_selector("#login-link")


def public_filled(page: Page, base_url: str) -> int:
    """Indicators filled for the city in the year, as an anonymous visitor sees."""
    page.goto(f"{base_url}/wilayah/32.75?tahun={YEAR}")
    headline = page.locator("#completeness .headline").text_content()
    return int(re.search(r"(\d+) terisi", headline).group(1))


def fill_template(path: Path, values: dict[tuple[str, str], object]) -> int:
    """Write values into a downloaded template; return the first row changed."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Data"]
    rows = []
    for number in range(2, sheet.max_row + 1):
        key = (sheet.cell(number, 4).value, sheet.cell(number, 1).value)
        if key in values:
            sheet.cell(number, 9).value = values[key]
            rows.append(number)
    workbook.save(path)
    return min(rows)


def upload(page: Page, base_url: str, path: Path) -> str:
    page.goto(f"{base_url}/entri?tahun={YEAR}")
    page.set_input_files("#upload-file", str(path))
    page.click("#upload-button")
    return page.locator("#upload-outcome").get_attribute("data-outcome")


def test_yearly_round_in_browser(empty_db, tmp_path):
    db = empty_db
    initialised = run_cli(db, "init", "--region", "32.75")
    assert initialised.code == 0, initialised.err
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    add_user(db, "analis", "analyst")
    comment = "Angka stunting Bekasijaya terlalu rendah, periksa lagi"

    with running_server(db.url) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        filled_before = public_filled(page, base_url)

        # The operator downloads the template and fills it in with a mistake.
        sign_in(page, base_url, "dinkes1")
        page.goto(f"{base_url}/entri?tahun={YEAR}")
        with page.expect_download() as download:
            page.click("#download-template")
        workbook = tmp_path / download.value.suggested_filename
        download.value.save_as(workbook)
        values = {
            ("STUNTING", "32.75"): 14.5,
            ("STUNTING", KECAMATAN): 13,
            ("STUNTING", KELURAHAN): 150,
            ("PUSKESMAS", "32.75"): 48,
        }
        fill_template(workbook, values)
        bad_row = fill_template(workbook, {("STUNTING", KELURAHAN): 150})
        rejected = upload(page, base_url, workbook)
        problem = page.locator("table.problems tr.error").first.inner_text()
        nothing_written = stored(db, "STUNTING", "32.75") is None

        # It fixes the value, uploads again and submits.
        fill_template(workbook, {("STUNTING", KELURAHAN): 12})
        written = upload(page, base_url, workbook)
        page.goto(f"{base_url}/entri?tahun={YEAR}")
        page.click("#submit-button")
        submitted = page.locator("#submission-status").text_content()
        sign_out(page)

        # The analyst returns one value with a comment.
        sign_in(page, base_url, "analis")
        page.goto(f"{base_url}/verifikasi/DINKES?tahun={YEAR}")
        row = page.locator(f'tr[data-key="STUNTING:{KELURAHAN}"]')
        row.locator("input[type=checkbox]").check()
        row.locator("input[name^=comment]").fill(comment)
        page.click("#return-button")
        returned = page.locator("#review-status").text_content()
        sign_out(page)

        # The operator reads the comment, corrects the value, submits again.
        sign_in(page, base_url, "dinkes1")
        page.goto(f"{base_url}/entri?tahun={YEAR}")
        listed_comment = page.locator("#returned").inner_text()
        page.goto(f"{base_url}/entri/STUNTING?tahun={YEAR}")
        cell = page.locator(f'tr[data-area="{KELURAHAN}"]')
        form_comment = cell.inner_text()
        cell.locator("input.value-input").fill("21,5")
        page.click("#save-draft")
        page.wait_for_selector("div.notice")
        page.goto(f"{base_url}/entri?tahun={YEAR}")
        page.click("#submit-button")
        resubmitted = page.locator("#submission-status").text_content()
        sign_out(page)

        # The analyst verifies and publishes.
        sign_in(page, base_url, "analis")
        page.goto(f"{base_url}/verifikasi/DINKES?tahun={YEAR}")
        page.click("#verify-button")
        verified = page.locator("#review-status").text_content()
        page.click("#publish-button")
        published = page.locator("#review-status").text_content()
        sign_out(page)

        filled_after = public_filled(page, base_url)
        browser.close()

    assert rejected == "rejected"
    assert f"Data\t{bad_row}\tnilai" in problem
    assert nothing_written
    assert written == "written"
    assert submitted == "dikirim"
    assert returned == "dikembalikan"
    assert comment in listed_comment
    assert f"Bappeda: {comment}" in form_comment
    assert resubmitted == "dikirim"
    assert verified == "terverifikasi"
    assert published == "terbit"
    assert stored(db, "STUNTING", KELURAHAN).value == 21.5
    assert stored(db, "STUNTING", KELURAHAN).status == "published"
    assert filled_before == 0
    assert filled_after == filled_before + 2
