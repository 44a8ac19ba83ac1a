"""Stored values as pandas frames, with one preferred value per key.

When several sources give a value for the same indicator, area and year, the
preferred one comes from the first source in the priority list; sources not
in the list follow in alphabetical order, after the unnamed default source.
All values stay stored; the choice only decides what charts and analyses use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas.registry import in_subtree
from p3bm.storage.schema import observation

FRAME_COLUMNS = [
    "indicator",
    "area",
    "year",
    "disaggregation",
    "source",
    "value",
    "status",
]


def load_frame(
    connection: Connection,
    *,
    indicators: Iterable[str] | None = None,
    areas: Iterable[str] | None = None,
    area_prefix: str | None = None,
    years: Iterable[int] | None = None,
    totals_only: bool = True,
    statuses: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Stored observations with a value, as a frame of FRAME_COLUMNS."""
    c = observation.c
    query = sa.select(
        c.indicator_code,
        c.area_code,
        c.year,
        c.disaggregation,
        c.source,
        c.value,
        c.status,
    ).where(c.value.is_not(None))
    if indicators is not None:
        query = query.where(c.indicator_code.in_(list(indicators)))
    if areas is not None:
        query = query.where(c.area_code.in_(list(areas)))
    if area_prefix is not None:
        query = query.where(in_subtree(c.area_code, area_prefix))
    if years is not None:
        query = query.where(c.year.in_(list(years)))
    if totals_only:
        query = query.where(c.disaggregation == "")
    if statuses is not None:
        query = query.where(c.status.in_(list(statuses)))
    rows = connection.execute(query).all()
    # Building the frame column by column from plain tuples is several times
    # faster than handing pandas the SQLAlchemy rows.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(FRAME_COLUMNS)
    frame = pd.DataFrame(
        {
            name: list(values)
            for name, values in zip(FRAME_COLUMNS, columns, strict=True)
        }
    )
    frame["year"] = frame["year"].astype("int64")
    frame["value"] = frame["value"].astype("float64")
    return frame


def source_rank(sources: Iterable[str], priority: Sequence[str] = ()) -> dict[str, int]:
    """Rank of each source: listed ones first, then the default, then by name."""
    ranked = list(dict.fromkeys(priority))
    rest = sorted(set(sources) - set(ranked), key=lambda name: (name != "", name))
    return {name: position for position, name in enumerate(ranked + rest)}


def preferred(frame: pd.DataFrame, priority: Sequence[str] = ()) -> pd.DataFrame:
    """One row per indicator, area, year and disaggregation: the preferred source's."""
    if frame.empty:
        return frame
    ranks = source_rank(frame["source"].unique(), priority)
    ordered = frame.assign(_rank=frame["source"].map(ranks)).sort_values("_rank")
    keys = ["indicator", "area", "year", "disaggregation"]
    return (
        ordered.drop_duplicates(keys, keep="first")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def series_of(
    frame: pd.DataFrame, indicator: str, area: str
) -> list[tuple[int, float]]:
    """(year, value) pairs of one indicator and area, by year."""
    selected = frame[(frame["indicator"] == indicator) & (frame["area"] == area)]
    selected = selected.sort_values("year")
    return [
        (int(y), float(v))
        for y, v in zip(selected["year"], selected["value"], strict=True)
    ]
