"""The Excel workbook an SKPD fills in for a year.

Sheet ``Data`` lists the SKPD's indicators by area with the unit, last year's
value for reference and the current value if one is stored; only the ``nilai``
and ``keterangan`` columns are editable, and Excel checks that ``nilai`` is a
number in the indicator's range. Sheet ``Petunjuk`` explains in Indonesian
how to fill it in. The filled workbook is read back by the ordinary import,
which recognises its columns.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area, get_area, list_areas
from p3bm.catalogue import Catalogue, Indicator, skpd_names
from p3bm.errors import SkpdNotFound
from p3bm.imports.reading import MAX_XLSX_CELLS, xlsx_rows
from p3bm.series import load_frame, preferred
from p3bm.spreadsheet import protect_workbook

COLUMNS = (
    ("kode_wilayah", 16),
    ("nama_wilayah", 24),
    ("tingkat", 14),
    ("kode_indikator", 22),
    ("nama_indikator", 48),
    ("satuan", 18),
    ("tahun", 8),
    ("nilai_tahun_lalu", 16),
    ("nilai", 14),
    ("keterangan", 30),
)
VALUE_COLUMN = 9
NOTE_COLUMN = 10
_HEADER_FILL = PatternFill("solid", fgColor="1F5FA8")
_INPUT_FILL = PatternFill("solid", fgColor="FFF9DB")


def template_rows(
    connection: Connection,
    catalogue: Catalogue,
    skpd_code: str,
    year: int,
    region: Area,
) -> list[tuple[Area, Indicator]]:
    """(area, indicator) pairs the SKPD reports for the region, region first."""
    indicators = [item for item in catalogue if item.skpd == skpd_code]
    areas = list_areas(connection, within=region)
    rows = []
    for indicator in indicators:
        if not indicator.is_due(year):
            continue
        for area in areas:
            if region.level <= area.level <= indicator.lowest_level:
                rows.append((area, indicator))
    return rows


def build_template(
    connection: Connection,
    catalogue: Catalogue,
    skpd_code: str,
    year: int,
    region_code: str,
    deadline: date | None = None,
) -> bytes:
    """Build the workbook as XLSX bytes; raise SkpdNotFound for an unknown SKPD."""
    names = skpd_names(connection)
    if skpd_code not in names:
        raise SkpdNotFound(
            f"SKPD {skpd_code!r} is unknown.",
            hint="See the SKPD codes with `p3bm indicators`.",
            indonesian=(f"SKPD {skpd_code!r} tidak dikenal.", None),
        )
    region = get_area(connection, region_code)
    pairs = template_rows(connection, catalogue, skpd_code, year, region)
    values = _stored_values(connection, [i.code for _, i in pairs], region, year)
    workbook = Workbook()
    guide = workbook.active
    guide.title = "Petunjuk"
    _write_guide(
        guide,
        names[skpd_code],
        skpd_code,
        year,
        region,
        deadline,
        {i.code: i for _, i in pairs},
    )
    sheet = workbook.create_sheet("Data")
    _write_data(sheet, pairs, values, year)
    meta = workbook.create_sheet("p3bm")
    for row in (("skpd", skpd_code), ("tahun", year), ("wilayah", region.code)):
        meta.append(row)
    meta.sheet_state = "hidden"
    workbook.active = 1
    protect_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _stored_values(connection, indicator_codes, region: Area, year: int) -> dict:
    frame = load_frame(
        connection,
        indicators=sorted(set(indicator_codes)),
        area_prefix=region.code,
        years=[year - 1, year],
    )
    if frame.empty:
        return {}
    # Totals only, because a breakdown such as sex=male would otherwise take
    # the total's cell. The year's own cells show only what the SKPD entered
    # (no source), because an upload writes them back as its values. Last
    # year's reference may come from any source.
    totals = frame[frame["disaggregation"] == ""]
    own = (totals["year"] == year) & (totals["source"] == "")
    best = preferred(totals[(totals["year"] != year) | own])
    return {
        (r.indicator, r.area, r.year): r.value for r in best.itertuples(index=False)
    }


def _write_guide(
    sheet, skpd_name, skpd_code, year, region, deadline, indicators
) -> None:
    lines = [
        f"Formulir data {skpd_name} ({skpd_code}), tahun {year}, {region.name}",
        "",
        "Cara mengisi:",
        "1. Buka sheet Data. Isi hanya kolom 'nilai' (kuning); "
        "kolom lain jangan diubah.",
        "2. Tulis angka saja, dengan koma desimal (misalnya 12,5) atau sebagai "
        "angka Excel biasa. Jangan tulis satuan, tanda % atau titik ribuan.",
        "3. Kosongkan sel bila datanya belum ada. Nol (0) berarti nilainya memang nol.",
        "4. Kolom 'nilai_tahun_lalu' hanya pembanding; bila perubahan besar, "
        "jelaskan di kolom 'keterangan'.",
        "5. Simpan sebagai .xlsx lalu unggah di dasbor P3BM (menu Entri data) "
        "atau serahkan ke Bappeda.",
        "6. Sistem memeriksa setiap baris; semua masalah ditampilkan sekaligus "
        "dengan nomor baris dan kolomnya.",
    ]
    if deadline is not None:
        lines.append(f"Batas waktu penyampaian: {deadline.isoformat()}.")
    lines += ["", "Indikator:"]
    for row_number, line in enumerate(lines, start=1):
        sheet.cell(row=row_number, column=1, value=line)
    sheet["A1"].font = Font(bold=True, size=14)
    start = len(lines) + 1
    for offset, header in enumerate(("kode", "nama", "satuan", "definisi"), start=1):
        sheet.cell(row=start, column=offset, value=header).font = Font(bold=True)
    for index, item in enumerate(indicators.values(), start=start + 1):
        for offset, text in enumerate(
            (item.code, item.name, item.unit, item.definition), start=1
        ):
            sheet.cell(row=index, column=offset, value=text)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["D"].width = 80


def _write_data(sheet, pairs, values, year: int) -> None:
    for column, (title, width) in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=column, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    validations: dict[str, DataValidation] = {}
    for row_number, (area, indicator) in enumerate(pairs, start=2):
        previous = values.get((indicator.code, area.code, year - 1))
        current = values.get((indicator.code, area.code, year))
        cells = (
            area.code,
            area.name,
            codes.LEVEL_LABELS_ID[area.level],
            indicator.code,
            indicator.name,
            indicator.unit,
            year,
            previous,
            current,
            None,
        )
        for column, value in enumerate(cells, start=1):
            sheet.cell(row=row_number, column=column, value=value)
        for column in (VALUE_COLUMN, NOTE_COLUMN):
            cell = sheet.cell(row=row_number, column=column)
            cell.protection = Protection(locked=False)
            cell.fill = _INPUT_FILL
        _validation_for(sheet, validations, indicator).add(
            sheet.cell(row=row_number, column=VALUE_COLUMN)
        )
    sheet.freeze_panes = "C2"
    sheet.protection.sheet = True
    sheet.protection.autoFilter = False
    sheet.auto_filter.ref = (
        f"A1:{get_column_letter(len(COLUMNS))}{max(2, len(pairs) + 1)}"
    )


def _validation_for(sheet, validations: dict, indicator: Indicator) -> DataValidation:
    low = indicator.minimum if indicator.minimum is not None else -1e15
    high = indicator.maximum if indicator.maximum is not None else 1e15
    key = f"{low}:{high}"
    if key not in validations:
        rule = DataValidation(
            type="decimal",
            operator="between",
            formula1=str(low),
            formula2=str(high),
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Nilai tidak sah",
            error=_range_text(indicator.minimum, indicator.maximum),
        )
        sheet.add_data_validation(rule)
        validations[key] = rule
    return validations[key]


def _range_text(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"Isi angka antara {low:g} dan {high:g}."
    if low is not None:
        return f"Isi angka paling kecil {low:g}."
    return "Isi angka."


def read_notes(path: Path) -> dict[tuple[str, int], str]:
    """Read the ``keterangan`` texts of a filled-in template, by (sheet, row).

    Any other file gives no notes, because the import reads only values and a
    note belongs to the template row it was written in.
    """
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # the import reports unreadable files itself
        return {}
    try:
        if "Data" not in workbook.sheetnames:
            return {}
        rows = iter(list(xlsx_rows(workbook["Data"], path.name, [MAX_XLSX_CELLS])))
        header = [str(cell or "").strip().lower() for cell in next(rows, ())]
        if "keterangan" not in header:
            return {}
        column = header.index("keterangan")
        notes = {}
        for number, row in enumerate(rows, start=2):
            text = row[column] if column < len(row) else None
            if text is not None and str(text).strip():
                notes[("Data", number)] = str(text).strip()
        return notes
    finally:
        workbook.close()
