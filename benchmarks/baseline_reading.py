"""Reading helpers and shared settings of the pandas baselines.

Every helper reads with ``pandas.read_sql`` and binds its values as
parameters, like the rest of P3BM.
"""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa

from p3bm.analysis.base import AnalysisSettings
from p3bm.areas.registry import Area

DEFAULTS = AnalysisSettings()
STALE = DEFAULTS.stale_after_years
SPAN = 5
SCORECARD_YEARS = 5
QUALITY_YEARS = 5
TOP_DETERMINANTS = 3
PERSON_UNITS = {"jiwa": 1.0, "ribu jiwa": 1000.0}
KEYS = ["indicator", "area", "year"]
# Read a subtree of up to this many areas by listing their codes, and a larger
# one through the area table, as P3BM's scope does.
MAX_LISTED_AREAS = 5000
VALUES = (
    "SELECT indicator_code AS indicator, area_code AS area, year, source, value "
    "FROM observation WHERE value IS NOT NULL AND disaggregation = ''"
)
AREAS = "SELECT code, name, level, parent_code, valid_from, valid_to FROM area"
CATALOGUE = (
    "SELECT code, unit, polarity, aggregation, numerator, denominator, factor, "
    "weight, lowest_level, minimum, maximum, method_breaks, determinants, position "
    "FROM indicator ORDER BY position"
)
TARGETS = (
    "SELECT indicator_code AS indicator, area_code AS area, year, kind, value "
    "FROM target WHERE area_code = :area"
)
DECISIONS = (
    "SELECT indicator_code AS indicator, decision FROM priority_decision "
    "WHERE area_code = :area AND year = :year ORDER BY id"
)
KIND_ORDER = ("RPJMD", "RKPD", "RENSTRA", "SDG")

Projection = list[tuple]


def query(connection, sql: str, **params) -> pd.DataFrame:
    """Read ``sql`` with bound parameters; list parameters become IN lists."""
    statement = sa.text(sql)
    lists = [name for name, value in params.items() if isinstance(value, list)]
    if lists:
        statement = statement.bindparams(
            *(sa.bindparam(name, expanding=True) for name in lists)
        )
    return pd.read_sql(statement, connection, params=params)


def read_values(connection, condition: str, **params) -> pd.DataFrame:
    return query(connection, f"{VALUES} AND {condition}", **params)


def read_catalogue(connection) -> pd.DataFrame:
    frame = query(connection, CATALOGUE)
    for column in ("method_breaks", "determinants"):
        frame[column] = frame[column].map(_json_list)
    return frame.set_index("code", drop=False).rename_axis(None)


def _json_list(value) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def read_areas(connection, condition: str, **params) -> pd.DataFrame:
    return query(connection, f"{AREAS} WHERE {condition}", **params)


def peer_codes(connection, area: Area) -> pd.DataFrame:
    """Read the areas at the area's level under its peer root, as P3BM's peers."""
    if area.level <= 2:
        root = area.code.rsplit(".", 1)[0] if area.level == 2 else None
    else:
        root = ".".join(area.code.split(".")[:2])
    if root is None:
        return read_areas(connection, "level = :level", level=area.level)
    return read_areas(
        connection,
        "level = :level AND code LIKE :prefix",
        level=area.level,
        prefix=root + ".%",
    )


def valid_in(areas: pd.DataFrame, year: int) -> pd.DataFrame:
    after = areas["valid_from"].isna() | (areas["valid_from"] <= year)
    before = areas["valid_to"].isna() | (areas["valid_to"] >= year)
    return areas[after & before].sort_values("code")


def first_source(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep one value per key: the unnamed source first, then by name."""
    return frame.sort_values("source", kind="stable").drop_duplicates(KEYS)


def latest(best: pd.DataFrame, year: int, *, current: bool) -> pd.DataFrame:
    """Keep the latest value at or before ``year`` per indicator and area.

    With ``current`` a value older than the stale limit is left out.
    """
    chosen = best[best["year"] <= year]
    if current:
        chosen = chosen[chosen["year"] >= year - STALE]
    return chosen.sort_values("year").drop_duplicates(
        ["indicator", "area"], keep="last"
    )


def own_and_chain(connection, area: Area, year: int) -> pd.DataFrame:
    codes = [area.code, *chain_codes(area)]
    return first_source(
        read_values(
            connection, "area_code IN :codes AND year <= :year", codes=codes, year=year
        )
    )


def chain_codes(area: Area) -> list[str]:
    parts = area.code.split(".")
    found = ["ID"] if area.code != "ID" else []
    return found + [".".join(parts[:n]) for n in range(1, len(parts))]


def peers_and_chain(connection, area: Area, year: int, codes=None):
    """Read the peers (valid in ``year``) and the preferred values around the area."""
    peers = valid_in(peer_codes(connection, area), year)
    wanted = [*peers["code"], area.code, *chain_codes(area)]
    condition = "area_code IN :codes AND year <= :year"
    params: dict = {"codes": wanted, "year": year}
    if codes is not None:
        condition += " AND indicator_code IN :indicators"
        params["indicators"] = list(codes)
    return peers, first_source(read_values(connection, condition, **params))
