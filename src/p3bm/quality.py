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

import itertools
from collections.abc import Iterator
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
    table = pd.DataFrame(
        [(n, d, f) for (n, d), f in pairs.items()],
        columns=["numerator", "denominator", "factor"],
    )
    data = frame.drop_duplicates(["indicator", "area", "year"])
    data = data[["indicator", "area", "year", "value"]]
    parts = table.merge(data, left_on="numerator", right_on="indicator")
    both = parts.merge(
        data.rename(columns={"indicator": "denominator", "value": "other"}),
        on=["denominator", "area", "year"],
    )
    above = both[both["value"] * both["factor"] > both["other"]]
    return [
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
        for numerator, denominator, area, year, value, other in zip(
            above["numerator"].tolist(),
            above["denominator"].tolist(),
            above["area"].tolist(),
            above["year"].tolist(),
            above["value"].tolist(),
            above["other"].tolist(),
            strict=True,
        )
    ]


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


def _sums_against_parents(frame: pd.DataFrame, summable: list[str]) -> pd.DataFrame:
    """Add up the sub-areas of each parent and put the parent's own value beside.

    The columns are indicator, parent, year, sum, count and parent_value, with
    one row per indicator, parent and year that has both, in that order.
    """
    data = frame[frame["indicator"].isin(summable)]
    data = data.assign(parent=parent_codes(data["area"]))
    totals = data.groupby(["indicator", "parent", "year"])["value"].agg(
        ["sum", "count"]
    )
    own = frame[["indicator", "area", "year", "value"]].rename(
        columns={"area": "parent", "value": "parent_value"}
    )
    return totals.reset_index().merge(own, on=["indicator", "parent", "year"])


def _sum_flags(code: str, rows: pd.DataFrame) -> list[QualityFlag]:
    return [
        QualityFlag(
            code,
            indicator,
            parent,
            int(year),
            float(total),
            {"count": int(count), "other": _number(float(parent_value))},
        )
        for indicator, parent, year, total, count, parent_value in zip(
            rows["indicator"].tolist(),
            rows["parent"].tolist(),
            rows["year"].tolist(),
            rows["sum"].tolist(),
            rows["count"].tolist(),
            rows["parent_value"].tolist(),
            strict=True,
        )
    ]


def check_sums(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    summable = [item.code for item in catalogue if item.aggregation == "sum"]
    if not frame["indicator"].isin(summable).any():
        return []
    sums = _sums_against_parents(frame, summable)
    limit = sums["parent_value"] * (1 + SUM_TOLERANCE)
    above = sums[(sums["parent_value"] > 0) & (sums["sum"] > limit)]
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


def _keyed_rows(frame: pd.DataFrame) -> Iterator[tuple[tuple, list[tuple]]]:
    """Group the rows (indicator, area, year, source, value) by key, in key order.

    Within a key the rows keep their order in ``frame``.
    """
    ordered = frame.sort_values(KEYS, kind="stable")
    rows = zip(
        ordered["indicator"].tolist(),
        ordered["area"].tolist(),
        ordered["year"].tolist(),
        ordered["source"].tolist(),
        ordered["value"].tolist(),
        strict=True,
    )
    for key, group in itertools.groupby(rows, key=lambda row: row[:3]):
        yield key, list(group)


def check_sources(frame: pd.DataFrame) -> list[QualityFlag]:
    several = frame[frame.groupby(KEYS)["source"].transform("nunique") > 1]
    if several.empty:
        return []
    spread = several.groupby(KEYS)["value"].agg(["min", "max"])
    high = spread["max"]
    relative = (high - spread["min"]) / high.abs()
    disagreeing = spread[(high != 0) & (relative > SOURCE_TOLERANCE)]
    if disagreeing.empty:
        return []
    chosen = several.merge(disagreeing.reset_index()[KEYS], on=KEYS)
    flags = []
    for (indicator, area, year), rows in _keyed_rows(chosen):
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
                float(max(row[4] for row in rows)),
                {"sources": listed},
            )
        )
    return flags


def check_method_breaks(frame: pd.DataFrame, catalogue: Catalogue) -> list[QualityFlag]:
    breaks = [(item.code, year) for item in catalogue for year in item.method_breaks]
    if not breaks:
        return []
    table = pd.DataFrame(breaks, columns=["indicator", "break_year"])
    data = frame[["indicator", "area", "year", "value"]].merge(table, on="indicator")
    data = data.assign(before=data["year"] < data["break_year"])
    keys = ["indicator", "area", "break_year"]
    spans = data.groupby(keys)["before"].agg(["any", "all"])
    spanning = spans[spans["any"] & ~spans["all"]].reset_index()[keys]
    before = data[data["before"]].sort_values("year", kind="stable")
    latest = before.drop_duplicates(keys, keep="last").merge(spanning, on=keys)
    latest = latest.sort_values(keys, kind="stable")
    return [
        QualityFlag(
            "method_break", indicator, area, int(year), float(value), {"break_year": b}
        )
        for indicator, area, year, value, b in zip(
            latest["indicator"].tolist(),
            latest["area"].tolist(),
            latest["year"].tolist(),
            latest["value"].tolist(),
            latest["break_year"].tolist(),
            strict=True,
        )
    ]


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
    summable = [item.code for item in catalogue if item.aggregation == "sum"]
    if not frame["indicator"].isin(summable).any():
        return []
    sums = _sums_against_parents(frame, summable)
    sums = sums[sums["parent"].isin(list(expected))]
    wanted = sums["parent"].map(expected).astype("float64")
    limit = sums["parent_value"] * (1 - SUM_TOLERANCE)
    below = sums[
        (sums["count"] >= wanted) & (sums["parent_value"] > 0) & (sums["sum"] < limit)
    ]
    return _sum_flags("sum_below_parent", below)


def check_ratio_consistency(
    frame: pd.DataFrame, catalogue: Catalogue, tolerance: float = RATIO_TOLERANCE
) -> list[QualityFlag]:
    """Flag parents whose published rate differs from the rate of their sub-areas."""
    present = set(frame["indicator"])
    items = [
        (item.code, item.numerator, item.denominator, item.factor or 1.0)
        for item in catalogue
        if item.aggregation == "ratio"
        and item.code in present
        and item.numerator in present
        and item.denominator in present
    ]
    if not items:
        return []

    table = pd.DataFrame(items, columns=["code", "numerator", "denominator", "factor"])
    data = frame[["indicator", "area", "year", "value"]]
    parts = table.merge(data, left_on="numerator", right_on="indicator")
    both = parts.drop(columns="indicator").merge(
        data,
        left_on=["denominator", "area", "year"],
        right_on=["indicator", "area", "year"],
        suffixes=("_a", "_b"),
    )
    both = both.assign(parent=parent_codes(both["area"]))
    sums = both.groupby(["code", "parent", "year"]).agg(
        a=("value_a", "sum"),
        b=("value_b", "sum"),
        n=("area", "size"),
        factor=("factor", "first"),
    )
    sums = sums[(sums["b"] > 0) & (sums["n"] >= 2)].reset_index()

    published = data.rename(
        columns={"indicator": "code", "area": "parent", "value": "published"}
    )
    sums = sums.merge(published, on=["code", "parent", "year"])
    computed = sums["factor"] * sums["a"] / sums["b"]
    scale = sums["published"].abs().clip(lower=1e-9)
    is_differing = (computed - sums["published"]).abs() / scale > tolerance
    differing = sums[is_differing]

    return [
        QualityFlag(
            "ratio_differs_from_parent",
            code,
            parent,
            int(year),
            float(value),
            {"indicator": code, "count": int(count), "other": _number(float(other))},
        )
        for code, parent, year, value, count, other in zip(
            differing["code"].tolist(),
            differing["parent"].tolist(),
            differing["year"].tolist(),
            computed[is_differing].tolist(),
            differing["n"].tolist(),
            differing["published"].tolist(),
            strict=True,
        )
    ]


def sources_side_by_side(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Keys with values from two or more sources, the values side by side."""
    data = frame[frame["disaggregation"] == ""] if "disaggregation" in frame else frame
    counts = data.groupby(KEYS)["source"].transform("nunique")
    rows = []
    for (indicator, area, year), group in _keyed_rows(data[counts > 1]):
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
