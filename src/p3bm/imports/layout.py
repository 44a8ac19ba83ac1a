"""Recognising what each column of a table holds.

A table is long (one row per area, indicator and year), wide by year (years as
column headers), wide by indicator (one column per indicator) or wide by
category (``pria``, ``wanita``, ``total``). Each column gets a role from its
header and is confirmed by its content, so a BPS workbook whose area column is
headed ``Tahun`` still reads correctly. Options name columns the detection
cannot guess.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from p3bm.areas import codes
from p3bm.areas.index import AreaIndex
from p3bm.catalogue import Catalogue, Indicator
from p3bm.errors import AmbiguousAreaName, AreaNotFound, InputFileError
from p3bm.imports.numbers import (
    MISSING,
    NOT_APPLICABLE,
    AmbiguousNumber,
    parse_number,
    parse_year,
)
from p3bm.imports.reading import RawTable

SAMPLE_ROWS = 400
# A header that names a role needs half its distinct values to fit the role;
# a column recognised by content alone needs 80 to 90 %. Invalid values in a
# well-named column then become row errors instead of a misread layout.
HEADER_EVIDENCE_SHARE = 0.5

_CODE_WORDS = {"kode", "code", "kd", "kdj", "kodewilayah", "id_wilayah"}
_NAME_WORDS = {"nama", "name", "wilayah", "area", "region", "daerah"}
_YEAR_WORDS = {"tahun", "year", "thn", "periode", "period"}
_VALUE_WORDS = {"nilai", "value", "jumlah", "angka", "data", "total", "capaian"}
_INDICATOR_WORDS = {
    "indikator",
    "indicator",
    "series",
    "variabel",
    "variable",
    "uraian",
}
_UNIT_WORDS = {"satuan", "unit", "units"}
_IGNORE_WORDS = {
    "id",
    "no",
    "nomor",
    "nomer",
    "urut",
    "keterangan",
    "catatan",
    "note",
    "tingkat",
    "lalu",
    "sebelumnya",
    "referensi",
}
_LEVEL_WORDS = {
    "provinsi": codes.PROVINCE,
    "prov": codes.PROVINCE,
    "province": codes.PROVINCE,
    "propinsi": codes.PROVINCE,
    "kabupaten": codes.REGENCY,
    "kab": codes.REGENCY,
    "kota": codes.REGENCY,
    "kabkota": codes.REGENCY,
    "regency": codes.REGENCY,
    "city": codes.REGENCY,
    "kecamatan": codes.DISTRICT,
    "kec": codes.DISTRICT,
    "district": codes.DISTRICT,
    "distric": codes.DISTRICT,
    "kelurahan": codes.VILLAGE,
    "desa": codes.VILLAGE,
    "kel": codes.VILLAGE,
    "village": codes.VILLAGE,
}
# Dimension of a disaggregation column, by header.
DIMENSION_HEADERS = {
    "jenis_kelamin": "sex",
    "jk": "sex",
    "sex": "sex",
    "gender": "sex",
    "kelamin": "sex",
    "kelompok_umur": "age",
    "umur": "age",
    "age_group": "age",
    "usia": "age",
    "klasifikasi_daerah": "urban_rural",
    "tipe_daerah": "urban_rural",
    "perkotaan_perdesaan": "urban_rural",
    "urban_rural": "urban_rural",
}
# Category words, in cells or as column headers, and their canonical names.
CATEGORIES = {
    "laki_laki": ("sex", "male"),
    "lakilaki": ("sex", "male"),
    "laki": ("sex", "male"),
    "pria": ("sex", "male"),
    "male": ("sex", "male"),
    "l": ("sex", "male"),
    "perempuan": ("sex", "female"),
    "wanita": ("sex", "female"),
    "female": ("sex", "female"),
    "p": ("sex", "female"),
    "perkotaan": ("urban_rural", "urban"),
    "urban": ("urban_rural", "urban"),
    "perdesaan": ("urban_rural", "rural"),
    "pedesaan": ("urban_rural", "rural"),
    "rural": ("urban_rural", "rural"),
}
TOTAL_WORDS = {"total", "jumlah", "l_p", "lp", "semua", "all", "perkotaan_perdesaan"}
# Every category of a dimension, when they are few and fixed: a total can be
# derived only when all of them are present.
COMPLETE_CATEGORIES = {"sex": {"male", "female"}, "urban_rural": {"urban", "rural"}}
_YEAR_TOKEN = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


class Role(Enum):
    AREA_CODE = "area code"
    AREA_NAME = "area name"
    YEAR = "year"
    YEAR_VALUES = "values of one year"
    INDICATOR = "indicator"
    INDICATOR_VALUES = "values of one indicator"
    CATEGORY_VALUES = "values of one category"
    VALUE = "value"
    UNIT = "unit"
    DISAGGREGATION = "disaggregation"
    IGNORED = "ignored"


@dataclass
class Column:
    """One column of a table and what it holds."""

    index: int
    header: str
    role: Role = Role.IGNORED
    levels: set[int] | None = None
    year: int | None = None
    indicator: Indicator | None = None
    dimension: str | None = None
    category: tuple[str, str] | None = None


@dataclass
class Layout:
    """The roles of a table's columns and what the whole table shares."""

    table: RawTable
    header_row: int
    columns: list[Column]
    fixed_area: str | None = None
    fixed_year: int | None = None
    fixed_indicator: Indicator | None = None
    notes: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def of_role(self, role: Role) -> list[Column]:
        return [column for column in self.columns if column.role is role]

    @property
    def value_columns(self) -> list[Column]:
        roles = (
            Role.VALUE,
            Role.YEAR_VALUES,
            Role.INDICATOR_VALUES,
            Role.CATEGORY_VALUES,
        )
        return [column for column in self.columns if column.role in roles]

    @property
    def kind(self) -> str:
        if self.of_role(Role.YEAR_VALUES):
            return "wide by year"
        if len(self.of_role(Role.INDICATOR_VALUES)) > 1:
            return "wide by indicator"
        if self.of_role(Role.CATEGORY_VALUES):
            return "wide by category"
        return "long"


@dataclass
class LayoutOptions:
    """Options that settle what detection cannot."""

    indicator: str | None = None
    area: str | None = None
    area_columns: list[str] = field(default_factory=list)
    year: int | None = None
    year_column: str | None = None
    value_column: str | None = None
    indicator_column: str | None = None
    disaggregation_columns: list[str] = field(default_factory=list)


def header_key(text: object) -> str:
    """Lower-case header with runs of other characters as one underscore."""
    return re.sub(r"[^0-9a-z]+", "_", str(text or "").casefold()).strip("_")


def _words(text: str) -> set[str]:
    return set(text.split("_")) if text else set()


def _is_filled(cell: object) -> bool:
    return cell is not None and str(cell).strip() != ""


def find_header_row(table: RawTable) -> int:
    """Index of the header row: the first row of two or more cells that are not data.

    Rows above it that hold one distinct text become title lines. A row whose
    cells after the first all repeat one text is a title spread over merged
    cells, as in BPS tables.
    """
    for index, row in enumerate(table.rows[:50]):
        filled = [cell for cell in row if _is_filled(cell)]
        distinct = list(dict.fromkeys(str(cell).strip() for cell in filled))
        if len(distinct) < 2:
            if distinct:
                table.title_lines.append(distinct[0])
            continue
        rest = list(dict.fromkeys(str(c).strip() for c in row[1:] if _is_filled(c)))
        if len(rest) == 1 and len(filled) > 2 and index + 1 < len(table.rows):
            table.title_lines.append(rest[0])
            continue
        if _is_data_row(filled):
            continue
        return index
    raise InputFileError(
        f"{table.label}: no header row found in the first 50 rows.",
        hint="The first row of the table must name its columns.",
        indonesian=(
            f"{table.label}: baris judul kolom tidak ditemukan di 50 baris pertama.",
            "Baris pertama tabel harus berisi nama kolom.",
        ),
    )


def _is_data_row(cells: list[object]) -> bool:
    numbers = 0
    for cell in cells:
        if parse_year(cell) is not None:
            continue
        try:
            result = parse_number(cell)
        except ValueError:
            continue
        if result is not MISSING and result is not NOT_APPLICABLE:
            numbers += 1
    return numbers > len(cells) / 2


def _column_cells(table: RawTable, start: int, index: int) -> list[object]:
    """Up to SAMPLE_ROWS filled cells of a column, from the first data row on.

    The sample counts filled cells rather than rows: a template's value column
    may be empty for its first few hundred rows when only later ones are
    filled in.
    """
    cells = []
    for row in table.rows[start:]:
        if index < len(row) and _is_filled(row[index]):
            cells.append(row[index])
            if len(cells) == SAMPLE_ROWS:
                break
    return cells


def _share(cells: list[object], test) -> float:
    if not cells:
        return 0.0
    return sum(1 for cell in cells if test(cell)) / len(cells)


YES_NO_WORDS = {
    "ada": 1.0,
    "ya": 1.0,
    "yes": 1.0,
    "tidak ada": 0.0,
    "tidak": 0.0,
    "no": 0.0,
}


def _is_year(cell: object) -> bool:
    return parse_year(cell) is not None


def _numeric_share(cells: list[object]) -> float:
    def is_number(cell: object) -> bool:
        if str(cell).strip().lower() in YES_NO_WORDS:
            return True
        try:
            return parse_number(cell) is not MISSING
        except AmbiguousNumber:
            return True
        except ValueError:
            return False

    return _share(cells, is_number)


def _code_levels(index: AreaIndex, cells: list[object]) -> tuple[float, set[int]]:
    distinct = list(dict.fromkeys(str(cell) for cell in cells))
    levels: Counter[int] = Counter()
    found = 0
    for cell in distinct:
        if not index.looks_like_code(cell):
            continue
        area = index.by_code(cell)
        if area is not None:
            found += 1
            levels[area.level] += 1
    share = found / len(distinct) if distinct else 0.0
    return share, set(levels)


def _name_levels(
    index: AreaIndex, cells: list[object], levels: set[int] | None
) -> tuple[float, set[int]]:
    distinct = list(dict.fromkeys(str(cell).strip() for cell in cells))[:150]
    found_levels: Counter[int] = Counter()
    found = 0
    for cell in distinct:
        if not cell or cell.replace(".", "").isdigit():
            continue
        try:
            area = index.match_name(cell, levels=levels, suggest=False)
            found += 1
            found_levels[area.level] += 1
        except AmbiguousAreaName as exc:
            found += 1
            for candidate in exc.candidates:
                code = candidate.rsplit("(", 1)[1].rstrip(")")
                found_levels[codes.level_of_code(code)] += 1
        except AreaNotFound:
            continue
    share = found / len(distinct) if distinct else 0.0
    if not found_levels:
        return share, set()
    # Keep the levels most names resolve to; a few village namesakes are noise.
    top = max(found_levels.values())
    return share, {level for level, count in found_levels.items() if count >= 0.2 * top}


def _level_hint(words: set[str]) -> set[int] | None:
    levels = {_LEVEL_WORDS[word] for word in words if word in _LEVEL_WORDS}
    return levels or None


def _header_category(key: str) -> tuple[str, str] | None:
    if key in CATEGORIES:
        return CATEGORIES[key]
    if key in TOTAL_WORDS:
        return ("", "")
    return None


# Keys that a stored value is listed with beside its breakdowns, so they
# cannot name a breakdown.
RESERVED_DIMENSIONS = frozenset(
    {
        "indicator",
        "area",
        "year",
        "value",
        "source",
        "status",
        "is_derived",
        "version",
        "updated_at",
        "updated_by",
        "disaggregation",
    }
)


def _reserved_dimension(table: RawTable, name: str, key: str) -> InputFileError:
    return InputFileError(
        f"{table.label}: column {name!r} cannot be a breakdown, because {key!r} "
        "already names a field of every value.",
        hint=f"Rename the column, for example to {key}_kategori.",
        indonesian=(
            f"{table.label}: kolom {name!r} tidak dapat menjadi rincian, karena "
            f"{key!r} sudah menjadi nama bidang setiap nilai.",
            f"Ganti nama kolomnya, misalnya menjadi {key}_kategori.",
        ),
    )


def _find_named(columns: list[Column], name: str, table: RawTable) -> Column:
    wanted = header_key(name)
    for column in columns:
        if header_key(column.header) == wanted or column.header == name:
            return column
    listed = ", ".join(repr(column.header) for column in columns if column.header)
    raise InputFileError(
        f"{table.label}: there is no column {name!r}.",
        hint=f"The columns are: {listed}.",
        indonesian=(
            f"{table.label}: tidak ada kolom {name!r}.",
            f"Kolomnya: {listed}.",
        ),
    )


class LayoutDetector:
    """Assigns roles to the columns of one table."""

    def __init__(
        self,
        table: RawTable,
        catalogue: Catalogue,
        index: AreaIndex,
        options: LayoutOptions,
    ) -> None:
        self.table = table
        self.catalogue = catalogue
        self.index = index
        self.options = options

    def detect(self) -> Layout:
        header_row = find_header_row(self.table)
        header = self.table.rows[header_row]
        width = max(len(row) for row in self.table.rows)
        columns = [
            Column(
                i,
                str(header[i]).strip()
                if i < len(header) and header[i] is not None
                else "",
            )
            for i in range(width)
        ]
        layout = Layout(self.table, header_row, columns)
        self._claimed: set[int] = set()
        self._apply_options(layout)
        for column in columns:
            if column.index not in self._claimed:
                self._classify(layout, column)
        self._settle_indicator(layout)
        self._settle_year(layout)
        self._settle_area(layout)
        self._check_values(layout)
        return layout

    def _claim(self, layout: Layout, column: Column, role: Role) -> None:
        column.role = role
        self._claimed.add(column.index)

    def _apply_options(self, layout: Layout) -> None:
        options, columns = self.options, layout.columns
        start = layout.header_row + 1
        for name in options.area_columns:
            column = _find_named(columns, name, self.table)
            cells = _column_cells(self.table, start, column.index)
            share, levels = _code_levels(self.index, cells)
            if share >= 0.5:
                column.levels = levels
                self._claim(layout, column, Role.AREA_CODE)
            else:
                _, levels = _name_levels(self.index, cells, None)
                column.levels = levels or _level_hint(_words(header_key(name)))
                self._claim(layout, column, Role.AREA_NAME)
        if options.year_column:
            self._claim(
                layout, _find_named(columns, options.year_column, self.table), Role.YEAR
            )
        if options.value_column:
            self._claim(
                layout,
                _find_named(columns, options.value_column, self.table),
                Role.VALUE,
            )
        if options.indicator_column:
            column = _find_named(columns, options.indicator_column, self.table)
            self._claim(layout, column, Role.INDICATOR)
        for name in options.disaggregation_columns:
            column = _find_named(columns, name, self.table)
            column.dimension = DIMENSION_HEADERS.get(header_key(name), header_key(name))
            if column.dimension in RESERVED_DIMENSIONS:
                raise _reserved_dimension(self.table, name, column.dimension)
            self._claim(layout, column, Role.DISAGGREGATION)
        if options.indicator:
            layout.fixed_indicator = self.catalogue.get(options.indicator)
        if options.year is not None:
            layout.fixed_year = options.year
        if options.area:
            area = self.index.by_code(options.area)
            if area is None:
                raise AreaNotFound(
                    f"Area {options.area!r} given with --area is not in the database.",
                    hint="List the areas with `p3bm areas`.",
                )
            layout.fixed_area = area.code

    def _classify(self, layout: Layout, column: Column) -> None:
        key = header_key(column.header)
        words = _words(key)
        start = layout.header_row + 1
        year = parse_year(column.header)
        if year is not None and key not in _YEAR_WORDS:
            column.year = year
            column.role = Role.YEAR_VALUES
            return
        if key in DIMENSION_HEADERS:
            column.dimension = DIMENSION_HEADERS[key]
            column.role = Role.DISAGGREGATION
            return
        if key in _UNIT_WORDS:
            column.role = Role.UNIT
            return
        cells = _column_cells(self.table, start, column.index)
        if not cells:
            return
        if words & _YEAR_WORDS and _share(cells, _is_year) >= HEADER_EVIDENCE_SHARE:
            column.role = Role.YEAR
            return
        if (
            words & _INDICATOR_WORDS
            and self._indicator_share(cells) >= HEADER_EVIDENCE_SHARE
        ):
            column.role = Role.INDICATOR
            return
        # Named area columns replace detection, so a wrong code column can be
        # left out by naming the name column.
        detect_areas = not self.options.area_columns
        if detect_areas and (words & _CODE_WORDS or key in _CODE_WORDS):
            share, levels = _code_levels(self.index, cells)
            if share >= HEADER_EVIDENCE_SHARE:
                column.levels = levels
                column.role = Role.AREA_CODE
                return
        hint = _level_hint(words)
        if detect_areas and (words & _NAME_WORDS or hint):
            share, levels = _name_levels(self.index, cells, hint)
            if share >= HEADER_EVIDENCE_SHARE:
                column.levels = levels
                column.role = Role.AREA_NAME
                return
        if key in _VALUE_WORDS:
            column.role = Role.VALUE
            return
        indicator = None
        if column.header:
            indicator = self.catalogue.match_exact(
                column.header
            ) or self.catalogue.match_phrase(column.header)
        if indicator is not None and _numeric_share(cells) >= 0.5:
            column.indicator = indicator
            column.role = Role.INDICATOR_VALUES
            return
        category = _header_category(key)
        if category is not None and _numeric_share(cells) >= 0.5:
            column.category = category
            column.role = Role.CATEGORY_VALUES
            return
        if words & _IGNORE_WORDS:
            return
        self._classify_by_content(column, cells, detect_areas)

    def _classify_by_content(
        self, column: Column, cells: list[object], detect_areas: bool
    ) -> None:
        if not detect_areas:
            if _numeric_share(cells) < 0.5 and self._indicator_share(cells) >= 0.8:
                column.role = Role.INDICATOR
            return
        share, levels = _code_levels(self.index, cells)
        # Two-digit numbers are province codes only when a header says so.
        is_long_code = all(
            len(codes.clean_code_text(c)) > 2 or "." in str(c) for c in cells[:50]
        )
        if (
            share >= 0.9
            and _share(cells, self.index.looks_like_code) >= 0.9
            and is_long_code
        ):
            column.levels = levels
            column.role = Role.AREA_CODE
            return
        if _numeric_share(cells) < 0.5:
            share, levels = _name_levels(self.index, cells, None)
            if share >= 0.8:
                column.levels = levels
                column.role = Role.AREA_NAME
                return
            if self._indicator_share(cells) >= 0.8:
                column.role = Role.INDICATOR

    def _indicator_share(self, cells: list[object]) -> float:
        distinct = list(dict.fromkeys(str(cell) for cell in cells))[:100]
        return _share(
            distinct,
            lambda c: (
                (self.catalogue.match_exact(c) or self.catalogue.match_phrase(c))
                is not None
            ),
        )

    def _settle_indicator(self, layout: Layout) -> None:
        indicator_columns = layout.of_role(Role.INDICATOR_VALUES)
        if layout.fixed_indicator is not None:
            if indicator_columns and not layout.of_role(Role.VALUE):
                if len(indicator_columns) > 1:
                    names = ", ".join(repr(c.header) for c in indicator_columns)
                    raise InputFileError(
                        f"{self.table.label}: several columns hold values ({names}).",
                        hint="Pick one with --value-column.",
                    )
                indicator_columns[0].role = Role.VALUE
            return
        if layout.of_role(Role.INDICATOR) or indicator_columns:
            return
        indicator, where, text = self._indicator_from_text()
        if indicator is None:
            if (
                layout.of_role(Role.VALUE)
                or layout.of_role(Role.YEAR_VALUES)
                or layout.of_role(Role.CATEGORY_VALUES)
            ):
                raise InputFileError(
                    f"{self.table.label}: cannot tell which indicator the values are.",
                    hint="Pass --indicator CODE (see `p3bm indicators`).",
                    indonesian=(
                        f"{self.table.label}: tidak jelas nilai ini indikator apa.",
                        "Beri opsi --indicator KODE (lihat `p3bm indicators`).",
                    ),
                )
            return
        layout.fixed_indicator = indicator
        layout.notes.append(
            (
                "indicator_from_text",
                {"indicator": indicator.code, "where": where, "value": text},
            )
        )

    def _indicator_from_text(self) -> tuple[Indicator | None, str, str]:
        candidates = [("title", line) for line in self.table.title_lines]
        if self.table.sheet:
            candidates.append(("sheet", self.table.sheet))
        candidates.append(("file", Path(self.table.file_name).stem))
        for where, text in candidates:
            indicator = self.catalogue.match_phrase(text)
            if indicator is not None:
                return indicator, where, text
        return None, "", ""

    def _settle_year(self, layout: Layout) -> None:
        if (
            layout.fixed_year is not None
            or layout.of_role(Role.YEAR)
            or layout.of_role(Role.YEAR_VALUES)
        ):
            return
        texts = [("title", line) for line in self.table.title_lines]
        if self.table.sheet:
            texts.append(("sheet", self.table.sheet))
        texts.append(("file", Path(self.table.file_name).stem))
        for where, text in texts:
            years = set(_YEAR_TOKEN.findall(text))
            if len(years) == 1:
                layout.fixed_year = int(years.pop())
                layout.notes.append(
                    ("year_from_text", {"year": layout.fixed_year, "where": where})
                )
                return
        raise InputFileError(
            f"{self.table.label}: there is no year column and no year in the title.",
            hint="Pass --year YEAR or --year-column COLUMN.",
            indonesian=(
                f"{self.table.label}: tidak ada kolom tahun dan tahun di judul.",
                "Beri opsi --year TAHUN atau --year-column KOLOM.",
            ),
        )

    def _settle_area(self, layout: Layout) -> None:
        if layout.fixed_area is not None:
            return
        for column in layout.of_role(Role.AREA_NAME):
            # Tables of provinces or regencies often end with the national total.
            if column.levels:
                column.levels.add(codes.COUNTRY)
        if not (layout.of_role(Role.AREA_CODE) or layout.of_role(Role.AREA_NAME)):
            raise InputFileError(
                f"{self.table.label}: no column holds area codes or names.",
                hint="Pass --area-column COLUMN, or --area CODE when the whole "
                "file is about one area.",
                indonesian=(
                    f"{self.table.label}: tidak ada kolom kode atau nama wilayah.",
                    "Beri opsi --area-column KOLOM, atau --area KODE bila seluruh "
                    "berkas tentang satu wilayah.",
                ),
            )

    def _check_values(self, layout: Layout) -> None:
        if not layout.value_columns:
            listed = ", ".join(repr(c.header) for c in layout.columns if c.header)
            raise InputFileError(
                f"{self.table.label}: cannot tell which column holds the values.",
                hint=f"The columns are: {listed}. Pass --value-column COLUMN.",
                indonesian=(
                    f"{self.table.label}: tidak jelas kolom mana yang berisi nilai.",
                    f"Kolomnya: {listed}. Beri opsi --value-column KOLOM.",
                ),
            )
        if layout.of_role(Role.CATEGORY_VALUES) and not layout.fixed_indicator:
            raise InputFileError(
                f"{self.table.label}: cannot tell which indicator the values are.",
                hint="Pass --indicator CODE.",
                indonesian=(
                    f"{self.table.label}: tidak jelas nilai ini indikator apa.",
                    "Beri opsi --indicator KODE.",
                ),
            )


def detect_layout(
    table: RawTable, catalogue: Catalogue, index: AreaIndex, options: LayoutOptions
) -> Layout:
    """Find the header row and the role of every column of a table.

    Raises InputFileError, naming the option to pass, when a role cannot be
    settled.
    """
    return LayoutDetector(table, catalogue, index, options).detect()
