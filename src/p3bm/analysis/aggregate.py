"""Values of an area computed from its sub-areas, by each indicator's rule.

Rules: ``sum`` adds the sub-areas' values; ``ratio`` adds numerators and
denominators first, then divides and multiplies by the factor; a sub-area
counts only when it has both, so missing is never taken as zero;
``weighted_mean`` is sum(w x) / sum(w) over sub-areas with both the value
and the weight; ``min`` and ``max`` take the extreme; ``none`` marks survey
estimates, which are never aggregated. An indicator is never aggregated from
a level below its lowest level.

Sources are never mixed: each combination of sources (one for the values, or
one for the numerator and one for the denominator) gives its own aggregate,
labelled with them, and its own coverage. Aggregates are computed when asked
and never stored, so new data shows at once.
"""

from __future__ import annotations

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


def _values(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    data = frame[frame["indicator"] == code]
    return data[["area", "year", "source", "value"]]


def contributions(frame: pd.DataFrame, item: Indicator) -> pd.DataFrame:
    """One row per sub-area, year and source combination, with the parts to add.

    For ``sum``, ``min`` and ``max`` the part ``a`` is the value; for a ratio
    ``a`` and ``b`` are the numerator and denominator; for a weighted mean
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
    how = {"min": "min", "max": "max"}.get(item.aggregation, "sum")
    grouped = data.groupby(["parent", "year", "sources"], sort=False).agg(
        a=("a", how), b=("b", "sum"), contributed=("a", "size")
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
    and contributed.
    """
    results = []
    for item in catalogue:
        if item.aggregation == "none" or from_level > item.lowest_level:
            continue
        parts = contributions(frame, item)
        if parts.empty:
            continue
        combined = combine(parts, item, parent_of)
        if not combined.empty:
            results.append(combined.assign(indicator=item.code))
    if not results:
        return pd.DataFrame(
            columns=["indicator", "parent", "year", "sources", "value", "contributed"]
        )
    return pd.concat(results, ignore_index=True)


def source_roles(item: Indicator, sources: str) -> dict[str, str]:
    """The source of each part of a combination, keyed by indicator code."""
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
    parts_of = [item.code, item.numerator, item.denominator, item.weight]
    frame = scope.sub_frame(area.code, level, year, [c for c in parts_of if c])
    if frame.empty:
        return result
    parts = contributions(frame, item)
    ranks = _source_ranks(scope)
    for sources, group in parts.groupby("sources", sort=False):
        result.variants.append(_variant(item, group, result.expected, sources))
        _record_inputs(result, item, group, frame, str(sources))
    result.variants.sort(
        key=lambda v: (-len(v.contributed), [ranks(s) for s in v.sources.values()])
    )
    return result


def _variant(item: Indicator, group: pd.DataFrame, expected, sources) -> Variant:
    parent_of = dict.fromkeys(group["area"], "parent")
    combined = combine(group, item, parent_of)
    value = combined["value"].iloc[0] if not combined.empty else None
    contributed = sorted(set(group["area"]))
    return Variant(
        sources=source_roles(item, str(sources)),
        value=None if value is None or pd.isna(value) else float(value),
        contributed=contributed,
        missing=[code for code in expected if code not in set(contributed)],
    )


def _record_inputs(result: Aggregate, item: Indicator, group, frame, sources: str):
    roles = source_roles(item, sources)
    lookup = {
        (code, area, source): value
        for code, area, source, value in zip(
            frame["indicator"],
            frame["area"],
            frame["source"],
            frame["value"],
            strict=True,
        )
    }
    for area in sorted(set(group["area"])):
        for code, source in roles.items():
            value = lookup.get((code, area, source))
            if value is not None:
                result.use(InputValue(code, area, result.year, source, float(value)))


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
