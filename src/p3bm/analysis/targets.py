"""Plan targets: the value an indicator should reach in an area and year.

Targets come from plans (RPJMD, RKPD, Renstra, SDG...). A target file is a
long table with one row per target and these columns, recognised by header:
area code and/or area name, indicator (code or name), year, target value and
optionally the kind of plan. Rows are checked like value imports, with the
same problem codes and messages, and a file with any error writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas.index import AreaIndex
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue
from p3bm.errors import AmbiguousAreaName, AreaNotFound, InputFileError
from p3bm.imports.layout import find_header_row, header_key
from p3bm.imports.numbers import (
    MISSING,
    NOT_APPLICABLE,
    detect_convention,
    parse_number,
    parse_year,
)
from p3bm.imports.problems import ImportReport, Problem
from p3bm.imports.reading import RawTable, read_tables
from p3bm.storage.database import Database
from p3bm.storage.schema import target as target_table

DEFAULT_KIND = "RPJMD"
# Preferred kinds first when several plans set a target for the same key.
KIND_ORDER = ("RPJMD", "RKPD", "RENSTRA", "SDG")
HEADERS = {
    "area_code": {"kode", "kode_wilayah", "code", "area_code", "kode_daerah"},
    "area_name": {"wilayah", "nama", "nama_wilayah", "area", "name", "daerah"},
    "indicator": {"indikator", "indicator", "kode_indikator", "indicator_code"},
    "year": {"tahun", "year", "tahun_target", "target_year"},
    "value": {"target", "nilai", "value", "nilai_target", "target_value"},
    "kind": {"jenis", "kind", "dokumen", "jenis_target", "rencana", "plan"},
}
REQUIRED = ("indicator", "year", "value")


@dataclass(frozen=True)
class Target:
    """One plan target."""

    indicator: str
    area: str
    year: int
    kind: str
    value: float
    source_file: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "indicator": self.indicator,
            "area": self.area,
            "year": self.year,
            "kind": self.kind,
            "value": self.value,
            "source_file": self.source_file,
        }


def kind_rank(kind: str) -> tuple[int, str]:
    """Sort key that puts RPJMD first, then RKPD, Renstra, SDG, then by name."""
    upper = kind.upper()
    position = KIND_ORDER.index(upper) if upper in KIND_ORDER else len(KIND_ORDER)
    return position, upper


def normalize_kind(text: str) -> str:
    value = " ".join(str(text).split())
    upper = value.upper()
    return upper if upper in KIND_ORDER else value


def load_targets(
    connection: Connection,
    *,
    area_prefix: str | None = None,
    areas: list[str] | None = None,
    indicator: str | None = None,
    kind: str | None = None,
) -> list[Target]:
    """Stored targets, optionally below an area, of some areas, indicator or kind."""
    c = target_table.c
    query = sa.select(
        c.indicator_code, c.area_code, c.year, c.kind, c.value, c.source_file
    )
    if area_prefix is not None and area_prefix != "ID":
        query = query.where(
            sa.or_(
                c.area_code == area_prefix,
                c.area_code.startswith(area_prefix + ".", autoescape=True),
            )
        )
    if areas is not None:
        query = query.where(c.area_code.in_(areas))
    if indicator is not None:
        query = query.where(c.indicator_code == indicator)
    if kind is not None:
        query = query.where(sa.func.upper(c.kind) == kind.upper())
    query = query.order_by(c.area_code, c.indicator_code, c.year, c.kind)
    return [Target(*row) for row in connection.execute(query)]


def choose_target(
    targets: list[Target], indicator: str, area: str, year: int
) -> Target | None:
    """Return the target of that indicator, area and year, of the preferred kind."""
    found = [
        t for t in targets if (t.indicator, t.area, t.year) == (indicator, area, year)
    ]
    return min(found, key=lambda t: kind_rank(t.kind)) if found else None


def next_target(
    targets: list[Target], indicator: str, area: str, year: int
) -> Target | None:
    """Return the target to make progress towards from ``year``.

    That is the target of the earliest year at or after ``year``, or the
    latest target when every target lies in the past. Between targets of the
    same year the preferred kind wins.
    """
    found = [t for t in targets if (t.indicator, t.area) == (indicator, area)]
    if not found:
        return None
    ahead = [t for t in found if t.year >= year]
    if ahead:
        return min(ahead, key=lambda t: (t.year, kind_rank(t.kind)))
    return min(found, key=lambda t: (-t.year, kind_rank(t.kind)))


@dataclass
class _Columns:
    indexes: dict[str, int]

    def cell(self, row: list[object], role: str) -> object:
        index = self.indexes.get(role)
        if index is None or index >= len(row):
            return None
        return row[index]


def _find_columns(table: RawTable, header_row: int) -> _Columns:
    found: dict[str, int] = {}
    for index, cell in enumerate(table.rows[header_row]):
        key = header_key(cell)
        for role, names in HEADERS.items():
            if key in names and role not in found:
                found[role] = index
    missing = [role for role in REQUIRED if role not in found]
    if "area_code" not in found and "area_name" not in found:
        missing.insert(0, "area")
    if missing:
        raise InputFileError(
            f"{table.label}: the target table lacks the column(s) "
            f"{', '.join(missing)}.",
            hint="Name the columns kode (or wilayah), indikator, tahun, target and "
            "optionally jenis.",
            indonesian=(
                f"{table.label}: tabel target tidak punya kolom {', '.join(missing)}.",
                "Beri nama kolom kode (atau wilayah), indikator, tahun, target dan "
                "bila perlu jenis.",
            ),
        )
    return _Columns(found)


class TargetReader:
    """Checks the rows of a target file and collects valid targets."""

    def __init__(
        self, catalogue: Catalogue, index: AreaIndex, default_kind: str, file: str
    ) -> None:
        self.catalogue = catalogue
        self.index = index
        self.default_kind = normalize_kind(default_kind)
        self.file = file
        self.report = ImportReport(file=file, layout="target table")
        self.targets: dict[tuple[str, str, int, str], tuple[Target, int]] = {}

    def read(self, table: RawTable) -> None:
        header_row = find_header_row(table)
        columns = _find_columns(table, header_row)
        body = list(zip(table.row_numbers, table.rows, strict=True))[header_row + 1 :]
        value_cells = [columns.cell(row, "value") for _, row in body]
        convention = detect_convention(value_cells)
        headers = table.rows[header_row]
        for number, row in body:
            if not any(cell is not None and str(cell).strip() for cell in row):
                continue
            self.report.rows_read += 1
            self._read_row(table, number, row, columns, headers, convention)

    def _problem(self, code, table, number, columns, headers, role, value, **params):
        index = columns.indexes.get(role)
        column = str(headers[index]) if index is not None else None
        self.report.add(
            Problem(
                code,
                self.file,
                row=number,
                column=column,
                value=value,
                sheet=table.sheet,
                params=params,
            )
        )

    def _read_row(self, table, number, row, columns, headers, convention) -> None:
        def fail(code, role, value, **params):
            self._problem(code, table, number, columns, headers, role, value, **params)

        area = self._area(row, columns, fail)
        indicator = self._indicator(columns.cell(row, "indicator"), fail)
        year = self._year(columns.cell(row, "year"), fail)
        value = self._value(columns.cell(row, "value"), convention, fail)
        kind_cell = columns.cell(row, "kind")
        kind = normalize_kind(kind_cell) if kind_cell else self.default_kind
        if None in (area, indicator, year, value):
            return
        assert area is not None
        assert indicator is not None
        assert year is not None
        assert value is not None
        if indicator.minimum is not None and value < indicator.minimum:
            fail(
                "below_minimum",
                "value",
                value,
                limit=indicator.minimum,
                indicator=indicator.code,
            )
            return
        if indicator.maximum is not None and value > indicator.maximum:
            fail(
                "above_maximum",
                "value",
                value,
                limit=indicator.maximum,
                indicator=indicator.code,
            )
            return
        key = (indicator.code, area.code, year, kind)
        earlier = self.targets.get(key)
        if earlier is not None and earlier[0].value != value:
            fail(
                "conflicting_duplicate",
                "value",
                value,
                indicator=indicator.code,
                area=area.code,
                year=year,
                disaggregation=f" ({kind})",
                other=earlier[0].value,
                other_row=earlier[1],
            )
            return
        self.targets[key] = (
            Target(indicator.code, area.code, year, kind, value, self.file),
            number,
        )

    def _area(self, row, columns, fail) -> Area | None:
        code = columns.cell(row, "area_code")
        name = columns.cell(row, "area_name")
        has_code = code is not None and str(code).strip() != ""
        has_name = name is not None and str(name).strip() != ""
        if not (has_code or has_name):
            fail(
                "missing_area",
                "area_code" if "area_code" in columns.indexes else "area_name",
                None,
            )
            return None
        if has_code:
            area = self.index.by_code(code)
            if area is None:
                fail("unknown_area_code", "area_code", code)
                return None
            if has_name and not self.index.name_agrees(area, str(name)):
                fail(
                    "code_name_mismatch",
                    "area_name",
                    name,
                    area_code=area.code,
                    official=area.name,
                )
                return None
            return area
        try:
            return self.index.match_name(str(name), suggest=False)
        except AmbiguousAreaName as exc:
            fail(
                "ambiguous_area_name",
                "area_name",
                name,
                candidates=", ".join(exc.candidates[:6]),
            )
        except AreaNotFound:
            fail(
                "unknown_area_name",
                "area_name",
                name,
                scope="",
                hint="Periksa ejaannya atau tulis kodenya.",
            )
        return None

    def _indicator(self, cell, fail):
        item = self.catalogue.match_exact(str(cell)) if cell is not None else None
        if item is None:
            fail("unknown_indicator", "indicator", cell)
        return item

    def _year(self, cell, fail) -> int | None:
        if cell is None or str(cell).strip() == "":
            fail("missing_year", "year", cell)
            return None
        year = parse_year(cell)
        if year is None:
            fail("invalid_year", "year", cell)
        return year

    def _value(self, cell, convention, fail) -> float | None:
        try:
            number = parse_number(cell, convention)
        except ValueError:
            number = None
        if number is None or number is MISSING or number is NOT_APPLICABLE:
            fail("invalid_number", "value", cell)
            return None
        return float(number)  # type: ignore[arg-type]


def read_target_file(
    path: Path, catalogue: Catalogue, index: AreaIndex, kind: str = DEFAULT_KIND
) -> tuple[list[Target], ImportReport]:
    """Read and check every row of a CSV or XLSX target file.

    Raises InputFileError when the file cannot be read or lacks a required
    column; row problems go into the returned report.
    """
    reader = TargetReader(catalogue, index, kind, path.name)
    for table in read_tables(path):
        reader.read(table)
    targets = [entry[0] for entry in reader.targets.values()]
    reader.report.observations = len(targets)
    reader.report.indicators = sorted({t.indicator for t in targets})
    return targets, reader.report


def store_targets(
    db: Database, targets: list[Target], user: str
) -> tuple[int, int, int]:
    """Insert new targets and update changed ones; return added, changed, unchanged."""
    now = datetime.now(UTC)
    added = changed = unchanged = 0
    c = target_table.c
    with db.begin() as connection:
        for item in targets:
            key = (
                (c.indicator_code == item.indicator)
                & (c.area_code == item.area)
                & (c.year == item.year)
                & (c.kind == item.kind)
            )
            current = connection.execute(sa.select(c.value).where(key)).first()
            if current is None:
                connection.execute(
                    target_table.insert().values(
                        indicator_code=item.indicator,
                        area_code=item.area,
                        year=item.year,
                        kind=item.kind,
                        value=item.value,
                        source_file=item.source_file,
                        updated_at=now,
                        updated_by=user,
                    )
                )
                added += 1
            elif current.value != item.value:
                connection.execute(
                    target_table.update()
                    .where(key)
                    .values(
                        value=item.value,
                        source_file=item.source_file,
                        updated_at=now,
                        updated_by=user,
                    )
                )
                changed += 1
            else:
                unchanged += 1
    return added, changed, unchanged


def import_targets(
    db: Database, path: Path, user: str, kind: str = DEFAULT_KIND
) -> ImportReport:
    """Check a target file and store its targets unless any row has an error."""
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        index = AreaIndex.load(connection)
    targets, report = read_target_file(path, catalogue, index, kind)
    report.rejected_rows = len({p.row for p in report.errors})
    if report.has_errors:
        report.outcome = "rejected"
        return report
    report.added, report.changed, report.unchanged = store_targets(db, targets, user)
    report.outcome = "written"
    return report
