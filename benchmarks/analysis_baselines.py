"""Hand-written pandas baselines of P3BM's analyses, for benchmarks/analysis.py.

Each baseline reads what the analysis reads, with ``pandas.read_sql``: the
stored totals of the same areas and years, the catalogue, the areas, and the
targets and TKPK decisions where the analysis uses them. It then computes the
same result with vectorised pandas and numpy, using the default settings of
``AnalysisSettings`` (no source priority, province benchmark, stale after 3
years). ``baseline`` returns a projection of that result, a sorted list of
tuples, and ``project`` returns the same projection of a P3BM outcome, so the
benchmark can check that both agree before it times them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from p3bm.analysis.base import AnalysisSettings
from p3bm.analysis.quadrant import SIZE_INDICATOR, STANDARD_PAIRS
from p3bm.analysis.runner import Outcome
from p3bm.areas.registry import Area
from p3bm.imports.units import conversion_factor

DEFAULTS = AnalysisSettings()
STALE = DEFAULTS.stale_after_years
SPAN = 5
SCORECARD_YEARS = 5
QUALITY_YEARS = 5
TOP_DETERMINANTS = 3
PERSON_UNITS = {"jiwa": 1.0, "ribu jiwa": 1000.0}
KEYS = ["indicator", "area", "year"]
# Read a subtree of up to this many areas by listing their codes, and a larger
# one by code prefix, as P3BM's scope does.
MAX_LISTED_AREAS = 5000
VALUES = (
    "SELECT indicator_code AS indicator, area_code AS area, year, source, value "
    "FROM observation WHERE value IS NOT NULL AND disaggregation = ''"
)
AREAS = "SELECT code, name, level, parent_code, valid_from, valid_to FROM area"
CATALOGUE = (
    "SELECT code, unit, polarity, aggregation, numerator, denominator, factor, "
    "weight, lowest_level, minimum, maximum, method_breaks, determinants, position "
    "FROM indicator ORDER BY position"
)
TARGETS = (
    "SELECT indicator_code AS indicator, area_code AS area, year, kind, value "
    "FROM target WHERE area_code = :area"
)
DECISIONS = (
    "SELECT indicator_code AS indicator, decision FROM priority_decision "
    "WHERE area_code = :area AND year = :year ORDER BY id"
)
KIND_ORDER = ("RPJMD", "RKPD", "RENSTRA", "SDG")

Projection = list[tuple]


# -- reading -----------------------------------------------------------------


def query(connection, sql: str, **params) -> pd.DataFrame:
    """Read ``sql`` with bound parameters; list parameters become IN lists."""
    statement = sa.text(sql)
    lists = [name for name, value in params.items() if isinstance(value, list)]
    if lists:
        statement = statement.bindparams(
            *(sa.bindparam(name, expanding=True) for name in lists)
        )
    return pd.read_sql(statement, connection, params=params)


def read_values(connection, condition: str, **params) -> pd.DataFrame:
    return query(connection, f"{VALUES} AND {condition}", **params)


def read_catalogue(connection) -> pd.DataFrame:
    frame = query(connection, CATALOGUE)
    for column in ("method_breaks", "determinants"):
        frame[column] = frame[column].map(_json_list)
    return frame.set_index("code", drop=False).rename_axis(None)


def _json_list(value) -> list:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


def read_areas(connection, condition: str, **params) -> pd.DataFrame:
    return query(connection, f"{AREAS} WHERE {condition}", **params)


def peer_codes(connection, area: Area) -> pd.DataFrame:
    """The areas at the area's level under its peer root, as P3BM's peers."""
    if area.level <= 2:
        root = area.code.rsplit(".", 1)[0] if area.level == 2 else None
    else:
        root = ".".join(area.code.split(".")[:2])
    if root is None:
        return read_areas(connection, "level = :level", level=area.level)
    return read_areas(
        connection,
        "level = :level AND code LIKE :prefix",
        level=area.level,
        prefix=root + ".%",
    )


def valid_in(areas: pd.DataFrame, year: int) -> pd.DataFrame:
    after = areas["valid_from"].isna() | (areas["valid_from"] <= year)
    before = areas["valid_to"].isna() | (areas["valid_to"] >= year)
    return areas[after & before].sort_values("code")


def first_source(frame: pd.DataFrame) -> pd.DataFrame:
    """One value per key: the unnamed source first, then by name."""
    return frame.sort_values("source", kind="stable").drop_duplicates(KEYS)


def latest(best: pd.DataFrame, year: int, *, current: bool) -> pd.DataFrame:
    """The latest value at or before ``year`` per indicator and area.

    With ``current`` a value older than the stale limit is left out.
    """
    chosen = best[best["year"] <= year]
    if current:
        chosen = chosen[chosen["year"] >= year - STALE]
    return chosen.sort_values("year").drop_duplicates(
        ["indicator", "area"], keep="last"
    )


def lookup(frame: pd.DataFrame, columns: list[str]) -> dict:
    """A dictionary from the key columns to the value column."""
    keys = zip(*(frame[c].tolist() for c in columns), strict=True)
    return dict(zip(keys, frame["value"].tolist(), strict=True))


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


def own_and_chain(connection, area: Area, year: int) -> pd.DataFrame:
    codes = [area.code, *_chain(area)]
    return first_source(
        read_values(
            connection, "area_code IN :codes AND year <= :year", codes=codes, year=year
        )
    )


def _chain(area: Area) -> list[str]:
    parts = area.code.split(".")
    found = ["ID"] if area.code != "ID" else []
    return found + [".".join(parts[:n]) for n in range(1, len(parts))]


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


def peers_and_chain(connection, area: Area, year: int, codes=None):
    """The peers (valid in ``year``) and the first-source values around the area."""
    peers = valid_in(peer_codes(connection, area), year)
    wanted = [*peers["code"], area.code, *_chain(area)]
    condition = "area_code IN :codes AND year <= :year"
    params: dict = {"codes": wanted, "year": year}
    if codes is not None:
        condition += " AND indicator_code IN :indicators"
        params["indicators"] = list(codes)
    return peers, first_source(read_values(connection, condition, **params))


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
    """Candidates with their scores, and what the determinants need besides."""
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


# -- priority locations and quality ------------------------------------------------


def baseline_locations(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
    children = valid_in(
        read_areas(connection, "parent_code = :code", code=area.code), year
    )
    values = read_values(
        connection,
        "area_code IN :codes AND year <= :year AND indicator_code IN :indicators",
        codes=[*children["code"], area.code, *_chain(area)],
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


def baseline_quality(connection, area: Area, year: int) -> Projection:
    catalogue = read_catalogue(connection)
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
    around = [*_chain(area), *siblings["code"]]
    if len(subtree) <= MAX_LISTED_AREAS:
        values = read_values(
            connection, "area_code IN :codes", codes=[*subtree["code"], *around]
        )
    else:
        values = read_values(
            connection,
            "(area_code IN :codes OR area_code IN "
            "(SELECT code FROM area WHERE code LIKE :prefix))",
            codes=[area.code, *around],
            prefix=area.code + ".%",
        )
    in_area = _in_area(values["area"], area)
    values = values[in_area | values["area"].isin(set(siblings["code"]))]
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


# -- the registry and P3BM's projections -------------------------------------------

BASELINES: dict[str, Callable[..., Projection]] = {
    "aggregate": baseline_aggregate,
    "scorecard": baseline_scorecard,
    "trend": baseline_trend,
    "position": baseline_position,
    "quadrant": baseline_quadrant,
    "priority-problems": baseline_problems,
    "determinants": baseline_determinants,
    "priority-locations": baseline_locations,
    "quality": baseline_quality,
}


def baseline(kind: str, connection, area: Area, year: int) -> Projection:
    """Compute analysis ``kind`` of an area and year in pandas."""
    return BASELINES[kind](connection, area, year)


def project(outcome: Outcome) -> Projection:
    """The facts of a P3BM outcome, in the shape the baseline of its kind returns."""
    results = outcome.results
    kind = outcome.kind
    if kind == "aggregate":
        return sorted(
            (
                r.indicator.code,
                "\x1f".join(v.sources.values()),
                v.value,
                len(v.contributed),
            )
            for r in results
            for v in r.variants
        )
    result = results[0] if results else None
    if kind == "scorecard":
        return sorted(
            (code, int(column), cell.status)
            for (code, column), cell in result.cells.items()
        )
    if kind == "trend":
        return sorted(
            (
                line.indicator.code,
                len(line.points),
                line.last.year,
                line.base.year if line.span else None,
                line.change,
                line.slope,
                line.progress.status if line.progress else "no_target",
            )
            for line in result.lines
        )
    if kind == "position":
        return sorted(
            (
                s.indicator.code,
                s.rank,
                s.percentile,
                s.z,
                s.change.get("relevant"),
                s.change.get("effective"),
            )
            for s in result.standings
        )
    if kind == "quadrant":
        return sorted(
            (r.x_indicator.code, r.y_indicator.code, p.area, p.quadrant)
            for r in results
            for p in r.points
        )
    if kind == "priority-problems":
        return sorted((c.indicator.code, c.score) for c in result.candidates)
    if kind == "determinants":
        return sorted(
            (r.problem, r.indicator.code, r.rank, r.is_priority) for r in result.ranks
        )
    if kind == "priority-locations":
        return sorted((loc.area, loc.category) for loc in result.locations)
    flags = sorted((f.code, f.indicator, f.area, f.year) for f in result.flags)
    return flags + [("sources_side_by_side", len(result.disagreements))]


def differences(ours: Projection, theirs: Projection, limit: int = 5) -> list[str]:
    """Where two projections differ, floats compared to 1e-9; empty when equal."""
    found = []
    if len(ours) != len(theirs):
        found.append(f"{len(ours)} rows against {len(theirs)}")
    for mine, other in zip(ours, theirs, strict=False):
        if not _same(mine, other):
            found.append(f"{mine} against {other}")
        if len(found) >= limit:
            break
    return found


def _same(mine: tuple, other: tuple) -> bool:
    if len(mine) != len(other):
        return False
    for a, b in zip(mine, other, strict=True):
        if isinstance(a, float) or isinstance(b, float):
            if (
                a is None
                or b is None
                or not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            ):
                return False
        elif a != b:
            return False
    return True
