"""Priority locations: which sub-areas hold the poor, by number and by rate.

For each sub-area j with n_j poor (people or households, indicator JPM by
default) and total N_j (population JP by default), r_j = n_j / N_j (both in
the same unit). With r = sum n / sum N and n = the mean of n_j over the
sub-areas that have both values:

- P1 when r_j >= r and n_j >= n (many poor and a high rate);
- P2 when only n_j >= n (many poor);
- P3 when only r_j >= r (a high rate);
- P4 otherwise.

The share of the poor covered by P1 and P2 areas is sum n_j over them
divided by sum n_j.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p3bm.analysis.base import InputValue, Result, clean
from p3bm.analysis.scope import Scope
from p3bm.areas import codes
from p3bm.areas.registry import Area
from p3bm.imports import units

CATEGORIES = ("P1", "P2", "P3", "P4")
DEFAULT_POOR = "JPM"
DEFAULT_TOTAL = "JP"


def categorize(rate: float, count: float, mean_rate: float, mean_count: float) -> str:
    """P1 to P4 from the sub-area's rate and count against r and n."""
    high_rate, many = rate >= mean_rate, count >= mean_count
    if high_rate and many:
        return "P1"
    if many:
        return "P2"
    if high_rate:
        return "P3"
    return "P4"


@dataclass
class Location:
    area: str
    name: str
    poor: InputValue
    total: InputValue
    rate: float
    category: str = "P4"

    def to_row(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "name": self.name,
            "poor": self.poor.value,
            "poor_year": self.poor.year,
            "total": self.total.value,
            "total_year": self.total.year,
            "rate_percent": clean(100 * self.rate, 4),
            "category": self.category,
        }


@dataclass
class PriorityLocations(Result):
    """Sub-areas in categories P1 to P4."""

    locations: list[Location] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mean_rate: float | None = None
    mean_count: float | None = None
    level: int = 0

    def rows(self) -> list[dict[str, Any]]:
        return [loc.to_row() for loc in self.locations]

    def summary(self) -> dict[str, Any]:
        total = sum(loc.poor.value for loc in self.locations)
        top = sum(
            loc.poor.value for loc in self.locations if loc.category in ("P1", "P2")
        )
        counts = {
            c: sum(1 for loc in self.locations if loc.category == c) for c in CATEGORIES
        }
        return {
            "overall_rate_percent": clean(100 * self.mean_rate, 4)
            if self.mean_rate
            else None,
            "mean_poor": clean(self.mean_count),
            "share_poor_in_p1_p2_percent": clean(100 * top / total, 2)
            if total
            else None,
            "counts": counts,
            "missing": self.missing,
        }

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(self.rows(), summary=self.summary())


def analyse_locations(
    scope: Scope,
    area: Area,
    year: int,
    *,
    level: int | None = None,
    poor: str = DEFAULT_POOR,
    total: str = DEFAULT_TOTAL,
) -> PriorityLocations:
    """Put the sub-areas of ``area`` at ``level`` (default: the next) into P1 to P4."""
    level = area.level + 1 if level is None else level
    poor_item, total_item = scope.catalogue.get(poor), scope.catalogue.get(total)
    factor = units.conversion_factor(poor_item.unit, total_item.unit) or 1.0
    result = PriorityLocations(
        kind="priority-locations",
        area=area.code,
        year=year,
        parameters={
            "level": codes.LEVEL_NAMES[min(level, codes.VILLAGE)],
            "poor": poor_item.code,
            "total": total_item.code,
            "unit_factor": factor,
            "stale_after_years": scope.settings.stale_after_years,
            "source_priority": list(scope.settings.source_priority),
        },
        level=level,
    )
    for sub in scope.descendants(area.code, level, year):
        n = scope.current(poor_item.code, sub.code, year)
        big_n = scope.current(total_item.code, sub.code, year)
        if n is None or big_n is None or big_n.value <= 0:
            result.missing.append(sub.code)
            continue
        rate = n.value * factor / big_n.value
        result.locations.append(Location(sub.code, sub.name, n, big_n, rate))
        result.use(n, big_n)
    if result.locations:
        _categorize_all(result, factor)
    return result


def _categorize_all(result: PriorityLocations, factor: float) -> None:
    sum_poor = sum(loc.poor.value for loc in result.locations)
    sum_total = sum(loc.total.value for loc in result.locations)
    result.mean_rate = sum_poor * factor / sum_total
    result.mean_count = sum_poor / len(result.locations)
    for loc in result.locations:
        loc.category = categorize(
            loc.rate, loc.poor.value, result.mean_rate, result.mean_count
        )
