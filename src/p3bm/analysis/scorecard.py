"""Scorecards: a colour per indicator and year, or per indicator and sub-area.

Three schemes, chosen per report (``s`` is +1 when higher is better and -1
when lower is better, ``x`` the value):

A. position: green when s(x - b) >= 0 for both the province and the national
   value of the same year, red when s(x - b) < 0 for both, yellow otherwise.
   Only the benchmarks that exist count; with none the cell is grey.
B. target and trend: green when the target of that year is met
   (s(x - T) >= 0), yellow when the last change improved
   (s(x - x_prev) > 0, x_prev the previous value in the series), red
   otherwise.
C. score = 100 x / T when higher is better, 100 T / x when lower is better;
   green from 100, yellow from 90, red below. When the divisor is zero or
   negative the score is undefined and the cell is green when the target is
   met, red otherwise.

Grey marks a missing value, a value older than the stale limit, a neutral
indicator, or a missing benchmark or target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from p3bm.analysis.base import (
    GREEN,
    GREY,
    RED,
    SCHEMES,
    YELLOW,
    InputValue,
    Result,
    clean,
    gap,
)
from p3bm.analysis.scope import Scope
from p3bm.analysis.targets import choose_target
from p3bm.areas import codes
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator
from p3bm.errors import ConfigurationError

DEFAULT_YEARS = 5
SCORE_GREEN = 100.0
SCORE_YELLOW = 90.0


@dataclass
class Cell:
    """The assessment of one indicator for one area and year."""

    indicator: str
    area: str
    year: int
    status: str
    reason: str | None = None
    value: InputValue | None = None
    previous: InputValue | None = None
    benchmarks: dict[str, InputValue | None] = field(default_factory=dict)
    target: float | None = None
    target_kind: str | None = None
    score: float | None = None

    def to_row(self, names: dict[str, str]) -> dict[str, Any]:
        value = self.value
        return {
            "indicator": self.indicator,
            "area": self.area,
            "area_name": names.get(self.area, self.area),
            "year": self.year,
            "value": value.value if value else None,
            "value_year": value.year if value else None,
            "source": value.source if value else None,
            "status": self.status,
            "reason": self.reason,
            "score": clean(self.score, 2),
            "province": _plain(self.benchmarks.get("province")),
            "national": _plain(self.benchmarks.get("national")),
            "target": self.target,
            "target_kind": self.target_kind,
            "previous": self.previous.value if self.previous else None,
        }


def _plain(value: InputValue | None) -> float | None:
    return value.value if value else None


@dataclass
class Scorecard(Result):
    """Cells by indicator and column (years of one area, or sub-areas in one year)."""

    scheme: str = "A"
    mode: str = "area"
    columns: list[str] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        return [
            self.cells[(item.code, column)].to_row(self.names)
            for item in self.indicators
            for column in self.columns
        ]

    def counts(self) -> dict[str, int]:
        tally = dict.fromkeys((GREEN, YELLOW, RED, GREY), 0)
        for cell in self.cells.values():
            tally[cell.status] += 1
        return tally

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(
            self.rows(), columns=self.columns, counts=self.counts(), mode=self.mode
        )


def check_scheme(scheme: str) -> str:
    upper = scheme.upper()
    if upper not in SCHEMES:
        raise ConfigurationError(
            f"Unknown scorecard scheme {scheme!r}.",
            hint="Use A, B or C.",
            indonesian=(
                f"Skema kartu skor {scheme!r} tidak dikenal.",
                "Pakai A, B atau C.",
            ),
        )
    return upper


def assess(scope: Scope, item: Indicator, area: Area, year: int, scheme: str) -> Cell:
    """Assess one indicator for an area in ``year`` under a scheme."""
    value = scope.latest(item.code, area.code, year)
    cell = Cell(item.code, area.code, year, GREY, value=value)
    if value is None:
        cell.reason = "missing"
        return cell
    if scope.is_stale(value, year):
        cell.reason = "stale"
        return cell
    if item.polarity == 0:
        cell.reason = "neutral"
        return cell
    if scheme == "A":
        _scheme_a(scope, item, area, cell)
    else:
        _with_target(scope, item, area, cell, scheme)
    return cell


def _scheme_a(scope: Scope, item: Indicator, area: Area, cell: Cell) -> None:
    assert cell.value is not None
    for kind, level in (("province", codes.PROVINCE), ("national", codes.COUNTRY)):
        if area.level > level:
            cell.benchmarks[kind] = scope.benchmark(
                item.code, area, cell.value.year, kind
            )[0]
    present = [b for b in cell.benchmarks.values() if b is not None]
    if not present:
        cell.reason = "no_benchmark"
        return
    gaps = [gap(cell.value.value, b.value, item.polarity) for b in present]
    if all(g >= 0 for g in gaps):
        cell.status = GREEN
    elif all(g < 0 for g in gaps):
        cell.status = RED
    else:
        cell.status = YELLOW


def _with_target(scope: Scope, item: Indicator, area: Area, cell: Cell, scheme: str):
    assert cell.value is not None
    target = choose_target(scope.targets, item.code, area.code, cell.value.year)
    if target is None:
        cell.reason = "no_target"
        return
    cell.target, cell.target_kind = target.value, target.kind
    x, goal = cell.value.value, target.value
    is_met = gap(x, goal, item.polarity) >= 0
    if scheme == "C":
        cell.score = achievement_score(x, goal, item.polarity)
        if cell.score is None:
            cell.status = GREEN if is_met else RED
            cell.reason = "score_undefined"
        else:
            cell.status = score_status(cell.score)
        return
    if is_met:
        cell.status = GREEN
        return
    cell.previous = scope.latest(item.code, area.code, cell.value.year - 1)
    improved = (
        cell.previous is not None and item.polarity * (x - cell.previous.value) > 0
    )
    cell.status = YELLOW if improved else RED


def achievement_score(value: float, target: float, polarity: int) -> float | None:
    """100 x / T (higher is better) or 100 T / x (lower is better), or None."""
    if polarity > 0:
        return 100.0 * value / target if target > 0 else None
    return 100.0 * target / value if value > 0 else None


def score_status(score: float) -> str:
    if score >= SCORE_GREEN:
        return GREEN
    if score >= SCORE_YELLOW:
        return YELLOW
    return RED


def _chosen(
    scope: Scope, codes_wanted: list[str] | None, areas: list[str], years
) -> list[Indicator]:
    if codes_wanted:
        return [scope.catalogue.get(code) for code in codes_wanted]
    present = scope.indicators_with_values(areas, min(years), max(years))
    return [item for item in scope.catalogue if item.code in present]


def scorecard_area(
    scope: Scope,
    area: Area,
    year: int,
    *,
    scheme: str = "A",
    years: int = DEFAULT_YEARS,
    indicators: list[str] | None = None,
) -> Scorecard:
    """Scorecard of one area: indicators by the ``years`` years up to ``year``."""
    scheme = check_scheme(scheme)
    span = list(range(year - years + 1, year + 1))
    result = Scorecard(
        kind="scorecard",
        area=area.code,
        year=year,
        parameters={
            "scheme": scheme,
            "mode": "area",
            "years": years,
            "stale_after_years": scope.settings.stale_after_years,
            "indicators": indicators,
            "source_priority": list(scope.settings.source_priority),
        },
        scheme=scheme,
        mode="area",
        columns=[str(y) for y in span],
        names={area.code: area.name},
    )
    result.indicators = _chosen(scope, indicators, [area.code], span)
    for item in result.indicators:
        for column in span:
            cell = assess(scope, item, area, column, scheme)
            result.cells[(item.code, str(column))] = cell
            _use(result, cell)
    return result


def scorecard_sub_areas(
    scope: Scope,
    area: Area,
    year: int,
    *,
    scheme: str = "A",
    level: int | None = None,
    indicators: list[str] | None = None,
) -> Scorecard:
    """Scorecard of the sub-areas of ``area`` at ``level`` (default: the next)."""
    scheme = check_scheme(scheme)
    level = area.level + 1 if level is None else level
    subs = scope.descendants(area.code, level, year)
    result = Scorecard(
        kind="scorecard",
        area=area.code,
        year=year,
        parameters={
            "scheme": scheme,
            "mode": "sub-areas",
            "level": codes.LEVEL_NAMES[min(level, codes.VILLAGE)],
            "stale_after_years": scope.settings.stale_after_years,
            "indicators": indicators,
            "source_priority": list(scope.settings.source_priority),
        },
        scheme=scheme,
        mode="sub-areas",
        columns=[a.code for a in subs],
        names={a.code: a.name for a in [area, *subs]},
    )
    window = range(year - scope.settings.stale_after_years, year + 1)
    result.indicators = _chosen(scope, indicators, result.columns, list(window))
    for item in result.indicators:
        for sub in subs:
            cell = assess(scope, item, sub, year, scheme)
            result.cells[(item.code, sub.code)] = cell
            _use(result, cell)
    return result


def _use(result: Result, cell: Cell) -> None:
    result.use(cell.value, cell.previous, *cell.benchmarks.values())
