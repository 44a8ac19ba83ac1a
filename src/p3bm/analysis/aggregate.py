"""Values of an area computed from its sub-areas, by each indicator's rule.

The rules: ``sum`` adds the sub-areas' values. ``ratio`` adds numerators and
denominators first, then divides and multiplies by the factor. A sub-area
counts only when it has both parts, so a missing value is never taken as
zero. ``weighted_mean`` is sum(w x) / sum(w) over the sub-areas with both
the value and the weight. ``min`` and ``max`` take the extreme. ``none``
marks survey estimates, which are never aggregated. An indicator is never
aggregated from a level below its lowest level.

Sources are never mixed. Each combination of sources (one for the values, or
one for the numerator and one for the denominator) gives its own aggregate,
labelled with them, and its own coverage. Aggregates are computed on request
and never stored, so new data shows at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from p3bm.analysis.base import InputValue, Result, clean
from p3bm.analysis.scope import Scope
from p3bm.areas import codes
from p3bm.areas.registry import Area
from p3bm.catalogue import Catalogue, Indicator
from p3bm.errors import ConfigurationError

PART_COLUMNS = ["area", "year", "sources", "a", "b"]
LEVEL_COLUMNS = ["indicator", "parent", "year", "sources", "value", "contributed"]
EXTREMES = ("sum", "min", "max")
SOURCE_SEPARATOR = "\x1f"


def _values(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    data = frame[frame["indicator"] == code]
    return data[["area", "year", "source", "value"]]


def contributions(frame: pd.DataFrame, item: Indicator) -> pd.DataFrame:
    """Return one row per sub-area, year and source combination, with its parts.

    For ``sum``, ``min`` and ``max`` the part ``a`` is the value. For a ratio
    ``a`` and ``b`` are the numerator and denominator, and for a weighted mean
    ``a`` is w x and ``b`` is w. ``sources`` labels the combination.
    """
    if item.aggregation in ("sum", "min", "max"):
        data = _values(frame, item.code)
        return pd.DataFrame(
            {
                "area": data["area"].to_numpy(),
                "year": data["year"].to_numpy(),
                "sources": data["source"].to_numpy(),
                "a": data["value"].to_numpy(),
                "b": np.ones(len(data)),
            }
        )
    if item.aggregation == "ratio":
        first, second = item.numerator, item.denominator
    elif item.aggregation == "weighted_mean":
        first, second = item.code, item.weight
    else:
        return pd.DataFrame(columns=PART_COLUMNS)
    assert first is not None and second is not None
    both = _values(frame, first).merge(
        _values(frame, second), on=["area", "year"], suffixes=("_a", "_b")
    )
    a = both["value_a"].to_numpy()
    if item.aggregation == "weighted_mean":
        a = a * both["value_b"].to_numpy()
    return pd.DataFrame(
        {
            "area": both["area"].to_numpy(),
            "year": both["year"].to_numpy(),
            "sources": (both["source_a"] + "\x1f" + both["source_b"]).to_numpy(),
            "a": a,
            "b": both["value_b"].to_numpy(),
        }
    )


def combine(
    parts: pd.DataFrame, item: Indicator, parent_of: dict[str, str]
) -> pd.DataFrame:
    """Aggregate parts to parents: parent, year, sources, value, contributed."""
    data = parts.assign(parent=parts["area"].map(parent_of)).dropna(subset=["parent"])
    if data.empty:
        return pd.DataFrame(
            columns=["parent", "year", "sources", "value", "contributed"]
        )
    reducer = {"min": "min", "max": "max"}.get(item.aggregation, "sum")
    grouped = data.groupby(["parent", "year", "sources"], sort=False).agg(
        a=("a", reducer), b=("b", "sum"), contributed=("a", "size")
    )
    if item.aggregation == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (item.factor or 1.0) * grouped["a"] / grouped["b"]
    elif item.aggregation == "weighted_mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            value = grouped["a"] / grouped["b"]
    else:
        value = grouped["a"]
    grouped = grouped.assign(value=value.where(np.isfinite(value)))
    return grouped.reset_index()[["parent", "year", "sources", "value", "contributed"]]


def aggregate_level(
    frame: pd.DataFrame,
    catalogue: Catalogue,
    parent_of: dict[str, str],
    from_level: int,
) -> pd.DataFrame:
    """Aggregates of every aggregable indicator from sub-areas to their parents.

    ``parent_of`` maps each sub-area at ``from_level`` to the area it
    belongs to. Returns the columns indicator, parent, year, sources, value
    and contributed, in catalogue order.
    """
    items = [
        item
        for item in catalogue
        if item.aggregation != "none" and from_level <= item.lowest_level
    ]
    data = frame.assign(parent=frame["area"].map(parent_of)).dropna(subset=["parent"])
    data = data[["indicator", "area", "parent", "year", "source", "value"]]
    results = [
        _extremes_level(data, items),
        _pairs_level(data, items, "ratio"),
        _pairs_level(data, items, "weighted_mean"),
    ]
    found = pd.concat([r for r in results if not r.empty] or results[:1])
    if found.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    order = {item.code: position for position, item in enumerate(items)}
    found = found.assign(_order=found["indicator"].map(order))
    found = found.sort_values("_order", kind="stable").drop(columns="_order")
    return found[LEVEL_COLUMNS].reset_index(drop=True)


def _extremes_level(data: pd.DataFrame, items: list[Indicator]) -> pd.DataFrame:
    """Sums, minima and maxima of every such indicator in one grouping."""
    rules = {i.code: i.aggregation for i in items if i.aggregation in EXTREMES}
    chosen = data[data["indicator"].isin(list(rules))]
    if chosen.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    keys = ["indicator", "parent", "year", "source"]
    grouped = chosen.groupby(keys, sort=False)["value"].agg(
        ["sum", "min", "max", "size"]
    )
    grouped = grouped.reset_index()
    rule = grouped["indicator"].map(rules)
    value = np.select(
        [rule == "min", rule == "max"],
        [grouped["min"], grouped["max"]],
        grouped["sum"],
    )
    return pd.DataFrame(
        {
            "indicator": grouped["indicator"],
            "parent": grouped["parent"],
            "year": grouped["year"],
            "sources": grouped["source"],
            "value": value,
            "contributed": grouped["size"],
        }
    )


def _pairs_level(data: pd.DataFrame, items: list[Indicator], rule: str) -> pd.DataFrame:
    """Ratios or weighted means of every such indicator: parts added, then divided.

    A sub-area counts once per pair of sources that gives both parts.
    """
    pairs = pd.DataFrame(
        [
            (i.code, *_parts_of(i), i.factor or 1.0)
            for i in items
            if i.aggregation == rule
        ],
        columns=["code", "first", "second", "factor"],
    )
    if pairs.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    columns = ["area", "parent", "year", "source", "value"]
    first = pairs.merge(
        data[["indicator", *columns]], left_on="first", right_on="indicator"
    ).drop(columns="indicator")
    both = first.merge(
        data[["indicator", "area", "year", "source", "value"]],
        left_on=["second", "area", "year"],
        right_on=["indicator", "area", "year"],
        suffixes=("_a", "_b"),
    )
    if both.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    a = both["value_a"].to_numpy()
    if rule == "weighted_mean":
        a = a * both["value_b"].to_numpy()
    parts = pd.DataFrame(
        {
            "indicator": both["code"],
            "parent": both["parent"],
            "year": both["year"],
            "sources": both["source_a"] + "\x1f" + both["source_b"],
            "a": a,
            "b": both["value_b"],
            "factor": both["factor"],
        }
    )
    grouped = parts.groupby(["indicator", "parent", "year", "sources"], sort=False).agg(
        a=("a", "sum"),
        b=("b", "sum"),
        factor=("factor", "first"),
        contributed=("a", "size"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = grouped["factor"] * grouped["a"] / grouped["b"]
    grouped = grouped.assign(value=value.where(np.isfinite(value))).reset_index()
    return grouped[LEVEL_COLUMNS]


def _parts_of(item: Indicator) -> tuple[str, str]:
    """Return the two indicators a ratio or weighted mean is computed from."""
    if item.aggregation == "ratio":
        first, second = item.numerator, item.denominator
    else:
        first, second = item.code, item.weight
    assert first is not None and second is not None
    return first, second


def source_roles(item: Indicator, sources: str) -> dict[str, str]:
    """Return the source of each part of a combination, keyed by indicator code."""
    names = sources.split("\x1f")
    if item.aggregation == "ratio":
        return {item.numerator or "": names[0], item.denominator or "": names[1]}
    if item.aggregation == "weighted_mean":
        return {item.code: names[0], item.weight or "": names[1]}
    return {item.code: names[0]}


@dataclass
class Variant:
    """The aggregate from one combination of sources."""

    sources: dict[str, str]
    value: float | None
    contributed: list[str]
    missing: list[str]

    def label(self) -> str:
        return " / ".join(
            f"{code}: {name or '-'}" for code, name in self.sources.items()
        )


@dataclass
class Aggregate(Result):
    """An area's value of one indicator from its sub-areas, per source combination."""

    indicator: Indicator | None = None
    from_level: int = 0
    expected: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)
    published: list[InputValue] = field(default_factory=list)
    reason: str | None = None

    @property
    def value(self) -> float | None:
        return self.variants[0].value if self.variants else None

    def rows(self) -> list[dict[str, Any]]:
        assert self.indicator is not None
        base = {
            "indicator": self.indicator.code,
            "area": self.area,
            "year": self.year,
            "rule": self.indicator.aggregation,
            "expected": len(self.expected),
        }
        if not self.variants:
            return [
                base
                | {
                    "sources": "",
                    "value": None,
                    "contributed": 0,
                    "coverage_percent": 0.0,
                    "missing": ", ".join(self.expected),
                    "reason": self.reason or "no_data",
                }
            ]
        return [
            base
            | {
                "sources": variant.label(),
                "value": clean(variant.value),
                "contributed": len(variant.contributed),
                "coverage_percent": _percent(
                    len(variant.contributed), len(self.expected)
                ),
                "missing": ", ".join(variant.missing),
                "reason": None,
            }
            for variant in self.variants
        ]

    def to_dict(self) -> dict[str, Any]:
        return self.envelope(
            self.rows(),
            published=[value.to_dict() for value in self.published],
        )


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _rejection(item: Indicator, area: Area, from_level: int) -> str | None:
    if item.aggregation == "none":
        return "not_aggregable"
    if from_level <= area.level or from_level > codes.VILLAGE:
        return "no_sub_areas"
    if from_level > item.lowest_level:
        return "below_lowest_level"
    return None


def aggregate(
    scope: Scope,
    indicator: str,
    area: Area,
    year: int,
    from_level: int | None = None,
) -> Aggregate:
    """Aggregate one indicator for an area and year from its sub-areas.

    ``from_level`` is the level of the sub-areas, by default the level just
    below the area.
    """
    item = scope.catalogue.get(indicator)
    level = area.level + 1 if from_level is None else from_level
    result = Aggregate(
        kind="aggregate",
        area=area.code,
        year=year,
        parameters={
            "indicator": item.code,
            "from_level": level,
            "rule": item.aggregation,
        },
        indicator=item,
        from_level=level,
    )
    result.published = scope.all_sources(item.code, area.code, year)
    result.reason = _rejection(item, area, level)
    if result.reason is not None:
        return result
    expected = scope.descendants(area.code, level, year)
    result.expected = [a.code for a in expected]
    if not expected:
        result.reason = "no_sub_areas"
        return result
    ranks = _source_ranks(scope)
    for sources, parts in _parts_by_sources(scope, item, result.expected, year).items():
        result.variants.append(_variant(item, parts, result.expected, sources))
        for part in parts:
            result.use(*part.inputs)
    result.variants.sort(
        key=lambda v: (-len(v.contributed), [ranks(s) for s in v.sources.values()])
    )
    return result


@dataclass
class Part:
    """The contribution of one sub-area to an aggregate from one source combination.

    For ``sum``, ``min`` and ``max`` the part ``a`` is the value. For a ratio
    ``a`` and ``b`` are the numerator and denominator, and for a weighted mean
    ``a`` is w x and ``b`` is w.
    """

    area: str
    a: float
    b: float
    inputs: tuple[InputValue, ...]


def _parts_by_sources(
    scope: Scope, item: Indicator, expected: list[str], year: int
) -> dict[str, list[Part]]:
    """Collect the parts of the sub-areas by source label, in order of appearance."""
    found: dict[str, list[Part]] = {}
    for area in expected:
        if item.aggregation in EXTREMES:
            for value in scope.all_sources(item.code, area, year):
                part = Part(area, value.value, 1.0, (value,))
                found.setdefault(value.source, []).append(part)
            continue
        first_code, second_code = _parts_of(item)
        firsts = scope.all_sources(first_code, area, year)
        seconds = scope.all_sources(second_code, area, year) if firsts else []
        for first in firsts:
            for second in seconds:
                a = first.value
                if item.aggregation == "weighted_mean":
                    a *= second.value
                label = first.source + SOURCE_SEPARATOR + second.source
                part = Part(area, a, second.value, (first, second))
                found.setdefault(label, []).append(part)
    return found


def _variant(item: Indicator, parts: list[Part], expected, sources: str) -> Variant:
    contributed = sorted({part.area for part in parts})
    present = set(contributed)
    return Variant(
        sources=source_roles(item, sources),
        value=_combined_value(item, parts),
        contributed=contributed,
        missing=[code for code in expected if code not in present],
    )


def _combined_value(item: Indicator, parts: list[Part]) -> float | None:
    """Combine the parts by the indicator's rule; None when the result is undefined."""
    if item.aggregation == "min":
        return min(part.a for part in parts)
    if item.aggregation == "max":
        return max(part.a for part in parts)
    total = math.fsum(part.a for part in parts)
    if item.aggregation == "sum":
        return total
    weight = math.fsum(part.b for part in parts)
    if weight == 0:
        return None
    factor = (item.factor or 1.0) if item.aggregation == "ratio" else 1.0
    value = factor * total / weight
    return value if math.isfinite(value) else None


def _source_ranks(scope: Scope):
    priority = list(scope.settings.source_priority)

    def rank(name: str) -> tuple[int, str]:
        return (priority.index(name) if name in priority else len(priority), name)

    return rank


def parse_from_level(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return codes.parse_level(text)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
