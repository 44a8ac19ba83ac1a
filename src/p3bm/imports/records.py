"""Turning the rows of a recognised table into checked observations.

Every problem is recorded with its row and column, and checking goes on after
the first one, so the user sees all of them at once. A row with any error is
rejected whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING

from p3bm.areas import codes
from p3bm.areas.index import AreaIndex
from p3bm.areas.names import name_key
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue, Indicator
from p3bm.imports import units
from p3bm.imports.area_resolution import AreaResolver, Finding
from p3bm.imports.layout import (
    CATEGORIES,
    COMPLETE_CATEGORIES,
    DIMENSION_HEADERS,
    TOTAL_WORDS,
    YES_NO_WORDS,
    Column,
    Layout,
    Role,
    header_key,
)
from p3bm.imports.numbers import (
    MISSING,
    NOT_APPLICABLE,
    AmbiguousNumber,
    Convention,
    detect_convention,
    parse_number,
    parse_year,
)
from p3bm.imports.problems import ERROR, ImportReport, Localized, Problem

if TYPE_CHECKING:
    from p3bm.imports.plain_rows import PlainRows


@dataclass(slots=True)
class Record:
    """One checked value, ready to be written.

    It has slots because a large import creates one per value.
    """

    indicator: str
    area: str
    year: int
    disaggregation: str
    value: float | None
    row: int
    is_derived: bool = False
    # Where the value stood, so that later checks can point at its cell.
    sheet: str | None = None
    column: str = ""

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.indicator, self.area, self.year, self.disaggregation)


def disaggregation_text(pairs: dict[str, str]) -> str:
    """Canonical text of a disaggregation: ``sex=female``; empty for a total."""
    if not pairs:
        return ""
    return ";".join(f"{key}={value}" for key, value in sorted(pairs.items()) if value)


def parse_disaggregation(text: str) -> dict[str, str]:
    if not text:
        return {}
    return dict(part.split("=", 1) for part in text.split(";"))


def unit_text(cell: object) -> str | None:
    """Return the unit written in a cell, or None for an empty cell."""
    return str(cell).strip() if cell is not None and str(cell).strip() else None


def is_filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


# The words a file may use for each category of a fixed dimension, for the
# message of an unknown one.
_CATEGORY_WORDS = {
    dimension: sorted(
        word for word, (found, _) in CATEGORIES.items() if found == dimension
    )
    + ["total"]
    for dimension in COMPLETE_CATEGORIES
}


_DIMENSIONS = set(DIMENSION_HEADERS.values()) | {"group"}
_CATEGORY_TEXT = re.compile(r"^[0-9a-z_]+$")


def disaggregation_problem(text: str) -> Localized | None:
    """Say what is wrong with a disaggregation given as text, or None if it is valid.

    Valid text is what imports store: ``dimension=category`` pairs joined by
    ``;`` in order of dimension, with categories in lower case and the fixed
    categories of sex and urban/rural.
    """
    if not text:
        return None
    pairs = [part.partition("=") for part in text.split(";")]
    for dimension, sign, category in pairs:
        if not sign or dimension not in _DIMENSIONS:
            listed = ", ".join(sorted(_DIMENSIONS))
            return Localized(
                f"{dimension or text!r} bukan dimensi rincian; pakai salah satu "
                f"dari {listed}, misalnya sex=female",
                f"{dimension or text!r} is not a dimension; use one of {listed}, "
                "as in sex=female",
            )
        known = COMPLETE_CATEGORIES.get(dimension)
        if known is not None and category not in known:
            return Localized(
                f"{category!r} bukan kategori {dimension}; pakai "
                f"{' atau '.join(sorted(known))}",
                f"{category!r} is not a {dimension}; use {' or '.join(sorted(known))}",
            )
        if not _CATEGORY_TEXT.match(category):
            return Localized(
                f"{category!r} bukan kategori yang sah: pakai huruf kecil, angka dan _",
                f"{category!r} is not a category: use lower-case letters, digits and _",
            )
    dimensions = [dimension for dimension, _, _ in pairs]
    if dimensions != sorted(set(dimensions)):
        return Localized(
            "tulis setiap dimensi sekali saja, urut abjad",
            "give each dimension once, in alphabetical order",
        )
    return None


def _category(dimension: str, cell: object) -> str:
    key = header_key(cell)
    if key in TOTAL_WORDS:
        return ""
    if key in CATEGORIES and CATEGORIES[key][0] == dimension:
        return CATEGORIES[key][1]
    return key


class RowReader:
    """Reads the data rows of one table according to its layout."""

    def __init__(
        self,
        layout: Layout,
        catalogue: Catalogue,
        index: AreaIndex,
        report: ImportReport,
    ) -> None:
        self.layout = layout
        self.table = layout.table
        self.catalogue = catalogue
        self.index = index
        self.report = report
        self.records: list[Record] = []
        self.rejected_rows: dict[int, list[Problem]] = {}
        self.missing_cells = 0
        self._seen: dict[tuple[str, str, int, str], Record] = {}
        # The layout is settled, so the columns of each role are looked up
        # once here instead of once per row.
        self._value_columns = layout.value_columns
        self._year_columns = layout.of_role(Role.YEAR)
        self._indicator_columns = layout.of_role(Role.INDICATOR)
        self._disaggregation_columns = layout.of_role(Role.DISAGGREGATION)
        self._unit_columns = layout.of_role(Role.UNIT)
        self._code_columns = layout.of_role(Role.AREA_CODE)
        self._name_columns = layout.of_role(Role.AREA_NAME)
        self._area_indices = [c.index for c in self._code_columns + self._name_columns]
        # Areas of rows whose area cells were seen before, with their findings.
        self._areas_by_cells: dict[tuple, tuple[Area | None, tuple]] = {}
        # Long tables repeat the same few years and indicators on every row.
        self._years: dict[object, int | None] = {}
        self._indicators: dict[str, Indicator | None] = {}
        self._columns: dict[int, list[object]] = {}
        self.conventions = self._detect_conventions()
        self.resolver = AreaResolver(
            index, layout.columns, self._kota_cores_by_column()
        )
        self._noted_kabupaten: set[str] = set()
        self._notes: set[tuple[str, str, str]] = set()

    # -- setup -------------------------------------------------------------

    def _data_rows(self):
        start = self.layout.header_row + 1
        rows, numbers = self.table.rows, self.table.row_numbers
        for position in range(start, len(rows)):
            yield numbers[position], rows[position]

    def column_cells(self, index: int) -> list[object]:
        """Return the cells of one column in every data row, None past a row's end."""
        cells = self._columns.get(index)
        if cells is None:
            rows = islice(self.table.rows, self.layout.header_row + 1, None)
            try:
                cells = list(map(itemgetter(index), rows))
            except IndexError:
                cells = [
                    row[index] if index < len(row) else None
                    for row in islice(self.table.rows, self.layout.header_row + 1, None)
                ]
            self._columns[index] = cells
        return cells

    def _detect_conventions(self) -> dict[int, Convention]:
        # A column's convention depends only on which texts it contains, so
        # each distinct cell is looked at once.
        return {
            column.index: detect_convention(
                dict.fromkeys(self.column_cells(column.index))
            )
            for column in self.layout.value_columns
        }

    def _kota_cores_by_column(self) -> dict[int, set[str]]:
        result: dict[int, set[str]] = {}
        for column in self.layout.of_role(Role.AREA_NAME):
            cores = set()
            for cell in dict.fromkeys(self.column_cells(column.index)):
                if cell:
                    key = name_key(str(cell))
                    if key.kind == "kota":
                        cores.add(key.core)
            result[column.index] = cores
        return result

    # -- problems ----------------------------------------------------------

    def _problem(
        self,
        code: str,
        row: int | None,
        column: Column | None,
        value: object,
        **params: object,
    ) -> Problem:
        problem = Problem(
            code=code,
            file=self.table.file_name,
            sheet=self.table.sheet,
            row=row,
            column=column.header if column is not None else None,
            value=value,
            params=params,
        )
        self.report.add(problem)
        if problem.severity == ERROR and row is not None:
            self.rejected_rows.setdefault(row, []).append(problem)
        return problem

    # -- rows --------------------------------------------------------------

    def read(self, plain: PlainRows | None = None) -> list[Record]:
        """Check every data row and return the valid records.

        ``plain`` gives the rows already found plain by ``check_plain_rows``
        with their records; every other row is checked here, in file order.
        """
        if plain is not None and plain.is_complete:
            self.report.rows_read += plain.row_count
            self.records = plain.records
            return self.records
        taken = iter(plain.records) if plain is not None else None
        for position, (number, row) in enumerate(self._data_rows()):
            if taken is not None and plain.is_plain[position]:  # type: ignore[union-attr]
                self.report.rows_read += 1
                self._accept([next(taken) for _ in self._value_columns])
                continue
            if not any(cell is not None and str(cell).strip() for cell in row):
                continue
            self.report.rows_read += 1
            row_records = self._read_row(number, row)
            if number not in self.rejected_rows:
                self._accept(row_records)
        self._drop_rejected()
        if self.missing_cells:
            self.report.add(
                Problem(
                    "missing_values",
                    self.table.file_name,
                    sheet=self.table.sheet,
                    params={"count": self.missing_cells},
                )
            )
        return self.records

    def _cell(self, row: list[object], column: Column) -> object:
        return row[column.index] if column.index < len(row) else None

    def _read_row(self, number: int, row: list[object]) -> list[Record]:
        values = [(c, self._cell(row, c)) for c in self._value_columns]
        has_value = any(
            cell is not None and str(cell).strip() not in ("", "-")
            for _, cell in values
        )
        area = self._row_area(number, row, has_value)
        if not has_value:
            return []
        year = self._row_year(number, row)
        indicator = self._row_indicator(number, row)
        disaggregation = self._row_disaggregation(row)
        cells = [self._cell(row, column) for column in self._disaggregation_columns]
        unknown = self.unknown_categories(cells) if cells else []
        for column, cell in unknown:
            self._problem(
                "unknown_category",
                number,
                column,
                cell,
                categories=", ".join(_CATEGORY_WORDS[column.dimension or ""]),
            )
        if unknown:
            return []
        unit = self._row_unit(row)
        records = []
        for column, cell in values:
            record = self._read_value(
                number, column, cell, area, year, indicator, disaggregation, unit
            )
            if record is not None:
                records.append(record)
        return records

    def _row_year(self, number: int, row: list[object]) -> int | None:
        if self.layout.fixed_year is not None:
            return self.layout.fixed_year
        columns = self._year_columns
        if not columns:
            return None
        cell = self._cell(row, columns[0])
        year = self.year_of(cell)
        if year is None:
            self._problem("invalid_year", number, columns[0], cell)
        return year

    def year_of(self, cell: object) -> int | None:
        if cell not in self._years:
            self._years[cell] = parse_year(cell)
        return self._years[cell]

    def _row_indicator(self, number: int, row: list[object]) -> Indicator | None:
        if self.layout.fixed_indicator is not None:
            return self.layout.fixed_indicator
        columns = self._indicator_columns
        if not columns:
            return None
        cell = self._cell(row, columns[0])
        indicator = self.indicator_of(cell)
        if indicator is None:
            self._problem("unknown_indicator", number, columns[0], cell)
        return indicator

    def indicator_of(self, cell: object) -> Indicator | None:
        text = "" if cell is None else str(cell)
        if text not in self._indicators:
            self._indicators[text] = self._match_indicator(text)
        return self._indicators[text]

    def _match_indicator(self, text: str) -> Indicator | None:
        return self.catalogue.match_exact(text) or self.catalogue.match_phrase(text)

    def _row_disaggregation(self, row: list[object]) -> dict[str, str]:
        columns = self._disaggregation_columns
        return self.disaggregation_of([self._cell(row, column) for column in columns])

    def disaggregation_of(self, cells: Sequence[object]) -> dict[str, str]:
        """Return the categories named by the cells of the disaggregation columns."""
        pairs = {}
        for column, cell in zip(self._disaggregation_columns, cells, strict=True):
            if cell is not None and str(cell).strip():
                pairs[column.dimension or "group"] = _category(
                    column.dimension or "", cell
                )
        return pairs

    def unknown_categories(
        self, cells: Sequence[object]
    ) -> list[tuple[Column, object]]:
        """Find the cells that name no category of a dimension with fixed categories.

        Sex and urban/rural have a few known categories. Any other word there is
        a typo or a shifted column rather than a new category.
        """
        found = []
        for column, cell in zip(self._disaggregation_columns, cells, strict=True):
            known = COMPLETE_CATEGORIES.get(column.dimension or "")
            if known is None or cell is None or not str(cell).strip():
                continue
            if _category(column.dimension or "", cell) not in known | {""}:
                found.append((column, cell))
        return found

    def _row_unit(self, row: list[object]) -> str | None:
        columns = self._unit_columns
        if not columns:
            return None
        return unit_text(self._cell(row, columns[0]))

    # -- areas -------------------------------------------------------------

    def _row_area(self, number: int, row: list[object], has_value: bool) -> Area | None:
        if self.layout.fixed_area is not None:
            return self.index.by_code_map[self.layout.fixed_area]
        cells = tuple(row[i] if i < len(row) else None for i in self._area_indices)
        known = self._areas_by_cells.get(cells)
        if known is not None and not known[1]:
            return known[0]
        if not any(is_filled(cell) for cell in cells):
            if has_value:
                self._problem("missing_area", number, None, None)
            return None
        area, findings = self.resolve_area(cells)
        self._areas_by_cells[cells] = (area, findings)
        for finding in findings:
            column = self.layout.columns[finding.column_index]
            if finding.code == "bare_name_is_kabupaten":
                if finding.value not in self._noted_kabupaten:
                    self._noted_kabupaten.add(str(finding.value))
                    self._problem(finding.code, None, column, finding.value)
                continue
            self._problem(finding.code, number, column, finding.value, **finding.params)
        return area

    def resolve_area(self, cells: tuple) -> tuple[Area | None, tuple[Finding, ...]]:
        """Resolve the area cells of a row, in the order of ``area_indices``.

        At least one cell must be filled. The resolver caches its results,
        and the first few unknown names get suggestions, so rows must be
        resolved in file order.
        """
        count = len(self._code_columns)
        code_indices = [column.index for column in self._code_columns]
        name_indices = [column.index for column in self._name_columns]
        code_cells = tuple(zip(code_indices, cells[:count], strict=True))
        name_cells = tuple(zip(name_indices, cells[count:], strict=True))
        return self.resolver.resolve(code_cells, name_cells)

    @property
    def has_codes_only(self) -> bool:
        """Whether a single code column, without names, gives each row's area."""
        return len(self._code_columns) == 1 and not self._name_columns

    @property
    def area_indices(self) -> list[int]:
        """Column indices of the area cells: the code columns, then the names."""
        return self._area_indices

    # -- values ------------------------------------------------------------

    def _read_value(
        self,
        number: int,
        column: Column,
        cell: object,
        area: Area | None,
        year: int | None,
        indicator: Indicator | None,
        disaggregation: dict[str, str],
        unit: str | None,
    ) -> Record | None:
        indicator = column.indicator or indicator
        year = column.year or year
        if column.category is not None:
            dimension, category = column.category
            disaggregation = dict(disaggregation)
            if dimension:
                disaggregation[dimension] = category
        value = self._parse_value(number, column, cell, indicator)
        if value is MISSING:
            self.missing_cells += 1
            return None
        if area is None or indicator is None or year is None or value is None:
            if year is None and not self._year_columns:
                self._problem("missing_year", number, column, cell)
            return None
        number_value = None if value is NOT_APPLICABLE else float(value)  # type: ignore[arg-type]
        if number_value is not None:
            number_value = self._convert_unit(
                number, column, number_value, unit, indicator
            )
            if number_value is None:
                return None
            if number_value == 0 and self._zero_is_missing(
                number, column, area, year, indicator
            ):
                return None
            if not self._within_range(number, column, cell, number_value, indicator):
                return None
        if area.level > indicator.lowest_level:
            self._problem(
                "below_lowest_level",
                number,
                column,
                cell,
                indicator=indicator.code,
                lowest=codes.LEVEL_NAMES[indicator.lowest_level],
                area=f"{area.name} ({area.code})",
            )
            return None
        return Record(
            indicator.code,
            area.code,
            year,
            disaggregation_text(disaggregation),
            number_value,
            number,
            False,
            self.table.sheet,
            column.header,
        )

    def _parse_value(self, number: int, column: Column, cell: object, indicator):
        if (
            indicator is not None
            and indicator.minimum == 0
            and indicator.maximum == 1
            and isinstance(cell, str)
            and cell.strip().lower() in YES_NO_WORDS
        ):
            return YES_NO_WORDS[cell.strip().lower()]
        try:
            return parse_number(
                cell, self.conventions.get(column.index, Convention.UNKNOWN)
            )
        except AmbiguousNumber:
            self._problem("ambiguous_number", number, column, cell)
        except ValueError:
            self._problem("invalid_number", number, column, cell)
        return None

    def _convert_unit(self, number, column, value, unit, indicator) -> float | None:
        if unit is None:
            return value
        factor = units.conversion_factor(unit, indicator.unit)
        if factor is not None:
            if factor != 1.0:
                self._note_once("unit_converted", unit, indicator, factor)
            return value * factor
        if not units.is_compatible(unit, indicator.unit):
            self._problem(
                "unit_mismatch",
                number,
                None,
                unit,
                indicator=indicator.code,
                unit=indicator.unit,
            )
            return None
        self._note_once("unknown_unit", unit, indicator, None)
        return value

    def _note_once(self, code: str, unit: str, indicator: Indicator, factor) -> None:
        marker = (code, unit, indicator.code)
        if marker in self._notes:
            return
        self._notes.add(marker)
        params = {"unit": indicator.unit}
        if factor is not None:
            params["factor"] = f"{factor:g}"
        self.report.add(
            Problem(
                code,
                self.table.file_name,
                sheet=self.table.sheet,
                value=unit,
                params=params,
            )
        )

    def _zero_is_missing(
        self, number, column, area: Area, year: int, indicator
    ) -> bool:
        if area.valid_from is not None and year < area.valid_from:
            self._problem(
                "zero_before_area_existed",
                number,
                column,
                0,
                area=f"{area.name} ({area.code})",
                year=year,
                valid_from=area.valid_from,
            )
            return True
        if indicator.zero_means_missing:
            self._problem(
                "zero_means_missing", number, column, 0, indicator=indicator.code
            )
            return True
        return False

    def _within_range(self, number, column, cell, value: float, indicator) -> bool:
        if value < indicator.lower_limit:
            self._problem(
                "below_minimum",
                number,
                column,
                cell,
                limit=f"{indicator.lower_limit:g}",
                indicator=indicator.code,
            )
            return False
        if value > indicator.upper_limit:
            self._problem(
                "above_maximum",
                number,
                column,
                cell,
                limit=f"{indicator.upper_limit:g}",
                indicator=indicator.code,
            )
            return False
        return True

    # -- duplicates and totals ---------------------------------------------

    def _accept(self, records: list[Record]) -> None:
        for record in records:
            key = record.key
            earlier = self._seen.get(key)
            if earlier is None:
                self._seen[key] = record
                self.records.append(record)
            else:
                self._report_duplicate(record, earlier, earlier.row)

    def drop_keys_of_earlier_sheets(self, earlier: dict[tuple, Record]) -> None:
        """Drop the records whose key an earlier sheet of the file already gave.

        Each one gets the warning or the error of a duplicate within a sheet.
        The records kept are then added to ``earlier``, which is keyed like
        ``Record.key``.
        """
        if earlier:
            new_keys = []
            for record in self.records:
                first = earlier.get(record.key)
                if first is None:
                    new_keys.append(record)
                else:
                    self._report_duplicate(
                        record, first, f"{first.row} ({first.sheet})"
                    )
            self.records = new_keys
            self._drop_rejected()
        earlier.update((record.key, record) for record in self.records)

    def _report_duplicate(self, record: Record, earlier: Record, where: object) -> None:
        if earlier.value == record.value:
            self._problem(
                "repeated_duplicate", record.row, None, record.value, other_row=where
            )
            return
        self._problem(
            "conflicting_duplicate",
            record.row,
            None,
            record.value,
            indicator=record.indicator,
            area=record.area,
            year=record.year,
            disaggregation=f" ({record.disaggregation})"
            if record.disaggregation
            else "",
            other=earlier.value,
            other_row=where,
        )

    def _drop_rejected(self) -> None:
        if not self.rejected_rows:
            return
        rejected = set(self.rejected_rows)
        self.records = [record for record in self.records if record.row not in rejected]
        self._seen = {record.key: record for record in self.records}


def derive_totals(records: list[Record], catalogue: Catalogue) -> list[Record]:
    """Totals for summable indicators given only by category (men and women).

    A total is derived only when every category of a fixed dimension is
    present and no total was given; it is marked as derived.
    """
    groups: dict[tuple[str, str, int, str, str], dict[str, Record]] = {}
    for record in records:
        if not record.disaggregation or record.value is None:
            continue
        indicator = catalogue.by_code.get(record.indicator)
        if indicator is None or indicator.aggregation != "sum":
            continue
        pairs = parse_disaggregation(record.disaggregation)
        for dimension, category in pairs.items():
            if dimension not in COMPLETE_CATEGORIES:
                continue
            rest = disaggregation_text(
                {k: v for k, v in pairs.items() if k != dimension}
            )
            key = (record.indicator, record.area, record.year, rest, dimension)
            groups.setdefault(key, {})[category] = record
    if not groups:
        return []
    given = {record.key for record in records}
    derived = []
    for (indicator, area, year, rest, dimension), members in groups.items():
        if set(members) != COMPLETE_CATEGORIES[dimension]:
            continue
        if (indicator, area, year, rest) in given:
            continue
        total = sum(member.value for member in members.values())  # type: ignore[misc]
        first_row = min(member.row for member in members.values())
        derived.append(Record(indicator, area, year, rest, total, first_row, True))
        given.add((indicator, area, year, rest))
    return derived
