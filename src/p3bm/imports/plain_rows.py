"""Checking the plain rows of a table column by column.

Most rows of a large file are plain. Their area cells name a known area
without any finding, and their year and indicator are known. Each value cell
is a number within its indicator's range and in the indicator's own unit, for
an area at or above the indicator's lowest level. No value is a zero that the
indicator or the area's first year turns into a gap. Whether a row is plain
depends only on a few distinct cell values, so ``check_plain_rows`` checks
each distinct value once and combines the results for all rows with numpy.

A plain row produces no problem. Every other row, with anything unusual in
it, is left to ``RowReader.read``, which checks it row by row in file order
with the same caches. The records and problems are therefore the same as when
every row is read one by one; the tests compare both ways.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator
from p3bm.imports import units
from p3bm.imports.area_resolution import CACHE_SIZE
from p3bm.imports.layout import YES_NO_WORDS, Column, Role
from p3bm.imports.numbers import MISSING, NOT_APPLICABLE, Convention, parse_number
from p3bm.imports.records import (
    Record,
    RowReader,
    disaggregation_text,
    is_filled,
    unit_text,
)

# The number of an unknown indicator in the arrays below.
_NONE = -1
# The first year of an area whose beginning is unknown.
_EARLIEST = np.iinfo(np.int64).min


@dataclass
class PlainRows:
    """The plain data rows of a table, with their records."""

    # One flag per data row, in file order.
    is_plain: list[bool]
    # The records of the plain rows in file order: one per value column in
    # each row, in the order of the layout's value columns.
    records: list[Record]
    row_count: int
    has_distinct_keys: bool

    @property
    def is_complete(self) -> bool:
        """Whether every data row is plain and no two records share a key."""
        return self.row_count == len(self.is_plain) and self.has_distinct_keys


@dataclass
class _RowPart:
    """The value of one role for each data row, as an index into ``values``."""

    numbers: np.ndarray
    values: list


def check_plain_rows(reader: RowReader) -> PlainRows:
    """Find the data rows of the reader's table that need no row-by-row check.

    Resolves the distinct area cells in the order the rows first show them,
    as reading row by row does, so the resolver's cache and its suggestions
    for unknown names stay the same.
    """
    layout = reader.layout
    count = max(len(reader.table.rows) - layout.header_row - 1, 0)
    areas = _row_areas(reader, count)
    if areas is None:
        return PlainRows([False] * count, [], 0, True)
    years = _row_years(reader, count)
    indicators = _row_indicators(reader, count)
    checker = _Checker(reader, count, areas, years, indicators)
    for column in layout.value_columns:
        checker.add_value_column(column)
    return checker.result()


def _numbered(cells: list) -> _RowPart:
    """Number each cell by its distinct value, in order of first appearance.

    Values that are equal in Python but of different types, such as 1, 1.0
    and True, stay apart, because a cell reads differently as text, number or
    true/false.
    """
    distinct = dict.fromkeys(cells)
    if all(_is_text(value) for value in distinct):
        numbering = {cell: number for number, cell in enumerate(distinct)}
        numbers = np.fromiter(map(numbering.__getitem__, cells), np.intp, len(cells))
        return _RowPart(numbers, list(distinct))
    keys = [_typed(cell) for cell in cells]
    typed = {key: number for number, key in enumerate(dict.fromkeys(keys))}
    numbers = np.fromiter(map(typed.__getitem__, keys), np.intp, len(keys))
    return _RowPart(numbers, [_untyped(key) for key in typed])


def _is_text(value: object) -> bool:
    if isinstance(value, tuple):
        return all(item is None or item.__class__ is str for item in value)
    return value is None or value.__class__ is str


def _typed(cell: object) -> tuple:
    if isinstance(cell, tuple):
        return tuple((item.__class__, item) for item in cell)
    return (cell.__class__, cell)


def _untyped(key: tuple) -> object:
    if key and isinstance(key[0], tuple):
        return tuple(item for _, item in key)
    return key[1]


def _cells_of(reader: RowReader, columns: list[Column]) -> list:
    """Return the cells of the given columns in each data row, as tuples."""
    return list(zip(*(reader.column_cells(c.index) for c in columns), strict=True))


def _row_areas(reader: RowReader, count: int) -> _RowPart | None:
    """Resolve the area of each row, None where its cells need the row-by-row check.

    Returns None when the table has more distinct area cells than the
    resolver's cache keeps, since resolving them all ahead would then change
    which ones it still has when the rows are read.
    """
    layout = reader.layout
    if layout.fixed_area is not None:
        area = reader.index.by_code_map[layout.fixed_area]
        return _RowPart(np.zeros(count, np.intp), [area])
    indices = reader.area_indices
    if not indices:
        return None
    if len(indices) == 1:
        part = _numbered(reader.column_cells(indices[0]))
        part.values = [(cell,) for cell in part.values]
    else:
        part = _numbered(list(zip(*map(reader.column_cells, indices), strict=True)))
    if len(part.values) > CACHE_SIZE:
        return None
    # A lone code column holding exact codes needs no resolver: such a cell
    # gives its area without any finding.
    exact = reader.index.by_code_map if reader.has_codes_only else {}
    part.values = [
        exact.get(cells[0]) or _plain_area(reader, cells) for cells in part.values
    ]
    return part


def _plain_area(reader: RowReader, cells: tuple) -> Area | None:
    if not any(is_filled(cell) for cell in cells):
        return None
    area, findings = reader.resolve_area(cells)
    return None if findings else area


def _row_years(reader: RowReader, count: int) -> _RowPart | None:
    """Return the year of each row, or None when the table has no year column."""
    layout = reader.layout
    if layout.fixed_year is not None:
        return _RowPart(np.zeros(count, np.intp), [layout.fixed_year])
    columns = layout.of_role(Role.YEAR)
    if not columns:
        return None
    part = _numbered(reader.column_cells(columns[0].index))
    part.values = [_plain_year(reader, cell) for cell in part.values]
    return part


def _plain_year(reader: RowReader, cell: object) -> int | None:
    try:
        return reader.year_of(cell)
    except (ValueError, OverflowError):
        # A NaN or infinite number; reading the row raises it again if it matters.
        return None


def _row_indicators(reader: RowReader, count: int) -> _RowPart | None:
    """Return the indicator of each row, or None without an indicator column."""
    layout = reader.layout
    if layout.fixed_indicator is not None:
        return _RowPart(np.zeros(count, np.intp), [layout.fixed_indicator])
    columns = layout.of_role(Role.INDICATOR)
    if not columns:
        return None
    part = _numbered(reader.column_cells(columns[0].index))
    part.values = [reader.indicator_of(cell) for cell in part.values]
    return part


def _plain_number(cell: object, convention: Convention) -> float:
    """Read the number in a plain value cell, or NaN when it needs the full check.

    Empty, missing, not-applicable and yes/no cells, text that is no number
    and numbers the column's convention cannot settle all need it.
    """
    if isinstance(cell, str) and cell.strip().lower() in YES_NO_WORDS:
        return math.nan
    try:
        value = parse_number(cell, convention)
    except (ValueError, OverflowError):
        return math.nan
    if value is MISSING or value is NOT_APPLICABLE:
        return math.nan
    return float(value)  # type: ignore[arg-type]


class _Checker:
    """Combine the per-value results of each value column for every row."""

    def __init__(
        self,
        reader: RowReader,
        count: int,
        areas: _RowPart,
        years: _RowPart | None,
        indicators: _RowPart | None,
    ) -> None:
        self.reader = reader
        self.count = count
        self.areas = areas
        self.area_ok = np.array([a is not None for a in areas.values], bool)
        self.area_levels = np.array([a.level if a else 0 for a in areas.values])
        self.area_codes = np.array([a.code if a else "" for a in areas.values], object)
        self.area_valid_from = np.array(
            [
                _EARLIEST if a is None or a.valid_from is None else a.valid_from
                for a in areas.values
            ],
            np.int64,
        )
        code_numbers: dict[str, int] = {}
        self.area_keys = np.array(
            [
                code_numbers.setdefault(code, len(code_numbers))
                for code in self.area_codes
            ],
            np.int64,
        )
        self.area_key_count = max(len(code_numbers), 1)

        # A row whose year or indicator cell is unknown is reported even when
        # its value columns carry their own year or indicator.
        self.plain = self.area_ok[areas.numbers]
        self.row_years = self._plain_years(years)
        self.indicators: list[Indicator] = []
        self._indicator_numbers: dict[str, int] = {}
        self.row_indicators = self._plain_indicators(indicators)
        self.disaggregations = self._row_disaggregations()
        self.units = self._row_units()
        self._text_numbers: dict[str, int] = {}
        self.columns: list[tuple[np.ndarray, ...]] = []

    def _plain_years(self, years: _RowPart | None) -> np.ndarray | None:
        if years is None:
            return None
        values = np.array([0 if y is None else y for y in years.values], np.int64)
        known = np.array([y is not None for y in years.values], bool)
        self.plain &= known[years.numbers]
        return values[years.numbers]

    def _plain_indicators(self, indicators: _RowPart | None) -> np.ndarray | None:
        if indicators is None:
            return None
        numbers = np.array([self._indicator_number(i) for i in indicators.values])
        row_numbers = numbers[indicators.numbers]
        self.plain &= row_numbers != _NONE
        return row_numbers

    def _indicator_number(self, indicator: Indicator | None) -> int:
        if indicator is None:
            return _NONE
        if indicator.code not in self._indicator_numbers:
            self._indicator_numbers[indicator.code] = len(self.indicators)
            self.indicators.append(indicator)
        return self._indicator_numbers[indicator.code]

    def _row_disaggregations(self) -> _RowPart:
        columns = self.reader.layout.of_role(Role.DISAGGREGATION)
        if not columns:
            return _RowPart(np.zeros(self.count, np.intp), [{}])
        part = _numbered(_cells_of(self.reader, columns))
        known = np.array(
            [not self.reader.unknown_categories(cells) for cells in part.values], bool
        )
        self.plain &= known[part.numbers]
        part.values = [self.reader.disaggregation_of(cells) for cells in part.values]
        return part

    def _row_units(self) -> _RowPart | None:
        columns = self.reader.layout.of_role(Role.UNIT)
        if not columns:
            return None
        part = _numbered(self.reader.column_cells(columns[0].index))
        part.values = [unit_text(cell) for cell in part.values]
        return part

    def add_value_column(self, column: Column) -> None:
        """Mark the rows whose cell in ``column`` is not plain, and keep its keys."""
        part = _numbered(self.reader.column_cells(column.index))
        convention = self.reader.conventions.get(column.index, Convention.UNKNOWN)
        numbers = np.array([_plain_number(cell, convention) for cell in part.values])
        values = numbers[part.numbers] if part.values else np.zeros(0)

        indicators = self._column_indicators(column)
        known = indicators != _NONE
        index = np.where(known, indicators, 0)
        lowest, minimum, maximum = self._indicator_limits()
        area_numbers = self.areas.numbers
        with np.errstate(invalid="ignore"):
            plain = known & ~np.isnan(values)
            plain &= values >= minimum[index]
            plain &= values <= maximum[index]
        plain &= self.area_levels[area_numbers] <= lowest[index]
        plain &= self._same_unit(index)

        years = self._column_years(column)
        if years is None:
            plain[:] = False
            years = np.zeros(self.count, np.int64)
        plain &= self._zero_is_kept(values, index, years)
        self.plain &= plain
        texts, text_keys = self._disaggregation_texts(column)
        self.columns.append(
            (index, area_numbers, years, texts, text_keys, values, column.header)
        )

    def _zero_is_kept(self, values, index, years) -> np.ndarray | bool:
        """Check that each zero stays a value: the area existed and 0 is no gap."""
        zero = values == 0
        if not zero.any():
            return True
        means_missing = np.array([i.zero_means_missing for i in self.indicators], bool)
        existed = years >= self.area_valid_from[self.areas.numbers]
        return ~zero | (existed & ~means_missing[index])

    def _column_indicators(self, column: Column) -> np.ndarray:
        if column.indicator is not None:
            number = self._indicator_number(column.indicator)
            return np.full(self.count, number, np.intp)
        if self.row_indicators is None:
            return np.full(self.count, _NONE, np.intp)
        return self.row_indicators

    def _column_years(self, column: Column) -> np.ndarray | None:
        if column.year is not None:
            return np.full(self.count, column.year, np.int64)
        return self.row_years

    def _indicator_limits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        items = self.indicators or [None]
        lowest = np.array([i.lowest_level if i else -1 for i in items])
        minimum = np.array([i.lower_limit if i else -math.inf for i in items])
        maximum = np.array([i.upper_limit if i else math.inf for i in items])
        return lowest, minimum, maximum

    def _same_unit(self, index: np.ndarray) -> np.ndarray | bool:
        """Check that each row's unit cell is empty or the indicator's own unit."""
        if self.units is None:
            return True
        table = np.zeros((len(self.units.values), max(len(self.indicators), 1)), bool)
        for row, text in enumerate(self.units.values):
            for number, indicator in enumerate(self.indicators):
                table[row, number] = text is None or _factor(text, indicator) == 1.0
        return table[self.units.numbers, index]

    def _disaggregation_texts(self, column: Column) -> tuple[np.ndarray, np.ndarray]:
        """Return the disaggregation text of each row's value, and its number."""
        texts = []
        for pairs in self.disaggregations.values:
            if column.category is not None:
                dimension, category = column.category
                pairs = dict(pairs)
                if dimension:
                    pairs[dimension] = category
            texts.append(disaggregation_text(pairs))
        keys = [
            self._text_numbers.setdefault(text, len(self._text_numbers))
            for text in texts
        ]
        numbers = self.disaggregations.numbers
        return np.array(texts, object)[numbers], np.array(keys, np.int64)[numbers]

    def result(self) -> PlainRows:
        positions = np.flatnonzero(self.plain)
        codes = np.array([item.code for item in self.indicators] or [""], object)
        numbers = np.asarray(self.reader.table.row_numbers, np.int64)
        rows = numbers[self.reader.layout.header_row + 1 :][positions].tolist()
        by_column = []
        sheet = self.reader.table.sheet
        for index, area_numbers, years, texts, _, values, header in self.columns:
            by_column.append(
                list(
                    map(
                        Record,
                        codes[index[positions]].tolist(),
                        self.area_codes[area_numbers[positions]].tolist(),
                        years[positions].tolist(),
                        texts[positions].tolist(),
                        values[positions].tolist(),
                        rows,
                        repeat(False),
                        repeat(sheet),
                        repeat(header),
                    )
                )
            )
        if len(by_column) == 1:
            records = by_column[0]
        else:
            records = [
                record for group in zip(*by_column, strict=True) for record in group
            ]
        return PlainRows(
            self.plain.tolist(),
            records,
            len(positions),
            self._has_distinct_keys(positions),
        )

    def _has_distinct_keys(self, positions: np.ndarray) -> bool:
        """Check that no two records of the plain rows share a key.

        Returns False, so that the rows are accepted one by one, when the
        key numbers would not fit in 63 bits.
        """
        if not self.columns:
            return True
        indicators, areas, years, texts = [], [], [], []
        for index, area_numbers, column_years, _, text_keys, _, _ in self.columns:
            indicators.append(index[positions])
            areas.append(self.area_keys[area_numbers[positions]])
            years.append(column_years[positions])
            texts.append(text_keys[positions])
        all_years = np.concatenate(years)
        first_year = int(all_years.min(initial=0))
        parts = [
            (np.concatenate(indicators), max(len(self.indicators), 1)),
            (np.concatenate(areas), self.area_key_count),
            (all_years - first_year, int(all_years.max(initial=0)) - first_year + 1),
            (np.concatenate(texts), max(len(self._text_numbers), 1)),
        ]
        if math.prod(size for _, size in parts) >= 2**63:
            return False
        keys = np.zeros(len(all_years), np.int64)
        for numbers, size in parts:
            keys = keys * size + numbers
        keys.sort()
        return not (keys[1:] == keys[:-1]).any()


def _factor(text: str, indicator: Indicator) -> float | None:
    return units.conversion_factor(text, indicator.unit)
