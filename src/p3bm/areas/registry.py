"""The official area list: loading a region from the bundled codes and querying it.

The bundled codes are the CSV files of the npm package ``idn-area-data`` 4.0.1
(ODbL), which follow Kepmendagri 300.2.2-2138/2025: 38 provinces, 514
kabupaten/kota, 7,285 kecamatan and 83,762 desa/kelurahan.
"""

from __future__ import annotations

import csv
import gzip
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.codes import COUNTRY_CODE, DISTRICT, PROVINCE, REGENCY, VILLAGE
from p3bm.errors import AreaNotFound, RegionNotFound
from p3bm.storage import bulk
from p3bm.storage.database import Database
from p3bm.storage.schema import area as area_table
from p3bm.storage.schema import area_alias, crosswalk, meta

logger = logging.getLogger(__name__)

COUNTRY_NAME = "Indonesia"
_AREA_COLUMNS = ("code", "name", "level", "kind", "parent_code", "bps_code")


@dataclass(frozen=True)
class Area:
    """One area of the hierarchy, from the country down to a village."""

    code: str
    name: str
    level: int
    kind: str
    parent_code: str | None
    bps_code: str | None = None
    valid_from: int | None = None
    valid_to: int | None = None
    has_boundary: bool = False

    @property
    def level_name(self) -> str:
        return codes.LEVEL_NAMES[self.level]

    def is_valid_in(self, year: int) -> bool:
        """Whether the area existed in ``year``, when its validity is known."""
        if self.valid_from is not None and year < self.valid_from:
            return False
        return not (self.valid_to is not None and year > self.valid_to)

    def is_within(self, ancestor_code: str) -> bool:
        if ancestor_code == COUNTRY_CODE or ancestor_code == self.code:
            return True
        return self.code.startswith(ancestor_code + ".")

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["level"] = self.level_name
        data["parent"] = data.pop("parent_code")
        return data


def _read_bundled(name: str) -> Iterator[dict[str, str]]:
    path = resources.files("p3bm") / "data" / "wilayah" / f"{name}.csv.gz"
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
        yield from csv.DictReader(text)


def _regency_kind(name: str) -> str:
    return "kota" if name.startswith("Kota ") else "kabupaten"


def bundled_areas(region: str) -> list[tuple]:
    """Rows of the country, all provinces and kabupaten/kota, and ``region``'s subtree.

    Rows follow ``_AREA_COLUMNS`` and come parents first. The compressed
    files are read once per region and process, because scanning the 83,762
    villages took about 0.3 s a call on a two-core machine and the tests
    build hundreds of databases.
    """
    return list(_read_bundled_areas(region))


@lru_cache(maxsize=4)
def _read_bundled_areas(region: str) -> tuple[tuple, ...]:
    rows: list[tuple] = [(COUNTRY_CODE, COUNTRY_NAME, 0, "negara", None, None)]
    for row in _read_bundled("provinces"):
        rows.append(
            (row["code"], row["name"], PROVINCE, "provinsi", COUNTRY_CODE, row["code"])
        )
    for row in _read_bundled("regencies"):
        rows.append(
            (
                row["code"],
                row["name"],
                REGENCY,
                _regency_kind(row["name"]),
                row["province_code"],
                row["code"].replace(".", ""),
            )
        )
    if region == COUNTRY_CODE or codes.level_of_code(region) < DISTRICT:
        prefix = "" if region == COUNTRY_CODE else region + "."
        for row in _read_bundled("districts"):
            if row["code"].startswith(prefix):
                rows.append(
                    (
                        row["code"],
                        row["name"],
                        DISTRICT,
                        "kecamatan",
                        row["regency_code"],
                        None,
                    )
                )
        for row in _read_bundled("villages"):
            if row["code"].startswith(prefix):
                rows.append(
                    (
                        row["code"],
                        row["name"],
                        VILLAGE,
                        codes.village_kind(row["code"]),
                        row["district_code"],
                        None,
                    )
                )
    return tuple(rows)


def _bundled_rows(name: str) -> list[dict[str, str]]:
    path = resources.files("p3bm") / "data" / name
    with path.open("r", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def region_code(text: str) -> str:
    """Dotted code of a region given as Kemendagri or BPS code, or ``ID``.

    Raises RegionNotFound unless it is the country, a province or a
    kabupaten/kota in the bundled list.
    """
    value = codes.clean_code_text(text).upper()
    if value in ("ID", "INDONESIA", "0", "00"):
        return COUNTRY_CODE
    if not codes.is_dotted_code(value):
        value = codes.dotted_from_digits(value) or value
    if codes.is_dotted_code(value) and codes.level_of_code(value) <= REGENCY:
        known = {row["code"] for row in _read_bundled("provinces")}
        known.update(row["code"] for row in _read_bundled("regencies"))
        if value in known:
            return value
    raise RegionNotFound(
        f"Region {text!r} is not a province or kabupaten/kota code.",
        hint="Use a Kemendagri code such as 32 or 32.75, a BPS code such as 3275, "
        "or ID for the whole country.",
        indonesian=(
            f"Wilayah {text!r} bukan kode provinsi atau kabupaten/kota.",
            "Pakai kode Kemendagri seperti 32 atau 32.75, kode BPS seperti 3275, "
            "atau ID untuk seluruh Indonesia.",
        ),
    )


def load_region(db: Database, region: str) -> dict[str, int]:
    """Insert or rename the areas of a region; return the count of areas per level.

    Existing areas keep their boundaries and observations. The region is
    recorded in the ``meta`` table as the database's home region.
    """
    code = region_code(region)
    rows = bundled_areas(code)
    with db.begin() as connection:
        existing = dict(
            connection.execute(sa.select(area_table.c.code, area_table.c.name)).all()
        )
        new_rows = [row for row in rows if row[0] not in existing]
        renamed = [
            {"c": row[0], "n": row[1]}
            for row in rows
            if row[0] in existing and existing[row[0]] != row[1]
        ]
        bulk.insert_rows(connection, "area", _AREA_COLUMNS, new_rows)
        if renamed:
            connection.execute(
                area_table.update()
                .where(area_table.c.code == sa.bindparam("c"))
                .values(name=sa.bindparam("n")),
                renamed,
            )
        _apply_validity(connection)
        _apply_bundled_aliases(connection)
        _record_region(connection, code)
        if db.is_postgresql:
            bulk.analyze(connection, "area")
    counts = [0] * 5
    for row in rows:
        counts[row[2]] += 1
    logger.info(
        "region %s loaded: %d new areas, %d renamed", code, len(new_rows), len(renamed)
    )
    return dict(zip(codes.LEVEL_NAMES, counts, strict=True)) | {
        "added": len(new_rows),
        "renamed": len(renamed),
    }


def _apply_validity(connection: Connection) -> None:
    for row in _bundled_rows("area_validity.csv"):
        connection.execute(
            area_table.update()
            .where(area_table.c.code == row["code"])
            .values(
                valid_from=int(row["valid_from"]) if row["valid_from"] else None,
                valid_to=int(row["valid_to"]) if row["valid_to"] else None,
            )
        )


def _apply_bundled_aliases(connection: Connection) -> None:
    existing = set(
        connection.execute(sa.select(area_alias.c.area_code, area_alias.c.alias))
    )
    known = set(connection.execute(sa.select(area_table.c.code)).scalars())
    new = [
        {"area_code": row["code"], "alias": row["alias"]}
        for row in _bundled_rows("area_aliases.csv")
        if row["code"] in known and (row["code"], row["alias"]) not in existing
    ]
    if new:
        connection.execute(area_alias.insert(), new)


def _record_region(connection: Connection, code: str) -> None:
    """Make ``code`` the home region, unless it contains the current one.

    Loading the province or the whole country into a city's database adds
    peers and benchmarks; the city stays the region its SKPDs report for.
    """
    current = connection.execute(
        sa.select(meta.c.value).where(meta.c.key == "region")
    ).scalar()
    if current is None:
        connection.execute(meta.insert().values(key="region", value=code))
    elif current != code and not (
        code == COUNTRY_CODE or current.startswith(code + ".")
    ):
        connection.execute(
            meta.update().where(meta.c.key == "region").values(value=code)
        )


def home_region(connection: Connection) -> str | None:
    """Code of the region given to the last ``init``, or None before any."""
    return connection.execute(
        sa.select(meta.c.value).where(meta.c.key == "region")
    ).scalar()


def _area_from_row(row) -> Area:
    return Area(
        code=row.code,
        name=row.name,
        level=row.level,
        kind=row.kind,
        parent_code=row.parent_code,
        bps_code=row.bps_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        has_boundary=bool(row.has_boundary),
    )


def _area_select() -> sa.Select:
    return sa.select(
        area_table.c.code,
        area_table.c.name,
        area_table.c.level,
        area_table.c.kind,
        area_table.c.parent_code,
        area_table.c.bps_code,
        area_table.c.valid_from,
        area_table.c.valid_to,
        area_table.c.geometry.is_not(None).label("has_boundary"),
    )


def normalize_code(connection: Connection, text: str) -> str | None:
    """Dotted Kemendagri code for a Kemendagri or BPS code, or None if unknown.

    Four-, seven- and ten-digit BPS codes go through the crosswalk table
    first, since BPS numbers some kabupaten/kota differently from Kemendagri.
    Codes not in the crosswalk are read as undotted Kemendagri codes.
    """
    value = codes.clean_code_text(text).upper()
    if value in ("ID", "0", "00"):
        return COUNTRY_CODE
    if codes.is_dotted_code(value):
        return value
    if not value.isdigit():
        return None
    if len(value) in (4, 7, 10):
        mapped = connection.execute(
            sa.select(crosswalk.c.kemendagri_code).where(crosswalk.c.bps_code == value)
        ).scalar()
        if mapped:
            return mapped
    return codes.dotted_from_digits(value)


def get_area(connection: Connection, text: str) -> Area:
    """The area for a Kemendagri or BPS code; raises AreaNotFound."""
    code = normalize_code(connection, text)
    row = None
    if code is not None:
        row = connection.execute(
            _area_select().where(area_table.c.code == code)
        ).first()
    if row is None:
        raise AreaNotFound(
            f"Area {text!r} is not in the database.",
            hint="List the loaded areas with `p3bm areas`, or load its region "
            "with `p3bm init --region CODE`.",
            indonesian=(
                f"Wilayah {text!r} tidak ada di basis data.",
                "Lihat wilayah yang dimuat dengan `p3bm areas`, atau muat "
                "wilayahnya dengan `p3bm init --region KODE`.",
            ),
        )
    return _area_from_row(row)


def list_areas(
    connection: Connection, within: Area | None = None, level: int | None = None
) -> list[Area]:
    """Areas in code order, optionally below ``within`` and at one level."""
    query = _area_select().order_by(area_table.c.level, area_table.c.code)
    if within is not None and within.code != COUNTRY_CODE:
        query = query.where(
            sa.or_(
                area_table.c.code == within.code,
                area_table.c.code.startswith(within.code + ".", autoescape=True),
            )
        )
    if level is not None:
        query = query.where(area_table.c.level == level)
    return [_area_from_row(row) for row in connection.execute(query)]


def children(connection: Connection, parent: Area) -> list[Area]:
    query = (
        _area_select()
        .where(area_table.c.parent_code == parent.code)
        .order_by(area_table.c.code)
    )
    return [_area_from_row(row) for row in connection.execute(query)]


def ancestors(connection: Connection, area: Area) -> list[Area]:
    """The chain from the country down to the area's parent."""
    chain: list[Area] = []
    code = area.parent_code
    while code is not None:
        parent = get_area(connection, code)
        chain.append(parent)
        code = parent.parent_code
    return list(reversed(chain))


def area_count(connection: Connection) -> int:
    return connection.execute(
        sa.select(sa.func.count()).select_from(area_table)
    ).scalar_one()


def in_subtree(column: sa.ColumnElement, code: str) -> sa.ColumnElement[bool]:
    """A condition that ``column`` holds ``code`` or a code below it.

    The codes come from the area table, so the condition probes an index on
    ``column`` code by code instead of matching a LIKE pattern, which neither
    engine answers from an index under every collation.
    """
    if code == COUNTRY_CODE:
        return sa.true()
    codes_below = sa.select(area_table.c.code).where(
        sa.or_(
            area_table.c.code == code,
            area_table.c.code.startswith(code + ".", autoescape=True),
        )
    )
    return column.in_(codes_below)
