"""Relative position among peers, and relevance and effectiveness of change.

Peers are the kabupaten/kota of the province for a kabupaten/kota, the
kelurahan of the city for a kelurahan, and the sibling areas otherwise.
Among the n peers with a value in the year (``s`` +1 when higher is better,
-1 when lower is better, and +1 for neutral indicators):

- rank: 1 for the best s x, ties sharing the better rank;
- percentile = 100 (n - rank) / (n - 1): 100 for the best, 0 for the worst;
- z = s (x - mean) / sd, with the population standard deviation, so a
  positive z is better than the mean.

Against a benchmark b over the same years t0 and t (the first and last years
within the span that both series have): the area's change is relevant when
it has the same sign as the benchmark's (both zero counts as the same), and
effective when s * change_area >= s * change_benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from p3bm.analysis.base import InputValue, Result, clean
from p3bm.analysis.scope import Scope
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator

DEFAULT_SPAN = 5


@dataclass
class Standing:
    """The area's place among its peers for one indicator."""

    indicator: Indicator
    value: InputValue | None
    peers: list[InputValue] = field(default_factory=list)
    rank: int | None = None
    percentile: float | None = None
    z: float | None = None
    mean: float | None = None
    change: dict[str, Any] = field(default_factory=dict)

    def to_row(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.code,
            "value": self.value.value if self.value else None,
            "peers": len(self.peers),
            "rank": self.rank,
            "percentile": clean(self.percentile, 1),
            "z": clean(self.z, 3),
            "peer_mean": clean(self.mean),
            **self.change,
        }


def rank_of(values: list[float], own: float, polarity: int) -> int:
    """1 + the number of peers strictly better than ``own``."""
    sign = polarity or 1
    return 1 + sum(1 for v in values if sign * v > sign * own)


def place(
    own: float, values: list[float], polarity: int
) -> tuple[int, float | None, float | None]:
    """Rank, percentile and z of ``own`` among ``values`` (which include it)."""
    sign = polarity or 1
    rank = rank_of(values, own, polarity)
    count = len(values)
    percentile = 100.0 * (count - rank) / (count - 1) if count > 1 else None
    deviation = float(np.std(values))
    z = sign * (own - float(np.mean(values))) / deviation if deviation else None
    return rank, percentile, z


def compare_change(
    own: list[InputValue], bench: list[InputValue], polarity: int, first_year: int
) -> dict[str, Any]:
    """Relevance and effectiveness of the area's change against the benchmark's."""
    own_by_year = {p.year: p.value for p in own if p.year >= first_year}
    bench_by_year = {p.year: p.value for p in bench if p.year >= first_year}
    common = sorted(set(own_by_year) & set(bench_by_year))
    empty = {
        "from_year": None,
        "to_year": None,
        "change_area": None,
        "change_benchmark": None,
        "relevant": None,
        "effective": None,
    }
    if len(common) < 2:
        return empty
    start, end = common[0], common[-1]
    change_area = own_by_year[end] - own_by_year[start]
    change_bench = bench_by_year[end] - bench_by_year[start]
    sign = polarity or 1
    return {
        "from_year": start,
        "to_year": end,
        "change_area": clean(change_area),
        "change_benchmark": clean(change_bench),
        "relevant": bool(np.sign(change_area) == np.sign(change_bench)),
        "effective": None
        if polarity == 0
        else bool(sign * change_area >= sign * change_bench),
    }


@dataclass
class Position(Result):
    """Standings of an area among its peers, indicator by indicator."""

    standings: list[Standing] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return [s.to_row() for s in self.standings]

    def to_dict(self) -> dict[str, Any]:
        peers = {
            s.indicator.code: [
                [p.area, self.names.get(p.area, p.area), p.value] for p in s.peers
            ]
            for s in self.standings
        }
        return self.envelope(self.rows(), peers=peers)


def analyse_position(
    scope: Scope,
    area: Area,
    year: int,
    *,
    indicators: list[str] | None = None,
    benchmark: str | None = None,
    span: int = DEFAULT_SPAN,
) -> Position:
    """Rank, percentile and z among peers, and change against a benchmark."""
    benchmark = benchmark or scope.settings.benchmark
    peers = scope.peers(area, year)
    result = Position(
        kind="position",
        area=area.code,
        year=year,
        parameters={
            "indicators": indicators,
            "benchmark": benchmark,
            "span": span,
            "peers": [p.code for p in peers],
            "source_priority": list(scope.settings.source_priority),
        },
        names={p.code: p.name for p in peers},
    )
    chosen = (
        [scope.catalogue.get(c) for c in indicators]
        if indicators
        else list(scope.catalogue)
    )
    for item in chosen:
        standing = _standing(scope, item, area, year, peers, benchmark, span)
        if standing is not None or indicators:
            standing = standing or Standing(item, None)
            result.standings.append(standing)
            result.use(standing.value, *standing.peers)
    return result


def _standing(scope, item, area, year, peers, benchmark, span) -> Standing | None:
    values = [scope.value(item.code, p.code, year) for p in peers]
    present = [v for v in values if v is not None]
    own = scope.value(item.code, area.code, year)
    if own is None:
        return None
    standing = Standing(item, own, present)
    numbers = [v.value for v in present]
    standing.rank, standing.percentile, standing.z = place(
        own.value, numbers, item.polarity
    )
    standing.mean = float(np.mean(numbers))
    bench_series = _benchmark_series(scope, item, area, year, benchmark, span)
    standing.change = compare_change(
        scope.series(item.code, area.code, until=year),
        bench_series,
        item.polarity,
        year - span,
    )
    standing.change["benchmark"] = benchmark
    return standing


def _benchmark_series(scope, item, area, year, kind, span) -> list[InputValue]:
    found = []
    for each_year in range(year - span, year + 1):
        value, _label = scope.benchmark(item.code, area, each_year, kind)
        if value is not None:
            found.append(value)
    return found
