"""Importing budget lines from the tables SKPDs and BPKAD export from SIPD.

A budget table has one row per nomenclature item, with columns recognised
by their header. Code and pagu are required. Name, SKPD, year, locations,
beneficiary group and count, output indicator with target and unit, the
catalogue indicators addressed and the pro-poor flag are optional. Rows of
urusan, bidang, program and kegiatan name those items, and their pagu is
checked against the sum below them. Rows of sub-kegiatan become budget
lines. A row without a code but with an output indicator adds that output to
the sub-kegiatan above it. A row with an SKPD unit code
(``1.02.0.00.0.00.01.0000``) sets the SKPD of the rows below it by name.

Locations are kelurahan or kecamatan names or codes, or the region's name
for city-wide spending, separated by ``;``; ``Kranji=150000000`` allocates
that many rupiah of the pagu to one location. Every problem is reported with
its file, sheet, row, column, value and stable code, and a file with any
error writes nothing. Lines absent from a file are left as they are.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from p3bm.areas import codes
from p3bm.areas.index import AreaIndex
from p3bm.catalogue import Catalogue
from p3bm.errors import AmbiguousAreaName, AreaNotFound, InputFileError
from p3bm.imports.layout import find_header_row, header_key
from p3bm.imports.numbers import (
    MISSING,
    NOT_APPLICABLE,
    AmbiguousNumber,
    Convention,
    detect_convention,
    parse_number,
    parse_year,
)
from p3bm.imports.problems import ImportReport, Localized
from p3bm.imports.reading import RawTable, read_tables
from p3bm.observations import file_sha256, utc_now
from p3bm.planning import nomenclature as nom
from p3bm.planning.problems import BudgetProblem
from p3bm.planning.register import (
    RUPIAH_TOLERANCE,
    BudgetLine,
    CheckContext,
    Location,
    Output,
    check_line,
    save_lines,
)
from p3bm.storage.database import Database
from p3bm.storage.schema import import_run

logger = logging.getLogger(__name__)

HEADERS = {
    "code": {
        "kode",
        "code",
        "kode_rekening",
        "kode_nomenklatur",
        "kode_sub_kegiatan",
        "kode_kegiatan",
        "kode_program",
        "kode_program_kegiatan_sub_kegiatan",
    },
    "name": {
        "nama",
        "name",
        "uraian",
        "nomenklatur",
        "sub_kegiatan",
        "nama_sub_kegiatan",
        "program_kegiatan_sub_kegiatan",
        "nama_program_kegiatan_sub_kegiatan",
        "urusan_bidang_urusan_program_kegiatan_sub_kegiatan",
    },
    "skpd": {
        "skpd",
        "opd",
        "unit",
        "sub_unit",
        "nama_skpd",
        "perangkat_daerah",
        "nama_perangkat_daerah",
        "satuan_kerja",
    },
    "year": {"tahun", "year", "tahun_anggaran"},
    "pagu": {
        "pagu",
        "pagu_rp",
        "pagu_anggaran",
        "pagu_indikatif",
        "anggaran",
        "anggaran_rp",
        "nilai",
        "budget",
    },
    "locations": {"lokasi", "lokasi_kegiatan", "lokasi_sub_kegiatan", "location"},
    "group": {
        "sasaran",
        "kelompok_sasaran",
        "kelompok_penerima",
        "penerima_manfaat",
        "beneficiary_group",
    },
    "beneficiaries": {
        "jumlah_sasaran",
        "jumlah_penerima",
        "jumlah_penerima_manfaat",
        "beneficiaries",
    },
    "output": {
        "keluaran",
        "output",
        "indikator_keluaran",
        "indikator_output",
        "tolok_ukur",
        "tolok_ukur_keluaran",
        "indikator_kinerja",
    },
    "target": {"target", "target_keluaran", "target_kinerja", "target_output"},
    "unit": {"satuan", "unit_target", "satuan_target", "output_unit"},
    "indicators": {
        "indikator_masalah",
        "kode_indikator",
        "indikator_p3bm",
        "masalah",
        "indicators",
    },
    "pro_poor": {
        "pro_poor",
        "propoor",
        "pro_miskin",
        "berpihak_pada_masyarakat_miskin",
    },
}
REQUIRED = ("code", "pagu")
# SIPD numbers SKPD units like 1.02.0.00.0.00.01.0000.
_UNIT_CODE = re.compile(r"^\d\.\d{2}\.\d\.\d{2}\.\d\.\d{2}\.\d{2}\.\d{4}$")
_TOTAL_WORDS = ("jumlah", "total", "grand total")
_CITY_WIDE = {"seluruhkota", "seluruhwilayah", "kotawide", "citywide", "semua", "all"}
_YES = {"ya", "yes", "y", "1", "true", "v", "√", "x"}
_NO = {"tidak", "no", "n", "0", "false", "", "-"}
_SEPARATORS = re.compile(r"[;\n]+")
_TITLE_YEAR = re.compile(r"tahun\s+anggaran\s+(\d{4})", re.IGNORECASE)


@dataclass
class BudgetImportOptions:
    """Options of a budget import besides the file."""

    year: int | None = None
    skpd: str | None = None
    sheet: str | None = None
    dry_run: bool = False
    channel: str = "file"
    reason: str | None = None


@dataclass
class BudgetImportReport(ImportReport):
    """An import report that also counts budget lines, items and pagu."""

    lines: int = 0
    items: int = 0
    pagu_total: float = 0.0
    renamed: int = 0

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        data = super().to_dict(lang)
        data.update(
            lines=self.lines,
            items=self.items,
            pagu_total=self.pagu_total,
            renamed=self.renamed,
        )
        return data


@dataclass
class _Row:
    number: int
    cells: list[object]


@dataclass
class _Columns:
    indexes: dict[str, int]
    headers: list[object]

    def cell(self, row: list[object], role: str) -> object:
        index = self.indexes.get(role)
        if index is None or index >= len(row):
            return None
        value = row[index]
        return value.strip() if isinstance(value, str) else value

    def header(self, role: str) -> str:
        return str(self.headers[self.indexes[role]]).strip()


@dataclass
class _Draft:
    """A budget line being assembled from its rows."""

    line: BudgetLine
    row: int
    sheet: str | None
    # The file's header of each column role, to name check_line's columns.
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reading:
    """Everything gathered from a file before it is checked as a whole."""

    drafts: dict[str, _Draft] = field(default_factory=dict)
    items: dict[str, nom.Item] = field(default_factory=dict)
    stated_totals: list[tuple[str, int | None, str | None, float, int, str | None]] = (
        field(default_factory=list)
    )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _fold(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _title_year(table: RawTable) -> int | None:
    """The year of a title such as ``RINCIAN APBD TAHUN ANGGARAN 2025``."""
    for line in table.title_lines:
        match = _TITLE_YEAR.search(line)
        if match:
            return int(match.group(1))
    return None


def _find_columns(table: RawTable, header_row: int) -> _Columns:
    found: dict[str, int] = {}
    headers = table.rows[header_row]
    for index, cell in enumerate(headers):
        key = header_key(cell)
        for role, names in HEADERS.items():
            if key in names and role not in found:
                found[role] = index
    missing = [role for role in REQUIRED if role not in found]
    if missing:
        listed = ", ".join(missing)
        raise InputFileError(
            f"{table.label}: the budget table lacks the column(s) {listed}.",
            hint="Name the columns kode and pagu, and optionally nama, skpd, tahun, "
            "lokasi, sasaran, jumlah_sasaran, indikator_keluaran, target, satuan, "
            "indikator_masalah and pro_poor.",
            indonesian=(
                f"{table.label}: tabel anggaran tidak punya kolom {listed}.",
                "Beri nama kolom kode dan pagu, dan bila ada nama, skpd, tahun, "
                "lokasi, sasaran, jumlah_sasaran, indikator_keluaran, target, "
                "satuan, indikator_masalah dan pro_poor.",
            ),
        )
    return _Columns(found, list(headers))


class BudgetImporter:
    """Imports budget tables into one database."""

    def __init__(self, db: Database, user: str) -> None:
        self.db = db
        self.user = user
        with db.connect() as connection:
            self.context = CheckContext.load(connection)
            self.catalogue = Catalogue.load(connection)
            self.index = AreaIndex.load(connection)
            self.known_items = nom.load_names(connection)

    def import_file(
        self, path: Path, options: BudgetImportOptions
    ) -> BudgetImportReport:
        """Check a file and write its lines unless it has errors.

        Raises InputFileError when the file cannot be read or lacks the code
        or pagu column; row problems go into the returned report.
        """
        report, lines, items = self.check_file(path, options)
        if report.has_errors:
            report.outcome = "rejected"
            return report
        self._write(path, options, lines, items, report)
        return report

    def check_file(self, path: Path, options: BudgetImportOptions):
        """Read and check a file without writing; returns report, lines and items."""
        report = BudgetImportReport(
            file=path.name, layout="budget table", is_dry_run=options.dry_run
        )
        reading = _Reading()
        for table in read_tables(path, options.sheet):
            self._read_table(table, options, reading, report)
        lines = [draft.line for draft in reading.drafts.values()]
        for draft in reading.drafts.values():
            for problem in check_line(draft.line, self.context):
                problem.file, problem.row, problem.sheet = (
                    path.name,
                    draft.row,
                    draft.sheet,
                )
                if problem.column is not None:
                    problem.column = draft.headers.get(problem.column, problem.column)
                report.add(problem)
        self._check_totals(reading, report, path.name)
        self._note_unnamed_parents(reading, report, path.name)
        report.lines = len(lines)
        report.items = len(reading.items)
        report.pagu_total = sum(line.pagu for line in lines)
        report.observations = len(lines)
        return report, lines, list(reading.items.values())

    # Rows

    def _read_table(self, table, options, reading: _Reading, report) -> None:
        header_row = find_header_row(table)
        columns = _find_columns(table, header_row)
        given_year = options.year
        if options.year is None:
            options = replace(options, year=_title_year(table))
        body = [
            _Row(number, cells)
            for number, cells in list(zip(table.row_numbers, table.rows, strict=True))[
                header_row + 1 :
            ]
            if any(cell is not None and str(cell).strip() for cell in cells)
        ]
        report.rows_read += len(body)
        conventions = {
            role: detect_convention(columns.cell(row.cells, role) for row in body)
            for role in ("pagu", "target", "beneficiaries")
        }
        reader = _TableReader(
            self, table, columns, conventions, options, reading, report, given_year
        )
        for row in body:
            reader.read_row(row)

    def _check_totals(self, reading: _Reading, report, file: str) -> None:
        for code, year, skpd_code, stated, row, sheet in reading.stated_totals:
            total = sum(
                draft.line.pagu
                for draft in reading.drafts.values()
                if draft.line.code.startswith(code + ".")
                and (year is None or draft.line.year == year)
                and (skpd_code is None or draft.line.skpd == skpd_code)
            )
            if abs(total - stated) > RUPIAH_TOLERANCE:
                report.add(
                    BudgetProblem(
                        "pagu_sum_mismatch",
                        file,
                        row=row,
                        sheet=sheet,
                        column="pagu",
                        value=stated,
                        params={"total": total},
                    )
                )

    def _note_unnamed_parents(self, reading: _Reading, report, file: str) -> None:
        noted: set[str] = set()
        for draft in reading.drafts.values():
            for code in nom.chain_of(draft.line.code)[:-1]:
                if code in reading.items or code in self.known_items or code in noted:
                    continue
                noted.add(code)
                level = nom.level_of(code) or nom.URUSAN
                report.add(
                    BudgetProblem(
                        "parent_not_named",
                        file,
                        row=draft.row,
                        sheet=draft.sheet,
                        column="code",
                        value=code,
                        params={
                            "level": Localized(
                                nom.level_label(level, "id").lower(),
                                nom.level_label(level, "en").lower(),
                            )
                        },
                    )
                )

    # Writing

    def _write(self, path: Path, options, lines, items, report) -> None:
        """Write the lines, or on a dry run write and roll back, for the counts."""
        now = utc_now()
        with self.db.begin() as connection:
            import_id = connection.execute(
                import_run.insert()
                .values(
                    file_name=path.name,
                    file_sha256=file_sha256(path),
                    started_at=now,
                    user_name=self.user,
                    channel=options.channel,
                    options={
                        "kind": "budget",
                        "year": options.year,
                        "skpd": options.skpd,
                    },
                    outcome="running",
                    added=0,
                    changed=0,
                    unchanged=0,
                    rejected=0,
                )
                .returning(import_run.c.id)
            ).scalar_one()
            renamed = nom.store_items(
                connection,
                items,
                self.user,
                channel=options.channel,
                source_file=path.name,
            )
            saved = save_lines(
                connection,
                lines,
                user=self.user,
                channel=options.channel,
                reason=options.reason or f"import {path.name}",
                source_file=path.name,
                import_id=import_id,
            )
            connection.execute(
                import_run.update()
                .where(import_run.c.id == import_id)
                .values(
                    finished_at=utc_now(),
                    outcome="written",
                    added=saved.added,
                    changed=saved.changed,
                    unchanged=saved.unchanged,
                )
            )
            if options.dry_run:
                connection.rollback()
        report.added, report.changed, report.unchanged = (
            saved.added,
            saved.changed,
            saved.unchanged,
        )
        report.renamed = renamed["renamed"]
        if options.dry_run:
            report.outcome = "checked"
            return
        report.import_id = import_id
        report.outcome = "written"
        logger.info(
            "imported budget %s as import %d: %d added, %d changed, %d unchanged",
            path.name,
            import_id,
            saved.added,
            saved.changed,
            saved.unchanged,
        )


class _TableReader:
    """Reads the body rows of one table into drafts and nomenclature items."""

    def __init__(
        self,
        importer,
        table,
        columns,
        conventions,
        options,
        reading,
        report,
        given_year: int | None = None,
    ):
        self.importer = importer
        # Rows that differ from a year the user gave get a warning. A year read
        # from the table's title is only a default for rows without a year.
        self.given_year = given_year
        self.context: CheckContext = importer.context
        self.table = table
        self.columns: _Columns = columns
        self.conventions: dict[str, Convention] = conventions
        self.options: BudgetImportOptions = options
        self.reading: _Reading = reading
        self.report = report
        self.current_skpd: str | None = None
        # Set after a unit row of an unknown SKPD, whose own error covers the
        # rows below it.
        self.is_unit_unknown = False
        self.last_key: str | None = None

    def problem(self, code: str, row: _Row, role: str | None, value, **params) -> None:
        column = self.columns.header(role) if role in self.columns.indexes else role
        self.report.add(
            BudgetProblem(
                code,
                self.table.file_name,
                row=row.number,
                column=column,
                value=value,
                sheet=self.table.sheet,
                params=params,
            )
        )

    def read_row(self, row: _Row) -> None:
        raw_code = self.columns.cell(row.cells, "code")
        code = nom.clean_code(_text(raw_code))
        name = _text(self.columns.cell(row.cells, "name"))
        if not code:
            self._read_codeless(row, name)
            return
        if _UNIT_CODE.match(code):
            self._read_unit(row, name)
            return
        level = nom.level_of(code)
        if level is None:
            self.problem("invalid_budget_code", row, "code", _text(raw_code))
            return
        if level < nom.SUB_KEGIATAN:
            self._read_item(row, code, name)
            return
        self._read_line(row, code, name)

    def _read_codeless(self, row: _Row, name: str) -> None:
        output = _text(self.columns.cell(row.cells, "output"))
        if output and self.last_key is not None:
            draft = self.reading.drafts[self.last_key]
            self._add_output(row, draft)
            self.problem("output_continued", row, "output", output, key=draft.line.key)
            return
        pagu = self.columns.cell(row.cells, "pagu")
        is_total = name.casefold().startswith(_TOTAL_WORDS)
        if _text(pagu) and not is_total:
            self.problem("missing_budget_code", row, "code", None)
            return
        self.problem("skipped_row", row, "name", name or row.number)

    def _read_unit(self, row: _Row, name: str) -> None:
        found = self.context.skpd_code(name)
        if found is None:
            self.problem("unknown_skpd", row, "name", name)
        self.current_skpd = found
        self.is_unit_unknown = found is None

    def _read_item(self, row: _Row, code: str, name: str) -> None:
        self.reading.items[code] = nom.Item(code, name)
        pagu = self._amount(row, "pagu", required=False)
        if pagu is not None:
            year = self._year(row, report=False)
            skpd_code = self._skpd(row, report=False)
            self.reading.stated_totals.append(
                (code, year, skpd_code, pagu, row.number, self.table.sheet)
            )

    def _read_line(self, row: _Row, code: str, name: str) -> None:
        # Every cell is read before giving up, so each problem gets reported.
        year = self._year(row)
        skpd_code = self._skpd(row)
        pagu = self._amount(row, "pagu", required=True)
        is_pro_poor = self._flag(row)
        beneficiaries = self._count(row)
        indicators = self._indicators(row)
        locations = self._locations(row)
        if year is None or skpd_code is None or pagu is None:
            self.last_key = None
            return

        line = BudgetLine(
            year=year,
            code=code,
            skpd=skpd_code,
            pagu=pagu,
            is_pro_poor=is_pro_poor,
            beneficiary_group=_text(self.columns.cell(row.cells, "group"))[:200],
            beneficiaries=beneficiaries,
            indicators=indicators,
            locations=locations,
            name=name,
        )

        existing = self.reading.drafts.get(line.key)
        if existing is None:
            headers = {role: self.columns.header(role) for role in self.columns.indexes}
            draft = _Draft(line, row.number, self.table.sheet, headers)
            self.reading.drafts[line.key] = draft
        else:
            draft = existing
            self._merge(row, draft, line)
        self._add_output(row, draft)
        self.last_key = line.key

    def _merge(self, row: _Row, draft: _Draft, line: BudgetLine) -> None:
        if abs(draft.line.pagu - line.pagu) > RUPIAH_TOLERANCE:
            self.problem(
                "conflicting_pagu",
                row,
                "pagu",
                line.pagu,
                key=line.key,
                other=draft.line.pagu,
                other_row=draft.row,
            )
        known = {loc.area for loc in draft.line.locations}
        draft.line.locations += tuple(
            loc for loc in line.locations if loc.area not in known
        )
        draft.line.indicators = tuple(
            dict.fromkeys(draft.line.indicators + line.indicators)
        )
        draft.line.is_pro_poor = draft.line.is_pro_poor or line.is_pro_poor

    def _add_output(self, row: _Row, draft: _Draft) -> None:
        name = _text(self.columns.cell(row.cells, "output"))
        target = self._amount(row, "target", required=False)
        if not name and target is None:
            return
        unit = _text(self.columns.cell(row.cells, "unit"))[:80]
        output = Output(name[:300], unit, target)
        if output not in draft.line.outputs:
            draft.line.outputs += (output,)

    # Cells

    def _year(self, row: _Row, report: bool = True) -> int | None:
        cell = self.columns.cell(row.cells, "year")
        if cell is None or _text(cell) == "":
            if self.options.year is None and report:
                self.problem("missing_year", row, "year", None)
            return self.options.year
        year = parse_year(cell)
        if year is None and report:
            self.problem("invalid_year", row, "year", cell)
        given = self.given_year
        if report and year is not None and given is not None and year != given:
            self.problem(
                "option_overridden", row, "year", cell, given=given, option="year"
            )
        return year

    def _skpd(self, row: _Row, report: bool = True) -> str | None:
        text = _text(self.columns.cell(row.cells, "skpd"))
        if text:
            found = self.context.skpd_code(text)
            if found is None and report:
                self.problem("unknown_skpd", row, "skpd", text)
            given = self.options.skpd
            if report and found and given and self.context.skpd_code(given) != found:
                self.problem(
                    "option_overridden", row, "skpd", text, given=given, option="skpd"
                )
            return found
        if self.is_unit_unknown:
            return None
        given = self.current_skpd or self.options.skpd
        if given is None:
            if report:
                self.problem("missing_skpd", row, "skpd", None)
            return None
        found = self.context.skpd_code(given)
        if found is None and report:
            self.problem("unknown_skpd", row, "skpd", given)
        return found

    def _amount(self, row: _Row, role: str, required: bool) -> float | None:
        cell = self.columns.cell(row.cells, role)
        try:
            value = parse_number(cell, self.conventions.get(role, Convention.UNKNOWN))
        except AmbiguousNumber:
            self.problem("ambiguous_number", row, role, cell)
            return None
        except ValueError:
            self.problem("invalid_number", row, role, cell)
            return None
        if value is MISSING or value is NOT_APPLICABLE:
            if required:
                self.problem("missing_amount", row, role, cell)
            return None
        return float(value)  # type: ignore[arg-type]

    def _count(self, row: _Row) -> int | None:
        cell = self.columns.cell(row.cells, "beneficiaries")
        try:
            value = parse_number(cell, self.conventions["beneficiaries"])
        except ValueError:
            self.problem("invalid_count", row, "beneficiaries", cell)
            return None
        if value is MISSING or value is NOT_APPLICABLE:
            return None
        number = float(value)  # type: ignore[arg-type]
        if number < 0 or not number.is_integer():
            self.problem("invalid_count", row, "beneficiaries", cell)
            return None
        return int(number)

    def _flag(self, row: _Row) -> bool:
        text = _text(self.columns.cell(row.cells, "pro_poor")).casefold()
        if text in _YES:
            return True
        if text not in _NO:
            self.problem("invalid_flag", row, "pro_poor", text)
        return False

    def _indicators(self, row: _Row) -> tuple[str, ...]:
        text = _text(self.columns.cell(row.cells, "indicators"))
        found = []
        for token in re.split(r"[\s,;]+", text):
            if not token:
                continue
            item = self.importer.catalogue.match_exact(token)
            if item is None:
                self.problem("unknown_indicator", row, "indicators", token)
                continue
            found.append(item.code)
        return tuple(dict.fromkeys(found))

    def _locations(self, row: _Row) -> tuple[Location, ...]:
        text = _text(self.columns.cell(row.cells, "locations"))
        found = []
        for part in _SEPARATORS.split(text.replace(",", ";")):
            part = part.strip()
            if not part:
                continue
            name, _, amount_text = part.partition("=")
            area = self._location_area(row, name.strip())
            amount = None
            if amount_text.strip():
                amount = self._allocation(row, amount_text.strip())
            if area is not None:
                found.append(Location(area, amount))
        return tuple(found)

    def _allocation(self, row: _Row, text: str) -> float | None:
        try:
            value = parse_number(text, Convention.UNKNOWN)
        except ValueError:
            self.problem("invalid_number", row, "locations", text)
            return None
        if value is MISSING or value is NOT_APPLICABLE:
            return None
        return float(value)  # type: ignore[arg-type]

    def _location_area(self, row: _Row, name: str) -> str | None:
        region = self.context.region
        index = self.importer.index
        if region is None:
            self.problem("unknown_area_name", row, "locations", name, scope="", hint="")
            return None
        if _fold(name) in _CITY_WIDE or index.name_agrees(region, name):
            return region.code
        if index.looks_like_code(name):
            area = index.by_code(name)
            if area is None:
                self.problem("unknown_area_code", row, "locations", name)
                return None
            return area.code
        try:
            area = index.match_name(
                name, levels={codes.DISTRICT, codes.VILLAGE}, within=region.code
            )
        except AmbiguousAreaName as exc:
            self.problem(
                "ambiguous_area_name",
                row,
                "locations",
                name,
                candidates=", ".join(exc.candidates),
            )
            return None
        except AreaNotFound as exc:
            self.problem(
                "unknown_area_name",
                row,
                "locations",
                name,
                scope=Localized(f" di {region.name}", f" in {region.name}"),
                hint=Localized(
                    (exc.indonesian[1] if exc.indonesian else None) or "",
                    exc.hint or "",
                ),
            )
            return None
        return area.code
