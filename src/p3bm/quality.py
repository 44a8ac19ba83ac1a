"""Data-quality checks on stored values: which values are doubtful, and why.

The checks, each a setting with a default:

- range: a value outside the indicator's minimum and maximum;
- numerator above denominator: poor people above population, deaths above
  births, for ratio indicators whose two parts share a unit;
- sub-areas above the parent: summable values of the sub-areas that add up
  to more than the parent's (by more than ``SUM_TOLERANCE``);
- sub-areas below the parent: when every expected sub-area reported, a sum
  below the parent's own value (by more than ``SUM_TOLERANCE``);
- ratio against the parent: a ratio indicator aggregated from the sub-areas
  (sum of numerators over sum of denominators, times the factor) that
  differs from the parent's published rate by more than ``RATIO_TOLERANCE``;
- sibling outlier: modified z = 0.6745 (x - median) / MAD above 3.5 among
  areas of the same parent; in DHIS2 mode, |x - mean| / population standard
  deviation above 3, as DHIS2's outlier detection computes it;
- year-on-year jump: a change of more than ``yoy_band`` (50 %) from the
  previous year's value;
- disagreeing sources: two sources that differ by more than 1 % for the same
  indicator, area and year, shown side by side;
- method break: a series that spans a year in which the method changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from p3bm.catalogue import Catalogue, Indicator
from p3bm.imports import units

MODIFIED_Z_LIMIT = 3.5
DHIS2_Z_LIMIT = 3.0
MIN_SIBLINGS = 5
SUM_TOLERANCE = 0.005
SOURCE_TOLERANCE = 0.01
RATIO_TOLERANCE = 0.05
KEYS = ["indicator", "area", "year"]

# code: (Indonesian template, English template)
MESSAGES = {
    "out_of_range": (
        "{value} di luar rentang {minimum}-{maximum}",
        "{value} is outside the range {minimum}-{maximum}",
    ),
    "numerator_above_denominator": (
        "{numerator} ({value}) lebih besar dari {denominator} ({other})",
        "{numerator} ({value}) is larger than {denominator} ({other})",
    ),
    "sum_above_parent": (
        "jumlah {count} sub-wilayah ({value}) melebihi nilai wilayah induk ({other})",
        "the {count} sub-areas add up to {value}, above the parent's {other}",
    ),
    "sum_below_parent": (
        "jumlah semua {count} sub-wilayah ({value}) di bawah nilai wilayah induk "
        "({other})",
        "all {count} sub-areas add up to {value}, below the parent's {other}",
    ),
    "ratio_differs_from_parent": (
        "{indicator} dihitung dari {count} sub-wilayah ({value}) berbeda dari "
        "nilai terbitan wilayah induk ({other})",
        "{indicator} computed from {count} sub-areas ({value}) differs from the "
        "parent's published {other}",
    ),
    "sibling_outlier": (
        "{value} jauh dari median {median} wilayah sejenis (z = {score})",
        "{value} is far from the median {median} of its sibling areas (z = {score})",
    ),
    "year_on_year_jump": (
        "berubah {change} % dari {previous} pada tahun sebelumnya",
        "changed by {change} % from {previous} the year before",
    ),
    "sources_disagree": (
        "sumber berbeda: {sources}",
        "sources disagree: {sources}",
    ),
    "method_break": (
        "metode berubah pada {break_year}; nilai sebelum dan sesudahnya "
        "tidak sebanding",
        "the method changed in {break_year}; values before and after are "
        "not comparable",
    ),
}


@dataclass
class QualityFlag:
    """One doubtful value and the reason."""

    code: str
    indicator: str
    area: str
    year: int
    value: float | None
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "id") -> str:
        template = MESSAGES[self.code][1 if lang == "en" else 0]
        return template.format(value=_number(self.value), **self.params)

    def to_dict(self, lang: str = "id") -> dict[str, object]:
        return {
            "code": self.code,
            "indicator": self.indicator,
            "area": self.area,
            "year": self.year,
            "value": self.value,
            "message": self.message(lang),
        }


@dataclass(frozen=True)
class QualitySettings:
    """Thresholds of the checks."""

    yoy_band: float = 0.5
    dhis2_mode: bool = False


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if isinstance(value, float | int | np.floating):
        number = float(value)
        if abs(number) >= 1000:
            return f"{number:,.0f}".replace(",", ".")
        return f"{number:.4g}".replace(".", ",")
    return str(value)


def check_ranges(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    lows = {i.code: i.minimum for i in catalogue if i.minimum is not None}
    highs = {i.code: i.maximum for i in catalogue if i.maximum is not None}
    known = frame[frame["indicator"].isin(list(catalogue.by_code))]
    low = known["indicator"].map(lows).astype("float64").fillna(-np.inf)
    high = known["indicator"].map(highs).astype("float64").fillna(np.inf)
    outside = known[(known["value"] < low) | (known["value"] > high)]
    flags = []
    for row in outside.itertuples(index=False):
        item = catalogue.by_code[row.indicator]
        flags.append(
            QualityFlag(
                "out_of_range",
                row.indicator,
                row.area,
                row.year,
                row.value,
                {
                    "minimum": _number(item.minimum),
                    "maximum": _number(item.maximum),
                },
            )
        )
    return flags


def _share_factor(item: Indicator, catalogue: Catalogue) -> float | None:
    """Factor that puts the numerator in the denominator's unit, for shares only."""
    if item.aggregation != "ratio" or not (item.numerator and item.denominator):
        return None
    numerator = catalogue.by_code.get(item.numerator)
    denominator = catalogue.by_code.get(item.denominator)
    if numerator is None or denominator is None:
        return None
    return units.conversion_factor(numerator.unit, denominator.unit)


def check_numerators(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    pairs: dict[tuple[str, str], float] = {}
    for item in catalogue:
        factor = _share_factor(item, catalogue)
        pair = (item.numerator or "", item.denominator or "")
        if factor is not None and pair not in pairs:
            pairs[pair] = factor
    if not pairs:
        return []

    by_indicator = _values_by_indicator(frame, {c for pair in pairs for c in pair})
    flags = []
    for (numerator, denominator), factor in pairs.items():
        others = by_indicator.get(denominator, {})
        for (area, year), value in by_indicator.get(numerator, {}).items():
            other = others.get((area, year))
            if other is not None and value * factor > other:
                flags.append(
                    QualityFlag(
                        "numerator_above_denominator",
                        numerator,
                        area,
                        int(year),
                        float(value),
                        {
                            "numerator": numerator,
                            "denominator": denominator,
                            "other": _number(float(other)),
                        },
                    )
                )
    return flags


def _values_by_indicator(
    frame: pd.DataFrame, codes: set[str]
) -> dict[str, dict[tuple[str, int], float]]:
    """Map each of ``codes`` to its values by (area, year), the first of each key.

    Plain dictionaries, because the checks that use them look up a few values
    per row, which costs less than merging frames whatever their size.
    """
    data = frame[frame["indicator"].isin(codes)]
    found: dict[str, dict[tuple[str, int], float]] = {}
    for indicator, area, year, value in zip(
        data["indicator"].tolist(),
        data["area"].tolist(),
        data["year"].tolist(),
        data["value"].tolist(),
        strict=True,
    ):
        found.setdefault(indicator, {}).setdefault((area, year), value)
    return found


def _parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else ("ID" if code != "ID" else None)


def parent_codes(areas: pd.Series) -> pd.Series:
    """Return the parent code of each area code, or None for the country.

    Each distinct code is split once, which matters for frames of a whole
    province, where a few thousand codes repeat over many rows.
    """
    positions, uniques = pd.factorize(areas)
    # factorize numbers a missing code -1, which picks the None appended last.
    parents = np.array([_parent_of(code) for code in uniques] + [None], dtype=object)
    return pd.Series(parents[positions], index=areas.index, dtype=object)


SumRow = tuple[str, str, int, float, int, float]


def sums_against_parents(frame: pd.DataFrame, catalogue: Catalogue) -> list[SumRow]:
    """Add up the summable values of each parent's sub-areas, beside its own value.

    Returns (indicator, parent, year, sum, count, parent value) for every
    indicator, parent and year that has both, in that order. ``check_sums``
    and ``check_sum_coverage`` take the result, to add up only once.
    """
    summable = {item.code for item in catalogue if item.aggregation == "sum"}
    parent_of: dict[str, str | None] = {}
    found = []
    for indicator, values in _values_by_indicator(frame, summable).items():
        parts: dict[tuple[str, int], list[float]] = {}
        for (area, year), value in values.items():
            if area not in parent_of:
                parent_of[area] = _parent_of(area)
            parent = parent_of[area]
            if parent is not None:
                parts.setdefault((parent, year), []).append(value)
        for (parent, year), children in parts.items():
            own = values.get((parent, year))
            if own is not None:
                total = math.fsum(children)
                found.append((indicator, parent, year, total, len(children), own))
    return sorted(found)


def _sum_flags(code: str, rows: list[tuple]) -> list[QualityFlag]:
    return [
        QualityFlag(
            code,
            indicator,
            parent,
            int(year),
            float(total),
            {"count": int(count), "other": _number(float(parent_value))},
        )
        for indicator, parent, year, total, count, parent_value in rows
    ]


def check_sums(
    frame: pd.DataFrame, catalogue: Catalogue, sums: list[SumRow] | None = None
) -> list[QualityFlag]:
    """Flag sums of sub-areas above the parent's own value.

    ``sums`` is the result of ``sums_against_parents`` when already computed.
    """
    if sums is None:
        sums = sums_against_parents(frame, catalogue)
    above = [
        row for row in sums if row[5] > 0 and row[3] > row[5] * (1 + SUM_TOLERANCE)
    ]
    return _sum_flags("sum_above_parent", above)


def robust_z(values: pd.Series, dhis2_mode: bool = False) -> pd.Series:
    """Modified z-scores, or DHIS2's plain z-scores in ``dhis2_mode``.

    A zero MAD (most values equal) gives no scores, since every departure
    would then be infinitely far.
    """
    if dhis2_mode:
        deviation = values.std(ddof=0)
        if not deviation:
            return pd.Series(0.0, index=values.index)
        return (values - values.mean()).abs() / deviation
    median = values.median()
    mad = (values - median).abs().median()
    if not mad:
        return pd.Series(0.0, index=values.index)
    return (0.6745 * (values - median) / mad).abs()


def check_siblings(frame: pd.DataFrame, settings: QualitySettings) -> list[QualityFlag]:
    limit = DHIS2_Z_LIMIT if settings.dhis2_mode else MODIFIED_Z_LIMIT
    data = frame.assign(parent=parent_codes(frame["area"]))
    keys = [data["indicator"], data["parent"], data["year"]]
    values = data["value"]
    groups = values.groupby(keys)
    median = groups.transform("median")
    if settings.dhis2_mode:
        deviation = groups.transform("std", ddof=0)
        scores = (values - groups.transform("mean")).abs() / deviation
    else:
        mad = (values - median).abs().groupby(keys).transform("median")
        scores = (0.6745 * (values - median) / mad).abs()
    # A zero spread (most values equal) gives no scores, since every departure
    # would then be infinitely far.
    scores = scores.replace([np.inf, -np.inf], np.nan).fillna(0.0)

    counts = groups.transform("size")
    is_outlier = (counts >= MIN_SIBLINGS) & (scores > limit)
    chosen = data[is_outlier]
    return [
        QualityFlag(
            "sibling_outlier",
            indicator,
            area,
            int(year),
            float(value),
            {
                "median": _number(float(middle)),
                "score": f"{score:.1f}".replace(".", ","),
            },
        )
        for indicator, area, year, value, middle, score in zip(
            chosen["indicator"].tolist(),
            chosen["area"].tolist(),
            chosen["year"].tolist(),
            chosen["value"].tolist(),
            median[is_outlier].tolist(),
            scores[is_outlier].tolist(),
            strict=True,
        )
    ]


def check_year_on_year(
    frame: pd.DataFrame, settings: QualitySettings
) -> list[QualityFlag]:
    ordered = frame.sort_values(["indicator", "area", "year"])
    same = (ordered["indicator"] == ordered["indicator"].shift()) & (
        ordered["area"] == ordered["area"].shift()
    )
    previous = ordered["value"].shift()
    consecutive = same & (ordered["year"] - ordered["year"].shift() == 1)
    usable = consecutive & (previous != 0)
    change = ordered["value"] / previous - 1
    is_jump = usable & (change.abs() > settings.yoy_band)
    jumps = ordered[is_jump]
    return [
        QualityFlag(
            "year_on_year_jump",
            indicator,
            area,
            int(year),
            float(value),
            {"change": f"{100 * relative:+.0f}", "previous": _number(float(before))},
        )
        for indicator, area, year, value, relative, before in zip(
            jumps["indicator"].tolist(),
            jumps["area"].tolist(),
            jumps["year"].tolist(),
            jumps["value"].tolist(),
            change[is_jump].tolist(),
            previous[is_jump].tolist(),
            strict=True,
        )
    ]


def _several_sources(frame: pd.DataFrame) -> list[tuple[tuple, list[tuple]]]:
    """Group the rows of keys with values from two or more sources, in key order.

    Each group is a key (indicator, area, year) and its rows (indicator, area,
    year, source, value) in their order in ``frame``.
    """
    repeated = frame[frame.duplicated(KEYS, keep=False)]
    groups: dict[tuple, list[tuple]] = {}
    for row in zip(
        repeated["indicator"].tolist(),
        repeated["area"].tolist(),
        repeated["year"].tolist(),
        repeated["source"].tolist(),
        repeated["value"].tolist(),
        strict=True,
    ):
        groups.setdefault(row[:3], []).append(row)
    return sorted(
        (key, rows) for key, rows in groups.items() if len({r[3] for r in rows}) > 1
    )


def check_sources(frame: pd.DataFrame) -> list[QualityFlag]:
    flags = []
    for (indicator, area, year), rows in _several_sources(frame):
        values = [row[4] for row in rows]
        high = max(values)
        if high == 0 or (high - min(values)) / abs(high) <= SOURCE_TOLERANCE:
            continue
        listed = ", ".join(
            f"{source or '(default)'} {_number(float(value))}"
            for _i, _a, _y, source, value in rows
        )
        flags.append(
            QualityFlag(
                "sources_disagree",
                indicator,
                area,
                int(year),
                float(high),
                {"sources": listed},
            )
        )
    return flags


def check_method_breaks(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    breaks = {item.code: item.method_breaks for item in catalogue if item.method_breaks}
    if not breaks:
        return []

    series: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for indicator, values in _values_by_indicator(frame, set(breaks)).items():
        for (area, year), value in values.items():
            series.setdefault((indicator, area), []).append((year, value))
    flags = []
    for (indicator, area), points in sorted(series.items()):
        points.sort()
        for break_year in breaks[indicator]:
            before = [point for point in points if point[0] < break_year]
            if before and len(before) < len(points):
                year, value = before[-1]
                flags.append(
                    QualityFlag(
                        "method_break",
                        indicator,
                        area,
                        int(year),
                        float(value),
                        {"break_year": break_year},
                    )
                )
    return flags


def check_all(
    frame: pd.DataFrame,
    preferred_frame: pd.DataFrame,
    catalogue: Catalogue,
    settings: QualitySettings | None = None,
) -> list[QualityFlag]:
    """Every check; ``frame`` keeps all sources, ``preferred_frame`` one per key."""
    settings = settings or QualitySettings()
    if frame.empty:
        return []
    totals = preferred_frame[preferred_frame["disaggregation"] == ""]
    return (
        check_ranges(totals, catalogue)
        + check_numerators(totals, catalogue)
        + check_sums(totals, catalogue)
        + check_siblings(totals, settings)
        + check_year_on_year(totals, settings)
        + check_sources(frame[frame["disaggregation"] == ""])
        + check_method_breaks(totals, catalogue)
    )


def check_sum_coverage(
    frame: pd.DataFrame,
    catalogue: Catalogue,
    expected: dict[str, int],
    sums: list[SumRow] | None = None,
) -> list[QualityFlag]:
    """Flag sums of sub-areas below the parent when every expected sub-area reported.

    ``expected`` maps a parent code to the number of its sub-areas. ``sums``
    is the result of ``sums_against_parents`` when already computed.
    """
    if sums is None:
        sums = sums_against_parents(frame, catalogue)
    below = [
        (indicator, parent, year, total, count, own)
        for indicator, parent, year, total, count, own in sums
        if parent in expected
        and count >= expected[parent]
        and own > 0
        and total < own * (1 - SUM_TOLERANCE)
    ]
    return _sum_flags("sum_below_parent", below)


def check_ratio_consistency(
    frame: pd.DataFrame, catalogue: Catalogue, tolerance: float = RATIO_TOLERANCE
) -> list[QualityFlag]:
    """Flag parents whose published rate differs from the rate of their sub-areas."""
    present = set(frame["indicator"])
    items = [
        item
        for item in catalogue
        if item.aggregation == "ratio"
        and item.code in present
        and item.numerator in present
        and item.denominator in present
    ]
    if not items:
        return []

    needed = {code for i in items for code in (i.code, i.numerator, i.denominator)}
    by_indicator = _values_by_indicator(frame, needed)
    flags = []
    for item in items:
        published = by_indicator[item.code]
        for (parent, year), (a, b, count) in sorted(_summed_parts(item, by_indicator)):
            value = published.get((parent, year))
            if b <= 0 or count < 2 or value is None:
                continue
            computed = (item.factor or 1.0) * a / b
            if abs(computed - value) / max(abs(value), 1e-9) > tolerance:
                flags.append(
                    QualityFlag(
                        "ratio_differs_from_parent",
                        item.code,
                        parent,
                        int(year),
                        float(computed),
                        {
                            "indicator": item.code,
                            "count": count,
                            "other": _number(float(value)),
                        },
                    )
                )
    return flags


def _summed_parts(item: Indicator, by_indicator) -> list[tuple[tuple, tuple]]:
    """Add up the numerators and denominators of sub-areas with both, by parent.

    Returns ((parent, year), (numerator sum, denominator sum, sub-areas)) pairs.
    """
    denominators = by_indicator[item.denominator]
    sums: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    for (area, year), numerator in by_indicator[item.numerator].items():
        denominator = denominators.get((area, year))
        parent = _parent_of(area)
        if denominator is None or parent is None:
            continue
        tops, bottoms = sums.setdefault((parent, year), ([], []))
        tops.append(numerator)
        bottoms.append(denominator)
    return [
        (key, (math.fsum(tops), math.fsum(bottoms), len(tops)))
        for key, (tops, bottoms) in sums.items()
    ]


def sources_side_by_side(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Keys with values from two or more sources, the values side by side."""
    data = frame[frame["disaggregation"] == ""] if "disaggregation" in frame else frame
    rows = []
    for (indicator, area, year), group in _several_sources(data):
        values = {source: value for _i, _a, _y, source, value in group}
        low, high = min(values.values()), max(values.values())
        spread = (high - low) / abs(high) if high else None
        rows.append(
            {
                "indicator": indicator,
                "area": area,
                "year": int(year),
                "values": {name or "(default)": float(v) for name, v in values.items()},
                "relative_spread": None if spread is None else round(float(spread), 4),
            }
        )
    return rows
