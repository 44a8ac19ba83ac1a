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
    flags = []
    wide = frame.pivot_table(
        index=["area", "year"], columns="indicator", values="value", aggfunc="first"
    )
    checked: set[tuple[str, str]] = set()
    for item in catalogue:
        factor = _share_factor(item, catalogue)
        pair = (item.numerator or "", item.denominator or "")
        if factor is None or pair in checked:
            continue
        checked.add(pair)
        if pair[0] not in wide.columns or pair[1] not in wide.columns:
            continue
        both = wide[[pair[0], pair[1]]].dropna()
        above = both[both[pair[0]] * factor > both[pair[1]]]
        for (area, year), values in above.iterrows():
            flags.append(
                QualityFlag(
                    "numerator_above_denominator",
                    pair[0],
                    area,
                    int(year),
                    float(values[pair[0]]),
                    {
                        "numerator": pair[0],
                        "denominator": pair[1],
                        "other": _number(float(values[pair[1]])),
                    },
                )
            )
    return flags


def _parent_of(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else ("ID" if code != "ID" else None)


def check_sums(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    flags = []
    summable = [item.code for item in catalogue if item.aggregation == "sum"]
    data = frame[frame["indicator"].isin(summable)]
    if data.empty:
        return flags
    data = data.assign(parent=data["area"].map(_parent_of))
    totals = data.groupby(["indicator", "parent", "year"])["value"].agg(
        ["sum", "count"]
    )
    own = data.set_index(["indicator", "area", "year"])["value"]
    for (indicator, parent, year), (total, count) in totals.iterrows():
        parent_value = own.get((indicator, parent, year))
        if parent_value is None or parent_value <= 0:
            continue
        if total > parent_value * (1 + SUM_TOLERANCE):
            flags.append(
                QualityFlag(
                    "sum_above_parent",
                    indicator,
                    parent,
                    int(year),
                    float(total),
                    {"count": int(count), "other": _number(float(parent_value))},
                )
            )
    return flags


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
    data = frame.assign(parent=frame["area"].map(_parent_of))
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
    chosen = data[(counts >= MIN_SIBLINGS) & (scores > limit)]
    return [
        QualityFlag(
            "sibling_outlier",
            row.indicator,
            row.area,
            int(row.year),
            float(row.value),
            {
                "median": _number(float(median[index])),
                "score": f"{scores[index]:.1f}".replace(".", ","),
            },
        )
        for index, row in zip(chosen.index, chosen.itertuples(index=False), strict=True)
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
    jumps = ordered[usable & (change.abs() > settings.yoy_band)]
    return [
        QualityFlag(
            "year_on_year_jump",
            row.indicator,
            row.area,
            int(row.year),
            float(row.value),
            {
                "change": f"{100 * change[index]:+.0f}",
                "previous": _number(float(previous[index])),
            },
        )
        for index, row in zip(jumps.index, jumps.itertuples(index=False), strict=True)
    ]


def check_sources(frame: pd.DataFrame) -> list[QualityFlag]:
    flags = []
    keys = ["indicator", "area", "year"]
    several = frame[frame.groupby(keys)["source"].transform("nunique") > 1]
    if several.empty:
        return flags
    spread = several.groupby(keys)["value"].agg(["min", "max"])
    high = spread["max"]
    relative = (high - spread["min"]) / high.abs()
    disagreeing = spread[(high != 0) & (relative > SOURCE_TOLERANCE)]
    if disagreeing.empty:
        return flags
    chosen = several.set_index(keys).loc[disagreeing.index].reset_index()
    for (indicator, area, year), group in chosen.groupby(keys):
        listed = ", ".join(
            f"{source or '(default)'} {_number(float(value))}"
            for source, value in zip(group["source"], group["value"], strict=True)
        )
        flags.append(
            QualityFlag(
                "sources_disagree",
                indicator,
                area,
                int(year),
                float(group["value"].max()),
                {"sources": listed},
            )
        )
    return flags


def check_method_breaks(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    flags = []
    for item in catalogue:
        if not item.method_breaks:
            continue
        data = frame[frame["indicator"] == item.code]
        for area, group in data.groupby("area"):
            for year in item.method_breaks:
                if (group["year"] < year).any() and (group["year"] >= year).any():
                    latest = group[group["year"] < year].sort_values("year").iloc[-1]
                    flags.append(
                        QualityFlag(
                            "method_break",
                            item.code,
                            area,
                            int(latest["year"]),
                            float(latest["value"]),
                            {"break_year": year},
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
    frame: pd.DataFrame, catalogue: Catalogue, expected: dict[str, int]
) -> list[QualityFlag]:
    """Flag sums of sub-areas below the parent when every expected sub-area reported.

    ``expected`` maps a parent code to the number of its sub-areas.
    """
    flags = []
    summable = [item.code for item in catalogue if item.aggregation == "sum"]
    data = frame[frame["indicator"].isin(summable)]
    data = data.assign(parent=data["area"].map(_parent_of))
    data = data[data["parent"].isin(list(expected))]
    if data.empty:
        return flags
    totals = data.groupby(["indicator", "parent", "year"])["value"].agg(
        ["sum", "count"]
    )
    own = frame.set_index(["indicator", "area", "year"])["value"]
    for (indicator, parent, year), (total, count) in totals.iterrows():
        parent_value = own.get((indicator, parent, year))
        if parent_value is None or count < expected[parent] or parent_value <= 0:
            continue
        if total < parent_value * (1 - SUM_TOLERANCE):
            flags.append(
                QualityFlag(
                    "sum_below_parent",
                    indicator,
                    parent,
                    int(year),
                    float(total),
                    {"count": int(count), "other": _number(float(parent_value))},
                )
            )
    return flags


def check_ratio_consistency(
    frame: pd.DataFrame, catalogue: Catalogue, tolerance: float = RATIO_TOLERANCE
) -> list[QualityFlag]:
    """Flag parents whose published rate differs from the rate of their sub-areas."""
    flags = []
    present = set(frame["indicator"])
    for item in catalogue:
        if item.aggregation != "ratio" or item.code not in present:
            continue
        if item.numerator not in present or item.denominator not in present:
            continue
        columns = ["area", "year", "value"]
        both = frame[frame["indicator"] == item.numerator][columns].merge(
            frame[frame["indicator"] == item.denominator][columns],
            on=["area", "year"],
            suffixes=("_a", "_b"),
        )
        both = both.assign(parent=both["area"].map(_parent_of))
        sums = both.groupby(["parent", "year"]).agg(
            a=("value_a", "sum"), b=("value_b", "sum"), n=("area", "size")
        )
        sums = sums[(sums["b"] > 0) & (sums["n"] >= 2)].reset_index()
        published = frame[frame["indicator"] == item.code][["area", "year", "value"]]
        sums = sums.merge(
            published.rename(columns={"area": "parent", "value": "published"}),
            on=["parent", "year"],
        )
        computed = (item.factor or 1.0) * sums["a"] / sums["b"]
        scale = sums["published"].abs().clip(lower=1e-9)
        differing = sums[(computed - sums["published"]).abs() / scale > tolerance]
        for index, row in differing.iterrows():
            flags.append(
                QualityFlag(
                    "ratio_differs_from_parent",
                    item.code,
                    row["parent"],
                    int(row["year"]),
                    float(computed[index]),
                    {
                        "indicator": item.code,
                        "count": int(row["n"]),
                        "other": _number(float(row["published"])),
                    },
                )
            )
    return flags


def sources_side_by_side(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Keys with values from two or more sources, the values side by side."""
    keys = ["indicator", "area", "year"]
    data = frame[frame["disaggregation"] == ""] if "disaggregation" in frame else frame
    counts = data.groupby(keys)["source"].transform("nunique")
    several = data[counts > 1]
    rows = []
    for (indicator, area, year), group in several.groupby(keys):
        values = dict(zip(group["source"], group["value"], strict=True))
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
