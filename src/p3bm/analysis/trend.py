"""Trends of an indicator in an area, and progress towards its plan target.

For the value x_t of the latest year t with data and the base value x_0 of
year t0 (``t - k`` or, when that year has no value, the next year with one):

- change = x_t - x_0 over span = t - t0 years; average annual change =
  change / span;
- compound annual growth = (x_t / x_0)^(1 / span) - 1, for levels only (not
  percentages, indices, ratios, rates per population or years) and only
  when both values are positive;
- slope: least-squares slope of the values over all years up to t; the
  trend improves when s * slope > 0.

Progress towards a target T of year t_T follows the Statistics Canada method
used by Open SDG (sdg-build, ``sdg/ProgressMeasure.py``): the target is
achieved when s (x_t - T) >= 0; otherwise the ratio
R = sign(x_0) s CAGR_observed / |CAGR_required|, with CAGR_observed =
(x_t / x_0)^(1 / (t - t0)) - 1 and CAGR_required = (T / x_0)^(1 / (t_T - t0)) - 1,
gives on track (R >= 0.95), needs acceleration (0.6 <= R < 0.95), limited
progress (0 <= R < 0.6) or deterioration (R < 0). As in sdg-build, a target
or base value of 0 is replaced by 0.001.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from p3bm.analysis.base import InputValue, Result, clean
from p3bm.analysis.scope import Scope
from p3bm.analysis.targets import Target, next_target
from p3bm.areas.registry import Area
from p3bm.catalogue import Indicator

DEFAULT_SPAN = 5
ON_TRACK = 0.95
NEEDS_ACCELERATION = 0.6
ZERO_REPLACEMENT = 0.001
NOT_LEVEL_UNITS = {"%", "indeks", "rasio", "tahun"}


def is_level(item: Indicator) -> bool:
    """Tell whether compound growth means something: counts and amounts, not rates."""
    unit = item.unit.strip().lower()
    return unit not in NOT_LEVEL_UNITS and not unit.startswith("per ")


def compound_growth(first: float, last: float, years: float) -> float | None:
    """(last / first)^(1 / years) - 1; None unless both values and years are > 0."""
    if first <= 0 or last <= 0 or years <= 0:
        return None
    return (last / first) ** (1.0 / years) - 1.0


def least_squares_slope(points: list[tuple[int, float]]) -> float | None:
    """Slope of the least-squares line through (year, value); None below two years."""
    if len(points) < 2:
        return None
    years = np.array([p[0] for p in points], dtype=float)
    values = np.array([p[1] for p in points], dtype=float)
    centred = years - years.mean()
    return float((centred * (values - values.mean())).sum() / (centred**2).sum())


def direction(polarity: int, change: float | None) -> str | None:
    """improving, worsening or stable for s * change; None for neutral indicators."""
    if change is None or polarity == 0:
        return None
    signed = polarity * change
    if signed > 0:
        return "improving"
    return "worsening" if signed < 0 else "stable"


@dataclass
class Progress:
    """Progress towards a target by the Statistics Canada method."""

    status: str
    ratio: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    current_year: int | None = None
    current_value: float | None = None
    target: float | None = None
    target_year: int | None = None
    target_kind: str | None = None
    observed_growth: float | None = None
    required_growth: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            key: clean(value) if isinstance(value, float) else value
            for key, value in self.__dict__.items()
        }


def progress_status(ratio: float) -> str:
    if ratio >= ON_TRACK:
        return "on_track"
    if ratio >= NEEDS_ACCELERATION:
        return "needs_acceleration"
    if ratio >= 0:
        return "limited_progress"
    return "deterioration"


def measure_progress(
    base: InputValue, current: InputValue, target: Target, polarity: int
) -> Progress:
    """Measure the progress from ``base`` to ``current`` towards ``target``."""
    result = Progress(
        "not_available",
        base_year=base.year,
        base_value=base.value,
        current_year=current.year,
        current_value=current.value,
        target=target.value,
        target_year=target.year,
        target_kind=target.kind,
    )
    if polarity == 0:
        return result
    if polarity * (current.value - target.value) >= 0:
        result.status = "achieved"
        return result

    goal = target.value or ZERO_REPLACEMENT
    start = base.value or ZERO_REPLACEMENT
    if current.year <= base.year or target.year <= base.year:
        return result
    if start * current.value <= 0 or start * goal <= 0:
        return result

    observed = (current.value / start) ** (1 / (current.year - base.year)) - 1
    required = (goal / start) ** (1 / (target.year - base.year)) - 1
    result.observed_growth, result.required_growth = observed, required
    if required == 0:
        return result

    sign = -1 if start < 0 else 1
    result.ratio = sign * polarity * observed / abs(required)
    result.status = progress_status(result.ratio)
    return result


@dataclass
class TrendLine:
    """Trend figures of one indicator in one area."""

    indicator: Indicator
    area: str
    points: list[InputValue] = field(default_factory=list)
    base: InputValue | None = None
    last: InputValue | None = None
    slope: float | None = None
    progress: Progress | None = None

    @property
    def span(self) -> int | None:
        if self.base is None or self.last is None:
            return None
        return self.last.year - self.base.year

    @property
    def change(self) -> float | None:
        if not self.span:
            return None
        assert self.base and self.last
        return self.last.value - self.base.value

    def to_row(self) -> dict[str, Any]:
        span = self.span
        change = self.change
        growth = None
        if is_level(self.indicator) and span and self.base and self.last:
            growth = compound_growth(self.base.value, self.last.value, span)
        progress = self.progress
        return {
            "indicator": self.indicator.code,
            "area": self.area,
            "points": len(self.points),
            "base_year": self.base.year if self.base and span else None,
            "base_value": self.base.value if self.base and span else None,
            "last_year": self.last.year if self.last else None,
            "last_value": self.last.value if self.last else None,
            "change": clean(change),
            "average_annual_change": clean(change / span)
            if change is not None and span
            else None,
            "compound_growth_percent": clean(100 * growth, 4)
            if growth is not None
            else None,
            "slope": clean(self.slope),
            "direction": direction(self.indicator.polarity, self.slope),
            "progress": progress.status if progress else "no_target",
            "progress_ratio": clean(progress.ratio, 4) if progress else None,
            "target": progress.target if progress else None,
            "target_year": progress.target_year if progress else None,
        }


def base_point(points: list[InputValue], base_year: int) -> InputValue | None:
    """Return the value of ``base_year``, else of the first later year (Open SDG)."""
    later = [p for p in points if p.year >= base_year]
    return later[0] if later else None


def trend_line(
    scope: Scope,
    item: Indicator,
    area: Area,
    year: int,
    *,
    span: int = DEFAULT_SPAN,
    base_year: int | None = None,
) -> TrendLine:
    """Trend figures and progress of one indicator in an area up to ``year``."""
    points = scope.series(item.code, area.code, until=year)
    line = TrendLine(item, area.code, points)
    if not points:
        return line
    line.last = points[-1]
    start = base_year if base_year is not None else line.last.year - span
    line.base = base_point(points, start)
    line.slope = least_squares_slope([(p.year, p.value) for p in points])
    target = next_target(scope.targets, item.code, area.code, line.last.year)
    if target is not None and line.base is not None:
        line.progress = measure_progress(line.base, line.last, target, item.polarity)
    return line


@dataclass
class Trend(Result):
    """Trend lines of several indicators of one area."""

    lines: list[TrendLine] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return [line.to_row() for line in self.lines]

    def to_dict(self) -> dict[str, Any]:
        series = {
            line.indicator.code: [[p.year, p.value] for p in line.points]
            for line in self.lines
        }
        progress = {
            line.indicator.code: line.progress.to_dict()
            for line in self.lines
            if line.progress
        }
        return self.envelope(self.rows(), series=series, progress=progress)


def analyse_trends(
    scope: Scope,
    area: Area,
    year: int,
    *,
    indicators: list[str] | None = None,
    span: int = DEFAULT_SPAN,
    base_year: int | None = None,
) -> Trend:
    """Trend lines of the chosen indicators (default: all with two or more years)."""
    result = Trend(
        kind="trend",
        area=area.code,
        year=year,
        parameters={
            "indicators": indicators,
            "span": span,
            "base_year": base_year,
            "target_kind": scope.settings.target_kind,
            "source_priority": list(scope.settings.source_priority),
        },
    )
    chosen = (
        [scope.catalogue.get(c) for c in indicators]
        if indicators
        else list(scope.catalogue)
    )
    for item in chosen:
        line = trend_line(scope, item, area, year, span=span, base_year=base_year)
        if indicators or len(line.points) >= 2:
            result.lines.append(line)
            result.use(*line.points)
    return result
