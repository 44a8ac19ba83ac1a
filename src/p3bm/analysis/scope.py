"""The values an analysis of one area reads, loaded once and looked up fast.

A scope contains the area, its ancestors up to the country, its peers, its
subtree, the stored totals of those areas in every source, and the plan
targets of the area and its subtree. The peers of a kabupaten/kota are the
kabupaten/kota of its province, those of a kelurahan the kelurahan of its
city, and those of other areas their siblings. ``load_scope`` can leave out
the peers, limit the subtree to a depth, and read only some indicators or
years, so that each analysis reads only what it uses.

The values are kept in dictionaries, because an analysis of a city looks up
a few thousand values one by one, which a dictionary does faster than a
pandas frame. The frames ``frame`` and ``best`` are built on first use, for
the analyses that work on whole columns.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.analysis.base import AnalysisSettings, InputValue
from p3bm.analysis.targets import Target, load_targets
from p3bm.areas import codes
from p3bm.areas.registry import Area, ancestors, in_subtree, list_areas
from p3bm.catalogue import Catalogue, skpd_names
from p3bm.errors import ConfigurationError
from p3bm.observations import VERIFIED_STATUSES
from p3bm.series import source_rank
from p3bm.storage.schema import observation

FRAME_COLUMNS = ["indicator", "area", "year", "disaggregation", "source", "value"]
# A subtree of more areas than this is selected through the area table rather
# than listed in the query, which keeps well below the bound-parameter limits
# of SQLite (32,766) and PostgreSQL (65,535).
MAX_LISTED_AREAS = 5000

# indicator, area, year, source, value
Row = tuple[str, str, int, str, float]


def peer_root_level(level: int) -> int:
    """Level of the area whose descendants at ``level`` are peers.

    Kelurahan and kecamatan are compared within their kabupaten/kota,
    kabupaten/kota within their province and provinces within the country.
    """
    return max(codes.COUNTRY, min(level - 1, codes.REGENCY))


@dataclass
class Scope:
    """The area, the areas around it, their values and the targets.

    ``rows`` contains every source's total of each indicator, area and year.
    ``has_peers`` is False when the peers were not loaded, and ``peers`` then
    raises RuntimeError rather than return the area alone.
    """

    area: Area
    catalogue: Catalogue
    areas: dict[str, Area]
    chain: list[Area]
    rows: list[Row]
    settings: AnalysisSettings
    targets: list[Target] = field(default_factory=list)
    skpd: dict[str, str] = field(default_factory=dict)
    has_peers: bool = True

    def __post_init__(self) -> None:
        ranks = source_rank(
            {row[3] for row in self.rows}, self.settings.source_priority
        )
        rows = self.rows
        if len(ranks) > 1:
            # The preferred source comes last, so it overwrites the others.
            rows = sorted(rows, key=lambda row: ranks[row[3]], reverse=True)
        self._values: dict[tuple[str, str, int], tuple[float, str]] = {
            (indicator, area, year): (value, source)
            for indicator, area, year, source, value in rows
        }
        self._year_lists: dict[tuple[str, str], list[int]] | None = None
        self._by_key: dict[tuple[str, str, int], list[InputValue]] | None = None
        self._descendants: dict[tuple[str, int, int | None], list[Area]] = {}
        self._children: dict[str, list[Area]] = defaultdict(list)
        for item in sorted(self.areas.values(), key=lambda a: a.code):
            if item.parent_code:
                self._children[item.parent_code].append(item)

    # Values

    def value(self, indicator: str, area: str, year: int) -> InputValue | None:
        """Return the preferred value of one key, or None."""
        found = self._values.get((indicator, area, year))
        if found is None:
            return None
        return InputValue(indicator, area, int(year), found[1], float(found[0]))

    @property
    def _years(self) -> dict[tuple[str, str], list[int]]:
        """Sorted years with a value, by indicator and area."""
        if self._year_lists is None:
            found: dict[tuple[str, str], list[int]] = defaultdict(list)
            for indicator, area, year in self._values:
                found[(indicator, area)].append(year)
            for years in found.values():
                years.sort()
            self._year_lists = dict(found)
        return self._year_lists

    def years(self, indicator: str, area: str) -> list[int]:
        """Return the sorted years with a value for one indicator and area."""
        return self._years.get((indicator, area), [])

    def series(
        self, indicator: str, area: str, until: int | None = None
    ) -> list[InputValue]:
        """Return the values of one indicator and area by year, up to ``until``."""
        years = self.years(indicator, area)
        if until is not None:
            years = years[: bisect.bisect_right(years, until)]
        found = (self.value(indicator, area, year) for year in years)
        return [value for value in found if value is not None]

    def latest(self, indicator: str, area: str, year: int) -> InputValue | None:
        """Return the value of the latest year at or before ``year``."""
        years = self.years(indicator, area)
        position = bisect.bisect_right(years, year)
        if position == 0:
            return None
        return self.value(indicator, area, years[position - 1])

    def is_stale(self, value: InputValue | None, year: int) -> bool:
        return value is not None and year - value.year > self.settings.stale_after_years

    def current(self, indicator: str, area: str, year: int) -> InputValue | None:
        """Return the latest value at or before ``year`` that is not stale."""
        value = self.latest(indicator, area, year)
        return None if self.is_stale(value, year) else value

    def all_sources(self, indicator: str, area: str, year: int) -> list[InputValue]:
        """Return every source's value of one key."""
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for row in self.rows:
                self._by_key[row[:3]].append(InputValue(*row))
        return list(self._by_key.get((indicator, area, year), []))

    def indicators_with_values(
        self, areas: Iterable[str], first_year: int, last_year: int
    ) -> set[str]:
        """Return the indicators with a value for any of ``areas`` in the years."""
        chosen = set(areas)
        return {
            indicator
            for (indicator, area), years in self._years.items()
            if area in chosen
            and bisect.bisect_left(years, first_year)
            < bisect.bisect_right(years, last_year)
        }

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Every source's values as a frame of FRAME_COLUMNS, in the stored order."""
        return _frame(self.rows)

    @cached_property
    def best(self) -> pd.DataFrame:
        """The preferred value of each key as a frame of FRAME_COLUMNS."""
        return _frame(
            (indicator, area, year, source, value)
            for (indicator, area, year), (value, source) in self._values.items()
        )

    # Areas

    def get(self, code: str) -> Area:
        return self.areas[code]

    def name(self, code: str) -> str:
        found = self.areas.get(code)
        return found.name if found else code

    def children(self, code: str) -> list[Area]:
        return list(self._children.get(code, []))

    def descendants(self, code: str, level: int, year: int | None = None) -> list[Area]:
        """Return the areas at ``level`` below ``code`` that existed in ``year``."""
        key = (code, level, year)
        if key not in self._descendants:
            found = [
                a
                for a in self.areas.values()
                if a.level == level and a.is_within(code) and a.code != code
            ]
            if year is not None:
                found = [a for a in found if a.is_valid_in(year)]
            self._descendants[key] = sorted(found, key=lambda a: a.code)
        return list(self._descendants[key])

    def ancestor_at(self, code: str, level: int) -> str | None:
        """Return the code of the ancestor at ``level``, or None when there is none."""
        own = codes.level_of_code(code)
        if level >= own:
            return None
        if level == codes.COUNTRY:
            return codes.COUNTRY_CODE
        return ".".join(code.split(".")[:level])

    def peers(self, area: Area, year: int | None = None) -> list[Area]:
        """Return the area and its peers, in code order."""
        if area.level == codes.COUNTRY:
            return [area]
        if not self.has_peers:
            raise RuntimeError("this scope was loaded without the peers")
        root = self.ancestor_at(area.code, peer_root_level(area.level))
        assert root is not None
        return self.descendants(root, area.level, year)

    def benchmark(
        self, indicator: str, area: Area, year: int, kind: str
    ) -> tuple[InputValue | None, str]:
        """Return the benchmark value of ``kind`` for an area and year, and its label.

        ``province`` and ``national`` are the values of those ancestors, and
        ``parent`` is the parent's value. ``peer_median`` is the median of the
        peers' values in that year, recorded with the area code ``peers:ROOT``.
        """
        if kind == "peer_median":
            return self.peer_median(indicator, area, year)
        level = {"province": codes.PROVINCE, "national": codes.COUNTRY}.get(kind)
        if kind == "parent":
            code = area.parent_code
        elif level is not None:
            code = self.ancestor_at(area.code, level)
        else:
            raise ConfigurationError(
                f"Unknown benchmark {kind!r}.",
                hint="Use province, national, parent or peer_median.",
                indonesian=(
                    f"Pembanding {kind!r} tidak dikenal.",
                    "Pakai province, national, parent atau peer_median.",
                ),
            )
        if code is None:
            return None, kind
        return self.value(indicator, code, year), self.name(code)

    def peer_median(
        self, indicator: str, area: Area, year: int
    ) -> tuple[InputValue | None, str]:
        values = [self.value(indicator, p.code, year) for p in self.peers(area, year)]
        present = [v.value for v in values if v is not None]
        if not present:
            return None, "peer_median"
        root = self.ancestor_at(area.code, peer_root_level(area.level)) or area.code
        median = float(np.median(present))
        return InputValue(indicator, f"peers:{root}", year, "median", median), (
            f"median of {len(present)} peers"
        )


def _frame(rows: Iterable[Row]) -> pd.DataFrame:
    """Build a frame of FRAME_COLUMNS whose text columns keep the object dtype.

    In pandas 3.1 object columns are built and grouped faster than the string
    dtype, which counts for the frames of a whole province.
    """
    listed = list(rows)
    columns = list(zip(*listed, strict=True)) if listed else [()] * 5
    indicator, area, year, source, value = columns
    return pd.DataFrame(
        {
            "indicator": _texts(indicator),
            "area": _texts(area),
            "year": np.array(year, dtype="int64"),
            "disaggregation": _texts([""] * len(listed)),
            "source": _texts(source),
            "value": np.array(value, dtype="float64"),
        }
    )


def _texts(values) -> pd.Series:
    return pd.Series(np.array(values, dtype=object), dtype=object)


def readable(settings: AnalysisSettings) -> tuple[str, ...] | None:
    """Return the statuses to read: the allowed ones, narrowed to verified if set."""
    if not settings.verified_only:
        return settings.statuses
    if settings.statuses is None:
        return VERIFIED_STATUSES
    return tuple(s for s in settings.statuses if s in VERIFIED_STATUSES)


@dataclass(frozen=True)
class ValueFilter:
    """Conditions on the stored totals to read, besides their areas.

    ``since`` and ``until`` bound the years, inclusive, except for the
    indicators in ``whole_series``, which are read in every year.
    """

    statuses: tuple[str, ...] | None = None
    indicators: tuple[str, ...] | None = None
    since: int | None = None
    until: int | None = None
    whole_series: tuple[str, ...] = ()


def read_rows(
    connection: Connection,
    filters: ValueFilter,
    *,
    areas: list[str] | None = None,
    prefix: str | None = None,
) -> list[Row]:
    """Read the stored totals with a value, of the listed areas or of a subtree.

    ``prefix`` is the code of the subtree's root area.
    """
    c = observation.c
    query = sa.select(c.indicator_code, c.area_code, c.year, c.source, c.value).where(
        c.value.is_not(None), c.disaggregation == ""
    )
    if areas is not None:
        if not areas:
            return []
        query = query.where(c.area_code.in_(areas))
    if prefix is not None:
        query = query.where(in_subtree(c.area_code, prefix))
    if filters.statuses is not None:
        query = query.where(c.status.in_(list(filters.statuses)))
    if filters.indicators is not None:
        query = query.where(c.indicator_code.in_(list(filters.indicators)))
    years = []
    if filters.since is not None:
        years.append(c.year >= filters.since)
    if filters.until is not None:
        years.append(c.year <= filters.until)
    if years and filters.whole_series:
        query = query.where(
            sa.or_(sa.and_(*years), c.indicator_code.in_(list(filters.whole_series)))
        )
    elif years:
        query = query.where(*years)
    return list(connection.execute(query).all())  # type: ignore[arg-type]


def _subtree(connection: Connection, area: Area, depth: int | None) -> list[Area]:
    if depth is None:
        return list_areas(connection, within=area)
    deepest = min(area.level + depth, codes.VILLAGE)
    return [area] + [
        found
        for level in range(area.level + 1, deepest + 1)
        for found in list_areas(connection, within=area, level=level)
    ]


def _peers(connection: Connection, area: Area, chain: list[Area]) -> list[Area]:
    if area.level == codes.COUNTRY:
        return []
    root_level = peer_root_level(area.level)
    root = next(a for a in [*chain, area] if a.level == root_level)
    return list_areas(connection, within=root, level=area.level)


def _inside_rows(
    connection: Connection,
    area: Area,
    subtree: list[Area],
    depth: int | None,
    filters: ValueFilter,
) -> list[Row]:
    """Read the values of the area and the loaded part of its subtree.

    A small subtree is read by listing its codes, a large one by selecting
    the subtree through the area table. Every stored value belongs to a known
    area (a foreign key), so both ways read the same rows.
    """
    if len(subtree) <= MAX_LISTED_AREAS:
        return read_rows(connection, filters, areas=[a.code for a in subtree])
    found = read_rows(connection, filters, prefix=area.code)
    if depth is None or area.level + depth >= codes.VILLAGE:
        return found
    loaded = {a.code for a in subtree}
    return [row for row in found if row[1] in loaded]


def load_scope(
    connection: Connection,
    area: Area,
    settings: AnalysisSettings | None = None,
    depth: int | None = None,
    *,
    peers: bool = True,
    indicators: Iterable[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    whole_series: Iterable[str] = (),
    catalogue: Catalogue | None = None,
) -> Scope:
    """Load the scope of ``area``: areas around it, their values and targets.

    ``depth`` limits the subtree to that many levels below the area (0: the
    area alone); None loads the whole subtree. ``peers=False`` leaves out the
    peers and their values. ``indicators``, ``since`` and ``until`` (years,
    inclusive) limit the values read, but the indicators in ``whole_series``
    are read in every year. The targets are always read whole. A caller that
    has loaded the catalogue passes it as ``catalogue``.
    """
    settings = settings or AnalysisSettings()
    chain = ancestors(connection, area)
    subtree = _subtree(connection, area, depth)
    around = _peers(connection, area, chain) if peers else []
    areas = {a.code: a for a in [*chain, *around, *subtree]}
    filters = ValueFilter(
        statuses=readable(settings),
        indicators=None if indicators is None else tuple(sorted(set(indicators))),
        since=since,
        until=until,
        whole_series=tuple(sorted(set(whole_series))),
    )
    rows = _inside_rows(connection, area, subtree, depth, filters)
    outside = [a.code for a in [*chain, *around] if not a.is_within(area.code)]
    rows += read_rows(connection, filters, areas=outside)
    targets = load_targets(connection, area_prefix=area.code, kind=settings.target_kind)
    return Scope(
        area=area,
        catalogue=catalogue or Catalogue.load(connection),
        areas=areas,
        chain=chain,
        rows=rows,
        settings=settings,
        targets=targets,
        skpd=skpd_names(connection),
        has_peers=peers,
    )
