"""Speed of the analyses, each beside the same computation written in pandas.

Usage::

    .venv/bin/python benchmarks/analysis.py [--quick] [--repeats N]
        [--backend sqlite|postgresql] [--pages] [--output FILE]

``run_analysis_benchmarks(repeats, quick, backend, pages)`` builds a
database of Jawa Barat (region 32: 27 kabupaten/kota, 627 kecamatan, 5,957
desa/kelurahan). It contains the public sample tables when their folder is
found, and plan targets of Kota Bekasi and the province. It also contains
generated values: core indicators of the country, the province and every
kabupaten/kota (2011-2021), and sub-area indicators of every kecamatan and
village (2019-2021). The run then times:

- each analysis for a city (Kota Bekasi, 32.75) and for the province (32)
  with all its kecamatan and villages, through ``run_analysis`` as the CLI,
  API and pages call it (reading the database included);
- aggregation of every aggregable indicator from the 514 kabupaten/kota to
  the provinces, with ``aggregate_level``;
- with ``--pages``, the dashboard's analysis pages of Kota Bekasi over HTTP,
  from a ``p3bm serve`` process started on a free port of 127.0.0.1;

and, in the same run, a pandas baseline of each (``analysis_baselines``): the
same rows read with ``pandas.read_sql`` and the same result computed with
vectorised pandas. Before timing, each baseline's result is checked against
P3BM's, and a difference stops the run. Figures are medians of ``repeats``
runs in milliseconds of wall time, after one warm-up run.

The PostgreSQL backend builds the database in a schema of its own, dropped at
the end, at TEST_POSTGRES_URL (default: postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import sqlalchemy as sa
from analysis_baselines import baseline, differences, project, read_catalogue

from p3bm.analysis.aggregate import aggregate_level
from p3bm.analysis.base import AnalysisSettings
from p3bm.analysis.runner import KINDS, AnalysisRequest, run_analysis
from p3bm.analysis.targets import Target, store_targets
from p3bm.areas import Area, get_area, list_areas, load_region
from p3bm.areas.codes import DISTRICT, REGENCY, VILLAGE
from p3bm.catalogue import Catalogue, install_default_catalogue
from p3bm.observations import NewValue, write_values
from p3bm.samples import load_samples
from p3bm.series import load_frame
from p3bm.storage import Database

REGION = "32"
CITY = "32.75"
YEARS = (2019, 2020, 2021)
AREA_YEARS = tuple(range(2011, 2022))
YEAR = 2021
SAMPLE_DATA = Path(
    os.environ.get(
        "SAMPLE_DATA_DIR",
        Path(__file__).resolve().parents[1].parent / "shared" / "data",
    )
)
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
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
# Generated core indicators of the country, the province and its
# kabupaten/kota: (code, low, high). IPM's method break (2013) falls inside.
GENERATED_AREAS = {
    "P0": (2.0, 15.0),
    "P1": (0.2, 2.5),
    "P2": (0.05, 0.7),
    "GINI": (0.30, 0.45),
    "TPT": (3.0, 12.0),
    "TPAK": (60.0, 70.0),
    "RLS": (7.0, 11.0),
    "HLS": (11.0, 14.0),
    "UHH": (68.0, 75.0),
    "IPM": (65.0, 82.0),
    "SANITASI": (60.0, 98.0),
    "AIR_MINUM": (70.0, 99.0),
    "LPE": (2.0, 7.0),
    "APS_16_18": (60.0, 85.0),
    "JPM": (20.0, 500.0),
}
# Plan targets: (indicator, area, year, kind, value).
TARGETS = [
    ("P0", CITY, 2021, "RPJMD", 3.0),
    ("P0", CITY, 2021, "RKPD", 3.5),
    ("TPT", CITY, 2021, "RPJMD", 5.0),
    ("IPM", CITY, 2021, "RPJMD", 80.0),
    ("P0", CITY, 2026, "RPJMD", 2.5),
    ("TPT", CITY, 2026, "RPJMD", 4.0),
    ("IPM", CITY, 2026, "RPJMD", 82.0),
    ("P0", REGION, 2026, "RPJMD", 6.0),
    ("TPT", REGION, 2026, "RPJMD", 6.5),
]
SERVER_START_SECONDS = 60


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``action`` in milliseconds, after one warm-up run."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1)


# -- the database ----------------------------------------------------------------


@contextlib.contextmanager
def open_database(backend: str, folder: Path) -> Iterator[Database]:
    """Open an empty database: an SQLite file, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        db = Database(str(folder / "analysis.sqlite"))
        try:
            yield db
        finally:
            db.dispose()
        return
    admin_url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = sa.create_engine(admin_url, poolclass=sa.pool.NullPool)
    schema = f"bench_analysis_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    db = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def build_database(db: Database, folder: Path, quick: bool) -> None:
    """Fill ``db`` with Jawa Barat, the sample tables, generated values and targets."""
    db.upgrade()
    load_region(db, REGION)
    with db.begin() as connection:
        install_default_catalogue(connection)
    if SAMPLE_DATA.is_dir():
        load_samples(db, SAMPLE_DATA, "benchmark", folder / "rejected")

    with db.connect() as connection:
        areas = list_areas(connection, within=get_area(connection, REGION))
    write_values(
        db,
        generated_values(areas, quick),
        user="benchmark",
        status="verified",
        channel="system",
        file_name="generated",
    )
    store_targets(db, [Target(*row) for row in TARGETS], "benchmark")


def generated_values(areas: list[Area], quick: bool) -> list[NewValue]:
    """Generate the values of GENERATED and GENERATED_AREAS, the same in every run."""
    rng = random.Random(20240601)
    subs = [a for a in areas if a.level in (DISTRICT, VILLAGE)]
    if quick:
        subs = [a for a in subs if a.code.startswith(CITY)]
    tops = ["ID", REGION] + [a.code for a in areas if a.level == REGENCY]
    return [
        NewValue(code, area.code, year, "", "generated", round(rng.uniform(*span), 2))
        for area in subs
        for code, span in GENERATED.items()
        for year in YEARS
    ] + [
        NewValue(code, area, year, "", "generated", round(rng.uniform(*span), 2))
        for area in tops
        for code, span in GENERATED_AREAS.items()
        for year in AREA_YEARS
    ]


# -- the benchmarks ----------------------------------------------------------------


def bench_area(db: Database, code: str, repeats: int) -> dict:
    """Time each analysis of one area, beside its pandas baseline.

    Raises RuntimeError when a baseline's result differs from P3BM's.
    """
    settings = AnalysisSettings()
    figures = {}
    with db.connect() as connection:
        area = get_area(connection, code)
        for kind in KINDS:

            def ours(kind=kind):
                return run_analysis(
                    connection, kind, area, YEAR, settings, AnalysisRequest()
                )

            def theirs(kind=kind):
                return baseline(kind, connection, area, YEAR)

            result = project(ours())
            found = differences(result, theirs())
            if found:
                raise RuntimeError(
                    f"the pandas baseline of {kind} for {code} differs: "
                    + "; ".join(found)
                )
            figures[kind] = {
                "rows": len(result),
                "p3bm_ms": median_ms(ours, repeats),
                "pandas_ms": median_ms(theirs, repeats),
            }
    return figures


def aggregate_level_pandas(
    frame: pd.DataFrame, rules: pd.DataFrame, parent_of: dict[str, str]
) -> pd.DataFrame:
    """Compute ``aggregate_level`` from kabupaten/kota directly in pandas."""
    rules = rules[(rules["aggregation"] != "none") & (rules["lowest_level"] >= REGENCY)]
    data = frame.assign(parent=frame["area"].map(parent_of)).dropna(subset=["parent"])
    found = [_extremes_pandas(data, rules)]
    pairs = rules[rules["aggregation"].isin(["ratio", "weighted_mean"])]
    for item in pairs.itertuples():
        found.append(_pair_pandas(data, item))
    return pd.concat([f for f in found if not f.empty] or found[:1], ignore_index=True)


def _extremes_pandas(data: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    keys = ["indicator", "parent", "year", "source"]
    extremes = rules[rules["aggregation"].isin(["sum", "min", "max"])]
    chosen = data[data["indicator"].isin(set(extremes["code"]))]
    grouped = chosen.groupby(keys)["value"].agg(["sum", "min", "max", "size"])
    grouped = grouped.reset_index()
    rule = grouped["indicator"].map(extremes.set_index("code")["aggregation"])
    value = np.select(
        [rule == "min", rule == "max"], [grouped["min"], grouped["max"]], grouped["sum"]
    )
    return grouped[keys[:3]].assign(
        sources=grouped["source"], value=value, contributed=grouped["size"]
    )


def _pair_pandas(data: pd.DataFrame, item) -> pd.DataFrame:
    """Aggregate one ratio or weighted mean: parts added per parent, then divided."""
    is_ratio = item.aggregation == "ratio"
    first = data[data["indicator"] == (item.numerator if is_ratio else item.code)]
    second = data[data["indicator"] == (item.denominator if is_ratio else item.weight)]
    both = first.merge(second, on=["area", "parent", "year"])
    a = both["value_x"] if is_ratio else both["value_x"] * both["value_y"]
    parts = both.assign(a=a, sources=both["source_x"] + "\x1f" + both["source_y"])
    sums = parts.groupby(["parent", "year", "sources"], as_index=False).agg(
        a=("a", "sum"), b=("value_y", "sum"), contributed=("a", "size")
    )

    factor = item.factor if is_ratio and not pd.isna(item.factor) else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = factor * sums["a"] / sums["b"]
    return sums.assign(indicator=item.code, value=ratio.where(np.isfinite(ratio)))


def _aggregate_rows(frame: pd.DataFrame) -> list[tuple]:
    columns = ["indicator", "parent", "year", "sources", "value", "contributed"]
    return sorted(
        (i, p, int(y), s, None if pd.isna(v) else float(v), int(n))
        for i, p, y, s, v, n in frame[columns].itertuples(index=False)
    )


def bench_country(db: Database, repeats: int) -> dict:
    """Time the aggregation of every indicator from 514 kabupaten/kota to provinces."""
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        rules = read_catalogue(connection)
        regencies = [a.code for a in list_areas(connection, level=REGENCY)]
        frame = load_frame(connection, areas=regencies)
    parent_of = {code: code.split(".")[0] for code in regencies}
    found = differences(
        _aggregate_rows(aggregate_level(frame, catalogue, parent_of, REGENCY)),
        _aggregate_rows(aggregate_level_pandas(frame, rules, parent_of)),
    )
    if found:
        raise RuntimeError(
            "the pandas country aggregation differs: " + "; ".join(found)
        )
    return {
        "rows": len(frame),
        "p3bm_ms": median_ms(
            lambda: aggregate_level(frame, catalogue, parent_of, REGENCY), repeats
        ),
        "pandas_ms": median_ms(
            lambda: aggregate_level_pandas(frame, rules, parent_of), repeats
        ),
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


@contextlib.contextmanager
def serving(db: Database) -> Iterator[str]:
    """Run ``p3bm serve`` over ``db`` and yield its base URL, then stop it."""
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("p3bm")),
        "--db",
        db.url,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(SERVER_START_SECONDS)


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"p3bm serve exited with code {server.returncode}")
        with contextlib.suppress(httpx.TransportError):
            httpx.get(url + "/", timeout=5)
            return
        time.sleep(0.2)
    raise TimeoutError(
        f"p3bm serve did not respond at {url} within {SERVER_START_SECONDS} s"
    )


def bench_pages(db: Database, repeats: int) -> dict:
    """Wall time of GET /analisis/32.75/KIND on a running server, per kind."""
    figures = {}
    with serving(db) as url, httpx.Client(base_url=url, timeout=120) as client:
        for kind in KINDS:
            path = f"/analisis/{CITY}/{kind}"

            def fetch(path=path):
                response = client.get(path)
                response.raise_for_status()

            figures[kind] = median_ms(fetch, repeats)
    return figures


def run_analysis_benchmarks(
    repeats: int = 5, quick: bool = False, backend: str = "sqlite", pages: bool = False
) -> dict:
    """Build the database, run every benchmark and return the figures."""
    with (
        tempfile.TemporaryDirectory(prefix="p3bm-analysis-") as folder,
        open_database(backend, Path(folder)) as db,
    ):
        start = time.perf_counter()
        build_database(db, Path(folder), quick)
        results = {
            "backend": backend,
            "repeats": repeats,
            "quick": quick,
            "build_seconds": round(time.perf_counter() - start, 1),
            "city": bench_area(db, CITY, repeats),
            "province": bench_area(db, REGION, repeats),
            "country_aggregation": bench_country(db, repeats),
        }
        if pages:
            results["pages_ms"] = bench_pages(db, repeats)
    return results


def print_figures(results: dict) -> None:
    for scope in ("city", "province"):
        code = CITY if scope == "city" else REGION
        print(f"\n{scope} ({code}, {results['backend']}), median ms")
        print(f"{'analysis':20} {'rows':>6} {'p3bm':>9} {'pandas':>9} {'ratio':>7}")
        for kind, figure in results[scope].items():
            ratio = (
                figure["p3bm_ms"] / figure["pandas_ms"] if figure["pandas_ms"] else 0
            )
            print(
                f"{kind:20} {figure['rows']:6} {figure['p3bm_ms']:9.1f} "
                f"{figure['pandas_ms']:9.1f} {ratio:7.2f}"
            )
    country = results["country_aggregation"]
    print(
        f"\ncountry aggregation ({country['rows']} rows): p3bm "
        f"{country['p3bm_ms']} ms, pandas {country['pandas_ms']} ms"
    )
    if "pages_ms" in results:
        print(f"\npages of {CITY} over HTTP, median ms")
        for kind, figure in results["pages_ms"].items():
            print(f"{kind:20} {figure:9.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="Generate sub-areas of Kota Bekasi only."
    )
    parser.add_argument("--repeats", type=int, default=5, help="Runs per figure [5].")
    parser.add_argument(
        "--backend", choices=BACKENDS, default="sqlite", help="Database [sqlite]."
    )
    parser.add_argument(
        "--pages", action="store_true", help="Also time the pages over HTTP."
    )
    parser.add_argument("--output", type=Path, help="Write the figures as JSON.")
    arguments = parser.parse_args(argv)
    results = run_analysis_benchmarks(
        arguments.repeats, arguments.quick, arguments.backend, arguments.pages
    )
    print(f"database built in {results['build_seconds']} s")
    print_figures(results)
    if arguments.output:
        arguments.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
