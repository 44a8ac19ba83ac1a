"""The values an analysis of one area reads, loaded once and looked up fast.

A scope holds the area, its ancestors up to the country, its peers (the
kabupaten/kota of the province for a kabupaten/kota, the kelurahan of the
city for a kelurahan, the sibling areas otherwise), its whole subtree, every
stored total of those areas in every source, and the plan targets of the
area and its subtree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import Connection

from p3bm.analysis.base import AnalysisSettings, InputValue
from p3bm.analysis.targets import Target, load_targets
from p3bm.areas import codes
from p3bm.areas.registry import Area, ancestors, list_areas
from p3bm.catalogue import Catalogue, skpd_names
from p3bm.errors import ConfigurationError
from p3bm.series import load_frame, preferred

VERIFIED = ("verified", "published")


def peer_root_level(level: int) -> int:
    """Level of the area whose descendants at ``level`` are peers.

    Kelurahan and kecamatan are compared within their kabupaten/kota,
    kabupaten/kota within their province and provinces within the country.
    """
    return max(codes.COUNTRY, min(level - 1, codes.REGENCY))


@dataclass
class Scope:
    """The area, the areas around it, their values and the targets."""

    area: Area
    catalogue: Catalogue
    areas: dict[str, Area]
    chain: list[Area]
    frame: pd.DataFrame
    settings: AnalysisSettings
    targets: list[Target] = field(default_factory=list)
    skpd: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.best = preferred(self.frame, self.settings.source_priority)
        best = self.best
        keys = zip(
            best["indicator"].tolist(),
            best["area"].tolist(),
            best["year"].tolist(),
            strict=True,
        )
        pairs = zip(best["value"].tolist(), best["source"].tolist(), strict=True)
        self._values = dict(zip(keys, pairs, strict=True))
        self._series: dict[tuple[str, str], np.ndarray] | None = None
        self._sub_frames: dict[tuple[str, int, int], dict[str, pd.DataFrame]] = {}
        self._by_key: dict[tuple[str, str, int], list[InputValue]] | None = None
        self._children: dict[str, list[Area]] = defaultdict(list)
        for item in sorted(self.areas.values(), key=lambda a: a.code):
            if item.parent_code:
                self._children[item.parent_code].append(item)

    # Values

    def value(self, indicator: str, area: str, year: int) -> InputValue | None:
        """The preferred value of one key, or None."""
        found = self._values.get((indicator, area, year))
        if found is None:
            return None
        return InputValue(indicator, area, int(year), found[1], float(found[0]))

    def years(self, indicator: str, area: str) -> np.ndarray:
        """Sorted years with a value for one indicator and area."""
        if self._series is None:
            indices = self.best.groupby(["indicator", "area"], sort=False).indices
            years = self.best["year"].to_numpy()
            self._series = {key: np.sort(years[rows]) for key, rows in indices.items()}
        return self._series.get((indicator, area), np.empty(0, dtype="int64"))

    def series(
        self, indicator: str, area: str, until: int | None = None
    ) -> list[InputValue]:
        """Values of one indicator and area by year, up to ``until``."""
        years = self.years(indicator, area)
        if until is not None:
            years = years[years <= until]
        found = (self.value(indicator, area, int(year)) for year in years)
        return [value for value in found if value is not None]

    def latest(self, indicator: str, area: str, year: int) -> InputValue | None:
        """The value of the latest year at or before ``year``."""
        years = self.years(indicator, area)
        years = years[years <= year]
        if len(years) == 0:
            return None
        return self.value(indicator, area, int(years[-1]))

    def is_stale(self, value: InputValue | None, year: int) -> bool:
        return value is not None and year - value.year > self.settings.stale_after_years

    def current(self, indicator: str, area: str, year: int) -> InputValue | None:
        """The latest value at or before ``year`` that is not stale."""
        value = self.latest(indicator, area, year)
        return None if self.is_stale(value, year) else value

    def all_sources(self, indicator: str, area: str, year: int) -> list[InputValue]:
        """Every source's value of one key."""
        if self._by_key is None:
            self._by_key = defaultdict(list)
            frame = self.frame
            for row in zip(
                frame["indicator"].tolist(),
                frame["area"].tolist(),
                frame["year"].tolist(),
                frame["source"].tolist(),
                frame["value"].tolist(),
                strict=True,
            ):
                self._by_key[row[:3]].append(InputValue(*row))
        return list(self._by_key.get((indicator, area, year), []))

    def sub_frame(
        self, code: str, level: int, year: int, indicators: list[str]
    ) -> pd.DataFrame:
        """Every source's values of some indicators at ``level`` below ``code``."""
        key = (code, level, year)
        if key not in self._sub_frames:
            wanted = {a.code for a in self.descendants(code, level, year)}
            frame = self.frame
            chosen = frame[(frame["year"] == year) & frame["area"].isin(wanted)]
            self._sub_frames[key] = dict(list(chosen.groupby("indicator", sort=False)))
        groups = self._sub_frames[key]
        found = [groups[name] for name in indicators if name in groups]
        if not found:
            return self.frame.iloc[0:0]
        return pd.concat(found) if len(found) > 1 else found[0]

    # Areas

    def get(self, code: str) -> Area:
        return self.areas[code]

    def name(self, code: str) -> str:
        found = self.areas.get(code)
        return found.name if found else code

    def children(self, code: str) -> list[Area]:
        return list(self._children.get(code, []))

    def descendants(self, code: str, level: int, year: int | None = None) -> list[Area]:
        """Areas at ``level`` below ``code`` that existed in ``year``."""
        found = [
            a
            for a in self.areas.values()
            if a.level == level and a.is_within(code) and a.code != code
        ]
        if year is not None:
            found = [a for a in found if a.is_valid_in(year)]
        return sorted(found, key=lambda a: a.code)

    def ancestor_at(self, code: str, level: int) -> str | None:
        """Code of the ancestor of ``code`` at ``level``, or None when not above it."""
        own = codes.level_of_code(code)
        if level >= own:
            return None
        if level == codes.COUNTRY:
            return codes.COUNTRY_CODE
        return ".".join(code.split(".")[:level])

    def peers(self, area: Area, year: int | None = None) -> list[Area]:
        """The area and its peers, in code order."""
        if area.level == codes.COUNTRY:
            return [area]
        root = self.ancestor_at(area.code, peer_root_level(area.level))
        assert root is not None
        return self.descendants(root, area.level, year)

    def benchmark(
        self, indicator: str, area: Area, year: int, kind: str
    ) -> tuple[InputValue | None, str]:
        """The benchmark value of ``kind`` for an area and year, with its label.

        ``province`` and ``national`` are the values of those ancestors;
        ``parent`` the parent's; ``peer_median`` the median of the peers'
        values in that year, recorded with the area code ``peers:ROOT``.
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


def readable(settings: AnalysisSettings) -> tuple[str, ...] | None:
    """Statuses to read: the allowed ones, narrowed to verified when asked."""
    if not settings.verified_only:
        return settings.statuses
    if settings.statuses is None:
        return VERIFIED
    return tuple(s for s in settings.statuses if s in VERIFIED)


def load_scope(
    connection: Connection,
    area: Area,
    settings: AnalysisSettings | None = None,
    depth: int | None = None,
) -> Scope:
    """Load the scope of ``area``: areas around it, their values and targets.

    ``depth`` limits the subtree to that many levels below the area (0: the
    area alone); None loads the whole subtree.
    """
    settings = settings or AnalysisSettings()
    chain = ancestors(connection, area)
    if depth is None:
        subtree = list_areas(connection, within=area)
    else:
        deepest = min(area.level + depth, codes.VILLAGE)
        subtree = [area] + [
            found
            for level in range(area.level + 1, deepest + 1)
            for found in list_areas(connection, within=area, level=level)
        ]
    peers: list[Area] = []
    if area.level > codes.COUNTRY:
        root_level = peer_root_level(area.level)
        root = next(a for a in [*chain, area] if a.level == root_level)
        peers = list_areas(connection, within=root, level=area.level)
    areas = {a.code: a for a in [*chain, *peers, *subtree]}
    statuses = readable(settings)
    if area.level == codes.COUNTRY:
        frame = load_frame(connection, statuses=statuses)
    else:
        if depth is None:
            inside = load_frame(connection, area_prefix=area.code, statuses=statuses)
        else:
            codes_inside = [a.code for a in subtree]
            inside = load_frame(connection, areas=codes_inside, statuses=statuses)
        outside = [a.code for a in [*chain, *peers] if not a.is_within(area.code)]
        around = load_frame(connection, areas=outside, statuses=statuses)
        frames = [f for f in (inside, around) if not f.empty] or [inside]
        frame = pd.concat(frames, ignore_index=True)
    targets = load_targets(connection, area_prefix=area.code, kind=settings.target_kind)
    return Scope(
        area=area,
        catalogue=Catalogue.load(connection),
        areas=areas,
        chain=chain,
        frame=frame,
        settings=settings,
        targets=targets,
        skpd=skpd_names(connection),
    )
