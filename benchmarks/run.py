"""Speed and memory of P3BM's bulk paths, each beside a pandas baseline.

Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--backend sqlite|postgresql|both]
                                       [--only load|import|completeness ...]
                                       [--repeats N] [--output FILE.json]

Three benchmarks run on each chosen backend:

- ``load``: ``load_region(db, "ID")`` on a fresh database, against pandas
  ``read_csv`` of the four bundled area files plus ``to_sql`` of the same
  rows and columns into a fresh table of the same database;
- ``import``: ``Importer.import_file`` on a generated long-layout CSV of
  village values (first import, re-import of the same file, and import with
  1 % of the values changed), against pandas ``read_csv`` plus ``to_sql`` of
  the same file, and beside pandas appending the same rows to the
  observation table of another fresh database;
- ``completeness``: ``compute_completeness`` for Kota Bekasi in a city
  database and for Kota Bekasi and Jawa Barat in a province database, against
  the same counts from one pandas groupby over ``read_sql``.

Every measured step runs in a child process of its own, so that its peak
resident memory (``ru_maxrss``) belongs to that step alone. Generated files
and SQLite databases go to a temporary folder; PostgreSQL databases are
schemas named ``bench_*`` that the script creates and drops. PostgreSQL is
found at TEST_POSTGRES_URL (default: the local ``test`` database).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from p3bm.areas import get_area, list_areas, load_region
from p3bm.areas.codes import COUNTRY_CODE, LEVEL_NAMES, VILLAGE
from p3bm.areas.registry import bundled_areas
from p3bm.catalogue import (
    Catalogue,
    Indicator,
    default_catalogue_text,
    install_default_catalogue,
    parse_catalogue,
)
from p3bm.completeness import compute_completeness, expected_indicators
from p3bm.imports import Importer, ImportOptions
from p3bm.observations import NewValue, write_values
from p3bm.storage import Database
from p3bm.storage.schema import area as area_table
from p3bm.storage.schema import observation

SCRIPT = Path(__file__).resolve()
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
BENCHMARKS = ("load", "import", "completeness")
WILAYAH_FILES = ("provinces", "regencies", "districts", "villages")
IMPORT_YEARS = range(2015, 2025)
COMPLETENESS_YEARS = (2022, 2023, 2024)
COMPLETENESS_FILL_SHARE = 0.9
CHANGED_SHARE = 0.01
PANDAS_MULTI_CHUNKSIZE = 1000
SEED = 20240601
CITY, PROVINCE = "32.75", "32"
# Region loaded into each completeness database, and the areas measured in it.
COMPLETENESS_DATABASES = ((CITY, (CITY,)), (PROVINCE, (CITY, PROVINCE)))
FULL_SIZES = {"region": COUNTRY_CODE, "observations": 1_000_000}
QUICK_SIZES = {"region": COUNTRY_CODE, "observations": 100_000}


# -- measuring inside a child process --------------------------------------


def current_rss_mb() -> float:
    """Resident memory of this process now, from /proc (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, from /proc (Linux).

    VmHWM starts afresh when the process runs a new program, unlike
    ``ru_maxrss``, which keeps the peak of the parent process that forked it.
    """
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(action: Callable[[], dict | None]) -> dict:
    """Run ``action`` once; return its seconds, memory and own figures.

    ``cpu_seconds`` counts this process only, not the database server.
    """
    gc.collect()
    before = current_rss_mb()
    start, start_cpu = time.perf_counter(), cpu_seconds()
    details = action() or {}
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    return {
        "seconds": seconds,
        "cpu_seconds": round(cpu_seconds() - start_cpu, 3),
        "peak_rss_mb": round(peak, 1),
        "peak_increase_mb": round(peak - before, 1),
        **details,
    }


def open_database(url: str) -> Database:
    return Database(url)


# -- cases: the steps that child processes run ------------------------------


def case_prepare(params: dict) -> dict:
    """Migrate a fresh database, load a region and install the catalogue."""
    db = open_database(params["url"])
    db.upgrade()
    load_region(db, params["region"])
    with db.begin() as connection:
        install_default_catalogue(connection)
    db.dispose()
    return {}


def case_load_region(params: dict) -> dict:
    db = open_database(params["url"])
    db.upgrade()
    figures = measure(lambda: {"areas": load_region(db, params["region"])})
    db.dispose()
    return figures


def area_frame(region: str) -> pd.DataFrame:
    """Build with pandas, from the bundled files, the rows ``load_region`` inserts."""
    folder = resources.files("p3bm") / "data" / "wilayah"
    read = {
        name: pd.read_csv(folder / f"{name}.csv.gz", dtype=str)
        for name in WILAYAH_FILES
    }
    prefix = "" if region == COUNTRY_CODE else region + "."

    country = pd.DataFrame(
        {"code": [COUNTRY_CODE], "name": ["Indonesia"], "level": [0]}
    ).assign(kind="negara", parent_code=None, bps_code=None)
    provinces = read["provinces"].assign(
        level=1, kind="provinsi", parent_code=COUNTRY_CODE
    )
    provinces["bps_code"] = provinces["code"]
    regencies = read["regencies"].rename(columns={"province_code": "parent_code"})
    regencies = regencies.assign(
        level=2,
        kind=np.where(regencies["name"].str.startswith("Kota "), "kota", "kabupaten"),
        bps_code=regencies["code"].str.replace(".", "", regex=False),
    )

    districts = read["districts"].rename(columns={"regency_code": "parent_code"})
    districts = districts[districts["code"].str.startswith(prefix)].assign(
        level=3, kind="kecamatan", bps_code=None
    )
    villages = read["villages"].rename(columns={"district_code": "parent_code"})
    villages = villages[villages["code"].str.startswith(prefix)]
    villages = villages.assign(
        level=4,
        kind=np.where(villages["code"].str[-4] == "1", "kelurahan", "desa"),
        bps_code=None,
    )

    columns = ["code", "name", "level", "kind", "parent_code", "bps_code"]
    parts = [country, provinces, regencies, districts, villages]
    return pd.concat([part[columns] for part in parts], ignore_index=True)


def to_sql_options(method: str | None) -> dict:
    if method == "multi":
        return {"method": "multi", "chunksize": PANDAS_MULTI_CHUNKSIZE}
    return {"method": None}


def case_load_pandas(params: dict) -> dict:
    db = open_database(params["url"])

    def load() -> dict:
        frame = area_frame(params["region"])
        frame.to_sql(
            params["table"], db.engine, index=False, **to_sql_options(params["method"])
        )
        return {"rows": len(frame)}

    figures = measure(load)
    db.dispose()
    return figures


def case_import(params: dict) -> dict:
    db = open_database(params["url"])

    def run() -> dict:
        importer = Importer(db, "benchmark")
        options = ImportOptions(reason=params.get("reason"))
        report = importer.import_file(Path(params["file"]), options)
        return {
            "outcome": report.outcome,
            "added": report.added,
            "changed": report.changed,
            "unchanged": report.unchanged,
            "problems": len(report.problems),
        }

    figures = measure(run)
    db.dispose()
    return figures


def read_observation_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path,
        sep=";",
        decimal=",",
        thousands=".",
        dtype={"kode_wilayah": str, "indikator": str},
    )


def case_import_pandas(params: dict) -> dict:
    db = open_database(params["url"])

    def load() -> dict:
        frame = read_observation_csv(Path(params["file"]))
        frame.to_sql(
            params["table"], db.engine, index=False, **to_sql_options(params["method"])
        )
        return {"rows": len(frame)}

    figures = measure(load)
    db.dispose()
    return figures


def case_import_pandas_table(params: dict) -> dict:
    """Append the file's rows to P3BM's own observation table with pandas.

    The table keeps its unique key, indexes and foreign keys. pandas fills
    the other required columns with constants and writes no history.
    """
    db = open_database(params["url"])

    def load() -> dict:
        frame = read_observation_csv(Path(params["file"])).rename(
            columns={
                "kode_wilayah": "area_code",
                "indikator": "indicator_code",
                "tahun": "year",
                "nilai": "value",
            }
        )
        frame = frame.assign(
            disaggregation="",
            source="",
            status="verified",
            is_derived=False,
            version=1,
            updated_at=pd.Timestamp.now(tz="UTC"),
            updated_by="pandas",
        )
        frame.to_sql("observation", db.engine, index=False, if_exists="append")
        return {"rows": len(frame)}

    figures = measure(load)
    db.dispose()
    return figures


def case_prepare_completeness(params: dict) -> dict:
    """Load a region and store generated values for each of its areas."""
    case_prepare(params)
    db = open_database(params["url"])
    catalogue = default_indicators()
    with db.connect() as connection:
        areas = list_areas(connection, within=get_area(connection, params["region"]))
    values = list(generated_values(areas, catalogue, params["years"]))
    write_values(
        db,
        values,
        user="benchmark",
        status="verified",
        channel="system",
        file_name="generated",
    )
    db.dispose()
    return {"observations": len(values), "areas": len(areas)}


def case_completeness(params: dict) -> dict:
    db = open_database(params["url"])
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        area = get_area(connection, params["area"])

        def compute() -> dict:
            result = compute_completeness(connection, catalogue, area, params["year"])
            return {
                "by_level": [[t.key, t.expected, t.filled] for t in result.by_level]
            }

        figures = repeat_in_process(compute, params["repeats"])
    db.dispose()
    return figures


def completeness_with_pandas(
    connection: sa.Connection, area_code: str, year: int, applicable: dict[int, int]
) -> list[list]:
    """Expected and filled counts per level of an area's subtree, via pandas.

    ``applicable`` gives the number of indicators due at each level.
    """
    subtree = sa.or_(
        observation.c.area_code == area_code,
        observation.c.area_code.startswith(area_code + ".", autoescape=True),
    )
    values = pd.read_sql(
        sa.select(
            observation.c.indicator_code, observation.c.area_code, observation.c.value
        ).where(observation.c.year == year, subtree),
        connection,
    )
    areas = pd.read_sql(
        sa.select(area_table.c.code, area_table.c.level).where(
            sa.or_(
                area_table.c.code == area_code,
                area_table.c.code.startswith(area_code + ".", autoescape=True),
            ),
            sa.or_(area_table.c.valid_from.is_(None), area_table.c.valid_from <= year),
            sa.or_(area_table.c.valid_to.is_(None), area_table.c.valid_to >= year),
        ),
        connection,
    )
    values["level"] = values["area_code"].str.count(r"\.") + 1
    values["is_filled"] = values["value"].notna()
    pairs = values.drop_duplicates(["indicator_code", "area_code", "is_filled"])
    counts = pairs.groupby(["level", "is_filled"]).size()
    result = []
    for level, area_count in areas.groupby("level").size().items():
        expected = area_count * applicable[level] - counts.get((level, False), 0)
        result.append([int(level), int(expected), int(counts.get((level, True), 0))])
    return result


def case_completeness_pandas(params: dict) -> dict:
    db = open_database(params["url"])
    with db.connect() as connection:
        catalogue = Catalogue.load(connection)
        applicable = {
            level: len(expected_indicators(catalogue, level, params["year"]))
            for level in range(VILLAGE + 1)
        }

        def compute() -> dict:
            counts = completeness_with_pandas(
                connection, params["area"], params["year"], applicable
            )
            return {"by_level": counts}

        figures = repeat_in_process(compute, params["repeats"])
    db.dispose()
    return figures


def repeat_in_process(action: Callable[[], dict], repeats: int) -> dict:
    """Time a first call, then the median of ``repeats`` more, in one process."""
    first = measure(action)
    times = [measure(action)["seconds"] for _ in range(repeats)]
    return first | {
        "first_seconds": first["seconds"],
        "seconds": statistics.median(times),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


CASES: dict[str, Callable[[dict], dict]] = {
    "prepare": case_prepare,
    "load_region": case_load_region,
    "load_pandas": case_load_pandas,
    "import": case_import,
    "import_pandas": case_import_pandas,
    "import_pandas_table": case_import_pandas_table,
    "prepare_completeness": case_prepare_completeness,
    "completeness": case_completeness,
    "completeness_pandas": case_completeness_pandas,
}


def run_case(name: str, params: dict) -> dict:
    """Run one case in a fresh Python process and return its figures."""
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--case", name, "--params", json.dumps(params)],
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"benchmark case {name} failed with exit code {completed.returncode}:\n"
            f"{completed.stderr.strip()}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


# -- generated data --------------------------------------------------------


def default_indicators() -> list[Indicator]:
    return parse_catalogue(default_catalogue_text(), "catalogue.csv", set())


def village_indicators() -> list[Indicator]:
    """Catalogue indicators produced down to desa/kelurahan level."""
    return [item for item in default_indicators() if item.lowest_level == VILLAGE]


def region_villages(region: str) -> list[str]:
    return [row[0] for row in bundled_areas(region) if row[2] == VILLAGE]


def random_value(item: Indicator, rng: random.Random) -> float:
    """Draw a value that passes the indicator's range checks and is never zero."""
    if item.maximum == 1:
        return float(rng.random() < 0.5)
    if item.maximum is not None:
        return round(rng.uniform(0.5, min(item.maximum, 100)), 2)
    if item.decimals:
        return round(rng.uniform(0.1, 80), item.decimals)
    return float(rng.randint(1, 9000))


def indonesian_number(value: float, item: Indicator) -> str:
    """Write a number as Indonesian files do: ``12,5`` and ``1.234``."""
    if item.maximum == 1 or not item.decimals:
        return f"{int(value):,}".replace(",", ".")
    return f"{value:.{item.decimals}f}".replace(".", ",")


def changed_value(value: float, item: Indicator) -> float:
    """Return a different value that still passes the range checks."""
    if item.maximum == 1:
        return 1.0 - value
    step = 1.0 if value > 1.5 else -1.0
    return round(value - step, item.decimals or 0)


def observation_keys(count: int, villages: int, indicators: int) -> np.ndarray:
    """``count`` distinct (village, indicator, year) numbers, spread and sorted.

    Multiplying 0..count-1 by a stride coprime with the number of possible
    keys visits distinct keys without holding all of them in memory.
    """
    total = villages * indicators * len(IMPORT_YEARS)
    if count > total:
        raise ValueError(f"only {total} distinct keys exist, {count} requested")
    stride = 7_368_787
    while np.gcd(stride, total) != 1:
        stride += 2
    return np.sort(np.arange(count, dtype=np.int64) * stride % total)


def write_observation_file(
    path: Path, count: int, region: str, changed_share: float = 0.0
) -> int:
    """Write a long-layout CSV of village values; return the changed rows.

    Columns are ``kode_wilayah;indikator;tahun;nilai`` with decimal commas.
    With ``changed_share``, every n-th value differs from the unchanged file
    of the same size and region.
    """
    villages, indicators = region_villages(region), village_indicators()
    keys = observation_keys(count, len(villages), len(indicators))
    rng = random.Random(SEED)
    every = round(1 / changed_share) if changed_share else 0
    changed = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("kode_wilayah;indikator;tahun;nilai\n")
        for number, key in enumerate(keys.tolist()):
            rest, year_index = divmod(key, len(IMPORT_YEARS))
            village_index, indicator_index = divmod(rest, len(indicators))
            item = indicators[indicator_index]
            value = random_value(item, rng)
            if every and number % every == 0:
                value = changed_value(value, item)
                changed += 1
            year = IMPORT_YEARS[year_index]
            text = indonesian_number(value, item)
            handle.write(f"{villages[village_index]};{item.code};{year};{text}\n")
    return changed


def generated_values(areas, indicators: list[Indicator], years) -> Iterator[NewValue]:
    """Values for most indicators due at each area's level, for ``years``."""
    rng = random.Random(SEED)
    for year in years:
        for area in areas:
            for item in indicators:
                if not (item.applies_at(area.level) and item.is_due(year)):
                    continue
                if rng.random() >= COMPLETENESS_FILL_SHARE:
                    continue
                value = random_value(item, rng)
                yield NewValue(item.code, area.code, year, "", "", value)


# -- fresh databases --------------------------------------------------------


@dataclass
class Workspace:
    """Temporary folder and PostgreSQL schemas of one benchmark run."""

    folder: Path
    postgres_url: str = POSTGRES_URL
    schemas: list[str] = field(default_factory=list)
    count: int = 0

    def new_database(self, backend: str) -> str:
        """URL of a new, empty database on ``backend``."""
        self.count += 1
        if backend == "sqlite":
            return str(self.folder / f"bench-{self.count}.sqlite")
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with self._admin() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        joiner = "&" if "?" in self.postgres_url else "?"
        return f"{self.postgres_url}{joiner}options=-csearch_path%3D{schema}"

    def drop_schemas(self) -> None:
        if not self.schemas:
            return
        with self._admin() as connection:
            for schema in self.schemas:
                connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        self.schemas.clear()

    @contextmanager
    def _admin(self) -> Iterator[sa.Connection]:
        url = self.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                yield connection
        finally:
            engine.dispose()


@contextmanager
def workspace(postgres_url: str = POSTGRES_URL) -> Iterator[Workspace]:
    """Yield a workspace, then remove its folder and schemas."""
    with tempfile.TemporaryDirectory(prefix="p3bm-bench-") as folder:
        space = Workspace(Path(folder), postgres_url)
        try:
            yield space
        finally:
            space.drop_schemas()


# -- benchmarks ------------------------------------------------------------


def pandas_methods(backend: str) -> tuple[str | None, ...]:
    return (None, "multi") if backend == "postgresql" else (None,)


def median_of(runs: list[dict]) -> dict:
    """Pick the run with the median time and add every run's seconds to it."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["all_seconds"] = [round(run["seconds"], 4) for run in runs]
    middle["peak_rss_mb"] = max(run["peak_rss_mb"] for run in runs)
    return middle


def bench_load(space: Workspace, backend: str, region: str, repeats: int) -> dict:
    runs: dict[str, list[dict]] = {"p3bm": []}
    for number in range(repeats):
        url = space.new_database(backend)
        runs["p3bm"].append(run_case("load_region", {"url": url, "region": region}))
        for method in pandas_methods(backend):
            params = {
                "url": url,
                "region": region,
                "table": f"bench_area_{method or 'default'}_{number}",
                "method": method,
            }
            runs.setdefault(f"pandas_{method or 'default'}", []).append(
                run_case("load_pandas", params)
            )
    return {name: median_of(found) for name, found in runs.items()}


def bench_import(
    space: Workspace, backend: str, region: str, count: int, repeats: int
) -> dict:
    original = space.folder / f"observations-{count}.csv"
    changed = space.folder / f"observations-{count}-changed.csv"
    if not original.exists():
        write_observation_file(original, count, region)
        write_observation_file(changed, count, region, CHANGED_SHARE)
    runs: dict[str, list[dict]] = {}

    def add(name: str, figures: dict) -> None:
        runs.setdefault(name, []).append(figures)

    for number in range(repeats):
        url = space.new_database(backend)
        run_case("prepare", {"url": url, "region": region})
        add("p3bm_first", run_case("import", {"url": url, "file": str(original)}))
        add("p3bm_again", run_case("import", {"url": url, "file": str(original)}))
        # Imported values are verified, so changing them needs a reason.
        params = {"url": url, "file": str(changed), "reason": "benchmark"}
        add("p3bm_changed", run_case("import", params))
        # to_sql(method="multi") took eight times as long as the default on
        # PostgreSQL in earlier runs (340 s against 42 s), so only the
        # default, the faster baseline, is measured for the import.
        for method in (None,):
            params = {
                "url": url,
                "file": str(original),
                "table": f"bench_observation_{method or 'default'}_{number}",
                "method": method,
            }
            add(f"pandas_{method or 'default'}", run_case("import_pandas", params))
        # The same rows into P3BM's observation table of another fresh
        # database, with its key, indexes and foreign keys, for comparison.
        url = space.new_database(backend)
        run_case("prepare", {"url": url, "region": region})
        params = {"url": url, "file": str(original)}
        add("same_table_pandas", run_case("import_pandas_table", params))
    return {name: median_of(found) for name, found in runs.items()} | {
        "file_mb": round(original.stat().st_size / 2**20, 1)
    }


def bench_completeness(
    space: Workspace,
    backend: str,
    years: tuple[int, ...],
    repeats: int,
    databases=COMPLETENESS_DATABASES,
) -> dict:
    """Completeness in the last of ``years`` of each area of ``databases``."""
    result = {}
    for region, areas in databases:
        url = space.new_database(backend)
        setup = run_case(
            "prepare_completeness", {"url": url, "region": region, "years": years}
        )
        for area in areas:
            params = {"url": url, "area": area, "year": years[-1], "repeats": repeats}
            p3bm = run_case("completeness", params)
            baseline = run_case("completeness_pandas", params)
            result[f"{area} in {region} database"] = {
                "setup": setup,
                "p3bm": p3bm,
                "pandas": baseline,
                "counts_agree": same_counts(p3bm["by_level"], baseline["by_level"]),
            }
    return result


def same_counts(p3bm_levels: list[list], pandas_levels: list[list]) -> bool:
    """Whether both give the same expected and filled counts per level."""
    named = [
        [LEVEL_NAMES[level], expected, filled]
        for level, expected, filled in pandas_levels
    ]
    return sorted(p3bm_levels) == sorted(named)


# -- the machine and the report ---------------------------------------------


def cpu_model() -> str:
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def memory_gib() -> float:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def postgres_version(url: str) -> str:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SHOW server_version")).scalar_one()
    except sa.exc.OperationalError as exc:
        return f"not reachable ({str(exc.orig).strip().splitlines()[0]})"
    finally:
        engine.dispose()


def machine(backends: tuple[str, ...], postgres_url: str) -> dict:
    """The facts a reader needs to compare these figures with others."""
    facts = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": memory_gib(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "pandas": pd.__version__,
        "sqlalchemy": sa.__version__,
    }
    if "postgresql" in backends:
        facts["postgresql"] = postgres_version(postgres_url)
    return facts


def ratio(figure: float, baseline: float) -> str:
    return f"{figure / baseline:.2f}x" if baseline else "-"


def print_row(label: str, figure: dict, baseline: dict) -> None:
    print(
        f"  {label:<34} {figure['seconds']:9.3f} s {baseline['seconds']:9.3f} s "
        f"{ratio(figure['seconds'], baseline['seconds']):>8} "
        f"{figure['peak_rss_mb']:8.0f} MB {baseline['peak_rss_mb']:8.0f} MB"
    )


def print_header(title: str) -> None:
    print(f"\n{title}")
    print(
        f"  {'figure':<34} {'P3BM':>11} {'baseline':>11} {'ratio':>8} "
        f"{'P3BM RSS':>11} {'base RSS':>11}"
    )


def fastest_pandas(figures: dict) -> tuple[str, dict]:
    """The faster of the pandas ``to_sql`` methods that were measured."""
    found = {name: run for name, run in figures.items() if name.startswith("pandas_")}
    name = min(found, key=lambda key: found[key]["seconds"])
    return name, found[name]


def print_load(backend: str, figures: dict) -> None:
    name, baseline = fastest_pandas(figures)
    print_header(f"Load all areas, {backend} (baseline: {name})")
    print_row("load_region", figures["p3bm"], baseline)
    for other in sorted(k for k in figures if k.startswith("pandas_") and k != name):
        print_row(f"  ({other} as baseline)", figures["p3bm"], figures[other])


def print_import(backend: str, figures: dict) -> None:
    name, baseline = fastest_pandas(figures)
    print_header(f"Import observations, {backend} (baseline: {name})")
    for step in ("p3bm_first", "p3bm_again", "p3bm_changed"):
        print_row(step.removeprefix("p3bm_") + " import", figures[step], baseline)
    for other in sorted(k for k in figures if k.startswith("pandas_")):
        run = figures[other]
        print(f"  {other}: {run['seconds']:.3f} s, {run['peak_rss_mb']:.0f} MB")
    label = "first import (same_table_pandas as baseline)"
    print_row(label, figures["p3bm_first"], figures["same_table_pandas"])


def print_completeness(backend: str, figures: dict) -> None:
    print_header(f"Completeness, {backend} (baseline: pandas read_sql + groupby)")
    for label, case in figures.items():
        print_row(label, case["p3bm"], case["pandas"])
        agree = "agree" if case["counts_agree"] else "DISAGREE"
        print(
            f"    first call {case['p3bm']['first_seconds'] * 1000:.1f} ms; "
            f"{case['setup']['observations']} observations; counts {agree}"
        )


# -- command line ----------------------------------------------------------


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure P3BM's speed and memory beside pandas baselines.",
        epilog="Example: .venv/bin/python benchmarks/run.py --quick --backend sqlite",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="import 100,000 observations instead of 1,000,000 (a smoke run)",
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql", "both"),
        default="both",
        help="database engine to measure (default: both)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each step; the median is reported (default: 3)",
    )
    parser.add_argument(
        "--only",
        choices=BENCHMARKS,
        action="append",
        help="run only this benchmark; may be given more than once "
        "(default: all of them)",
    )
    parser.add_argument(
        "--output", type=Path, help="write the raw figures to this JSON file"
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_benchmarks(
    backends: tuple[str, ...],
    sizes: dict,
    repeats: int,
    chosen: tuple[str, ...] = BENCHMARKS,
) -> dict:
    """Run the chosen benchmarks on every backend and print figures as they come."""
    results: dict = {"sizes": sizes, "repeats": repeats, "backends": {}}
    with workspace() as space:
        for backend in backends:
            figures = {}
            if "load" in chosen:
                figures["load"] = bench_load(space, backend, sizes["region"], repeats)
                print_load(backend, figures["load"])
            if "import" in chosen:
                figures["import"] = bench_import(
                    space, backend, sizes["region"], sizes["observations"], repeats
                )
                print_import(backend, figures["import"])
            if "completeness" in chosen:
                figures["completeness"] = bench_completeness(
                    space, backend, COMPLETENESS_YEARS, max(repeats, 5)
                )
                print_completeness(backend, figures["completeness"])
            results["backends"][backend] = figures
    return results


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    if arguments.case:
        figures = CASES[arguments.case](json.loads(arguments.params))
        print(json.dumps(figures))
        return 0
    # Print each table as soon as it is measured, also into a file.
    sys.stdout.reconfigure(line_buffering=True)
    # A terminated run still drops its schemas and removes its folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    sizes = QUICK_SIZES if arguments.quick else FULL_SIZES
    facts = machine(backends, POSTGRES_URL)
    print("Machine: " + ", ".join(f"{key} {value}" for key, value in facts.items()))
    chosen = tuple(arguments.only) if arguments.only else BENCHMARKS
    results = run_benchmarks(backends, sizes, arguments.repeats, chosen)
    results["machine"] = facts
    options = sys.argv[1:] if argv is None else argv
    results["command"] = " ".join([".venv/bin/python", "benchmarks/run.py", *options])
    if arguments.output:
        arguments.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
