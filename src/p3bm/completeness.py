"""Data completeness of an area and year: how many expected indicators are filled.

For an area ``u`` and year ``t``:

- expected: the catalogue indicators produced at ``u``'s level or below and due
  in ``t`` under their frequency, minus those stored as not applicable;
- filled: the expected indicators with a value for ``u`` and ``t`` (any source
  and disaggregation; with ``verified_only``, only verified or published ones);
- percent = 100 * filled / expected.

Below the area, each level's figure sums expected and filled over its
sub-areas, and coverage gives, per indicator produced at kecamatan or
kelurahan level, the share of sub-areas with a value. Sub-areas where the
indicator is stored as not applicable count in neither figure. Percentages
are rounded half up to one decimal, as a reader rounds by hand (1 of 16 is
6.3 %). The lag of an indicator is ``t`` minus the latest year with a value;
a lag above the stale limit marks the value as stale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.areas import codes
from p3bm.areas.registry import Area, home_region, in_subtree, list_areas
from p3bm.catalogue import SECTORS, Catalogue, Indicator
from p3bm.observations import VERIFIED_STATUSES
from p3bm.storage.schema import observation
from p3bm.workflow import submission_states


def percent_of(part: int, whole: int) -> float | None:
    """``100 * part / whole`` rounded half up to one decimal; None when whole is 0."""
    if not whole:
        return None
    exact = Decimal(100 * part) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class Tally:
    """Filled and expected counts of one group."""

    key: str
    label: str
    expected: int = 0
    filled: int = 0
    status: str | None = None
    timeliness: str | None = None

    @property
    def percent(self) -> float | None:
        return percent_of(self.filled, self.expected)

    def to_dict(self) -> dict[str, object]:
        return asdict(self) | {"percent": self.percent}


@dataclass
class IndicatorState:
    """One expected indicator of the area: filled, missing or stale."""

    code: str
    name: str
    sector: str
    data_type: str
    skpd: str
    lowest_level: str
    is_filled: bool
    latest_year: int | None
    lag: int | None
    is_stale: bool

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Coverage:
    """Share of sub-areas at one level that have a value for an indicator.

    ``areas`` counts the sub-areas where the indicator applies: those with a
    value stored as not applicable are left out.
    """

    indicator: str
    level: str
    areas: int
    filled: int

    @property
    def percent(self) -> float | None:
        return percent_of(self.filled, self.areas)

    def to_dict(self) -> dict[str, object]:
        return asdict(self) | {"percent": self.percent}


@dataclass
class Completeness:
    """Completeness of one area and year, with its breakdowns."""

    area: Area
    year: int
    expected: int
    filled: int
    stale_after_years: int
    verified_only: bool
    indicators: list[IndicatorState] = field(default_factory=list)
    by_sector: list[Tally] = field(default_factory=list)
    by_data_type: list[Tally] = field(default_factory=list)
    by_skpd: list[Tally] = field(default_factory=list)
    by_level: list[Tally] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)

    @property
    def percent(self) -> float | None:
        return percent_of(self.filled, self.expected)

    def timeliness_counts(self) -> dict[str, int]:
        """SKPDs by how their submission stands against the year's deadline."""
        counts: dict[str, int] = {}
        for tally in self.by_skpd:
            if tally.timeliness is not None:
                counts[tally.timeliness] = counts.get(tally.timeliness, 0) + 1
        return counts

    @property
    def missing(self) -> list[IndicatorState]:
        return [state for state in self.indicators if not state.is_filled]

    @property
    def stale(self) -> list[IndicatorState]:
        return [state for state in self.indicators if state.is_stale]

    def to_dict(self) -> dict[str, object]:
        return {
            "expected": self.expected,
            "filled": self.filled,
            "percent": self.percent,
            "area": self.area.code,
            "area_name": self.area.name,
            "year": self.year,
            "settings": {
                "stale_after_years": self.stale_after_years,
                "verified_only": self.verified_only,
            },
            "by_sector": [t.to_dict() for t in self.by_sector],
            "by_data_type": [t.to_dict() for t in self.by_data_type],
            "by_skpd": [t.to_dict() for t in self.by_skpd],
            "by_level": [t.to_dict() for t in self.by_level],
            "timeliness": self.timeliness_counts(),
            "coverage": [c.to_dict() for c in self.coverage],
            "missing": [s.to_dict() for s in self.missing],
            "stale": [s.to_dict() for s in self.stale],
        }


def _value_filter(statuses: tuple[str, ...] | None):
    condition = observation.c.value.is_not(None)
    if statuses is not None:
        condition = sa.and_(condition, observation.c.status.in_(statuses))
    return condition


def _in_subtree(area: Area):
    return in_subtree(observation.c.area_code, area.code)


def _filled_pairs(
    connection: Connection, area: Area, year: int, statuses: tuple[str, ...] | None
) -> set[tuple[str, str]]:
    query = (
        sa.select(observation.c.indicator_code, observation.c.area_code)
        .where(observation.c.year == year, _in_subtree(area), _value_filter(statuses))
        .distinct()
    )
    return {(row[0], row[1]) for row in connection.execute(query)}


def _not_applicable(
    connection: Connection, area: Area, year: int
) -> set[tuple[str, str]]:
    query = (
        sa.select(observation.c.indicator_code, observation.c.area_code)
        .where(
            observation.c.year == year, _in_subtree(area), observation.c.value.is_(None)
        )
        .distinct()
    )
    return {(row[0], row[1]) for row in connection.execute(query)}


def _latest_years(
    connection: Connection, area: Area, year: int, statuses: tuple[str, ...] | None
) -> dict[str, int]:
    query = (
        sa.select(observation.c.indicator_code, sa.func.max(observation.c.year))
        .where(
            observation.c.area_code == area.code,
            observation.c.year <= year,
            _value_filter(statuses),
        )
        .group_by(observation.c.indicator_code)
    )
    return {row[0]: row[1] for row in connection.execute(query)}


def expected_indicators(catalogue: Catalogue, level: int, year: int) -> list[Indicator]:
    """Indicators produced at ``level`` (or lower) and due in ``year``."""
    return [item for item in catalogue if item.applies_at(level) and item.is_due(year)]


def compute_completeness(
    connection: Connection,
    catalogue: Catalogue,
    area: Area,
    year: int,
    *,
    stale_after_years: int = 3,
    verified_only: bool = False,
    statuses: tuple[str, ...] | None = None,
    skpd_names: dict[str, str] | None = None,
    lang: str = "id",
) -> Completeness:
    """Completeness of ``area`` in ``year`` with breakdowns, coverage and lags."""
    if statuses is None and verified_only:
        statuses = VERIFIED_STATUSES
    filled_pairs = _filled_pairs(connection, area, year, statuses)
    not_applicable = _not_applicable(connection, area, year)
    latest = _latest_years(connection, area, year, statuses)
    expected = [
        item
        for item in expected_indicators(catalogue, area.level, year)
        if (item.code, area.code) not in not_applicable
    ]
    result = Completeness(
        area=area,
        year=year,
        expected=len(expected),
        filled=0,
        stale_after_years=stale_after_years,
        verified_only=verified_only,
    )
    for item in expected:
        state = _indicator_state(
            item, area, year, filled_pairs, latest, stale_after_years
        )
        result.indicators.append(state)
        result.filled += state.is_filled
    result.by_sector = _tally(result.indicators, "sector", _sector_labels(lang))
    result.by_data_type = _tally(result.indicators, "data_type", {})
    result.by_skpd = _tally(result.indicators, "skpd", skpd_names or {})
    _add_submission_states(connection, catalogue, year, result)
    sub_areas = _sub_areas(connection, area, year)
    result.by_level = _by_level(
        catalogue, area, year, result, sub_areas, filled_pairs, not_applicable, lang
    )
    result.coverage = _coverage(
        catalogue, area, year, sub_areas, filled_pairs, not_applicable
    )
    return result


def _indicator_state(item, area, year, filled_pairs, latest, stale_after_years):
    is_filled = (item.code, area.code) in filled_pairs
    latest_year = year if is_filled else latest.get(item.code)
    lag = None if latest_year is None else year - latest_year
    return IndicatorState(
        code=item.code,
        name=item.name,
        sector=item.sector,
        data_type=item.data_type,
        skpd=item.skpd,
        lowest_level=codes.LEVEL_NAMES[item.lowest_level],
        is_filled=is_filled,
        latest_year=latest_year,
        lag=lag,
        is_stale=lag is not None and lag > stale_after_years,
    )


def _add_submission_states(connection, catalogue, year: int, result) -> None:
    """Put each SKPD's submission status and timeliness beside its tally.

    Only areas of the database's own region have SKPD submissions.
    """
    region = home_region(connection)
    if region is None or not result.area.is_within(region):
        return
    states = {
        state.skpd_code: state
        for state in submission_states(connection, catalogue, year, with_counts=False)
    }
    for tally in result.by_skpd:
        state = states.get(tally.key)
        if state is not None:
            tally.status, tally.timeliness = state.status, state.timeliness


def _sector_labels(lang: str) -> dict[str, str]:
    column = 1 if lang == "en" else 0
    return {key: labels[column] for key, labels in SECTORS.items()}


def _tally(
    states: list[IndicatorState], attribute: str, labels: dict[str, str]
) -> list[Tally]:
    groups: dict[str, Tally] = {}
    for state in states:
        key = getattr(state, attribute)
        tally = groups.setdefault(key, Tally(key, labels.get(key, key)))
        tally.expected += 1
        tally.filled += state.is_filled
    return sorted(groups.values(), key=lambda t: t.key)


def _sub_areas(connection: Connection, area: Area, year: int) -> dict[int, list[Area]]:
    grouped: dict[int, list[Area]] = defaultdict(list)
    if area.level >= codes.VILLAGE:
        return grouped
    for sub in list_areas(connection, within=area):
        if sub.level > area.level and sub.is_valid_in(year):
            grouped[sub.level].append(sub)
    return grouped


def _by_level(
    catalogue, area, year, result, sub_areas, filled_pairs, not_applicable, lang="id"
):
    tallies = [
        Tally(codes.LEVEL_NAMES[area.level], area.name, result.expected, result.filled)
    ]
    labels = codes.LEVEL_LABELS_EN if lang == "en" else codes.LEVEL_LABELS_ID
    for level in sorted(sub_areas):
        applicable = expected_indicators(catalogue, level, year)
        tally = Tally(
            codes.LEVEL_NAMES[level], f"{len(sub_areas[level])} {labels[level]}"
        )
        for sub in sub_areas[level]:
            for item in applicable:
                if (item.code, sub.code) in not_applicable:
                    continue
                tally.expected += 1
                tally.filled += (item.code, sub.code) in filled_pairs
        tallies.append(tally)
    return tallies


def _coverage(
    catalogue, area, year, sub_areas, filled_pairs, not_applicable
) -> list[Coverage]:
    result = []
    for item in catalogue:
        if item.lowest_level < codes.DISTRICT or not item.is_due(year):
            continue
        if not item.applies_at(area.level):
            continue
        for level in sorted(sub_areas):
            if level > item.lowest_level:
                continue
            areas = [
                sub
                for sub in sub_areas[level]
                if (item.code, sub.code) not in not_applicable
            ]
            filled = sum((item.code, sub.code) in filled_pairs for sub in areas)
            result.append(
                Coverage(item.code, codes.LEVEL_NAMES[level], len(areas), filled)
            )
    return result
