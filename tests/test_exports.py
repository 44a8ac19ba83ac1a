"""CSV and XLSX exports: formula-like text stays text, lists stay readable."""

import csv
import functools
import io
from datetime import date

import httpx
import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from planning_support import (
    ROWS,
    YEAR,
    run_cli,
    write_budget_csv,
    write_households,
)

from conftest import running_server
from p3bm.catalogue import Catalogue
from p3bm.planning.budget_import import BudgetImporter, BudgetImportOptions
from p3bm.spreadsheet import escape_csv_value, protect_worksheet
from p3bm.storage.schema import area
from p3bm.workbook import build_template

HYPERLINK = '=HYPERLINK("http://evil.example/","klik")'
BALITA = "1.02.02.2.02.0004"
PROGRAM = "1.02.02"


def hostile_rows():
    """The test budget with formula text in a sub-kegiatan, a programme name
    and a beneficiary group."""
    rows = []
    for row in ROWS:
        if row[0] == BALITA:
            row = (row[0], HYPERLINK, row[2], row[3], row[4], "@SUM(A1:A9)", *row[6:])
        elif row[0] == PROGRAM:
            row = (row[0], "+1+1", *row[2:])
        rows.append(row)
    return rows


@pytest.fixture
def hostile_budget(db, tmp_path):
    path = write_budget_csv(tmp_path / "apbd.csv", rows=hostile_rows())
    report = BudgetImporter(db, "bpkad").import_file(path, BudgetImportOptions())
    assert report.outcome == "written", report.to_dict("en")
    write_households(db)


@pytest.fixture
def p3bm(capsys):
    return functools.partial(run_cli, capsys)


def cells_of(workbook) -> list:
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]


def assert_no_formulas(workbook) -> None:
    cells = cells_of(workbook)
    formulas = [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert formulas == []
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    assert HYPERLINK in texts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("+62 21 123", "'+62 21 123"),
        ("-1", "-1"),
        ("-2.5e3", "-2.5e3"),
        ("-inf", "'-inf"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Dinas Kesehatan", "Dinas Kesehatan"),
        ("-", "-"),
        ("+", "+"),
        ("", ""),
        (-5, -5),
        (-2.5, -2.5),
        (None, None),
    ],
)
def test_escape_csv_value(value, expected):
    assert escape_csv_value(value) == expected


def test_protect_worksheet_keeps_numbers():
    sheet = Workbook().active
    sheet.append([HYPERLINK, -12.5, "teks", 7])
    assert protect_worksheet(sheet) == 1
    assert [cell.data_type for cell in sheet[1]] == ["s", "n", "s", "n"]
    assert sheet["A1"].value == HYPERLINK
    assert sheet["B1"].value == -12.5


def test_cli_analyse_export_no_formulas(db, hostile_budget, p3bm, tmp_path):
    output = tmp_path / "analisis.xlsx"
    code, _, err = p3bm(
        "--db", db.url, "budget", "analyse", "--year", YEAR, "--export", output
    )
    assert code == 0, err
    workbook = load_workbook(output)
    assert_no_formulas(workbook)
    workbook.close()


def test_cli_budget_list_csv_escaped(db, hostile_budget, p3bm):
    code, out, err = p3bm(
        "--db", db.url, "budget", "list", "--year", YEAR, "--format", "csv"
    )
    assert code == 0, err
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(out))}
    balita = rows[BALITA]
    assert balita["name"] == "'" + HYPERLINK
    assert balita["beneficiary_group"] == "'@SUM(A1:A9)"
    assert balita["locations"] == (
        "32.75.03.1001; 32.75.07.1003; 32.75.07.1004; 32.75.07.1007; "
        "32.75.07.1008; 32.75.11.1001"
    )
    assert balita["indicators"] == "STUNTING"
    assert balita["pagu"] == "2350000000.0"
    assert balita["outputs"].startswith('[{"id": ')
    for row in rows.values():
        for value in row.values():
            assert "{'" not in value
            assert "['" not in value


def test_cli_table_lists_readable(db, hostile_budget, p3bm):
    code, out, err = p3bm("--db", db.url, "budget", "list", "--year", YEAR)
    assert code == 0, err
    assert "['" not in out
    assert "STUNTING" in out


def test_web_budget_xlsx_no_formulas(db, hostile_budget):
    with running_server(db.url) as url:
        for path in (
            f"/perencanaan/anggaran-xlsx?tahun={YEAR}",
            f"/api/v1/planning/budget-pivot.xlsx?year={YEAR}",
        ):
            response = httpx.get(url + path, timeout=60)
            assert response.status_code == 200, path
            workbook = load_workbook(io.BytesIO(response.content))
            assert_no_formulas(workbook)
            workbook.close()


def test_entry_template_no_formulas(db):
    with db.begin() as connection:
        connection.execute(
            sa.update(area).where(area.c.code == "32.75.07").values(name="=1+1")
        )
    with db.connect() as connection:
        data = build_template(
            connection,
            Catalogue.load(connection),
            "DINKES",
            YEAR,
            "32.75",
            date(2025, 4, 15),
        )
    workbook = load_workbook(io.BytesIO(data))
    cells = cells_of(workbook)
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert "=1+1" in {cell.value for cell in cells}
