"""Speed of the analyses, each beside the same computation written in pandas.

Usage::

    .venv/bin/python benchmarks/analysis.py [--quick] [--repeats N] [--output FILE]

``run_analysis_benchmarks(repeats, quick)`` builds an SQLite database of
Jawa Barat (region 32: 27 kabupaten/kota, 627 kecamatan, 5,957
desa/kelurahan) with the public sample tables, when the folder is found,
and generated values for every kecamatan and village, then times:

- each analysis for a city (Kota Bekasi, 32.75) and for the province (32)
  with all its kecamatan and villages, through ``run_analysis`` as the CLI,
  API and pages call it (reading the database included);
- aggregation of every aggregable indicator from the 514 kabupaten/kota to
  the provinces, with ``aggregate_level``;

and, in the same run, a pandas baseline of each: the same numbers read with
``pandas.read_sql`` and computed with groupby, merge and vectorised
arithmetic. Figures are medians of ``repeats`` runs in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from p3bm.analysis.aggregate import aggregate_level
from p3bm.analysis.base import AnalysisSettings
from p3bm.analysis.runner import KINDS, AnalysisRequest, run_analysis
from p3bm.areas import get_area, list_areas, load_region
from p3bm.areas.codes import DISTRICT, REGENCY, VILLAGE
from p3bm.catalogue import Catalogue, install_default_catalogue
from p3bm.observations import NewValue, write_values
from p3bm.samples import load_samples
from p3bm.series import load_frame
from p3bm.storage import Database

REGION = "32"
CITY = "32.75"
YEARS = (2019, 2020, 2021)
YEAR = 2021
SAMPLE_DATA = Path(
    os.environ.get(
        "SAMPLE_DATA_DIR",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)
# Generated sub-area indicators: (code, low, high).
GENERATED = {
    "JP": (2_000, 60_000),
    "JPM": (0.1, 8.0),
    "DESIL1_JIWA": (50, 3_000),
    "BALITA_STUNTING": (5, 300),
    "BALITA_DIUKUR": (300, 3_000),
    "PUSKESMAS": (0, 3),
    "KK_MISKIN": (20, 900),
    "SEKOLAH_SD": (1, 12),
}
VALUES = "SELECT indicator_code AS indicator, area_code AS area, year, source, value "


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``action`` in milliseconds, after one warm-up run."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


def build_database(folder: Path, quick: bool) -> Database:
    """Jawa Barat with the sample tables and generated sub-area values."""
    db = Database(str(folder / "analysis.sqlite"))
    db.upgrade()
    load_region(db, REGION)
    with db.begin() as connection:
        install_default_catalogue(connection)
    if SAMPLE_DATA.is_dir():
        load_samples(db, SAMPLE_DATA, "benchmark", folder / "rejected")
    rng = random.Random(20240601)
    with db.connect() as connection:
        region = get_area(connection, REGION)
        areas = [
            a
            for a in list_areas(connection, within=region)
            if a.level in (DISTRICT, VILLAGE)
        ]
    if quick:
        areas = [a for a in areas if a.code.startswith(CITY)]
    values = [
        NewValue(
            code, area.code, year, "", "generated", round(rng.uniform(low, high), 2)
        )
        for area in areas
        for code, (low, high) in GENERATED.items()
        for year in YEARS
    ]
    write_values(
        db,
        values,
        user="benchmark",
        status="verified",
        channel="system",
        file_name="generated",
    )
    return db


# -- pandas baselines --------------------------------------------------------


def read(connection, where: str, **params) -> pd.DataFrame:
    query = sa.text(VALUES + "FROM observation WHERE disaggregation = '' AND " + where)
    return pd.read_sql(query, connection, params=params)


def polarity_table(catalogue: Catalogue) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (i.code, i.polarity, i.aggregation, i.numerator, i.denominator, i.factor)
            for i in catalogue
        ],
        columns=["indicator", "s", "rule", "numerator", "denominator", "factor"],
    )


def first_source(frame: pd.DataFrame) -> pd.DataFrame:
    keys = ["indicator", "area", "year"]
    return frame.sort_values("source").drop_duplicates(keys)


def aggregate_frame_pandas(frame: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    results = []
    rules = polarity_table(catalogue)
    sums = rules[rules["rule"].isin(["sum", "min", "max"])]["indicator"]
    data = frame[frame["indicator"].isin(sums)]
    results.append(
        data.groupby(["indicator", "parent", "year", "source"])["value"].agg(
            ["sum", "size"]
        )
    )
    for item in rules[rules["rule"] == "ratio"].itertuples():
        num = frame[frame["indicator"] == item.numerator]
        den = frame[frame["indicator"] == item.denominator]
        both = num.merge(den, on=["area", "parent", "year"])
        if both.empty:
            continue
        grouped = both.groupby(["parent", "year", "source_x", "source_y"]).agg(
            a=("value_x", "sum"), b=("value_y", "sum"), n=("area", "size")
        )
        results.append((item.factor or 1) * grouped["a"] / grouped["b"])
    return results


def parent_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(parent=frame["area"].str.rsplit(".", n=1).str[0])


def baseline(kind: str, connection, catalogue, area, year: int):
    """Compute one analysis kind directly in pandas."""
    if kind == "aggregate":
        return baseline_aggregate(connection, catalogue, area, year)
    if kind in ("position", "quadrant"):
        return baseline_peers(kind, connection, catalogue, area, year)
    if kind in ("priority-locations", "quality"):
        return baseline_sub_areas(kind, connection, area, year)
    return baseline_own(kind, connection, catalogue, area)


def baseline_aggregate(connection, catalogue, area, year: int):
    frame = read(
        connection,
        "area_code LIKE :prefix AND year = :year",
        prefix=area.code + ".%",
        year=year,
    )
    frame = parent_column(frame[frame["area"].str.count(r"\.") == area.level])
    return aggregate_frame_pandas(frame, catalogue)


def baseline_own(kind: str, connection, catalogue, area):
    """Scorecard, trend, problems and determinants from the area's own values."""
    rules = polarity_table(catalogue)
    codes = [area.code, REGION, "ID"]
    own = first_source(
        read(
            connection, "area_code IN (:a, :b, :c)", a=codes[0], b=codes[1], c=codes[2]
        )
    )
    wide = own.pivot_table(index=["indicator", "year"], columns="area", values="value")
    wide = wide.reset_index().merge(rules, on="indicator")
    x = wide.get(area.code)
    gaps = [
        wide["s"] * (x - wide[c])
        for c in (REGION, "ID")
        if c in wide and c != area.code
    ]
    status = np.where(np.all([g >= 0 for g in gaps], axis=0), "green", "yellow")
    wide = wide.assign(status=status)
    if kind in ("scorecard", "determinants"):
        return wide.sort_values("status")
    series = own[own["area"] == area.code]
    slopes = series.groupby("indicator").apply(
        lambda g: np.polyfit(g["year"], g["value"], 1)[0] if len(g) > 1 else np.nan,
        include_groups=False,
    )
    if kind == "trend":
        return slopes
    gap = wide.get(area.code) - wide.get(REGION, np.nan)
    return (gap - gap.min()) / (gap.max() - gap.min()), slopes


def baseline_peers(kind: str, connection, catalogue, area, year: int):
    """Rank, percentile and z among peers, or the quadrants of two pairs."""
    rules = polarity_table(catalogue)
    root = area.code.rsplit(".", 1)[0] if area.level >= REGENCY else "ID"
    peers = read(
        connection,
        "area_code LIKE :prefix AND year <= :year",
        prefix=root + ".%",
        year=year,
    )
    peers = first_source(peers[peers["area"].str.count(r"\.") == area.level - 1])
    peers = peers.sort_values("year").drop_duplicates(
        ["indicator", "area"], keep="last"
    )
    peers = peers.merge(rules[["indicator", "s"]], on="indicator")
    signed = peers["s"].replace(0, 1) * peers["value"]
    by_indicator = signed.groupby(peers["indicator"])
    peers = peers.assign(
        rank=by_indicator.rank(method="min", ascending=False),
        z=(signed - by_indicator.transform("mean"))
        / by_indicator.transform("std", ddof=0),
    )
    if kind == "position":
        return peers
    wide = peers.pivot_table(index="area", columns="indicator", values="value")
    return [
        (wide[x] > wide[x].median()) & (wide[y] > wide[y].median())
        for x, y in (("P0", "JPM"), ("P0", "TPT"))
        if x in wide and y in wide
    ]


def baseline_sub_areas(kind: str, connection, area, year: int):
    """Priority locations, or sibling and year-on-year outliers, of the sub-areas."""
    subs = read(
        connection,
        "area_code LIKE :prefix AND year <= :year",
        prefix=area.code + ".%",
        year=year,
    )
    if kind == "priority-locations":
        subs = subs[subs["area"].str.count(r"\.") == area.level]
        latest = first_source(subs).sort_values("year")
        latest = latest.drop_duplicates(["indicator", "area"], keep="last")
        wide = latest.pivot_table(index="area", columns="indicator", values="value")
        if "JPM" not in wide or "JP" not in wide:
            return None
        both = wide[["JPM", "JP"]].dropna()
        rate = 1000 * both["JPM"] / both["JP"]
        overall = 1000 * both["JPM"].sum() / both["JP"].sum()
        many, high = both["JPM"] >= both["JPM"].mean(), rate >= overall
        return np.select([many & high, many, high], ["P1", "P2", "P3"], "P4")
    subs = parent_column(first_source(subs))
    keys = [subs["indicator"], subs["parent"], subs["year"]]
    median = subs["value"].groupby(keys).transform("median")
    mad = (subs["value"] - median).abs().groupby(keys).transform("median")
    z = 0.6745 * (subs["value"] - median) / mad.replace(0, np.nan)
    ordered = subs.sort_values("year")
    change = ordered.groupby(["indicator", "area"])["value"].pct_change()
    return (z.abs() > 3.5).sum(), (change.abs() > 0.5).sum()


# -- the benchmarks ------------------------------------------------------------


def bench_area(db: Database, code: str, repeats: int) -> dict:
    """Each analysis of one area, beside its pandas baseline."""
    settings = AnalysisSettings()
    figures = {}
    with db.connect() as connection:
        area = get_area(connection, code)
        catalogue = Catalogue.load(connection)
        for kind in KINDS:
            figures[kind] = {
                "p3bm_ms": median_ms(
                    lambda k=kind: run_analysis(
                        connection, k, area, YEAR, settings, AnalysisRequest()
                    ),
                    repeats,
                ),
                "pandas_ms": median_ms(
                    lambda k=kind: baseline(k, connection, catalogue, area, YEAR),
                    repeats,
                ),
            }
    return figures


def bench_country(db: Database, repeats: int) -> dict:
    """Aggregation of every indicator from the 514 kabupaten/kota to provinces."""
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        regencies = [a.code for a in list_areas(connection, level=REGENCY)]
        frame = load_frame(connection, areas=regencies)
    parent_of = {code: code.split(".")[0] for code in regencies}
    with_parent = frame.assign(parent=frame["area"].map(parent_of))
    return {
        "rows": len(frame),
        "p3bm_ms": median_ms(
            lambda: aggregate_level(frame, catalogue, parent_of, REGENCY), repeats
        ),
        "pandas_ms": median_ms(
            lambda: aggregate_frame_pandas(with_parent, catalogue), repeats
        ),
    }


def run_analysis_benchmarks(repeats: int = 5, quick: bool = False) -> dict:
    """Build the database, run every benchmark and return the figures."""
    with tempfile.TemporaryDirectory(prefix="p3bm-analysis-") as folder:
        start = time.perf_counter()
        db = build_database(Path(folder), quick)
        built = round(time.perf_counter() - start, 1)
        try:
            results = {
                "repeats": repeats,
                "quick": quick,
                "build_seconds": built,
                "city": bench_area(db, CITY, repeats),
                "province": bench_area(db, REGION, repeats),
                "country_aggregation": bench_country(db, repeats),
            }
        finally:
            db.dispose()
    return results


def print_figures(results: dict) -> None:
    for scope in ("city", "province"):
        print(f"\n{scope} ({CITY if scope == 'city' else REGION}), median ms")
        print(f"{'analysis':20} {'p3bm':>9} {'pandas':>9} {'ratio':>7}")
        for kind, figure in results[scope].items():
            ratio = (
                figure["p3bm_ms"] / figure["pandas_ms"] if figure["pandas_ms"] else 0
            )
            print(
                f"{kind:20} {figure['p3bm_ms']:9.1f} {figure['pandas_ms']:9.1f} "
                f"{ratio:7.2f}"
            )
    country = results["country_aggregation"]
    print(
        f"\ncountry aggregation ({country['rows']} rows): p3bm "
        f"{country['p3bm_ms']} ms, pandas {country['pandas_ms']} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="Generate Kota Bekasi only."
    )
    parser.add_argument("--repeats", type=int, default=5, help="Runs per figure [5].")
    parser.add_argument("--output", type=Path, help="Write the figures as JSON.")
    arguments = parser.parse_args(argv)
    results = run_analysis_benchmarks(arguments.repeats, arguments.quick)
    print(f"database built in {results['build_seconds']} s")
    print_figures(results)
    if arguments.output:
        arguments.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
