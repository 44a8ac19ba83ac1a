"""Kelurahan maps for monitoring: poverty beside pro-poor spending."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from p3bm import charts
from p3bm.areas import codes
from p3bm.areas.registry import Area, list_areas
from p3bm.overview import area_geometries
from p3bm.planning.monitoring import village_amounts
from p3bm.planning.register import BudgetLine
from p3bm.series import load_frame, preferred


def village_rates(
    connection: Connection, area: Area, year: int, poor: str, total: str
) -> dict[str, float]:
    """100 x poor / total per kelurahan, from the latest year up to ``year``
    that has both values."""
    frame = preferred(
        load_frame(connection, indicators=[poor, total], area_prefix=area.code)
    )
    if frame.empty:
        return {}
    frame = frame[frame["year"] <= year]
    values: dict[tuple[str, str, int], float] = {
        (row.indicator, row.area, int(row.year)): float(row.value)
        for row in frame.itertuples(index=False)
    }
    rates: dict[str, tuple[int, float]] = {}
    for (indicator, code, when), count in values.items():
        if indicator != poor or codes.level_of_code(code) != codes.VILLAGE:
            continue
        whole = values.get((total, code, when))
        if not whole:
            continue
        previous = rates.get(code)
        if previous is None or previous[0] < when:
            rates[code] = (when, 100.0 * count / whole)
    return {code: rate for code, (_, rate) in rates.items()}


def _features(connection, villages: list[Area], values: dict[str, float]):
    geometries = area_geometries(connection, villages)
    return [
        charts.MapFeature(v.code, v.name, geometries[v.code], values.get(v.code))
        for v in villages
        if v.code in geometries
    ]


def poverty_map(
    connection: Connection,
    area: Area,
    year: int,
    *,
    poor: str,
    total: str,
    lang: str = "id",
) -> str:
    """SVG map of the share of the poor (poor / total, percent) by kelurahan."""
    villages = list_areas(connection, within=area, level=codes.VILLAGE)
    rates = village_rates(connection, area, year, poor, total)
    title = (
        f"Persentase {poor} terhadap {total}"
        if lang == "id"
        else f"{poor} as a share of {total}"
    )
    return charts.choropleth(
        _features(connection, villages, rates),
        polarity=-1,
        title=title,
        unit="%",
        decimals=1,
        lang=lang,
    )


def spending_map(
    connection: Connection,
    area: Area,
    lines: list[BudgetLine],
    *,
    lang: str = "id",
) -> str:
    """SVG map of location-specific pro-poor pagu by kelurahan, in million rupiah."""
    villages = list_areas(connection, within=area, level=codes.VILLAGE)
    amounts = village_amounts(lines, villages, pro_poor_only=True)
    millions = {code: amount / 1e6 for code, amount in amounts.items() if amount}
    title = (
        "Anggaran pro-poor menurut kelurahan"
        if lang == "id"
        else "Pro-poor budget by kelurahan"
    )
    return charts.choropleth(
        _features(connection, villages, millions),
        polarity=0,
        title=title,
        unit="juta Rp" if lang == "id" else "million Rp",
        decimals=0,
        lang=lang,
    )
