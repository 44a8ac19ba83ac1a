"""Everything the report and the dashboard show for one area and year.

``build_overview`` gathers completeness, the poverty trends of the area
against its province and the nation, the heatmap of indicators by sub-area,
maps of sub-area values and the data-quality warnings, so both the offline
report and the web pages draw from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm import charts
from p3bm.areas import codes
from p3bm.areas.registry import Area, ancestors, children, list_areas
from p3bm.catalogue import Catalogue, Indicator, skpd_names
from p3bm.completeness import Completeness, compute_completeness
from p3bm.formatting import format_number
from p3bm.observations import VERIFIED_STATUSES
from p3bm.quality import QualityFlag, QualitySettings, check_all
from p3bm.series import load_frame, preferred, series_of
from p3bm.storage.schema import area as area_table

TREND_INDICATORS = ("P0", "JPM", "GK")
QUALITY_YEARS = 5
_NO_VALUE = None


@dataclass
class TrendChart:
    """A poverty trend: the area's series against its benchmarks."""

    indicator: Indicator
    svg: str
    rows: list[dict[str, object]]
    labels: list[str]


@dataclass
class HeatmapRow:
    indicator: Indicator
    cells: list[tuple[float | None, int | None]]
    filled: int


@dataclass
class Heatmap:
    """Indicators by sub-area at one level: which values exist, shaded by size."""

    level: int
    areas: list[Area]
    rows: list[HeatmapRow]


@dataclass
class MapView:
    indicator: Indicator | None
    level: int
    svg: str
    filled: int
    total: int


@dataclass
class Overview:
    """The content of the report and the dashboard's area page."""

    area: Area
    year: int
    lang: str
    trail: list[Area]
    children: list[Area]
    completeness: Completeness
    trends: list[TrendChart] = field(default_factory=list)
    heatmaps: list[Heatmap] = field(default_factory=list)
    maps: list[MapView] = field(default_factory=list)
    quality: list[QualityFlag] = field(default_factory=list)
    area_names: dict[str, str] = field(default_factory=dict)
    years: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    # First year whose warnings are listed. Method breaks are listed from any year.
    quality_since: int = 0
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def build_overview(
    connection: Connection,
    area: Area,
    year: int,
    *,
    lang: str = "id",
    stale_after_years: int = 3,
    verified_only: bool = False,
    statuses: tuple[str, ...] | None = None,
    source_priority: tuple[str, ...] = (),
    quality_settings: QualitySettings | None = None,
) -> Overview:
    """Collect the overview of ``area`` in ``year``."""
    catalogue = Catalogue.load(connection)
    trail = ancestors(connection, area)
    overview = Overview(
        area=area,
        year=year,
        lang=lang,
        trail=trail,
        children=children(connection, area),
        completeness=compute_completeness(
            connection,
            catalogue,
            area,
            year,
            stale_after_years=stale_after_years,
            verified_only=verified_only,
            statuses=statuses,
            skpd_names=skpd_names(connection),
            lang=lang,
        ),
    )
    if statuses is None and verified_only:
        statuses = VERIFIED_STATUSES
    related = _related_frame(connection, area, trail, statuses)
    best = preferred(related, source_priority)
    overview.years = sorted(
        int(y) for y in best[best["area"] == area.code]["year"].unique()
    )
    overview.sources = sorted(s for s in related["source"].unique() if s)
    overview.trends = _trends(catalogue, best, area, trail, lang)
    sub_levels = _sub_levels(connection, area, year)
    overview.heatmaps = [
        _heatmap(catalogue, best, level, areas, year)
        for level, areas in sub_levels.items()
    ]
    overview.maps = _maps(connection, catalogue, best, sub_levels, year, lang)
    overview.quality = _quality(related, best, catalogue, area, year, quality_settings)
    overview.quality_since = year - QUALITY_YEARS + 1
    overview.area_names = _names(connection, overview.quality, area, sub_levels)
    return overview


def _related_frame(connection, area: Area, trail: list[Area], statuses) -> pd.DataFrame:
    """Values of the area, its subtree, its siblings and its ancestors."""
    frames = [
        load_frame(
            connection, area_prefix=area.code, totals_only=False, statuses=statuses
        )
    ]
    if area.parent_code:
        siblings = [
            a.code
            for a in list_areas(connection, level=area.level)
            if a.parent_code == area.parent_code and a.code != area.code
        ]
        others = siblings + [a.code for a in trail]
        frames.append(
            load_frame(connection, areas=others, totals_only=False, statuses=statuses)
        )
    if area.code == codes.COUNTRY_CODE:
        return frames[0]
    return pd.concat(
        [f for f in frames if not f.empty] or frames[:1], ignore_index=True
    )


def _trends(
    catalogue, best, area: Area, trail: list[Area], lang: str
) -> list[TrendChart]:
    benchmarks = [a for a in trail if a.level in (codes.COUNTRY, codes.PROVINCE)]
    totals = best[best["disaggregation"] == ""]
    charts_found = []
    for code in TREND_INDICATORS:
        indicator = catalogue.by_code.get(code)
        if indicator is None:
            continue
        compared = [area] + ([] if code == "JPM" else list(reversed(benchmarks)))
        series = [
            charts.Series(
                a.name, series_of(totals, code, a.code), is_dashed=a is not area
            )
            for a in compared
        ]
        if not any(s.points for s in series):
            continue
        svg = charts.line_chart(
            series,
            title=indicator.label(lang),
            unit=indicator.unit_label(lang),
            lang=lang,
        )
        charts_found.append(
            TrendChart(indicator, svg, _trend_rows(series), [s.label for s in series])
        )
    return charts_found


def _trend_rows(series: list[charts.Series]) -> list[dict[str, object]]:
    years = sorted({year for s in series for year, _ in s.points}, reverse=True)
    lookup = [dict(s.points) for s in series]
    return [
        {"year": year, "values": [points.get(year) for points in lookup]}
        for year in years
    ]


def _sub_levels(connection, area: Area, year: int) -> dict[int, list[Area]]:
    """Areas of the next two levels below ``area`` that existed in ``year``."""
    if area.level >= codes.VILLAGE:
        return {}
    wanted = {area.level + 1, area.level + 2} - {codes.VILLAGE + 1}
    if area.code == codes.COUNTRY_CODE:
        wanted = {codes.PROVINCE}
    grouped: dict[int, list[Area]] = {}
    for level in sorted(wanted):
        found = [
            a
            for a in list_areas(connection, within=area, level=level)
            if a.is_valid_in(year)
        ]
        if found:
            grouped[level] = found
    return grouped


def _shade(values: list[float | None], breaks: list[float]) -> list[int | None]:
    shades = []
    for value in values:
        if value is None or not breaks:
            shades.append(None)
            continue
        shades.append(
            next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)
        )
    return shades


def _heatmap(catalogue, best, level: int, areas: list[Area], year: int) -> Heatmap:
    data = best[(best["year"] == year) & (best["disaggregation"] == "")]
    data = data[data["area"].isin([a.code for a in areas])]
    lookup = {(r.indicator, r.area): r.value for r in data.itertuples(index=False)}
    rows = []
    for indicator in catalogue:
        if not (indicator.applies_at(level) and indicator.is_due(year)):
            continue
        values = [lookup.get((indicator.code, a.code), _NO_VALUE) for a in areas]
        present = [v for v in values if v is not None]
        breaks = charts.quantile_breaks(present) if present else []
        rows.append(
            HeatmapRow(
                indicator,
                list(zip(values, _shade(values, breaks), strict=True)),
                len(present),
            )
        )
    rows.sort(key=lambda row: (-row.filled, row.indicator.position))
    return Heatmap(level, areas, rows)


def area_geometries(connection, areas: list[Area]) -> dict[str, dict]:
    """GeoJSON geometry of each area that has a boundary."""
    codes_wanted = [a.code for a in areas if a.has_boundary]
    if not codes_wanted:
        return {}
    rows = connection.execute(
        sa.select(area_table.c.code, area_table.c.geometry).where(
            area_table.c.code.in_(codes_wanted)
        )
    )
    return {code: charts.geometry_of(text) for code, text in rows if text}


def _maps(
    connection, catalogue, best, sub_levels, year: int, lang: str
) -> list[MapView]:
    views = []
    data = best[(best["year"] == year) & (best["disaggregation"] == "")]
    for level, areas in sub_levels.items():
        geometries = area_geometries(connection, areas)
        if not geometries:
            continue
        at_level = data[data["area"].isin(geometries)]
        indicators = [
            catalogue.by_code[c]
            for c in at_level["indicator"].unique()
            if c in catalogue.by_code
        ]
        indicators.sort(key=lambda item: item.position)
        for indicator in indicators or [None]:
            views.append(_map_view(indicator, level, areas, geometries, at_level, lang))
    return views


def _map_view(indicator, level, areas, geometries, data, lang) -> MapView:
    values = {}
    if indicator is not None:
        chosen = data[data["indicator"] == indicator.code]
        values = dict(zip(chosen["area"], chosen["value"], strict=True))
    features = [
        charts.MapFeature(a.code, a.name, geometries[a.code], values.get(a.code))
        for a in areas
        if a.code in geometries
    ]
    title = indicator.label(lang) if indicator else codes.LEVEL_LABELS_ID[level]
    svg = charts.choropleth(
        features,
        polarity=indicator.polarity if indicator else 0,
        title=title,
        unit=indicator.unit_label(lang) if indicator else "",
        decimals=indicator.decimals if indicator else None,
        lang=lang,
    )
    return MapView(indicator, level, svg, len(values), len(features))


def _quality(
    related, best, catalogue, area: Area, year: int, settings
) -> list[QualityFlag]:
    flags = check_all(related, best, catalogue, settings)
    first_year = year - QUALITY_YEARS + 1
    kept = [
        flag
        for flag in flags
        if (
            flag.area == area.code
            or flag.area.startswith(area.code + ".")
            or area.code == codes.COUNTRY_CODE
        )
        and (first_year <= flag.year <= year or flag.code == "method_break")
    ]
    return sorted(kept, key=lambda f: (f.area, f.indicator, -f.year, f.code))


def _names(connection, flags, area: Area, sub_levels) -> dict[str, str]:
    names = {area.code: area.name}
    for areas in sub_levels.values():
        names.update({a.code: a.name for a in areas})
    missing = {flag.area for flag in flags} - set(names)
    if missing:
        rows = connection.execute(
            sa.select(area_table.c.code, area_table.c.name).where(
                area_table.c.code.in_(missing)
            )
        )
        names.update(dict(rows.all()))
    return names


def latest_year(
    connection: Connection, area: Area, statuses: tuple[str, ...] | None = None
) -> int | None:
    """The year with the most indicators filled for the area (the latest on a tie)."""
    frame = load_frame(connection, areas=[area.code], statuses=statuses)
    if frame.empty:
        return None
    counts = frame.groupby("year")["indicator"].nunique()
    best = counts.max()
    return int(max(year for year, count in counts.items() if count == best))


def describe_value(value: float | None, indicator: Indicator, lang: str) -> str:
    return format_number(value, indicator.decimals, lang)
