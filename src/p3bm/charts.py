"""Charts and maps drawn as inline SVG.

Reports must open offline from a single file, and a charting library in
JavaScript would add hundreds of kilobytes to every report, so the few chart
kinds P3BM needs (line charts, bubble charts, choropleth and category maps)
are drawn here as SVG. Each
mark carries a ``<title>`` that browsers show as a tooltip, and the CSS classes
``chart``, ``series-N`` and ``area-CODE`` let tests and styles find them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from p3bm.formatting import format_number

SERIES_COLOURS = ("#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#868e96", "#c2255c")
NO_DATA_COLOUR = "#e9ecef"
# Five-class sequential palettes (ColorBrewer YlGn, YlOrRd and Blues).
PALETTES = {
    1: ("#d9f0a3", "#addd8e", "#78c679", "#31a354", "#006837"),
    -1: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"),
    0: ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"),
}


@dataclass
class Series:
    """One line of a line chart."""

    label: str
    points: Sequence[tuple[int, float]]
    is_dashed: bool = False


@dataclass
class MapFeature:
    """One area drawn on a map."""

    code: str
    name: str
    geometry: dict
    value: float | None = None


@dataclass
class Legend:
    """Colour classes of a map, lowest first."""

    breaks: list[float] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values that cover ``low`` to ``high``."""
    if high == low:
        high = low + (abs(low) or 1)
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.001:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def line_chart(
    series: Sequence[Series],
    *,
    title: str = "",
    unit: str = "",
    lang: str = "id",
    width: int = 640,
    height: int = 280,
    start_at_zero: bool = False,
) -> str:
    """An SVG line chart of yearly series; series with one point show as dots."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return ""
    years = sorted({year for s in drawn for year, _ in s.points})
    values = [value for s in drawn for _, value in s.points]
    low = 0.0 if start_at_zero else min(values)
    ticks = nice_ticks(min(low, min(values)), max(values))
    left, right, top, bottom = 64, 16, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = years[0], max(years[-1], years[0] + 1)

    def x(year: int) -> float:
        return left + (year - first) / (last - first) * plot_w

    def y(value: float) -> float:
        return top + (ticks[-1] - value) / (ticks[-1] - ticks[0]) * plot_h

    parts = [
        f'<svg class="chart line-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" '
            f'y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'class="grid"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" class="tick" '
            'text-anchor="end">'
            f"{escape(format_number(tick, None, lang))}</text>"
        )
    step = max(1, math.ceil(len(range(first, last + 1)) / 10))
    for year in range(first, last + 1, step):
        parts.append(
            f'<text x="{x(year):.1f}" y="{height - bottom + 18}" class="tick" '
            f'text-anchor="middle">{year}</text>'
        )
    if unit:
        parts.append(f'<text x="{left}" y="16" class="unit">{escape(unit)}</text>')
    for number, item in enumerate(drawn):
        parts.append(_line(item, number, x, y, lang))
    parts.append(_legend(drawn, left, height - 8))
    parts.append("</svg>")
    return "".join(parts)


def _line(item: Series, number: int, x, y, lang: str) -> str:
    colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
    points = sorted(item.points)
    dash = ' stroke-dasharray="5 4"' if item.is_dashed else ""
    parts = [f'<g class="series series-{number}" data-label="{escape(item.label)}">']
    # Gaps of more than a year break the line, so missing years stay visible.
    runs: list[list[tuple[int, float]]] = []
    for point in points:
        if runs and point[0] - runs[-1][-1][0] == 1:
            runs[-1].append(point)
        else:
            runs.append([point])
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{x(yr):.1f},{y(v):.1f}" for yr, v in run)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dash}/>'
            )
    for year, value in points:
        parts.append(
            f'<circle cx="{x(year):.1f}" cy="{y(value):.1f}" r="3" fill="{colour}">'
            f"<title>{escape(item.label)} {year}: "
            f"{escape(format_number(value, None, lang))}</title></circle>"
        )
    parts.append("</g>")
    return "".join(parts)


def _legend(drawn: Sequence[Series], left: int, baseline: int) -> str:
    parts = []
    offset = left
    for number, item in enumerate(drawn):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        parts.append(
            f'<rect x="{offset}" y="{baseline - 9}" width="12" height="4" '
            f'fill="{colour}"/>'
            f'<text x="{offset + 16}" y="{baseline}" class="legend">'
            f"{escape(item.label)}</text>"
        )
        offset += 28 + 7 * len(item.label)
    return "".join(parts)


def quantile_breaks(values: Sequence[float], classes: int = 5) -> list[float]:
    """Upper bounds of ``classes`` classes holding about as many values each."""
    ordered = sorted(values)
    if not ordered:
        return []
    breaks = []
    for number in range(1, classes + 1):
        position = min(len(ordered) - 1, math.ceil(number * len(ordered) / classes) - 1)
        breaks.append(ordered[position])
    return sorted(set(breaks))


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        return geometry["coordinates"]
    if geometry.get("type") == "MultiPolygon":
        return [ring for polygon in geometry["coordinates"] for ring in polygon]
    return []


def choropleth(
    features: Sequence[MapFeature],
    *,
    polarity: int = 0,
    title: str = "",
    unit: str = "",
    decimals: int | None = None,
    lang: str = "id",
    width: int = 640,
) -> str:
    """An SVG map of areas shaded by value in quantile classes; grey means no value."""
    shapes = [(f, _rings(f.geometry)) for f in features if _rings(f.geometry)]
    if not shapes:
        return ""
    xs = [p[0] for _, rings in shapes for ring in rings for p in ring]
    ys = [p[1] for _, rings in shapes for ring in rings for p in ring]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    # Equirectangular projection scaled by the cosine of the middle latitude,
    # which is exact enough for a city or province.
    scale_x = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * scale_x, 1e-9)
    span_y = max(north - south, 1e-9)
    map_w = width - 20
    map_h = map_w * span_y / span_x
    height = int(map_h + 70)

    def point(p: list[float]) -> str:
        px = 10 + (p[0] - west) * scale_x / span_x * map_w
        py = 10 + (north - p[1]) / span_y * map_h
        return f"{px:.1f},{py:.1f}"

    values = [f.value for f, _ in shapes if f.value is not None]
    palette = PALETTES.get(polarity, PALETTES[0])
    breaks = quantile_breaks(values, len(palette))
    colours = list(palette[-len(breaks) :]) if breaks else []
    parts = [
        f'<svg class="chart map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for feature, rings in shapes:
        path = " ".join(
            "M" + " L".join(point(p) for p in ring) + " Z" for ring in rings
        )
        colour = _colour_of(feature.value, breaks, colours)
        shown = (
            format_number(feature.value, decimals, lang)
            if feature.value is not None
            else ("tidak ada data" if lang == "id" else "no data")
        )
        parts.append(
            f'<path class="area area-{escape(feature.code.replace(".", "-"))}" '
            f'data-code="{escape(feature.code)}" data-value="'
            f'{"" if feature.value is None else feature.value}" d="{path}" '
            f'fill="{colour}" fill-rule="evenodd" stroke="#495057" stroke-width="0.6">'
            f"<title>{escape(feature.name)} ({escape(feature.code)}): "
            f"{escape(shown)} {escape(unit)}</title></path>"
        )
    parts.append(_map_legend(breaks, colours, values, int(map_h + 24), decimals, lang))
    parts.append("</svg>")
    return "".join(parts)


def _colour_of(value: float | None, breaks: list[float], colours: list[str]) -> str:
    if value is None or not breaks:
        return NO_DATA_COLOUR
    for bound, colour in zip(breaks, colours, strict=True):
        if value <= bound:
            return colour
    return colours[-1]


def _map_legend(breaks, colours, values, top: int, decimals, lang: str) -> str:
    parts = []
    lower = min(values) if values else None
    offset = 10
    for bound, colour in zip(breaks, colours, strict=True):
        low_text = format_number(lower, decimals, lang)
        label = f"{low_text}–{format_number(bound, decimals, lang)}"
        parts.append(
            f'<rect x="{offset}" y="{top}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{offset + 18}" y="{top + 11}" class="legend">'
            f"{escape(label)}</text>"
        )
        offset += 24 + 7 * len(label)
        lower = bound
    no_data = "tidak ada data" if lang == "id" else "no data"
    parts.append(
        f'<rect x="{offset}" y="{top}" width="14" height="14" fill="{NO_DATA_COLOUR}" '
        f'stroke="#adb5bd"/><text x="{offset + 18}" y="{top + 11}" class="legend">'
        f"{no_data}</text>"
    )
    return "".join(parts)


def geometry_of(text: str | None) -> dict | None:
    return json.loads(text) if text else None


@dataclass
class ScatterPoint:
    """One area of a scatter or bubble chart."""

    code: str
    label: str
    x: float
    y: float
    size: float | None = None
    group: str = ""
    is_focus: bool = False


# Colours of the quadrant groups: the worst first.
QUADRANT_COLOURS = {
    "worse_both": "#c92a2a",
    "worse_x_only": "#f08c00",
    "worse_y_only": "#f08c00",
    "better_both": "#2b8a3e",
}


def scatter_chart(
    points: Sequence[ScatterPoint],
    *,
    x_label: str,
    y_label: str,
    x_split: float | None = None,
    y_split: float | None = None,
    colours: dict[str, str] | None = None,
    title: str = "",
    lang: str = "id",
    width: int = 640,
    height: int = 420,
) -> str:
    """An SVG bubble chart with optional split lines; bubble area follows ``size``."""
    if not points:
        return ""
    colours = colours or QUADRANT_COLOURS
    xs = [p.x for p in points] + ([x_split] if x_split is not None else [])
    ys = [p.y for p in points] + ([y_split] if y_split is not None else [])
    x_ticks, y_ticks = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    left, right, top, bottom = 64, 20, 28, 52
    plot_w, plot_h = width - left - right, height - top - bottom

    def sx(value: float) -> float:
        return left + (value - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * plot_w

    def sy(value: float) -> float:
        return top + (y_ticks[-1] - value) / (y_ticks[-1] - y_ticks[0]) * plot_h

    parts = [
        f'<svg class="chart scatter-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    parts += _scatter_axes(x_ticks, y_ticks, sx, sy, left, top, plot_w, plot_h, lang)
    parts += _scatter_splits(x_split, y_split, sx, sy, left, top, plot_w, plot_h)
    parts.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" class="unit" '
        f'text-anchor="middle">{escape(x_label)}</text>'
        f'<text x="14" y="{top + plot_h / 2:.1f}" class="unit" text-anchor="middle" '
        f'transform="rotate(-90 14 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    sizes = [p.size for p in points if p.size is not None and p.size > 0]
    largest = max(sizes) if sizes else None
    for point in sorted(points, key=lambda p: -(p.size or 0)):
        parts.append(_bubble(point, sx, sy, largest, colours, lang))
    parts.append("</svg>")
    return "".join(parts)


def _scatter_axes(x_ticks, y_ticks, sx, sy, left, top, plot_w, plot_h, lang):
    parts = []
    for tick in y_ticks:
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{sy(tick):.1f}" '
            f'y2="{sy(tick):.1f}" class="grid"/><text x="{left - 6}" '
            f'y="{sy(tick) + 4:.1f}" class="tick" text-anchor="end">'
            f"{escape(format_number(tick, None, lang))}</text>"
        )
    for tick in x_ticks:
        parts.append(
            f'<line x1="{sx(tick):.1f}" x2="{sx(tick):.1f}" y1="{top}" '
            f'y2="{top + plot_h}" class="grid"/><text x="{sx(tick):.1f}" '
            f'y="{top + plot_h + 16}" class="tick" text-anchor="middle">'
            f"{escape(format_number(tick, None, lang))}</text>"
        )
    return parts


def _scatter_splits(x_split, y_split, sx, sy, left, top, plot_w, plot_h):
    parts = []
    if x_split is not None:
        parts.append(
            f'<line class="split split-x" x1="{sx(x_split):.1f}" '
            f'x2="{sx(x_split):.1f}" y1="{top}" y2="{top + plot_h}" '
            'stroke="#495057" stroke-dasharray="6 4"/>'
        )
    if y_split is not None:
        parts.append(
            f'<line class="split split-y" x1="{left}" x2="{left + plot_w}" '
            f'y1="{sy(y_split):.1f}" y2="{sy(y_split):.1f}" stroke="#495057" '
            'stroke-dasharray="6 4"/>'
        )
    return parts


def _bubble(point: ScatterPoint, sx, sy, largest, colours, lang: str) -> str:
    radius = 5.0
    if largest and point.size:
        # Bubble area is proportional to size, up to a radius of 22.
        radius = max(3.0, 22.0 * math.sqrt(point.size / largest))
    colour = colours.get(point.group, SERIES_COLOURS[0])
    stroke = (
        ' stroke="#000" stroke-width="2.5"'
        if point.is_focus
        else (' stroke="#fff" stroke-width="1"')
    )
    focus = " focus" if point.is_focus else ""
    size_text = (
        f", {format_number(point.size, 0, lang)}" if point.size is not None else ""
    )
    return (
        f'<g class="point point-{escape(point.code.replace(".", "-"))}'
        f' group-{escape(point.group)}{focus}" data-code="{escape(point.code)}">'
        f'<circle cx="{sx(point.x):.1f}" cy="{sy(point.y):.1f}" r="{radius:.1f}" '
        f'fill="{colour}" fill-opacity="0.65"{stroke}>'
        f"<title>{escape(point.label)}: {escape(format_number(point.x, None, lang))}"
        f"; {escape(format_number(point.y, None, lang))}{escape(size_text)}</title>"
        f'</circle><text x="{sx(point.x) + radius + 2:.1f}" '
        f'y="{sy(point.y) + 3:.1f}" class="legend point-label">'
        f"{escape(point.label)}</text></g>"
    )


def category_map(
    features: Sequence[MapFeature],
    categories: dict[str, str],
    colours: dict[str, str],
    labels: dict[str, str],
    *,
    title: str = "",
    lang: str = "id",
    width: int = 640,
) -> str:
    """An SVG map of areas coloured by category (code to category); grey if none."""
    shapes = [(f, _rings(f.geometry)) for f in features if _rings(f.geometry)]
    if not shapes:
        return ""
    xs = [p[0] for _, rings in shapes for ring in rings for p in ring]
    ys = [p[1] for _, rings in shapes for ring in rings for p in ring]
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    scale_x = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * scale_x, 1e-9)
    span_y = max(north - south, 1e-9)
    map_w = width - 20
    map_h = map_w * span_y / span_x
    height = int(map_h + 50)

    def point(p: list[float]) -> str:
        px = 10 + (p[0] - west) * scale_x / span_x * map_w
        py = 10 + (north - p[1]) / span_y * map_h
        return f"{px:.1f},{py:.1f}"

    parts = [
        f'<svg class="chart map category-map" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    no_data = "tidak ada data" if lang == "id" else "no data"
    for feature, rings in shapes:
        path = " ".join(
            "M" + " L".join(point(p) for p in ring) + " Z" for ring in rings
        )
        category = categories.get(feature.code)
        colour = colours.get(category or "", NO_DATA_COLOUR)
        parts.append(
            f'<path class="area area-{escape(feature.code.replace(".", "-"))} '
            f'category-{escape(category or "none")}" '
            f'data-code="{escape(feature.code)}" '
            f'data-category="{escape(category or "")}" d="{path}" fill="{colour}" '
            'fill-rule="evenodd" stroke="#495057" stroke-width="0.6">'
            f"<title>{escape(feature.name)} ({escape(feature.code)}): "
            f"{escape(labels.get(category or '', no_data))}</title></path>"
        )
    offset, top = 10, int(map_h + 24)
    for category, colour in [*colours.items(), ("", NO_DATA_COLOUR)]:
        label = labels.get(category, no_data)
        parts.append(
            f'<rect x="{offset}" y="{top}" width="14" height="14" fill="{colour}"/>'
            f'<text x="{offset + 18}" y="{top + 11}" class="legend">'
            f"{escape(label)}</text>"
        )
        offset += 28 + 7 * len(label)
    parts.append("</svg>")
    return "".join(parts)
