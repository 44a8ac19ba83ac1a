"""The indicator catalogue: what each indicator means and how it behaves.

The default catalogue is ``data/catalogue.csv`` in this package. A region can
export it with ``p3bm indicators --format csv``, edit it in a spreadsheet and
load it back with ``p3bm catalogue load FILE``. Columns:

code, name, name_en, unit, unit_en
    Stable code, names and units in Indonesian and English.
polarity
    ``+`` higher is better, ``-`` lower is better, ``0`` neutral.
aggregation, numerator, denominator, factor, weight
    How values combine across areas: ``sum``, ``ratio`` (sum of numerator
    over sum of denominator, times factor), ``weighted_mean`` (by the
    ``weight`` indicator), ``min``, ``max`` or ``none``.
sector, data_type, source, skpd
    Sector code, ``statistik`` or ``sektoral``, publisher, and the SKPD that
    reports it.
lowest_level
    Lowest level at which the indicator is produced (provinsi, kabupaten,
    kecamatan, kelurahan).
frequency_years, frequency_base_year
    A value is due every N years counted from the base year (1 = yearly).
sdg, minimum, maximum, zero_means_missing, decimals, method_breaks
    SDG code, valid range, whether a zero is a placeholder for no data,
    display precision, and years in which the method changed.
determinants, aliases, definition, definition_en
    Space-separated determinant codes, ``|``-separated other names used to
    recognise the indicator in files, and definitions.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.catalogue_history import record_catalogue_changes
from p3bm.errors import CatalogueError, IndicatorNotFound
from p3bm.spreadsheet import unescape_csv_value
from p3bm.storage.schema import indicator as indicator_table
from p3bm.storage.schema import observation, skpd

AGGREGATIONS = ("sum", "ratio", "weighted_mean", "min", "max", "none")
DATA_TYPES = ("statistik", "sektoral")
POLARITIES = {"+": 1, "-": -1, "0": 0}
SECTORS = {
    "kemiskinan": ("Kemiskinan", "Poverty"),
    "ketenagakerjaan": ("Ketenagakerjaan", "Employment"),
    "pendidikan": ("Pendidikan", "Education"),
    "kesehatan_gizi": ("Kesehatan dan gizi", "Health and nutrition"),
    "perumahan": ("Perumahan", "Housing"),
    "air_sanitasi": ("Air minum dan sanitasi", "Water and sanitation"),
    "infrastruktur": ("Infrastruktur", "Infrastructure"),
    "perlindungan_sosial": ("Perlindungan sosial", "Social protection"),
    "ekonomi": ("Ekonomi", "Economy"),
    "lingkungan": ("Lingkungan hidup", "Environment"),
    "kependudukan": ("Kependudukan", "Population"),
}
REQUIRED_COLUMNS = (
    "code",
    "name",
    "name_en",
    "unit",
    "polarity",
    "aggregation",
    "sector",
    "data_type",
    "skpd",
    "lowest_level",
)
_TRUE_WORDS = {"ya", "yes", "true", "1", "y"}
_FALSE_WORDS = {"tidak", "no", "false", "0", "n", ""}
_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_TOKEN = re.compile(r"[0-9a-z]+")
# The largest magnitude any value may have when its indicator sets no limit:
# far above any real figure (a nation's GDP in rupiah is about 2e16), and far
# enough below the float limit that sums over every village stay finite.
LARGEST_VALUE = 1e18


@dataclass(frozen=True)
class Indicator:
    """One catalogue entry."""

    code: str
    name: str
    name_en: str
    unit: str
    polarity: int
    aggregation: str
    sector: str
    data_type: str
    skpd: str
    lowest_level: int
    unit_en: str = ""
    definition: str = ""
    definition_en: str = ""
    numerator: str | None = None
    denominator: str | None = None
    factor: float | None = None
    weight: str | None = None
    source: str = ""
    frequency_years: int = 1
    frequency_base_year: int | None = None
    sdg: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    zero_means_missing: bool = False
    decimals: int | None = None
    method_breaks: tuple[int, ...] = ()
    determinants: tuple[str, ...] = ()
    aliases: tuple[str, ...] = field(default=())
    position: int = 0

    def is_due(self, year: int) -> bool:
        """Whether a value is expected for ``year`` under the indicator's frequency."""
        if self.frequency_years <= 1:
            return True
        base = self.frequency_base_year or year
        return (year - base) % self.frequency_years == 0

    @property
    def lower_limit(self) -> float:
        """The smallest value accepted: the catalogue's minimum, else -LARGEST_VALUE."""
        return -LARGEST_VALUE if self.minimum is None else self.minimum

    @property
    def upper_limit(self) -> float:
        """The largest value accepted: the catalogue's maximum, else LARGEST_VALUE."""
        return LARGEST_VALUE if self.maximum is None else self.maximum

    def applies_at(self, level: int) -> bool:
        """Whether the indicator is produced at an area level."""
        return level <= self.lowest_level

    def label(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name

    def unit_label(self, lang: str) -> str:
        return (self.unit_en or self.unit) if lang == "en" else self.unit

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["polarity"] = {1: "+", -1: "-", 0: "0"}[self.polarity]
        data["lowest_level"] = codes.LEVEL_NAMES[self.lowest_level]
        data["method_breaks"] = list(self.method_breaks)
        data["determinants"] = list(self.determinants)
        data["aliases"] = list(self.aliases)
        return data


class _Place(NamedTuple):
    """The place of a catalogue problem, in English and in Indonesian."""

    english: str
    indonesian: str


def _row_place(source: str, number: int) -> _Place:
    return _Place(f"{source} row {number}", f"{source} baris {number}")


def _invalid(
    where: _Place, english: str, indonesian: str, hint: tuple[str, str] | None = None
) -> CatalogueError:
    """Build the error for a catalogue problem at ``where``, in both languages."""
    return CatalogueError(
        f"{where.english}: {english}",
        hint=hint[0] if hint else None,
        indonesian=(f"{where.indonesian}: {indonesian}", hint[1] if hint else None),
    )


def _text(row: dict[str, str], key: str) -> str:
    # The export escapes formula-like text, which loading undoes.
    return unescape_csv_value((row.get(key) or "").strip())


def _optional_number(row: dict[str, str], key: str, where: _Place) -> float | None:
    text = _text(row, key).replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise _invalid(
            where,
            f"column {key} has {text!r}, which is not a number.",
            f"kolom {key} berisi {text!r}, yang bukan angka.",
        ) from None


def _optional_int(row: dict[str, str], key: str, where: _Place) -> int | None:
    number = _optional_number(row, key, where)
    if number is None:
        return None
    if number != int(number):
        raise _invalid(
            where,
            f"column {key} needs a whole number, not {number}.",
            f"kolom {key} harus berisi bilangan bulat, bukan {number}.",
        )
    return int(number)


def _parse_bool(row: dict[str, str], key: str, where: _Place) -> bool:
    text = _text(row, key).lower()
    if text in _TRUE_WORDS:
        return True
    if text in _FALSE_WORDS:
        return False
    raise _invalid(
        where,
        f"column {key} has {text!r}. Write ya or tidak.",
        f"kolom {key} berisi {text!r}. Tulis ya atau tidak.",
    )


def _choice(
    row: dict[str, str], key: str, allowed: Iterable[str], where: _Place
) -> str:
    value = _text(row, key)
    allowed = tuple(allowed)
    if value not in allowed:
        choices = ", ".join(allowed)
        raise _invalid(
            where,
            f"column {key} has {value!r}. Use one of {choices}.",
            f"kolom {key} berisi {value!r}. Pakai salah satu dari {choices}.",
        )
    return value


def parse_indicator(row: dict[str, str], position: int, where: _Place) -> Indicator:
    """Build an Indicator from one catalogue row; raises CatalogueError."""
    code = _text(row, "code").upper()
    if not _CODE_PATTERN.match(code):
        raise _invalid(
            where,
            f"code {code!r} is invalid. Use capital letters, digits and "
            "underscores, starting with a letter.",
            f"kode {code!r} tidak sah. Pakai huruf kapital, angka dan garis bawah, "
            "diawali huruf.",
        )
    for key in REQUIRED_COLUMNS:
        if not _text(row, key):
            raise _invalid(
                where,
                f"column {key} is empty for {code}.",
                f"kolom {key} kosong untuk {code}.",
            )
    try:
        lowest = codes.parse_level(_text(row, "lowest_level"))
    except ValueError as exc:
        level = _text(row, "lowest_level")
        raise _invalid(
            where,
            f"lowest_level: {exc}.",
            f"lowest_level {level!r} bukan tingkat wilayah. Pakai provinsi, "
            "kabupaten, kecamatan atau kelurahan.",
        ) from None
    breaks = tuple(int(year) for year in _text(row, "method_breaks").split() if year)
    return Indicator(
        code=code,
        name=_text(row, "name"),
        name_en=_text(row, "name_en"),
        unit=_text(row, "unit"),
        unit_en=_text(row, "unit_en"),
        polarity=POLARITIES[_choice(row, "polarity", POLARITIES, where)],
        aggregation=_choice(row, "aggregation", AGGREGATIONS, where),
        sector=_choice(row, "sector", SECTORS, where),
        data_type=_choice(row, "data_type", DATA_TYPES, where),
        skpd=_text(row, "skpd").upper(),
        lowest_level=lowest,
        definition=_text(row, "definition"),
        definition_en=_text(row, "definition_en"),
        numerator=_text(row, "numerator").upper() or None,
        denominator=_text(row, "denominator").upper() or None,
        factor=_optional_number(row, "factor", where),
        weight=_text(row, "weight").upper() or None,
        source=_text(row, "source"),
        frequency_years=_optional_int(row, "frequency_years", where) or 1,
        frequency_base_year=_optional_int(row, "frequency_base_year", where),
        sdg=_text(row, "sdg") or None,
        minimum=_optional_number(row, "minimum", where),
        maximum=_optional_number(row, "maximum", where),
        zero_means_missing=_parse_bool(row, "zero_means_missing", where),
        decimals=_optional_int(row, "decimals", where),
        method_breaks=breaks,
        determinants=tuple(_text(row, "determinants").upper().split()),
        aliases=tuple(a.strip() for a in _text(row, "aliases").split("|") if a.strip()),
        position=position,
    )


def _check_references(indicators: list[Indicator], known_skpd: set[str]) -> None:
    known = {item.code for item in indicators}
    for item in indicators:
        where = _Place(f"indicator {item.code}", f"indikator {item.code}")
        if item.aggregation == "ratio" and not (item.numerator and item.denominator):
            raise _invalid(
                where,
                "a ratio needs numerator and denominator.",
                "rasio memerlukan numerator dan denominator.",
            )
        if item.aggregation == "weighted_mean" and not item.weight:
            raise _invalid(
                where,
                "a weighted mean needs a weight indicator.",
                "rata-rata tertimbang memerlukan indikator bobot (weight).",
            )
        for role, ref in (
            ("numerator", item.numerator),
            ("denominator", item.denominator),
            ("weight", item.weight),
            *(("determinant", code) for code in item.determinants),
        ):
            if ref and ref not in known:
                raise _invalid(
                    where,
                    f"{role} {ref} is not in the catalogue.",
                    f"{role} {ref} tidak ada di katalog.",
                )
        if known_skpd and item.skpd not in known_skpd:
            known_list = ", ".join(sorted(known_skpd))
            raise _invalid(
                where,
                f"SKPD {item.skpd} is unknown. Known: {known_list}.",
                f"SKPD {item.skpd} tidak dikenal. Yang dikenal: {known_list}.",
            )
        if (
            item.minimum is not None
            and item.maximum is not None
            and item.minimum > item.maximum
        ):
            raise _invalid(
                where,
                "minimum is above maximum.",
                "minimum lebih besar dari maksimum.",
            )


def parse_catalogue(text: str, source: str, known_skpd: set[str]) -> list[Indicator]:
    """Parse catalogue CSV text (comma or semicolon separated)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        columns = ", ".join(missing)
        raise CatalogueError(
            f"{source}: the catalogue lacks the column(s) {columns}.",
            hint="Start from `p3bm indicators --format csv`.",
            indonesian=(
                f"{source}: katalog tidak memiliki kolom {columns}.",
                "Mulailah dari `p3bm indicators --format csv`.",
            ),
        )
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        where = _row_place(source, number)
        item = parse_indicator(row, len(indicators), where)
        if item.code in seen:
            raise _invalid(
                where,
                f"code {item.code} appears twice.",
                f"kode {item.code} muncul dua kali.",
            )
        seen.add(item.code)
        indicators.append(item)
    if not indicators:
        raise CatalogueError(
            f"{source}: the catalogue has no rows.",
            indonesian=(f"{source}: katalog tidak berisi baris.", None),
        )
    _check_references(indicators, known_skpd)
    return indicators


def default_catalogue_text() -> str:
    return (resources.files("p3bm") / "data" / "catalogue.csv").read_text("utf-8")


def default_skpd_rows() -> list[dict[str, str]]:
    text = (resources.files("p3bm") / "data" / "skpd.csv").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def read_catalogue_file(path: Path, known_skpd: set[str]) -> list[Indicator]:
    """Read a catalogue from a CSV or XLSX file."""
    if path.suffix.lower() == ".xlsx":
        text = _xlsx_as_csv(path)
    else:
        try:
            text = path.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CatalogueError(
                f"Cannot read catalogue {path.name}: {exc}.",
                hint="Save it as CSV in UTF-8 or as XLSX.",
                indonesian=(
                    f"Katalog {path.name} tidak bisa dibaca: {exc}.",
                    "Simpan sebagai CSV UTF-8 atau XLSX.",
                ),
            ) from None
    return parse_catalogue(text, path.name, known_skpd)


def _xlsx_as_csv(path: Path) -> str:
    # Imported here: the import package itself reads the catalogue.
    from p3bm.imports.reading import read_tables

    # The import's reader rejects damaged, oversized and uncomputed workbooks.
    table = read_tables(path)[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in table.rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue()


def _indicator_row(item: Indicator) -> dict[str, object]:
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "definition": item.definition,
        "definition_en": item.definition_en,
        "unit": item.unit,
        "unit_en": item.unit_en,
        "polarity": item.polarity,
        "aggregation": item.aggregation,
        "numerator": item.numerator,
        "denominator": item.denominator,
        "factor": item.factor,
        "weight": item.weight,
        "sector": item.sector,
        "data_type": item.data_type,
        "source": item.source,
        "skpd_code": item.skpd,
        "lowest_level": item.lowest_level,
        "frequency_years": item.frequency_years,
        "frequency_base_year": item.frequency_base_year,
        "sdg": item.sdg,
        "minimum": item.minimum,
        "maximum": item.maximum,
        "zero_means_missing": item.zero_means_missing,
        "decimals": item.decimals,
        "method_breaks": list(item.method_breaks),
        "determinants": list(item.determinants),
        "aliases": list(item.aliases),
        "position": item.position,
    }


def ensure_skpd(connection: Connection) -> None:
    """Insert the bundled SKPD list where the table lacks them."""
    known = set(connection.execute(sa.select(skpd.c.code)).scalars())
    new = [row for row in default_skpd_rows() if row["code"] not in known]
    if new:
        connection.execute(skpd.insert(), new)


def known_skpd_codes(connection: Connection) -> set[str]:
    return set(connection.execute(sa.select(skpd.c.code)).scalars())


def store_catalogue(
    connection: Connection,
    indicators: list[Indicator],
    *,
    user: str,
    reason: str | None = None,
    source_file: str | None = None,
) -> dict[str, int]:
    """Replace the stored catalogue; return counts of added, updated and removed.

    Every indicator added, changed or removed goes into the catalogue's
    history with ``user``, ``reason`` and ``source_file``. Raises
    CatalogueError when an indicator that has observations would be removed,
    since its values would lose their meaning.
    """
    stored = {
        row["code"]: dict(row)
        for row in connection.execute(sa.select(indicator_table)).mappings()
    }
    new_codes = {item.code for item in indicators}
    removed = sorted(set(stored) - new_codes)
    if removed:
        used = sorted(
            connection.execute(
                sa.select(observation.c.indicator_code)
                .where(observation.c.indicator_code.in_(removed))
                .distinct()
            ).scalars()
        )
        if used:
            codes_used = ", ".join(used)
            raise CatalogueError(
                f"The new catalogue drops {codes_used}, which have stored values.",
                hint="Keep those rows in the file.",
                indonesian=(
                    f"Katalog baru menghapus {codes_used}, yang sudah memiliki nilai.",
                    "Biarkan baris-baris itu tetap ada di berkas.",
                ),
            )
        connection.execute(
            indicator_table.delete().where(indicator_table.c.code.in_(removed))
        )
    changes = [(code, "delete", stored[code], None) for code in removed]
    inserts = []
    # Only rows that differ count as updated, so loading the same file again
    # reports no change.
    updates = []
    for row in (_indicator_row(item) for item in indicators):
        before = stored.get(row["code"])
        if before is None:
            inserts.append(row)
            changes.append((row["code"], "insert", None, row))
            continue
        differing = [key for key, value in row.items() if before.get(key) != value]
        if differing:
            updates.append(row)
            old = {key: before.get(key) for key in differing}
            new = {key: row[key] for key in differing}
            changes.append((row["code"], "update", old, new))
    if inserts:
        connection.execute(indicator_table.insert(), inserts)
    for row in updates:
        connection.execute(
            indicator_table.update()
            .where(indicator_table.c.code == row["code"])
            .values(**row)
        )
    record_catalogue_changes(
        connection, changes, user=user, reason=reason, source_file=source_file
    )
    return {"added": len(inserts), "updated": len(updates), "removed": len(removed)}


def _from_db_row(row) -> Indicator:
    return Indicator(
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        unit=row.unit,
        unit_en=row.unit_en or "",
        polarity=row.polarity,
        aggregation=row.aggregation,
        sector=row.sector,
        data_type=row.data_type,
        skpd=row.skpd_code,
        lowest_level=row.lowest_level,
        definition=row.definition or "",
        definition_en=row.definition_en or "",
        numerator=row.numerator,
        denominator=row.denominator,
        factor=row.factor,
        weight=row.weight,
        source=row.source or "",
        frequency_years=row.frequency_years,
        frequency_base_year=row.frequency_base_year,
        sdg=row.sdg,
        minimum=row.minimum,
        maximum=row.maximum,
        zero_means_missing=bool(row.zero_means_missing),
        decimals=row.decimals,
        method_breaks=tuple(row.method_breaks or ()),
        determinants=tuple(row.determinants or ()),
        aliases=tuple(row.aliases or ()),
        position=row.position,
    )


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(text.casefold().replace("_", " ")))


class Catalogue:
    """The indicators of a database, found by code, name or alias."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self.indicators = sorted(indicators, key=lambda item: item.position)
        self.by_code = {item.code: item for item in self.indicators}

    # Names are split into words on first use: most readers look up codes only.
    @cached_property
    def _phrases(self) -> list[tuple[tuple[str, ...], str]]:
        found = []
        for item in self.indicators:
            for phrase in (item.name, item.name_en, *item.aliases):
                tokens = _tokens(phrase)
                if tokens:
                    found.append((tokens, item.code))
        return found

    @cached_property
    def _exact(self) -> dict[str, str]:
        return {" ".join(tokens): code for tokens, code in self._phrases}

    @classmethod
    def load(cls, connection: Connection) -> Catalogue:
        rows = connection.execute(
            sa.select(indicator_table).order_by(indicator_table.c.position)
        )
        return cls([_from_db_row(row) for row in rows])

    def __iter__(self):
        return iter(self.indicators)

    def __len__(self) -> int:
        return len(self.indicators)

    def get(self, code: str) -> Indicator:
        """The indicator with this code (any case); raises IndicatorNotFound."""
        item = self.by_code.get(code.strip().upper())
        if item is None:
            raise IndicatorNotFound(
                f"Indicator {code!r} is not in the catalogue.",
                hint="List the codes with `p3bm indicators`.",
                indonesian=(
                    f"Indikator {code!r} tidak ada di katalog.",
                    "Lihat kodenya dengan `p3bm indicators`.",
                ),
            )
        return item

    def match_exact(self, text: str) -> Indicator | None:
        """The indicator whose code, name or alias is exactly ``text``."""
        value = str(text).strip()
        if value.upper() in self.by_code:
            return self.by_code[value.upper()]
        code = self._exact.get(" ".join(_tokens(value)))
        return self.by_code[code] if code else None

    def match_phrase(self, text: str) -> Indicator | None:
        """The indicator named by the longest name or alias contained in ``text``.

        Used for column headers, sheet names, titles and file names. Returns
        None when nothing matches or two indicators tie for the longest match.
        """
        words = _tokens(text)
        best_length = 0
        best: set[str] = set()
        for phrase, code in self._phrases:
            size = len(phrase)
            if size < best_length or size > len(words):
                continue
            if _contains(words, phrase):
                if size > best_length:
                    best_length, best = size, {code}
                else:
                    best.add(code)
        if len(best) == 1:
            return self.by_code[best.pop()]
        return None


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    first = phrase[0]
    for start in range(len(words) - size + 1):
        if words[start] == first and words[start : start + size] == phrase:
            return True
    return False


def install_default_catalogue(
    connection: Connection, user: str = "system"
) -> dict[str, int]:
    """Store the bundled SKPD list and catalogue unless a catalogue exists."""
    ensure_skpd(connection)
    has_any = connection.execute(sa.select(indicator_table.c.code).limit(1)).first()
    if has_any:
        return {"added": 0, "updated": 0, "removed": 0}
    indicators = parse_catalogue(
        default_catalogue_text(), "catalogue.csv", known_skpd_codes(connection)
    )
    return store_catalogue(
        connection, indicators, user=user, source_file="catalogue.csv"
    )


def indicator_csv_rows(indicators: Iterable[Indicator]) -> list[dict[str, object]]:
    """Rows in the catalogue file layout, so an export can be loaded back."""
    result = []
    for item in indicators:
        result.append(
            {
                "code": item.code,
                "name": item.name,
                "name_en": item.name_en,
                "unit": item.unit,
                "unit_en": item.unit_en,
                "polarity": {1: "+", -1: "-", 0: "0"}[item.polarity],
                "aggregation": item.aggregation,
                "numerator": item.numerator or "",
                "denominator": item.denominator or "",
                "factor": _plain_number(item.factor),
                "weight": item.weight or "",
                "sector": item.sector,
                "data_type": item.data_type,
                "source": item.source,
                "skpd": item.skpd,
                "lowest_level": codes.LEVEL_NAMES[item.lowest_level],
                "frequency_years": item.frequency_years,
                "frequency_base_year": item.frequency_base_year or "",
                "sdg": item.sdg or "",
                "minimum": _plain_number(item.minimum),
                "maximum": _plain_number(item.maximum),
                "zero_means_missing": "ya" if item.zero_means_missing else "tidak",
                "decimals": "" if item.decimals is None else item.decimals,
                "method_breaks": " ".join(str(y) for y in item.method_breaks),
                "determinants": " ".join(item.determinants),
                "aliases": "|".join(item.aliases),
                "definition": item.definition,
                "definition_en": item.definition_en,
            }
        )
    return result


def _plain_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else str(value)


def skpd_names(connection: Connection) -> dict[str, str]:
    """SKPD code to Indonesian name."""
    return dict(connection.execute(sa.select(skpd.c.code, skpd.c.name)).all())
