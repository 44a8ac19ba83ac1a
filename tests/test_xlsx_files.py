"""Unusual and hostile XLSX files: stated sizes, damage and formulas."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from p3bm.catalogue import read_catalogue_file
from p3bm.errors import InputFileError
from p3bm.imports import Importer, ImportOptions
from p3bm.imports.reading import read_tables
from p3bm.storage.schema import observation

SHEET = "xl/worksheets/sheet1.xml"
OPTIONS = ImportOptions(
    indicator="STUNTING",
    area_columns=("kelurahan",),
    year_column="tahun",
    value_column="jumlah",
)


def workbook_bytes(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def edited(data: bytes, edit) -> bytes:
    """The workbook with ``edit`` applied to the XML of its first sheet."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == SHEET:
                content = edit(content)
            target.writestr(item, content)
    return buffer.getvalue()


def stunting_rows(third="=10+2.5"):
    return [
        ["kelurahan", "tahun", "jumlah"],
        ["Bintara", 2023, 10],
        ["Bintara Jaya", 2023, third],
    ]


def save(tmp_path: Path, data: bytes, name="berkas.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_stated_size_is_ignored(tmp_path):
    """A sheet that claims every row and column is read as the cells it has."""

    def claim_everything(xml: bytes) -> bytes:
        return xml.replace(
            b'<dimension ref="A1:C3"/>', b'<dimension ref="A1:XFD1048576"/>'
        )

    path = save(tmp_path, edited(workbook_bytes(stunting_rows(12)), claim_everything))

    (table,) = read_tables(path)

    assert table.rows == [
        ["kelurahan", "tahun", "jumlah"],
        ["Bintara", 2023, 10],
        ["Bintara Jaya", 2023, 12],
    ]


def test_far_apart_cells_rejected(tmp_path):
    """One cell far below and to the right would make every column a long scan."""

    def add_far_cell(xml: bytes) -> bytes:
        far = b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    path = save(tmp_path, edited(workbook_bytes(stunting_rows(12)), add_far_cell))

    with pytest.raises(InputFileError) as raised:
        read_tables(path)

    assert raised.value.text("id").startswith(
        "berkas.xlsx [Sheet] membentang 1.048.576 x 16.384 sel (baris x kolom), "
        "lebih dari 20.000.000."
    )


def test_far_apart_csv_cells_rejected(tmp_path):
    path = tmp_path / "jauh.csv"
    path.write_text("a,b\n1,2\n" + "\n" * 3000 + "," * 8000 + "x\n")

    with pytest.raises(InputFileError) as raised:
        read_tables(path)

    assert "3.003 x 8.001 sel" in raised.value.text("id")


def test_too_many_cells_rejected(tmp_path):
    far = b"".join(
        b'<row r="%d"><c r="XFD%d" t="n"><v>1</v></c></row>' % (n, n)
        for n in range(10, 1300)
    )
    data = edited(
        workbook_bytes(stunting_rows(12)),
        lambda xml: xml.replace(b"</sheetData>", far + b"</sheetData>"),
    )

    with pytest.raises(InputFileError) as raised:
        read_tables(save(tmp_path, data))

    assert raised.value.text("id").startswith(
        "Buku kerja berkas.xlsx berisi lebih dari 20.000.000 sel."
    )


def test_damaged_sheet_is_a_clear_error(tmp_path):
    data = edited(
        workbook_bytes(stunting_rows(12)), lambda xml: xml.replace(b"</sheetData>", b"")
    )

    with pytest.raises(InputFileError) as raised:
        read_tables(save(tmp_path, data))

    assert raised.value.text("id").startswith(
        "Buku kerja berkas.xlsx tidak dapat dibaca:"
    )
    assert "simpan lagi sebagai XLSX" in raised.value.text("id")


def test_array_formula_without_value_rejected(tmp_path):
    from openpyxl.worksheet.formula import ArrayFormula

    data = workbook_bytes(stunting_rows(ArrayFormula("C3", "=SUM({5,7})")))

    with pytest.raises(InputFileError) as raised:
        read_tables(save(tmp_path, data))

    assert "lembar 'Sheet', sel C3: =SUM({5,7})" in raised.value.text("id")


def test_empty_text_result_is_a_value(tmp_path):
    """A formula cell typed as text (``t="str"``) with an empty result."""
    data = edited(
        workbook_bytes(stunting_rows('=IF(B3>0,"",1)')),
        lambda xml: xml.replace(b'<c r="C3">', b'<c r="C3" t="str">'),
    )

    (table,) = read_tables(save(tmp_path, data))

    assert table.rows[2][:2] == ["Bintara Jaya", 2023]
    assert table.rows[2][2] in (None, "")


def test_formula_in_sheet_outside_usual_folder_rejected(tmp_path):
    """The check scans every part, not only xl/worksheets/."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes(stunting_rows())))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            name = item.filename
            if name == SHEET:
                name = "xl/lembar/sheet1.xml"
            if name == "xl/_rels/workbook.xml.rels":
                content = content.replace(
                    b"/xl/worksheets/sheet1.xml", b"/xl/lembar/sheet1.xml"
                )
                content = content.replace(
                    b"worksheets/sheet1.xml", b"lembar/sheet1.xml"
                )
            if name == "[Content_Types].xml":
                content = content.replace(
                    b"/xl/worksheets/sheet1.xml", b"/xl/lembar/sheet1.xml"
                )
            target.writestr(name, content)

    with pytest.raises(InputFileError) as raised:
        read_tables(save(tmp_path, buffer.getvalue()))

    assert "sel C3: =10+2.5" in raised.value.text("id")


def test_rejected_formula_writes_nothing(db, tmp_path):
    path = save(tmp_path, workbook_bytes(stunting_rows()))

    with pytest.raises(InputFileError):
        Importer(db, "tester").import_file(path, OPTIONS)

    with db.connect() as connection:
        assert connection.execute(observation.select()).first() is None


def test_catalogue_formula_without_value_rejected(db, tmp_path):
    from p3bm.catalogue import Catalogue, indicator_csv_rows, known_skpd_codes

    with db.connect() as connection:
        items = list(Catalogue.load(connection))
        known = known_skpd_codes(connection)
    rows = indicator_csv_rows(items)
    header = list(rows[0])
    table = [header] + [[row[key] for key in header] for row in rows]
    table[1][header.index("maximum")] = "=50*2"
    path = save(tmp_path, workbook_bytes(table), "katalog.xlsx")

    with pytest.raises(InputFileError) as raised:
        read_catalogue_file(path, known)

    assert "=50*2" in raised.value.text("id")
