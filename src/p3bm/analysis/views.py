"""Charts and maps of analysis results, shared by the dashboard and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from p3bm import charts
from p3bm.analysis.labels import text
from p3bm.analysis.locations import CATEGORIES, PriorityLocations
from p3bm.analysis.quadrant import Quadrant
from p3bm.analysis.scope import Scope
from p3bm.analysis.trend import Trend
from p3bm.overview import area_geometries

CATEGORY_COLOURS = {"P1": "#c92a2a", "P2": "#f76707", "P3": "#fcc419", "P4": "#74c0fc"}


def quadrant_svg(result: Quadrant, lang: str) -> str:
    """Draw the bubble chart of a quadrant result."""
    assert result.x_indicator and result.y_indicator
    points = [
        charts.ScatterPoint(
            code=p.area,
            label=p.name.replace("Kabupaten ", "Kab. "),
            x=p.x.value,
            y=p.y.value,
            size=p.size.value if p.size else None,
            group=p.quadrant,
            is_focus=p.area == result.area,
        )
        for p in result.points
    ]
    x, y = result.x_indicator, result.y_indicator
    return charts.scatter_chart(
        points,
        x_label=f"{x.label(lang)} ({x.unit_label(lang)})",
        y_label=f"{y.label(lang)} ({y.unit_label(lang)})",
        x_split=result.x_split.value if result.x_split else None,
        y_split=result.y_split.value if result.y_split else None,
        title=f"{x.code} / {y.code}",
        lang=lang,
    )


def locations_svg(
    connection: Connection, scope: Scope, result: PriorityLocations, lang: str
) -> str:
    """Draw the map of priority locations.

    The result is an empty string when none of the sub-areas has a boundary.
    """
    areas = scope.descendants(result.area, result.level, result.year)
    geometries = area_geometries(connection, areas)
    features = [
        charts.MapFeature(a.code, a.name, geometries[a.code])
        for a in areas
        if a.code in geometries
    ]
    categories = {loc.area: loc.category for loc in result.locations}
    labels = {c: text(c, lang) for c in CATEGORIES}
    return charts.category_map(
        features,
        categories,
        CATEGORY_COLOURS,
        labels,
        title=text("priority-locations", lang),
        lang=lang,
    )


@dataclass
class TrendChart:
    code: str
    title: str
    svg: str
    row: dict[str, Any] = field(default_factory=dict)


def trend_charts(scope: Scope, result: Trend, lang: str) -> list[TrendChart]:
    """Draw a line chart per indicator: the area, its province and the target."""
    found = []
    province = scope.ancestor_at(result.area, 1)
    for line in result.lines:
        item = line.indicator
        series = [
            charts.Series(
                scope.name(result.area), [(p.year, p.value) for p in line.points]
            )
        ]
        if province and province != result.area:
            points = scope.series(item.code, province, until=result.year)
            if points:
                series.append(
                    charts.Series(
                        scope.name(province),
                        [(p.year, p.value) for p in points],
                        is_dashed=True,
                    )
                )
        progress = line.progress
        if progress is not None and progress.target is not None:
            label = f"{text('progress', lang)}: {progress.target_kind}"
            series.append(
                charts.Series(label, [(progress.target_year, progress.target)])
            )
        svg = charts.line_chart(
            series, title=item.label(lang), unit=item.unit_label(lang), lang=lang
        )
        found.append(TrendChart(item.code, item.label(lang), svg, line.to_row()))
    return found
