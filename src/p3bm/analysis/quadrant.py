"""Quadrants: areas placed by two indicators, each split at a benchmark.

The points are the area's peers (or, on request, its sub-areas). Each axis is
split at its benchmark: the province value by default, or the national
value, the parent's value or the peers' median. A count (an indicator
aggregated by ``sum``) cannot be compared with a province total, so for
counts the province, national and parent splits are the mean over the
points, as priority locations use. When the chosen benchmark has no value
the split falls back to the peers' median, and the result records that.

A point is worse on an axis when s (value - split) < 0 (``s`` +1 when higher
is better, -1 when lower is better; neutral indicators read higher as
"above"). The quadrant worse on both axes is the first priority. Bubbles are
sized by population (JP).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from p3bm.analysis.base import BENCHMARKS, InputValue, Result, gap
from p3bm.analysis.scope import Scope
from p3bm.areas import codes
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator
from p3bm.errors import ConfigurationError

STANDARD_PAIRS = (
    ("P0", "JPM"),
    ("P0", "P1"),
    ("P0", "P2"),
    ("P0", "TPT"),
    ("P0", "GINI"),
    ("P0", "IPM"),
    ("P0", "LPE"),
)
WORSE_BOTH, WORSE_X, WORSE_Y, BETTER_BOTH = (
    "worse_both",
    "worse_x_only",
    "worse_y_only",
    "better_both",
)
SIZE_INDICATOR = "JP"


@dataclass
class Point:
    """One area in the quadrant chart."""

    area: str
    name: str
    x: InputValue
    y: InputValue
    size: InputValue | None
    quadrant: str

    def to_row(self, focus: str) -> dict[str, Any]:
        return {
            "area": self.area,
            "name": self.name,
            "x": self.x.value,
            "x_year": self.x.year,
            "y": self.y.value,
            "y_year": self.y.year,
            "population": self.size.value if self.size else None,
            "quadrant": self.quadrant,
            "is_focus": self.area == focus,
        }


@dataclass
class Split:
    """The value that splits one axis, and the method that found it."""

    value: float | None
    method: str
    input: InputValue | None = None


@dataclass
class Quadrant(Result):
    """Points of two indicators split into four quadrants."""

    x_indicator: Indicator | None = None
    y_indicator: Indicator | None = None
    x_split: Split | None = None
    y_split: Split | None = None
    points: list[Point] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def focus_quadrant(self) -> str | None:
        return next((p.quadrant for p in self.points if p.area == self.area), None)

    def rows(self) -> list[dict[str, Any]]:
        return [p.to_row(self.area) for p in self.points]

    def counts(self) -> dict[str, int]:
        tally = dict.fromkeys((WORSE_BOTH, WORSE_X, WORSE_Y, BETTER_BOTH), 0)
        for point in self.points:
            tally[point.quadrant] += 1
        return tally

    def to_dict(self) -> dict[str, Any]:
        assert self.x_split and self.y_split
        return self.envelope(
            self.rows(),
            x_split={"value": self.x_split.value, "method": self.x_split.method},
            y_split={"value": self.y_split.value, "method": self.y_split.method},
            focus_quadrant=self.focus_quadrant,
            counts=self.counts(),
            missing=self.missing,
        )


def classify(
    x: float, y: float, x_split: float, y_split: float, sx: int, sy: int
) -> str:
    """Return the quadrant of (x, y); a value on the split is not worse."""
    worse_x = gap(x, x_split, sx or 1) < 0
    worse_y = gap(y, y_split, sy or 1) < 0
    if worse_x and worse_y:
        return WORSE_BOTH
    if worse_x:
        return WORSE_X
    if worse_y:
        return WORSE_Y
    return BETTER_BOTH


def _split(scope: Scope, item: Indicator, area: Area, members, year, kind) -> Split:
    values = [scope.current(item.code, m.code, year) for m in members]
    present = [v.value for v in values if v is not None]
    if kind == "peer_median":
        return Split(float(np.median(present)) if present else None, "peer_median")
    if item.aggregation == "sum":
        return Split(float(np.mean(present)) if present else None, "mean_of_points")
    code = _benchmark_code(scope, area, kind)
    found = scope.current(item.code, code, year) if code else None
    if found is not None:
        return Split(found.value, kind, found)
    median = float(np.median(present)) if present else None
    return Split(median, f"peer_median ({kind} value missing)")


def _benchmark_code(scope: Scope, area: Area, kind: str) -> str | None:
    if kind == "parent":
        return area.parent_code
    level = codes.PROVINCE if kind == "province" else codes.COUNTRY
    return scope.ancestor_at(area.code, level) if area.level > level else None


def check_benchmark(kind: str) -> str:
    if kind not in BENCHMARKS:
        raise ConfigurationError(
            f"Unknown benchmark {kind!r}.",
            hint=f"Use one of {', '.join(BENCHMARKS)}.",
            indonesian=(
                f"Pembanding {kind!r} tidak dikenal.",
                f"Pakai salah satu dari {', '.join(BENCHMARKS)}.",
            ),
        )
    return kind


def analyse_quadrant(
    scope: Scope,
    area: Area,
    year: int,
    x: str,
    y: str,
    *,
    benchmark: str | None = None,
    points: str = "peers",
) -> Quadrant:
    """Place the area's peers (or sub-areas) by indicators ``x`` and ``y``."""
    kind = check_benchmark(benchmark or scope.settings.benchmark)
    x_item, y_item = scope.catalogue.get(x), scope.catalogue.get(y)
    if x_item.code == y_item.code:
        raise ConfigurationError(
            f"Both axes show {x_item.code}; a quadrant needs two indicators.",
            hint="Choose another indicator for --y, such as TPT beside P0.",
            indonesian=(
                f"Kedua sumbu memakai {x_item.code}; kuadran perlu dua indikator.",
                "Pilih indikator lain untuk --y, misalnya TPT di samping P0.",
            ),
        )
    if points == "sub-areas":
        members = scope.descendants(area.code, area.level + 1, year)
        reference = members[0] if members else area
    else:
        members = scope.peers(area, year)
        reference = area
    result = Quadrant(
        kind="quadrant",
        area=area.code,
        year=year,
        parameters={
            "x": x_item.code,
            "y": y_item.code,
            "benchmark": kind,
            "points": points,
            "size": SIZE_INDICATOR,
            "stale_after_years": scope.settings.stale_after_years,
            "source_priority": list(scope.settings.source_priority),
        },
        x_indicator=x_item,
        y_indicator=y_item,
    )
    result.x_split = _split(scope, x_item, reference, members, year, kind)
    result.y_split = _split(scope, y_item, reference, members, year, kind)
    result.use(result.x_split.input, result.y_split.input)
    for member in members:
        _place(scope, result, member, year)
    return result


def _place(scope: Scope, result: Quadrant, member: Area, year: int) -> None:
    assert (
        result.x_indicator and result.y_indicator and result.x_split and result.y_split
    )
    x = scope.current(result.x_indicator.code, member.code, year)
    y = scope.current(result.y_indicator.code, member.code, year)
    if (
        x is None
        or y is None
        or result.x_split.value is None
        or result.y_split.value is None
    ):
        result.missing.append(member.code)
        return
    size = scope.current(SIZE_INDICATOR, member.code, year)
    quadrant = classify(
        x.value,
        y.value,
        result.x_split.value,
        result.y_split.value,
        result.x_indicator.polarity,
        result.y_indicator.polarity,
    )
    result.points.append(Point(member.code, member.name, x, y, size, quadrant))
    result.use(x, y, size)


def standard_quadrants(
    scope: Scope,
    area: Area,
    year: int,
    *,
    benchmark: str | None = None,
    points: str = "peers",
) -> list[Quadrant]:
    """Analyse the standard pairs (P0 with JPM, P1, P2, TPT, GINI, IPM, LPE).

    Pairs without points are left out.
    """
    found = []
    for x, y in STANDARD_PAIRS:
        if x not in scope.catalogue.by_code or y not in scope.catalogue.by_code:
            continue
        result = analyse_quadrant(
            scope, area, year, x, y, benchmark=benchmark, points=points
        )
        if result.points:
            found.append(result)
    return found
