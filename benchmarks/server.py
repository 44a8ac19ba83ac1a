"""Throughput and latency of the multi-user server under parallel clients.

Starts the production setup the README describes (`p3bm serve --workers N`
on PostgreSQL) over a schema of its own, with Kota Bekasi, the public
sample tables when SAMPLE_DATA_DIR (or the sibling shared/data folder) holds
them, and one operator with an API token per SKPD. Parallel clients then
request, each scenario for a fixed time:

- ``health``: GET /api/v1/health, the server's floor (routing, one query);
- ``dashboard``: GET /wilayah/32.75, the public area page;
- ``completeness``: GET /api/v1/completeness for Kota Bekasi;
- ``batch``: POST /api/v1/observations/batch, 100 values per request from
  clients of different SKPDs, each value changed on every request. The
  batches ask for ``skip_invalid``: some generated values break a validation
  rule, and without it one rejected value makes the whole batch write nothing.

The batch figures stand beside ``baseline batch``: the same rows written
with psycopg's executemany straight into a table of the same server, which
is the database's own floor for that work.

Each client's first request of a scenario is also reported on its own
(``first_max_ms``), beside the percentiles of the other requests
(``later_p99_ms``): the first requests reach workers whose caches are cold,
and with few requests per scenario they alone can make the p99.

NOTE: the clients share one connection pool, whose connections open in one
burst at the start. With uvicorn 0.54 one worker process accepts the whole
burst, so every scenario runs on one of the N workers (seen with ``ss -tnp``
and a process id per response); the figures are not those of N workers.

Usage: .venv/bin/python benchmarks/server.py [--workers 4] [--clients 8]
       [--seconds 15] [--output FILE.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import sqlalchemy as sa

from p3bm.areas import load_region
from p3bm.catalogue import Catalogue, install_default_catalogue
from p3bm.samples import load_samples
from p3bm.storage import Database
from p3bm.users import create_token, create_user

REPOSITORY = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SAMPLE_DATA = Path(
    os.environ.get("SAMPLE_DATA_DIR", REPOSITORY.parent / "shared" / "data")
)
BATCH_SIZE = 100
PASSWORD = "benchmark-password"


def _admin() -> sa.Engine:
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )


def _database_url(schema: str) -> str:
    joiner = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that no process listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(name: str) -> dict[str, str]:
    """Create and fill the schema, then return an API token per SKPD."""
    with _admin().connect() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {name}"))
    db = Database(_database_url(name))
    db.upgrade()
    load_region(db, "32.75")
    with db.begin() as connection:
        install_default_catalogue(connection)
    if SAMPLE_DATA.is_dir():
        load_samples(db, SAMPLE_DATA, "benchmark", Path("/tmp") / f"{name}-rejected")
    tokens = {}
    with db.begin() as connection:
        for code in sorted({item.skpd for item in Catalogue.load(connection)}):
            username = f"op_{code.lower()}"
            create_user(
                connection,
                username,
                full_name=username,
                role="skpd_operator",
                password=PASSWORD,
                actor="benchmark",
                skpd_code=code,
            )
            tokens[code] = create_token(connection, username, "benchmark", "benchmark")
    db.dispose()
    return tokens


def batch_items(catalogue: Catalogue, skpd: str, round_number: int) -> list[dict]:
    """100 values of the SKPD's village indicators, different on every round."""
    from p3bm.areas.codes import VILLAGE

    indicators = [
        i
        for i in catalogue
        if i.skpd == skpd and i.lowest_level == VILLAGE and i.aggregation == "sum"
    ]
    villages = [f"32.75.0{d}.100{v}" for d in range(1, 8) for v in range(1, 5)]
    items = []
    for number in range(BATCH_SIZE):
        item = indicators[number % len(indicators)]
        area = villages[(number // len(indicators)) % len(villages)]
        year = 2020 + number // (len(indicators) * len(villages))
        items.append(
            {
                "indicator": item.code,
                "area": area,
                "year": year,
                "value": 10 + (number + round_number) % 50,
            }
        )
    return items


def start_server(name: str, port: int, workers: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "P3BM_DATABASE_URL": _database_url(name),
        "P3BM_LOG_LEVEL": "WARNING",
    }
    command = [
        str(REPOSITORY / ".venv" / "bin" / "p3bm"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(
                f"http://127.0.0.1:{port}/api/v1/health", timeout=2
            ).is_success:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError("the server did not start within 60 s")


async def _client(
    make_request, stop_at: float, latencies: list, first_latencies: list, errors: list
) -> None:
    round_number = 0
    while time.monotonic() < stop_at:
        started = time.perf_counter()
        try:
            response = await make_request(round_number)
            if response.status_code >= 400:
                errors.append(response.status_code)
        except httpx.HTTPError as exc:
            errors.append(type(exc).__name__)
        latency = time.perf_counter() - started
        if round_number == 0:
            first_latencies.append(latency)
        else:
            latencies.append(latency)
        round_number += 1


async def run_scenario(factories, seconds: float) -> dict:
    """Run one client per request factory for ``seconds``; return the figures."""
    latencies: list[float] = []
    first_latencies: list[float] = []
    errors: list = []
    stop_at = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(_client(f, stop_at, latencies, first_latencies, errors) for f in factories)
    )
    elapsed = time.perf_counter() - started
    figures = summarise(first_latencies + latencies, errors, elapsed)
    figures["first_max_ms"] = round(max(first_latencies) * 1000, 1)
    figures["later_p99_ms"] = round(percentile(sorted(latencies), 0.99), 1)
    return figures


def percentile(ordered: list[float], share: float) -> float:
    """Return the value at ``share`` of the sorted seconds, in milliseconds."""
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def summarise(latencies: list[float], errors: list, elapsed: float) -> dict:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "errors": len(errors),
        "requests_per_second": round(len(ordered) / elapsed, 1),
        "p50_ms": round(percentile(ordered, 0.50), 1),
        "p95_ms": round(percentile(ordered, 0.95), 1),
        "p99_ms": round(percentile(ordered, 0.99), 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
    }


def baseline_batch(
    name: str, clients: int, seconds: float, catalogue: Catalogue, skpds: list[str]
) -> dict:
    """The same batches written straight into a plain table with executemany."""
    url = _database_url(name)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE baseline_values (indicator text, area text, year int, "
            "value double precision, PRIMARY KEY (indicator, area, year))"
        )
    sql = (
        "INSERT INTO baseline_values VALUES (%s, %s, %s, %s) ON CONFLICT "
        "(indicator, area, year) DO UPDATE SET value = excluded.value"
    )

    async def client(skpd: str, latencies: list, stop_at: float) -> None:
        async with await psycopg.AsyncConnection.connect(url) as connection:
            round_number = 0
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                rows = [
                    (i["indicator"], i["area"], i["year"], i["value"])
                    for i in batch_items(catalogue, skpd, round_number)
                ]
                async with connection.cursor() as cursor:
                    await cursor.executemany(sql, rows)
                await connection.commit()
                latencies.append(time.perf_counter() - started)
                round_number += 1

    async def run() -> dict:
        latencies: list[float] = []
        stop_at = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(client(skpds[n % len(skpds)], latencies, stop_at) for n in range(clients))
        )
        return summarise(latencies, [], time.perf_counter() - started)

    return asyncio.run(run())


def scenarios(base: str, tokens: dict[str, str], catalogue: Catalogue, clients: int):
    skpds = [
        code
        for code in tokens
        if any(
            i.skpd == code and i.lowest_level == 4 and i.aggregation == "sum"
            for i in catalogue
        )
    ]

    def get(path: str, client: httpx.AsyncClient):
        return lambda _round: client.get(base + path)

    def post_batch(skpd: str, client: httpx.AsyncClient):
        headers = {"Authorization": f"Bearer {tokens[skpd]}"}
        return lambda round_number: client.post(
            base + "/api/v1/observations/batch",
            headers=headers,
            json={
                "items": batch_items(catalogue, skpd, round_number),
                "skip_invalid": True,
            },
        )

    return skpds, {
        "health": lambda c: [get("/api/v1/health", c) for _ in range(clients)],
        "dashboard": lambda c: [
            get("/wilayah/32.75?tahun=2021", c) for _ in range(clients)
        ],
        "completeness": lambda c: [
            get("/api/v1/completeness?area=32.75&year=2021", c) for _ in range(clients)
        ],
        "batch": lambda c: [
            post_batch(skpds[n % len(skpds)], c) for n in range(clients)
        ],
    }


async def measure_all(base, tokens, catalogue, clients, seconds) -> dict:
    skpds, cases = scenarios(base, tokens, catalogue, clients)
    results = {}
    limits = httpx.Limits(max_connections=clients * 2)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        for case, factories in cases.items():
            results[case] = await run_scenario(factories(client), seconds)
            print(f"{case:14} {json.dumps(results[case])}", flush=True)
    return results | {"_skpds": skpds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--port", type=int, default=0, help="server port (default: a free one)"
    )
    parser.add_argument("--output", type=Path)
    arguments = parser.parse_args()
    name = f"bench_server_{uuid.uuid4().hex[:10]}"
    server = None
    try:
        tokens = prepare(name)
        db = Database(_database_url(name))
        with db.connect() as connection:
            catalogue = Catalogue.load(connection)
        db.dispose()
        port = arguments.port or free_port()
        server = start_server(name, port, arguments.workers)
        base = f"http://127.0.0.1:{port}"
        results = asyncio.run(
            measure_all(base, tokens, catalogue, arguments.clients, arguments.seconds)
        )
        skpds = results.pop("_skpds")
        results["baseline batch"] = baseline_batch(
            name, arguments.clients, arguments.seconds, catalogue, skpds
        )
        print(f"{'baseline batch':14} {json.dumps(results['baseline batch'])}")
        report = {
            "workers": arguments.workers,
            "clients": arguments.clients,
            "seconds": arguments.seconds,
            "batch_size": BATCH_SIZE,
            "results": results,
        }
        if arguments.output:
            arguments.output.write_text(json.dumps(report, indent=2))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with _admin().connect() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))


if __name__ == "__main__":
    sys.exit(main())
