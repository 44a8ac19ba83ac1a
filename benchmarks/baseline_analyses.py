"""Pandas baselines of the analyses of one area, except data quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
from baseline_reading import (
    DECISIONS,
    DEFAULTS,
    KIND_ORDER,
    PERSON_UNITS,
    SCORECARD_YEARS,
    SPAN,
    STALE,
    TARGETS,
    TOP_DETERMINANTS,
    Projection,
    chain_codes,
    first_source,
    latest,
    own_and_chain,
    peers_and_chain,
    query,
    read_areas,
    read_catalogue,
    read_values,
    valid_in,
)

from p3bm.analysis.quadrant import SIZE_INDICATOR, STANDARD_PAIRS
from p3bm.areas.registry import Area
from p3bm.imports.units import conversion_factor

# -- aggregate ------------------------------------------------------------------


def baseline_aggregate(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    children = valid_in(
        read_areas(connection, "parent_code = :code", code=area.code), year
    )
    values = read_values(
        connection,
        "area_code IN :codes AND year = :year",
        codes=[area.code, *children["code"]],
        year=year,
    )

    rules = catalogue[
        (catalogue["aggregation"] != "none")
        & (catalogue["lowest_level"] >= area.level + 1)
    ]
    subs = values[values["area"].isin(set(children["code"]))]
    parts = pd.concat([_extreme_parts(subs, rules), _pair_parts(subs, rules)])
    if parts.empty:
        return []

    grouped = parts.groupby(["code", "sources"], sort=False).agg(
        a=("a", "sum"),
        low=("a", "min"),
        high=("a", "max"),
        b=("b", "sum"),
        contributed=("area", "nunique"),
    )

    expected = set(children["code"])
    contributed = parts.groupby(["code", "sources"], sort=False)["area"].unique()
    missing = [sorted(expected - set(found)) for found in contributed]
    published = values[values["area"] == area.code]
    grouped = grouped.reset_index().assign(missing=missing, published=len(published))
    grouped = grouped.merge(
        rules[["aggregation", "factor"]], left_on="code", right_index=True
    )

    rule = grouped["aggregation"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (
            grouped["a"]
            / grouped["b"]
            * np.where(rule == "ratio", grouped["factor"].fillna(1.0), 1.0)
        )
    value = np.select(
        [rule == "sum", rule == "min", rule == "max"],
        [grouped["a"], grouped["low"], grouped["high"]],
        ratio,
    )
    value = np.where(np.isfinite(value), value, np.nan)
    return sorted(
        (code, sources, None if np.isnan(v) else float(v), int(n))
        for code, sources, v, n in zip(
            grouped["code"],
            grouped["sources"],
            value,
            grouped["contributed"],
            strict=True,
        )
    )


def _extreme_parts(subs: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    codes = rules[rules["aggregation"].isin(["sum", "min", "max"])]["code"]
    data = subs[subs["indicator"].isin(set(codes))]
    return pd.DataFrame(
        {
            "code": data["indicator"],
            "area": data["area"],
            "sources": data["source"],
            "a": data["value"],
            "b": 1.0,
        }
    )


def _pair_parts(subs: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    pairs = rules[rules["aggregation"].isin(["ratio", "weighted_mean"])]
    pairs = pd.DataFrame(
        {
            "code": pairs["code"],
            "first": np.where(
                pairs["aggregation"] == "ratio", pairs["numerator"], pairs["code"]
            ),
            "second": np.where(
                pairs["aggregation"] == "ratio", pairs["denominator"], pairs["weight"]
            ),
            "weighted": pairs["aggregation"] == "weighted_mean",
        }
    )
    first = pairs.merge(subs, left_on="first", right_on="indicator")
    both = first.merge(
        subs,
        left_on=["second", "area", "year"],
        right_on=["indicator", "area", "year"],
        suffixes=("_a", "_b"),
    )
    a = np.where(both["weighted"], both["value_a"] * both["value_b"], both["value_a"])
    return pd.DataFrame(
        {
            "code": both["code"],
            "area": both["area"],
            "sources": both["source_a"] + "\x1f" + both["source_b"],
            "a": a,
            "b": both["value_b"],
        }
    )


# -- scorecard, trend and position ----------------------------------------------


def scheme_a(best: pd.DataFrame, area: Area, catalogue, cells: pd.DataFrame):
    """Scheme A status of cells with columns indicator, column, year and value."""
    cells = cells.merge(catalogue[["polarity"]], left_on="indicator", right_index=True)
    benchmarks = []
    for level, code in ((1, area.code.split(".")[0]), (0, "ID")):
        if area.level > level:
            bench = best[best["area"] == code][["indicator", "year", "value"]]
            cells = cells.merge(
                bench.rename(columns={"value": f"b{level}"}),
                on=["indicator", "year"],
                how="left",
            )
            benchmarks.append(f"b{level}")
    sign = cells["polarity"]
    gaps = [sign * (cells["value"] - cells[b]) for b in benchmarks]
    present = [cells[b].notna() for b in benchmarks]
    any_present = np.logical_or.reduce(present) if present else False
    good = np.logical_and.reduce(
        [(g >= 0) | ~p for g, p in zip(gaps, present, strict=True)]
    )
    bad = np.logical_and.reduce(
        [(g < 0) | ~p for g, p in zip(gaps, present, strict=True)]
    )
    status = np.select([good, bad], ["green", "red"], "yellow")
    status = np.where(any_present, status, "grey")
    status = np.where(cells["value"].isna(), "grey", status)
    status = np.where(cells["column"] - cells["year"] > STALE, "grey", status)
    status = np.where(sign == 0, "grey", status)
    return cells.assign(status=status)


def baseline_scorecard(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    best = own_and_chain(connection, area, year)
    query(connection, TARGETS, area=area.code)
    own = best[best["area"] == area.code]
    first = year - SCORECARD_YEARS + 1
    shown = own[own["year"].between(first, year)]["indicator"].unique()
    grid = pd.MultiIndex.from_product(
        [shown, range(first, year + 1)], names=["indicator", "column"]
    ).to_frame(index=False)
    cells = pd.merge_asof(
        grid.sort_values("column"),
        own[["indicator", "year", "value"]].sort_values("year"),
        left_on="column",
        right_on="year",
        by="indicator",
    )
    cells = scheme_a(best, area, catalogue, cells)
    return sorted(
        zip(cells["indicator"], cells["column"], cells["status"], strict=True)
    )


def baseline_trend(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    best = own_and_chain(connection, area, year)
    targets = query(connection, TARGETS, area=area.code)

    own = best[best["area"] == area.code].sort_values(["indicator", "year"])
    counts = own.groupby("indicator")["year"].transform("size")
    own = own[counts >= 2]

    lines = _slopes(own)
    last = own.drop_duplicates("indicator", keep="last").set_index("indicator")
    lines = lines.join(last[["year", "value"]].rename(columns=lambda c: "last_" + c))
    start = own["indicator"].map(lines["last_year"]) - SPAN
    base = own[own["year"] >= start].drop_duplicates("indicator").set_index("indicator")
    lines = lines.join(base[["year", "value"]].rename(columns=lambda c: "base_" + c))

    span = lines["last_year"] - lines["base_year"]
    lines["change"] = np.where(
        span > 0, lines["last_value"] - lines["base_value"], np.nan
    )
    lines = lines.join(catalogue[["polarity"]])
    lines["progress"] = _progress(lines, targets)

    return sorted(
        (
            code,
            int(row.points),
            int(row.last_year),
            int(row.base_year) if row.last_year > row.base_year else None,
            None if np.isnan(row.change) else float(row.change),
            float(row.slope),
            row.progress,
        )
        for code, row in lines.iterrows()
    )


def _slopes(points: pd.DataFrame) -> pd.DataFrame:
    """Least-squares slope of value on year, per indicator."""
    groups = points.groupby("indicator")
    x = points["year"] - groups["year"].transform("mean")
    y = points["value"] - groups["value"].transform("mean")
    sums = pd.DataFrame({"xy": x * y, "xx": x * x, "indicator": points["indicator"]})
    totals = sums.groupby("indicator").sum()
    return pd.DataFrame({"slope": totals["xy"] / totals["xx"], "points": groups.size()})


def _progress(lines: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """Open SDG progress status towards the next target, or no_target."""
    if targets.empty:
        return pd.Series("no_target", index=lines.index)

    upper = targets["kind"].str.upper()
    ranked = targets.assign(
        upper=upper,
        rank=upper.map({kind: n for n, kind in enumerate(KIND_ORDER)}).fillna(
            len(KIND_ORDER)
        ),
    )
    merged = ranked.merge(lines[["last_year"]], left_on="indicator", right_index=True)
    ahead = merged["year"] >= merged["last_year"]
    merged = merged.assign(
        ahead=~ahead, order=np.where(ahead, merged["year"], -merged["year"])
    ).sort_values(["indicator", "ahead", "order", "rank", "upper"])
    chosen = merged.drop_duplicates("indicator").set_index("indicator")

    data = lines.join(chosen[["year", "value"]].rename(columns=lambda c: "t_" + c))
    s = data["polarity"]
    goal = data["t_value"].replace(0, 0.001)
    start = data["base_value"].replace(0, 0.001)
    with np.errstate(all="ignore"):
        observed = (data["last_value"] / start) ** (
            1 / (data["last_year"] - data["base_year"])
        ) - 1
        required = (goal / start) ** (1 / (data["t_year"] - data["base_year"])) - 1
        ratio = np.sign(start) * s * observed / required.abs()

    undefined = (
        (s == 0)
        | (data["last_year"] <= data["base_year"])
        | (data["t_year"] <= data["base_year"])
        | (start * data["last_value"] <= 0)
        | (start * goal <= 0)
        | (required == 0)
    )

    status = np.select(
        [ratio >= 0.95, ratio >= 0.6, ratio >= 0],
        ["on_track", "needs_acceleration", "limited_progress"],
        "deterioration",
    )
    status = np.where(undefined, "not_available", status)
    status = np.where(
        (s != 0) & (s * (data["last_value"] - data["t_value"]) >= 0), "achieved", status
    )
    return pd.Series(
        np.where(data["t_value"].isna(), "no_target", status), index=lines.index
    )


def baseline_position(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    peers, best = peers_and_chain(connection, area, year)
    query(connection, TARGETS, area=area.code)

    now = best[(best["year"] == year) & best["area"].isin(set(peers["code"]))]
    own = now[now["area"] == area.code].set_index("indicator")["value"]
    now = now[now["indicator"].isin(set(own.index))]
    sign = now["indicator"].map(catalogue["polarity"]).replace(0, 1)
    signed = sign * now["value"]
    own_signed = sign * now["indicator"].map(own)
    groups = (signed > own_signed).groupby(now["indicator"])
    stats = pd.DataFrame(
        {
            "better": groups.sum(),
            "n": groups.size(),
            "mean": now.groupby("indicator")["value"].mean(),
            "std": now.groupby("indicator")["value"].std(ddof=0),
        }
    )

    stats["place"] = stats["better"] + 1
    stats["percentile"] = np.where(
        stats["n"] > 1, 100 * (stats["n"] - stats["place"]) / (stats["n"] - 1), np.nan
    )
    s = catalogue["polarity"].reindex(stats.index).replace(0, 1)
    stats["z"] = np.where(
        stats["std"] > 0,
        s * (own.reindex(stats.index) - stats["mean"]) / stats["std"],
        np.nan,
    )

    change = _change(best, area, year, catalogue)
    stats = stats.join(change)
    return sorted(
        (
            code,
            int(row.place),
            None if np.isnan(row.percentile) else float(row.percentile),
            None if np.isnan(row.z) else float(row.z),
            _maybe(row.relevant),
            _maybe(row.effective),
        )
        for code, row in stats.iterrows()
    )


def _maybe(value):
    return (
        None
        if value is None or (isinstance(value, float) and np.isnan(value))
        else bool(value)
    )


def _change(best: pd.DataFrame, area: Area, year: int, catalogue) -> pd.DataFrame:
    """Relevance and effectiveness of the change against the province's."""
    columns = ["relevant", "effective"]
    if area.level <= 1:
        return pd.DataFrame(columns=columns)
    window = best[best["year"].between(year - SPAN, year)]
    own = window[window["area"] == area.code][["indicator", "year", "value"]]
    province = window[window["area"] == area.code.split(".")[0]]
    both = own.merge(province[["indicator", "year", "value"]], on=["indicator", "year"])
    both = both.sort_values(["indicator", "year"])
    groups = both.groupby("indicator")
    ends = pd.DataFrame(
        {
            "n": groups.size(),
            "area": groups["value_x"].last() - groups["value_x"].first(),
            "bench": groups["value_y"].last() - groups["value_y"].first(),
        }
    )
    ends = ends[ends["n"] >= 2]
    s = catalogue["polarity"].reindex(ends.index)
    sign = s.replace(0, 1)
    ends["relevant"] = np.sign(ends["area"]) == np.sign(ends["bench"])
    effective = sign * ends["area"] >= sign * ends["bench"]
    ends["effective"] = effective.astype(object).where(s != 0, None)
    return ends[columns]


# -- quadrants, problems and determinants ---------------------------------------


def _quadrants(best, peers, area: Area, year: int, catalogue) -> pd.DataFrame:
    """Points of the standard pairs: x, y, area and quadrant."""
    current = latest(best, year, current=True)
    members = set(peers["code"])
    points = current[current["area"].isin(members)]
    wide = points.pivot(index="area", columns="indicator", values="value")
    province = area.code.split(".")[0] if area.level > 1 else None
    found = []
    for x, y in STANDARD_PAIRS:
        if x not in catalogue.index or y not in catalogue.index:
            continue
        if x not in wide or y not in wide:
            continue
        splits = [_split(current, wide, code, province, catalogue) for code in (x, y)]
        if any(split is None for split in splits):
            continue
        pair = wide[[x, y]].dropna()
        sx = catalogue.at[x, "polarity"] or 1
        sy = catalogue.at[y, "polarity"] or 1
        worse_x = sx * (pair[x] - splits[0]) < 0
        worse_y = sy * (pair[y] - splits[1]) < 0
        quadrant = np.select(
            [worse_x & worse_y, worse_x, worse_y],
            ["worse_both", "worse_x_only", "worse_y_only"],
            "better_both",
        )
        found.append(
            pd.DataFrame({"x": x, "y": y, "area": pair.index, "quadrant": quadrant})
        )
    if not found:
        return pd.DataFrame(columns=["x", "y", "area", "quadrant"])
    return pd.concat(found, ignore_index=True)


def _split(current, wide, code: str, province, catalogue) -> float | None:
    present = wide[code].dropna()
    if catalogue.at[code, "aggregation"] == "sum":
        return float(present.mean()) if len(present) else None
    if province is not None:
        found = current[(current["indicator"] == code) & (current["area"] == province)]
        if len(found):
            return float(found["value"].iloc[0])
    return float(present.median()) if len(present) else None


def baseline_quadrant(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    codes = {SIZE_INDICATOR, *(code for pair in STANDARD_PAIRS for code in pair)}
    peers, best = peers_and_chain(connection, area, year, codes=codes)
    query(connection, TARGETS, area=area.code)
    points = _quadrants(best, peers, area, year, catalogue)
    return sorted(
        zip(points["x"], points["y"], points["area"], points["quadrant"], strict=True)
    )


def _problems(connection, area: Area, year: int):
    """Find and score the candidate problems; return them and the data read."""
    catalogue = read_catalogue(connection)
    peers, best = peers_and_chain(connection, area, year)
    targets = query(connection, TARGETS, area=area.code)
    decisions = query(connection, DECISIONS, area=area.code, year=year)

    current = latest(best, year, current=True)
    own = current[current["area"] == area.code].set_index("indicator")
    own = own.join(catalogue[["polarity", "unit", "position"]], how="inner")
    own = own[own["polarity"] != 0]

    cells = own.reset_index()[["indicator", "year", "value"]].assign(column=year)
    red = set(
        scheme_a(best, area, catalogue, cells).query("status == 'red'")["indicator"]
    )
    quadrants = _quadrants(best, peers, area, year, catalogue)
    worst = quadrants[
        (quadrants["area"] == area.code) & (quadrants["quadrant"] == "worse_both")
    ]
    in_worst = set(worst["x"]) | set(worst["y"])
    missed = _targets_missed(own, targets)

    candidates = own[own.index.isin(red | in_worst | missed)].copy()
    context = (catalogue, peers, best, current, decisions)
    candidates["gap"] = _relative_gaps(candidates, area, context)
    slopes = _slopes(best[best["area"] == area.code].sort_values("year"))["slope"]
    candidates["trend"] = -candidates["polarity"] * slopes.reindex(candidates.index)
    candidates["people"] = _people(candidates, current, area, catalogue)

    weights = (DEFAULTS.weight_gap, DEFAULTS.weight_trend, DEFAULTS.weight_people)
    candidates["score"] = (
        weights[0] * _min_max(-candidates["gap"])
        + weights[1] * _min_max(candidates["trend"])
        + weights[2] * _min_max(candidates["people"])
    )
    return candidates.sort_values(
        ["score", "position"], ascending=[False, True]
    ), context


def _targets_missed(own: pd.DataFrame, targets: pd.DataFrame) -> set[str]:
    if targets.empty:
        return set()
    upper = targets["kind"].str.upper()
    rank = upper.map({k: n for n, k in enumerate(KIND_ORDER)}).fillna(len(KIND_ORDER))
    chosen = targets.assign(rank=rank, upper=upper).sort_values(["rank", "upper"])
    chosen = chosen.drop_duplicates(["indicator", "year"])
    both = own.reset_index().merge(
        chosen, on=["indicator", "year"], suffixes=("", "_t")
    )
    return set(
        both[both["polarity"] * (both["value"] - both["value_t"]) < 0]["indicator"]
    )


def _relative_gaps(rows: pd.DataFrame, area: Area, context) -> pd.Series:
    """s (x - b) / |b| against the province, else national, else the peers' median."""
    _catalogue, peers, best, _current, _decisions = context
    keyed = rows.reset_index()[["indicator", "year", "value", "polarity"]]
    found = []
    if area.level > 1:
        found.append(best[best["area"] == area.code.split(".")[0]])
    if area.level > 0:
        found.append(best[best["area"] == "ID"])
    in_peers = best[best["area"].isin(set(peers["code"]))]
    found.append(
        in_peers.groupby(["indicator", "year"], as_index=False)["value"].median()
    )
    bench = pd.Series(np.nan, index=keyed.index)
    for candidates in found:
        merged = keyed.merge(
            candidates[["indicator", "year", "value"]],
            on=["indicator", "year"],
            how="left",
        )
        bench = bench.fillna(merged["value_y"])
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = keyed["polarity"] * (keyed["value"] - bench) / bench.abs()
    gap = gap.where(bench != 0)
    return pd.Series(gap.to_numpy(), index=rows.index)


def _people(rows: pd.DataFrame, current: pd.DataFrame, area: Area, catalogue):
    """People affected: a share of JP, a count of persons, or the poor (JPM)."""
    own = current[current["area"] == area.code].set_index("indicator")["value"]
    population = own.get("JP", np.nan)
    in_persons = conversion_factor(catalogue.at["JPM", "unit"], "jiwa") or 1.0
    poor = own.get("JPM", np.nan) * in_persons
    unit = rows["unit"].str.strip().str.lower()
    share = np.where(rows["polarity"] < 0, rows["value"], 100.0 - rows["value"])
    people = np.select(
        [unit == "%", unit.isin(list(PERSON_UNITS))],
        [
            np.maximum(share, 0.0) / 100.0 * population,
            rows["value"] * unit.map(PERSON_UNITS).fillna(1.0),
        ],
        poor,
    )
    return pd.Series(people, index=rows.index)


def _min_max(values: pd.Series) -> pd.Series:
    present = values.dropna()
    if present.empty:
        return pd.Series(0.0, index=values.index)
    low, high = present.min(), present.max()
    if high == low:
        return values.notna().astype(float)
    return ((values - low) / (high - low)).fillna(0.0)


def baseline_problems(connection, area: Area, year: int) -> Projection:
    candidates, _context = _problems(connection, area, year)
    return sorted(zip(candidates.index, candidates["score"].astype(float), strict=True))


def baseline_determinants(connection, area: Area, year: int) -> Projection:
    candidates, context = _problems(connection, area, year)
    catalogue, _peers, _best, current, decisions = context
    latest_decisions = decisions.drop_duplicates("indicator", keep="last")
    accepted = list(
        latest_decisions[latest_decisions["decision"] == "accepted"]["indicator"]
    )
    problems = accepted or list(candidates.index)

    links = catalogue.loc[problems, ["code", "determinants"]].explode("determinants")
    links = links.dropna().rename(columns={"code": "problem", "determinants": "code"})
    rows = links[links["code"].isin(set(catalogue.index))].join(
        catalogue[["position"]], on="code"
    )

    own = current[current["area"] == area.code].set_index("indicator")
    own = own.join(catalogue[["polarity"]], how="inner")
    measured = own[own.index.isin(set(rows["code"])) & (own["polarity"] != 0)]
    rows["gap"] = rows["code"].map(_relative_gaps(measured, area, context))

    rows = rows.sort_values(
        ["problem", "gap", "position"], na_position="last", kind="stable"
    )
    rows["rank"] = rows.groupby("problem").cumcount() + 1
    behind = rows["gap"] < 0
    rows["priority"] = behind & (
        behind.groupby(rows["problem"]).cumsum() <= TOP_DETERMINANTS
    )
    return sorted(
        zip(
            rows["problem"],
            rows["code"],
            rows["rank"].astype(int),
            rows["priority"].astype(bool),
            strict=True,
        )
    )


# -- priority locations ---------------------------------------------------------


def baseline_locations(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    children = valid_in(
        read_areas(connection, "parent_code = :code", code=area.code), year
    )
    values = read_values(
        connection,
        "area_code IN :codes AND year <= :year AND indicator_code IN :indicators",
        codes=[*children["code"], area.code, *chain_codes(area)],
        year=year,
        indicators=["JPM", "JP"],
    )
    current = latest(first_source(values), year, current=True)
    wide = current.pivot(index="area", columns="indicator", values="value")
    wide = wide.reindex(index=children["code"], columns=["JPM", "JP"])
    both = wide[wide["JPM"].notna() & (wide["JP"] > 0)]
    if both.empty:
        return []
    factor = (
        conversion_factor(catalogue.at["JPM", "unit"], catalogue.at["JP", "unit"])
        or 1.0
    )
    rate = both["JPM"] * factor / both["JP"]
    overall = both["JPM"].sum() * factor / both["JP"].sum()
    many, high = both["JPM"] >= both["JPM"].mean(), rate >= overall
    category = np.select([many & high, many, high], ["P1", "P2", "P3"], "P4")
    return sorted(zip(both.index, category, strict=True))
