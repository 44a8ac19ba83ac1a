"""Pandas baseline of the data-quality analysis of one area and its subtree."""

from __future__ import annotations

import numpy as np
import pandas as pd
from baseline_reading import (
    KEYS,
    MAX_LISTED_AREAS,
    QUALITY_YEARS,
    Projection,
    chain_codes,
    first_source,
    peer_codes,
    read_areas,
    read_catalogue,
    read_values,
)

from p3bm.areas.registry import Area
from p3bm.imports.units import conversion_factor

WINDOW_OR_BREAKS = "(year BETWEEN :since AND :until OR indicator_code IN :breaks)"
LISTED_OR_SUBTREE = (
    "(area_code IN :codes "
    "OR area_code IN (SELECT code FROM area WHERE code LIKE :prefix))"
)


def baseline_quality(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    siblings, subtree, values = _quality_values(connection, area, year, catalogue)
    best = first_source(values)
    first = year - QUALITY_YEARS + 1
    window = best[best["year"].between(first - 1, year)]
    children = subtree.groupby("parent_code").size()

    flags = pd.concat(
        [
            _ranges(window, catalogue),
            _numerators(window, catalogue),
            _sums(window, catalogue, children),
            _siblings(window),
            _year_on_year(window),
            _sources(values[values["year"].between(first - 1, year)]),
            _ratios(window, catalogue),
            _method_breaks(best, catalogue),
        ],
        ignore_index=True,
    )
    in_window = flags["year"].between(first, year) | (flags["code"] == "method_break")
    flags = flags[_in_area(flags["area"], area) & in_window]
    flags = flags.assign(message=[f"{v:.4g}" for v in flags["value"]])

    side = values[_in_area(values["area"], area) & values["year"].between(first, year)]
    several = side.groupby(KEYS)["source"].nunique()
    return sorted(
        zip(
            flags["code"],
            flags["indicator"],
            flags["area"],
            flags["year"].astype(int),
            strict=True,
        )
    ) + [("sources_side_by_side", int((several > 1).sum()))]


def _quality_values(connection, area: Area, year: int, catalogue):
    """Read the siblings, the subtree and their values, as P3BM's quality does.

    The values are those of the window and the year before it, and the whole
    series of the indicators with a method break.
    """
    siblings = (
        peer_codes(connection, area)
        if area.level > 0
        else pd.DataFrame(columns=["code"])
    )
    subtree = (
        read_areas(
            connection,
            "code = :code OR code LIKE :prefix",
            code=area.code,
            prefix=area.code + ".%",
        )
        if area.code != "ID"
        else read_areas(connection, "1 = 1")
    )
    around = [*chain_codes(area), *siblings["code"]]
    breaks = list(catalogue[catalogue["method_breaks"].map(len) > 0]["code"])
    params = {"since": year - QUALITY_YEARS, "until": year, "breaks": breaks}
    if len(subtree) <= MAX_LISTED_AREAS:
        in_areas = "area_code IN :codes"
        params["codes"] = [*subtree["code"], *around]
    else:
        in_areas = LISTED_OR_SUBTREE
        params |= {"codes": [area.code, *around], "prefix": area.code + ".%"}
    values = read_values(connection, f"{WINDOW_OR_BREAKS} AND {in_areas}", **params)
    in_area = _in_area(values["area"], area)
    return (
        siblings,
        subtree,
        values[in_area | values["area"].isin(set(siblings["code"]))],
    )


def _in_area(codes: pd.Series, area: Area) -> pd.Series:
    if area.code == "ID":
        return pd.Series(True, index=codes.index)
    return (codes == area.code) | codes.str.startswith(area.code + ".")


def _flags(code: str, rows: pd.DataFrame, value: str = "value") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": code,
            "indicator": rows["indicator"],
            "area": rows["area"],
            "year": rows["year"],
            "value": rows[value],
        }
    )


def _ranges(window: pd.DataFrame, catalogue) -> pd.DataFrame:
    limits = window.join(catalogue[["minimum", "maximum"]], on="indicator")
    outside = (limits["value"] < limits["minimum"]) | (
        limits["value"] > limits["maximum"]
    )
    return _flags("out_of_range", limits[outside])


def _numerators(window: pd.DataFrame, catalogue) -> pd.DataFrame:
    ratios = catalogue[catalogue["aggregation"] == "ratio"].dropna(
        subset=["numerator", "denominator"]
    )
    ratios = ratios[
        ratios["numerator"].isin(set(catalogue.index))
        & ratios["denominator"].isin(set(catalogue.index))
    ]
    factors = [
        conversion_factor(catalogue.at[n, "unit"], catalogue.at[d, "unit"])
        for n, d in zip(ratios["numerator"], ratios["denominator"], strict=True)
    ]
    pairs = ratios.assign(share=factors).dropna(subset=["share"])
    pairs = pairs.drop_duplicates(["numerator", "denominator"])
    parts = pairs.merge(window, left_on="numerator", right_on="indicator")
    both = parts.merge(
        window,
        left_on=["denominator", "area", "year"],
        right_on=["indicator", "area", "year"],
        suffixes=("", "_d"),
    )
    above = both[both["value"] * both["share"] > both["value_d"]]
    return _flags("numerator_above_denominator", above)


def _with_parents(frame: pd.DataFrame) -> pd.DataFrame:
    codes = frame["area"].drop_duplicates()
    parents = codes.str.rsplit(".", n=1).str[0].where(codes.str.contains(r"\."), "ID")
    parents = parents.where(codes != "ID")
    return frame.assign(
        parent=frame["area"].map(dict(zip(codes, parents, strict=True)))
    )


def _sums(window: pd.DataFrame, catalogue, children: pd.Series) -> pd.DataFrame:
    summable = set(catalogue[catalogue["aggregation"] == "sum"].index)
    data = _with_parents(window[window["indicator"].isin(summable)])
    totals = data.groupby(["indicator", "parent", "year"], as_index=False)["value"].agg(
        ["sum", "count"]
    )
    own = window.rename(columns={"area": "parent", "value": "own"})
    both = totals.merge(own[["indicator", "parent", "year", "own"]])
    both = both[both["own"] > 0]
    above = both[both["sum"] > both["own"] * 1.005]
    complete = both["count"] >= both["parent"].map(children).fillna(np.inf)
    below = both[complete & (both["sum"] < both["own"] * 0.995)]
    found = [
        _flags(code, rows.rename(columns={"parent": "area"}), "sum")
        for code, rows in (("sum_above_parent", above), ("sum_below_parent", below))
    ]
    return pd.concat(found, ignore_index=True)


def _siblings(window: pd.DataFrame) -> pd.DataFrame:
    data = _with_parents(window)
    keys = [data["indicator"], data["parent"], data["year"]]
    groups = data["value"].groupby(keys)
    median = groups.transform("median")
    mad = (data["value"] - median).abs().groupby(keys).transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (0.6745 * (data["value"] - median) / mad).abs()
    score = score.replace([np.inf, -np.inf], np.nan).fillna(0.0)
    outliers = data[(groups.transform("size") >= 5) & (score > 3.5)]
    return _flags("sibling_outlier", outliers)


def _year_on_year(window: pd.DataFrame) -> pd.DataFrame:
    ordered = window.sort_values(KEYS)
    previous = ordered.groupby(["indicator", "area"])[["year", "value"]].shift()
    usable = (ordered["year"] - previous["year"] == 1) & (previous["value"] != 0)
    change = ordered["value"] / previous["value"] - 1
    return _flags("year_on_year_jump", ordered[usable & (change.abs() > 0.5)])


def _sources(values: pd.DataFrame) -> pd.DataFrame:
    spread = values.groupby(KEYS)["value"].agg(["min", "max", "size"])
    spread = spread[spread["size"] > 1]
    relative = (spread["max"] - spread["min"]) / spread["max"].abs()
    disagree = spread[(spread["max"] != 0) & (relative > 0.01)].reset_index()
    return _flags("sources_disagree", disagree, "max")


def _ratios(window: pd.DataFrame, catalogue) -> pd.DataFrame:
    present = set(window["indicator"])
    ratios = catalogue[
        (catalogue["aggregation"] == "ratio")
        & catalogue.index.isin(present)
        & catalogue["numerator"].isin(present)
        & catalogue["denominator"].isin(present)
    ]

    data = _with_parents(window)
    parts = ratios[["code", "numerator", "denominator", "factor"]].merge(
        data, left_on="numerator", right_on="indicator"
    )
    both = parts.merge(
        data[["indicator", "area", "year", "value"]],
        left_on=["denominator", "area", "year"],
        right_on=["indicator", "area", "year"],
        suffixes=("_a", "_b"),
    )
    sums = both.groupby(["code", "parent", "year"], as_index=False).agg(
        a=("value_a", "sum"),
        b=("value_b", "sum"),
        n=("area", "size"),
        factor=("factor", "first"),
    )

    sums = sums[(sums["b"] > 0) & (sums["n"] >= 2)]
    published = window.rename(columns={"indicator": "code", "area": "parent"})
    sums = sums.merge(published[["code", "parent", "year", "value"]])
    computed = sums["factor"].fillna(1.0) * sums["a"] / sums["b"]
    scale = sums["value"].abs().clip(lower=1e-9)
    differing = sums[(computed - sums["value"]).abs() / scale > 0.05]
    differing = differing.assign(computed=computed).rename(
        columns={"code": "indicator", "parent": "area"}
    )
    return _flags("ratio_differs_from_parent", differing, "computed")


def _method_breaks(best: pd.DataFrame, catalogue) -> pd.DataFrame:
    breaks = catalogue[["code", "method_breaks"]].explode("method_breaks").dropna()
    data = best.merge(breaks, left_on="indicator", right_on="code")
    data = data.assign(before=data["year"] < data["method_breaks"])
    spans = data.groupby(["indicator", "area", "method_breaks"])["before"].agg(
        ["any", "all"]
    )
    spanning = spans[spans["any"] & ~spans["all"]].reset_index()
    before = data[data["before"]].sort_values("year")
    last = before.drop_duplicates(["indicator", "area", "method_breaks"], keep="last")
    found = last.merge(spanning[["indicator", "area", "method_breaks"]])
    return _flags("method_break", found)
