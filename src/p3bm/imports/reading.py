"""Reading input files into grids of cells.

Supported: CSV and text files in any common delimiter and encoding, XLSX
workbooks, old binary XLS workbooks, and HTML tables, including the HTML that
the BPS web site saves with an ``.xls`` extension.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from p3bm.errors import InputFileError

DELIMITERS = (",", ";", "\t", "|")
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_ENCODINGS = ("utf-8-sig", "cp1252")


@dataclass
class RawTable:
    """The cells of one sheet or table, with the file row number of each row."""

    file_name: str
    sheet: str | None
    rows: list[list[object]]
    row_numbers: list[int]
    title_lines: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.file_name} [{self.sheet}]" if self.sheet else self.file_name


def read_tables(path: Path, sheet: str | None = None) -> list[RawTable]:
    """Read every non-empty table of a file.

    Raises InputFileError when the file is missing, empty or of an unknown
    format.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(
            f"File {path} does not exist.",
            hint="Check the path and try again.",
            indonesian=(f"Berkas {path} tidak ada.", "Periksa jalurnya."),
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"Cannot read {path}: {exc.strerror}.",
            indonesian=(f"Berkas {path} tidak dapat dibaca: {exc.strerror}.", None),
        ) from None
    if not data.strip():
        raise InputFileError(
            f"File {path.name} is empty.",
            indonesian=(f"Berkas {path.name} kosong.", None),
        )
    if data.startswith(_XLSX_MAGIC):
        tables = _read_xlsx(path, sheet)
    elif data.startswith(_XLS_MAGIC):
        tables = _read_xls(path, sheet)
    elif _looks_like_html(data):
        tables = _read_html(path.name, data)
    else:
        tables = [_read_csv(path.name, data)]
    tables = [table for table in tables if _has_cells(table)]
    if not tables:
        raise InputFileError(
            f"File {path.name} has no table with values.",
            indonesian=(f"Berkas {path.name} tidak berisi tabel bernilai.", None),
        )
    for table in tables:
        _check_grid_size(table)
    return tables


# Rows times columns of one table. Finding the layout looks at every cell of
# this grid, empty ones included, so a few far-apart cells would cost as much
# as a full sheet.
MAX_TABLE_CELLS = 20_000_000


def _check_grid_size(table: RawTable) -> None:
    """Reject a table whose rows times its widest row exceed MAX_TABLE_CELLS."""
    while table.rows and not any(_is_filled(cell) for cell in table.rows[-1]):
        table.rows.pop()
        table.row_numbers.pop()
    width = max((len(row) for row in table.rows), default=0)
    if len(table.rows) * width <= MAX_TABLE_CELLS:
        return
    size = f"{len(table.rows):,} x {width:,}"
    # Indonesian writes thousands with a dot.
    size_id = size.replace(",", ".")
    limit_id = f"{MAX_TABLE_CELLS:,}".replace(",", ".")
    raise InputFileError(
        f"{table.label} spans {size} cells (rows x columns), more than "
        f"{MAX_TABLE_CELLS:,}.",
        hint="Remove stray cells far below or to the right of the data, or split "
        "the file.",
        indonesian=(
            f"{table.label} membentang {size_id} sel (baris x kolom), lebih dari "
            f"{limit_id}.",
            "Hapus sel yang terisi jauh di bawah atau di kanan data, atau pecah "
            "berkasnya.",
        ),
    )


def _has_cells(table: RawTable) -> bool:
    return any(any(_is_filled(cell) for cell in row) for row in table.rows)


def _is_filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) and (
        b"<table" in data[:200000].lower()
    )


def decode_text(name: str, data: bytes) -> str:
    """Decode bytes as UTF-8 (with or without BOM), else as Windows-1252."""
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"File {name} is neither UTF-8 nor Windows-1252 text.",
        indonesian=(
            f"Berkas {name} bukan teks UTF-8 maupun Windows-1252.",
            "Simpan ulang sebagai CSV UTF-8.",
        ),
    )


def detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the sample lines into the most consistent columns."""
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            widths = [
                len(row) for row in csv.reader(lines, delimiter=delimiter) if any(row)
            ]
        except csv.Error:
            # A cell beyond the csv module's size limit; reading reports it.
            continue
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = count / len(widths) + width / 1000
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(name: str, data: bytes) -> RawTable:
    # Excel saves "Unicode text" as UTF-16 with a byte-order mark.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _read_csv_text(name, data.decode("utf-16"))
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise InputFileError(
            f"File {name} is binary, not a CSV, XLSX or HTML table.",
            hint="Save it as CSV (UTF-8) or XLSX and import that.",
            indonesian=(
                f"Berkas {name} berformat biner, bukan CSV, XLSX atau tabel HTML.",
                "Simpan sebagai CSV (UTF-8) atau XLSX lalu impor lagi.",
            ),
        )
    return _read_csv_text(name, decode_text(name, data))


def _read_csv_text(name: str, text: str) -> RawTable:
    sample = [line for line in text.splitlines()[:60] if line.strip()]
    delimiter = detect_delimiter(sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = []
    numbers: list[int] = []
    try:
        for row in reader:
            rows.append(row)  # type: ignore[arg-type]
            numbers.append(reader.line_num)
    except csv.Error as exc:
        line = reader.line_num
        raise InputFileError(
            f"File {name} is not valid CSV near line {line}: {exc}.",
            hint="Check that line in a text editor; quotes must be closed.",
            indonesian=(
                f"Berkas {name} bukan CSV yang sah di sekitar baris {line}: {exc}.",
                "Periksa baris itu di penyunting teks; tanda kutip harus ditutup.",
            ),
        ) from None
    return RawTable(name, None, rows, numbers)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    return value


# Cells that one workbook may give, padding included. A million observations
# in a long layout take four million.
MAX_XLSX_CELLS = 20_000_000


def damaged_workbook(name: str, exc: Exception) -> InputFileError:
    """Build the error for a workbook that cannot be read."""
    return InputFileError(
        f"Cannot read workbook {name}: {exc}.",
        hint="Open it in Excel or LibreOffice and save it again as XLSX.",
        indonesian=(
            f"Buku kerja {name} tidak dapat dibaca: {exc}.",
            "Buka di Excel atau LibreOffice lalu simpan lagi sebagai XLSX.",
        ),
    )


def xlsx_rows(worksheet, name: str, budget: list[int]) -> Iterator[tuple]:
    """Yield the rows of a read-only worksheet as tuples of values.

    The size the sheet states is ignored, since a few bytes can claim a
    million rows of 16,384 columns, and every row is as long as its last
    cell. ``budget`` contains the cells still allowed for the workbook. Raises
    InputFileError when they run out.
    """
    worksheet.reset_dimensions()
    for row in worksheet.iter_rows(values_only=True):
        budget[0] -= max(len(row), 1)
        if budget[0] < 0:
            raise InputFileError(
                f"Workbook {name} has more than {MAX_XLSX_CELLS:,} cells.",
                hint="Split it into smaller files, or save the data as CSV.",
                indonesian=(
                    f"Buku kerja {name} berisi lebih dari "
                    f"{MAX_XLSX_CELLS:,} sel.".replace(",", "."),
                    "Pecah menjadi berkas yang lebih kecil, atau simpan datanya "
                    "sebagai CSV.",
                ),
            )
        yield row


def _read_xlsx(path: Path, sheet: str | None) -> list[RawTable]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise damaged_workbook(path.name, exc) from None
    try:
        tables = _read_sheets(workbook, path.name, sheet)
    except InputFileError:
        raise
    except Exception as exc:  # openpyxl parses a sheet only as it is read
        raise damaged_workbook(path.name, exc) from None
    finally:
        workbook.close()
    check_formula_values(path, {table.sheet: table.rows for table in tables})
    return tables


def _read_sheets(workbook, name: str, sheet: str | None) -> list[RawTable]:
    sheets = workbook.worksheets
    if sheet is not None:
        sheets = [ws for ws in sheets if ws.title == sheet]
        if not sheets:
            names = ", ".join(ws.title for ws in workbook.worksheets)
            raise InputFileError(
                f"Workbook {name} has no sheet {sheet!r}.",
                hint=f"Its sheets are: {names}.",
                indonesian=(
                    f"Buku kerja {name} tidak punya lembar {sheet!r}.",
                    f"Lembarnya: {names}.",
                ),
            )
    tables = []
    budget = [MAX_XLSX_CELLS]
    for worksheet in sheets:
        if getattr(worksheet, "sheet_state", "visible") != "visible":
            continue
        rows = [
            [_xlsx_cell(value) for value in row]
            for row in xlsx_rows(worksheet, name, budget)
        ]
        tables.append(
            RawTable(name, worksheet.title, rows, list(range(1, len(rows) + 1)))
        )
    return tables


def _formula_text(written: object) -> str | None:
    """Return a cell's formula as text, or None when the cell has no formula."""
    if isinstance(written, str):
        return written if written.startswith("=") else None
    # Array formulas come as objects that keep their text.
    text = getattr(written, "text", None)
    if isinstance(text, str) and text:
        return text if text.startswith("=") else f"={text}"
    return None


def _empty_formulas(rows: list, written_rows) -> list[tuple[int, int, str]]:
    """List (row, column, formula) of the cells read as empty that hold a formula.

    ``written_rows`` is the same sheet read with its formulas. Both reads walk
    the same XML, so their rows and columns line up.
    """
    found = []
    for number, (row, written) in enumerate(
        zip(rows, written_rows, strict=False), start=1
    ):
        for column, (value, formula) in enumerate(
            zip(row, written, strict=False), start=1
        ):
            text = _formula_text(formula) if value is None else None
            if text is not None:
                found.append((number, column, text))
    return found


def _empty_text_results(worksheet, places: set[tuple[int, int]]) -> set:
    """Return the places whose stored result is an empty text.

    Such a cell is typed as text (``t="str"``), as for the result of
    ``=IF(A1>0,"",1)``. Its empty result is a value, unlike that of a formula
    that was never computed, which has no text type.
    """
    worksheet.reset_dimensions()
    found = set()
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        for column, cell in enumerate(row, start=1):
            if (number, column) in places and cell.data_type == "str":
                found.add((number, column))
    return found


# A formula element in a sheet's XML, with or without a namespace prefix.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(path: Path) -> bool:
    """Check whether any part of a workbook contains a formula, without parsing it.

    Every XML part is scanned, since a workbook may keep its sheets anywhere
    in the archive.
    """
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            with archive.open(name) as member:
                tail = b""
                for block in iter(lambda: member.read(1 << 20), b""):
                    if _FORMULA_TAG.search(tail + block):
                        return True
                    tail = block[-8:]
    return False


def check_formula_values(path: Path, sheets: dict[str, list]) -> None:
    """Reject a workbook whose formulas have no computed value stored.

    ``sheets`` maps a sheet's title to its rows as read with stored results.
    Excel stores each formula's last result beside it, and the import reads
    that result. A workbook written by a program and never opened in a
    spreadsheet has only the formulas, which would read as empty cells.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    if not _has_formulas(path):
        return
    budget = [MAX_XLSX_CELLS]
    empty: list[tuple[str, int, int, str]] = []
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
        try:
            for title, rows in sheets.items():
                written = xlsx_rows(workbook[title], path.name, budget)
                try:
                    found = _empty_formulas(rows, written)
                finally:
                    # Closes the sheet's part before the archive closes.
                    written.close()
                empty += [(title, *place) for place in found]
        finally:
            workbook.close()
        if empty:
            empty = _without_empty_texts(path, empty)
    except InputFileError:
        raise
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise damaged_workbook(path.name, exc) from None
    if not empty:
        return
    sheet, row, column, formula = empty[0]
    cell = f"{get_column_letter(column)}{row}"
    raise InputFileError(
        f"Workbook {path.name} has {len(empty)} formula cells without a computed "
        f"value, the first in sheet {sheet!r}, cell {cell}: {formula}.",
        hint="Open the file in Excel or LibreOffice, save it so that the formulas "
        "are computed, and import it again.",
        indonesian=(
            f"Buku kerja {path.name} memiliki {len(empty)} sel rumus tanpa nilai "
            f"hasil hitungan, yang pertama di lembar {sheet!r}, sel {cell}: "
            f"{formula}.",
            "Buka berkas itu di Excel atau LibreOffice, simpan agar rumusnya "
            "dihitung, lalu impor lagi.",
        ),
    )


def _without_empty_texts(path: Path, empty: list[tuple[str, int, int, str]]):
    """Drop the formula cells whose stored result is an empty text."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        remaining = []
        for title in dict.fromkeys(sheet for sheet, *_ in empty):
            places = {
                (row, column) for sheet, row, column, _ in empty if sheet == title
            }
            texts = _empty_text_results(workbook[title], places)
            remaining += [
                item
                for item in empty
                if item[0] == title and (item[1], item[2]) not in texts
            ]
        return remaining
    finally:
        workbook.close()


def _read_xls(path: Path, sheet: str | None) -> list[RawTable]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path))
    except xlrd.XLRDError as exc:
        raise InputFileError(
            f"Cannot open workbook {path.name}: {exc}.",
            indonesian=(f"Buku kerja {path.name} tidak dapat dibuka: {exc}.", None),
        ) from None
    tables = []
    for worksheet in book.sheets():
        if sheet is not None and worksheet.name != sheet:
            continue
        rows = [
            [_xls_value(cell, book.datemode) for cell in worksheet.row(index)]
            for index in range(worksheet.nrows)
        ]
        tables.append(
            RawTable(path.name, worksheet.name, rows, list(range(1, len(rows) + 1)))
        )
    return tables


def _xls_value(cell, datemode: int) -> object:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return cell.value.strip()
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, datemode)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return None
    return cell.value


def _read_html(name: str, data: bytes) -> list[RawTable]:
    from p3bm.imports.html_tables import html_tables

    return [
        RawTable(name, label, rows, list(range(1, len(rows) + 1)), titles)
        for label, rows, titles in html_tables(name, data)
    ]
