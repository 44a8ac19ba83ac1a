"""The Excel template an SKPD fills in, and uploading it back."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from web_fixtures import (
    KECAMATAN,
    KELURAHAN,
    YEAR,
    add_token,
    add_user,
    api_client,
    count_rows,
    csrf_of,
    run_cli,
    signed_in,
    stored,
    writable_server_fixture,  # noqa: F401
)

from p3bm.catalogue import Catalogue
from p3bm.observations import NewValue, value_history, write_values
from p3bm.storage.schema import observation, observation_comment
from p3bm.workbook import COLUMNS, build_template

HEADER = [name for name, _ in COLUMNS]
DEADLINE = date(2025, 3, 31)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_bytes(db, skpd="DINKES") -> bytes:
    with db.connect() as connection:
        return build_template(
            connection, Catalogue.load(connection), skpd, YEAR, "32.75"
        )


def data_rows(workbook: openpyxl.Workbook) -> list[dict[str, object]]:
    rows = list(workbook["Data"].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def row_number(workbook, indicator: str, area: str) -> int:
    sheet = workbook["Data"]
    for number in range(2, sheet.max_row + 1):
        if (sheet.cell(number, 4).value, sheet.cell(number, 1).value) == (
            indicator,
            area,
        ):
            return number
    raise AssertionError(f"{indicator} {area} not in the template")


def fill(data: bytes, values: dict[tuple[str, str], object]) -> bytes:
    """The workbook with ``nilai`` set for (indicator, area) pairs."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for (indicator, area), value in values.items():
        workbook["Data"].cell(row_number(workbook, indicator, area), 9).value = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_template_lists_skpd_indicators_by_area(db):
    workbook = openpyxl.load_workbook(io.BytesIO(template_bytes(db)))

    rows = data_rows(workbook)
    by_indicator: dict[str, list[str]] = {}
    for row in rows:
        by_indicator.setdefault(row["kode_indikator"], []).append(row["kode_wilayah"])
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
    dinkes = {item.code for item in catalogue if item.skpd == "DINKES"}

    assert workbook.sheetnames == ["Petunjuk", "Data", "p3bm"]
    assert workbook["p3bm"].sheet_state == "hidden"
    assert list(next(workbook["Data"].iter_rows(values_only=True))) == HEADER
    assert set(by_indicator) == dinkes
    assert len(by_indicator["STUNTING"]) == 1 + 12 + 56
    assert by_indicator["STUNTING"][0] == "32.75"
    assert len(by_indicator["TB_KASUS"]) == 1 + 12
    assert all(row["tahun"] == YEAR for row in rows)


def test_template_shows_unit_and_last_year(db):
    write_values(
        db,
        [
            NewValue("STUNTING", KELURAHAN, YEAR - 1, "", "", 17.25, False),
            NewValue("STUNTING", KELURAHAN, YEAR, "", "", 15.5, False),
        ],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )

    rows = data_rows(openpyxl.load_workbook(io.BytesIO(template_bytes(db))))

    [row] = [
        r
        for r in rows
        if (r["kode_indikator"], r["kode_wilayah"]) == ("STUNTING", KELURAHAN)
    ]
    assert row["satuan"] == "%"
    assert row["nama_wilayah"] == "Bekasijaya"
    assert row["tingkat"] == "Desa/Kelurahan"
    assert row["nilai_tahun_lalu"] == 17.25
    assert row["nilai"] == 15.5


def test_template_fills_only_own_totals(db):
    """Another source's figure or a breakdown never lands in ``nilai``."""
    write_values(
        db,
        [
            NewValue("PUSKESMAS", KELURAHAN, YEAR, "", "Dinkes Provinsi", 4, False),
            NewValue("STUNTING", KELURAHAN, YEAR, "sex=male", "", 9.0, False),
            NewValue("STUNTING", KELURAHAN, YEAR - 1, "", "BPS", 17.25, False),
        ],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )

    rows = data_rows(openpyxl.load_workbook(io.BytesIO(template_bytes(db))))

    by_key = {(r["kode_indikator"], r["kode_wilayah"]): r for r in rows}
    assert by_key[("PUSKESMAS", KELURAHAN)]["nilai"] is None
    assert by_key[("STUNTING", KELURAHAN)]["nilai"] is None
    assert by_key[("STUNTING", KELURAHAN)]["nilai_tahun_lalu"] == 17.25


def test_template_validates_value_cells(db):
    workbook = openpyxl.load_workbook(io.BytesIO(template_bytes(db)))
    sheet = workbook["Data"]
    stunting = row_number(workbook, "STUNTING", KELURAHAN)
    puskesmas = row_number(workbook, "PUSKESMAS", KELURAHAN)

    def rule_of(row: int):
        [rule] = [
            v for v in sheet.data_validations.dataValidation if f"I{row}" in v.sqref
        ]
        return rule

    assert rule_of(stunting).type == "decimal"
    assert rule_of(stunting).operator == "between"
    assert (float(rule_of(stunting).formula1), float(rule_of(stunting).formula2)) == (
        0,
        100,
    )
    assert rule_of(stunting).allow_blank
    assert rule_of(stunting).showErrorMessage
    assert rule_of(stunting).error == "Isi angka antara 0 dan 100."
    assert float(rule_of(puskesmas).formula1) == 0
    assert rule_of(puskesmas).error == "Isi angka paling kecil 0."


def test_template_protects_all_but_inputs(db):
    workbook = openpyxl.load_workbook(io.BytesIO(template_bytes(db)))
    sheet = workbook["Data"]
    row = row_number(workbook, "STUNTING", KELURAHAN)

    assert sheet.protection.sheet
    assert not sheet.cell(row, 9).protection.locked
    assert not sheet.cell(row, 10).protection.locked
    assert all(sheet.cell(row, column).protection.locked for column in range(1, 9))
    assert sheet.cell(1, 9).protection.locked


def test_template_explains_in_indonesian(db):
    with db.begin() as connection:
        data = build_template(
            connection, Catalogue.load(connection), "DINKES", YEAR, "32.75", DEADLINE
        )
    guide = [
        row[0]
        for row in openpyxl.load_workbook(io.BytesIO(data))["Petunjuk"].iter_rows(
            values_only=True
        )
        if row[0]
    ]

    assert guide[0] == "Formulir data Dinas Kesehatan (DINKES), tahun 2024, Kota Bekasi"
    assert "Cara mengisi:" in guide
    assert any("Isi hanya kolom 'nilai'" in line for line in guide)
    assert "Batas waktu penyampaian: 2025-03-31." in guide
    assert "STUNTING" in guide


def test_template_downloads_agree(db, writable_server, tmp_path):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    output = tmp_path / "F.xlsx"

    cli = run_cli(
        db, "template", "--skpd", "DINKES", "--year", YEAR, "--output", output
    )
    with signed_in(writable_server, "dinkes1") as client:
        page = client.get("/entri/templat", params={"skpd": "DINKES", "tahun": YEAR})
    with api_client(writable_server, token) as client:
        api = client.get(f"/api/v1/templates/DINKES/{YEAR}")
    with api_client(writable_server) as client:
        anonymous = client.get(f"/api/v1/templates/DINKES/{YEAR}")

    expected = data_rows(openpyxl.load_workbook(io.BytesIO(template_bytes(db))))
    assert cli.code == 0, cli.err
    assert data_rows(openpyxl.load_workbook(output)) == expected
    assert page.headers["content-type"] == XLSX
    assert "p3bm-DINKES-2024.xlsx" in page.headers["content-disposition"]
    assert data_rows(openpyxl.load_workbook(io.BytesIO(page.content))) == expected
    assert api.headers["content-type"] == XLSX
    assert data_rows(openpyxl.load_workbook(io.BytesIO(api.content))) == expected
    assert anonymous.status_code == 401


# Uploading the filled workbook

BAD = {
    ("STUNTING", KELURAHAN): 150,
    ("STUNTING", KECAMATAN): "dua belas",
    ("PUSKESMAS", KELURAHAN): 2,
}
GOOD = {
    ("STUNTING", KELURAHAN): 12.5,
    ("STUNTING", KECAMATAN): "11,25",
    ("PUSKESMAS", KELURAHAN): 2,
}


def problems_by_place(problems) -> set[tuple[str, int, str, str]]:
    return {
        (p["sheet"], p["row"], p["column"], p["code"])
        for p in problems
        if p["severity"] == "error"
    }


def expected_problems(data: bytes) -> set[tuple[str, int, str, str]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return {
        ("Data", row_number(workbook, "STUNTING", KELURAHAN), "nilai", "above_maximum"),
        (
            "Data",
            row_number(workbook, "STUNTING", KECAMATAN),
            "nilai",
            "invalid_number",
        ),
    }


def test_upload_page_reports_every_problem(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    data = fill(template_bytes(db), BAD)

    with signed_in(writable_server, "dinkes1") as client:
        page = client.get("/entri", params={"tahun": YEAR})
        response = client.post(
            "/entri-unggah",
            params={"tahun": YEAR},
            data={"csrf_token": csrf_of(page)},
            files={"file": ("dinkes.xlsx", data, XLSX)},
        )

    assert response.status_code == 422
    assert 'data-outcome="rejected"' in response.text
    for sheet, row, column, _ in expected_problems(data):
        assert f"<td>{sheet}</td><td>{row}</td><td>{column}</td>" in response.text
    assert "<th>Tingkat</th><th>Lembar</th><th>Baris</th>" in response.text
    assert '<tr class="error"><td>kesalahan</td>' in response.text
    assert count_rows(db, observation) == 0


def test_upload_api_reports_every_problem(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    data = fill(template_bytes(db), BAD)

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports", files={"file": ("dinkes.xlsx", data, XLSX)}
        )

    report = response.json()["report"]
    assert response.status_code == 200
    assert report["outcome"] == "rejected"
    assert problems_by_place(report["problems"]) == expected_problems(data)
    assert count_rows(db, observation) == 0


def test_upload_cli_reports_every_problem(db, tmp_path):
    data = fill(template_bytes(db), BAD)
    path = tmp_path / "dinkes.xlsx"
    path.write_bytes(data)

    result = run_cli(db, "import", path, "--format", "json")

    [report] = json.loads(result.out)
    assert result.code == 1
    assert report["outcome"] == "rejected"
    assert problems_by_place(report["problems"]) == expected_problems(data)
    assert count_rows(db, observation) == 0


def with_cached_value(data: bytes, formula: str, value: str) -> bytes:
    """The workbook as a spreadsheet saves it: ``formula`` with its result."""
    written = f"<f>{formula}</f><v></v>".encode()
    computed = f"<f>{formula}</f><v>{value}</v>".encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    replaced = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            replaced += content.count(written)
            target.writestr(item, content.replace(written, computed))
    assert replaced == 1
    return buffer.getvalue()


def test_upload_formula_without_value_rejected(db, tmp_path):
    data = fill(template_bytes(db), {("STUNTING", KELURAHAN): "=10+2.5"})
    row = row_number(openpyxl.load_workbook(io.BytesIO(data)), "STUNTING", KELURAHAN)
    path = tmp_path / "dinkes.xlsx"
    path.write_bytes(data)

    result = run_cli(db, "import", path)

    assert result.code != 0
    assert f"lembar 'Data', sel I{row}: =10+2.5" in result.err
    assert "1 sel rumus tanpa nilai" in result.err
    assert "simpan agar rumusnya dihitung" in result.err
    assert count_rows(db, observation) == 0


def test_upload_formula_with_value_imported(db, tmp_path):
    data = fill(template_bytes(db), {("STUNTING", KELURAHAN): "=10+2.5"})
    path = tmp_path / "dinkes.xlsx"
    path.write_bytes(with_cached_value(data, "10+2.5", "12.5"))

    result = run_cli(db, "import", path)

    assert result.code == 0, result.err
    assert stored(db, "STUNTING", KELURAHAN).value == 12.5


def test_upload_page_writes_clean_workbook(db, writable_server):
    """Only ``nilai`` is read, though last year's column is filled in too."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    write_values(
        db,
        [
            NewValue("STUNTING", area, YEAR - 1, "", "", 10.0 + n, False)
            for n, area in enumerate([KELURAHAN, KECAMATAN, "32.75"])
        ],
        user="pytest",
        status="published",
        channel="file",
        file_name="fixture.csv",
    )
    data = fill(template_bytes(db), GOOD)

    with signed_in(writable_server, "dinkes1") as client:
        page = client.get("/entri", params={"tahun": YEAR})
        response = client.post(
            "/entri-unggah",
            params={"tahun": YEAR},
            data={"csrf_token": csrf_of(page)},
            files={"file": ("dinkes.xlsx", data, XLSX)},
        )

    with db.connect() as connection:
        [change] = value_history(
            connection, indicator="STUNTING", area=KECAMATAN, year=YEAR
        )
    assert 'data-outcome="written"' in response.text
    assert "Tersimpan: 3 baru" in response.text
    assert stored(db, "STUNTING", KELURAHAN).value == 12.5
    assert stored(db, "STUNTING", KECAMATAN).value == 11.25
    assert stored(db, "STUNTING", KECAMATAN).status == "draft"
    assert stored(db, "STUNTING", KELURAHAN, YEAR - 1).value == 10
    assert stored(db, "STUNTING", "32.75") is None
    assert (change.channel, change.reason, change.changed_by) == (
        "file",
        "upload dinkes.xlsx",
        "dinkes1",
    )


def test_upload_keeps_the_notes_of_the_template(db, writable_server):
    """A note written beside a value in ``keterangan`` is kept with the value."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    workbook = openpyxl.load_workbook(io.BytesIO(fill(template_bytes(db), GOOD)))
    row = row_number(workbook, "STUNTING", KELURAHAN)
    workbook["Data"].cell(row, 10).value = "Hasil bulan timbang Agustus"
    buffer = io.BytesIO()
    workbook.save(buffer)

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports", files={"file": ("dinkes.xlsx", buffer.getvalue(), XLSX)}
        )

    assert response.json()["report"]["outcome"] == "written"
    with db.connect() as connection:
        notes = connection.execute(
            sa.select(observation_comment.c.kind, observation_comment.c.text)
        ).all()
    assert notes == [("note", "Hasil bulan timbang Agustus")]


def test_upload_api_dry_run_writes_nothing(db, writable_server):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    data = fill(template_bytes(db), GOOD)

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports",
            params={"dry_run": "true"},
            files={"file": ("dinkes.xlsx", data, XLSX)},
        )

    body = response.json()
    assert body["report"]["outcome"] == "checked"
    assert [item["outcome"] for item in body["items"]] == ["added"] * 3
    assert count_rows(db, observation) == 0


def test_upload_rule_error_writes_nothing(db, writable_server):
    """An error only the rules find is reported by cell, and nothing is written."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    data = fill(
        template_bytes(db),
        {
            ("BALITA_STUNTING", KELURAHAN): 150,
            ("BALITA_DIUKUR", KELURAHAN): 100,
            ("PUSKESMAS", KELURAHAN): 2,
        },
    )
    workbook = openpyxl.load_workbook(io.BytesIO(data))

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports", files={"file": ("dinkes.xlsx", data, XLSX)}
        )

    body = response.json()
    failed = {
        (item["sheet"], item["row"], item["column"])
        for item in body["items"]
        if item["errors"]
    }
    assert body["report"]["outcome"] == "rejected"
    row = row_number(workbook, "BALITA_STUNTING", KELURAHAN)
    assert ("Data", row, "nilai") in failed
    assert count_rows(db, observation) == 0


@pytest.mark.parametrize("name", ["notes.txt", "empty.xlsx"])
def test_upload_unreadable_file_rejected(db, writable_server, name):
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports", files={"file": (name, b"not a table", "text/plain")}
        )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_file"
    assert count_rows(db, observation) == 0


@pytest.mark.parametrize("name", [".", "..", "a/..", "x" * 300 + ".csv"])
def test_upload_odd_file_names(db, writable_server, name):
    """Folder-like and overlong names get a clean response, not a server error."""
    add_user(db, "dinkes1", "skpd_operator", skpd="DINKES")
    token = add_token(db, "dinkes1")
    body = b"kode;tahun;PUSKESMAS\n32.75.01;2024;2\n"

    with api_client(writable_server, token) as client:
        response = client.post(
            "/api/v1/imports",
            files={"file": (name, body, "text/csv")},
            params={"dry_run": "true"},
        )

    assert response.status_code in (200, 400), response.text
    assert count_rows(db, observation) == 0
