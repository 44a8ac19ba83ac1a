"""Fixtures: real SQLite and PostgreSQL databases, and the public sample files.

Every test that takes a database fixture runs twice, once on an SQLite file
and once on PostgreSQL, in a database (``db``) or schema (``empty_db``,
``loaded_db``) of its own that is dropped afterwards. PostgreSQL is found at
TEST_POSTGRES_URL (default: the local server's ``test`` database with trust
authentication, whose user may create databases).

Tests that read the public sample tables find them in SAMPLE_DATA_DIR
(default: the folder ``shared/data`` beside the repository) and skip, saying
why, when the folder is absent.

``live_server`` is the base URL of the real application (uvicorn on a free
port of 127.0.0.1) over ``loaded_db``, shared by the API and browser tests.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from p3bm.areas import load_region
from p3bm.catalogue import install_default_catalogue
from p3bm.storage import Database

REPOSITORY = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SAMPLE_DATA = Path(
    os.environ.get("SAMPLE_DATA_DIR", REPOSITORY.parent / "shared" / "data")
).resolve()
BACKENDS = ("sqlite", "postgresql")
SERVER_START_SECONDS = 30


def sample_file(relative: str) -> Path:
    """A public sample table; skips the test when the sample folder is absent."""
    path = SAMPLE_DATA / relative
    if not path.exists():
        pytest.skip(
            f"sample data {relative} not found under {SAMPLE_DATA} "
            "(set SAMPLE_DATA_DIR to the folder of public tables)"
        )
    return path


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    # Without a pool no connection stays open at exit, even though the loaded
    # databases drop their schemas after this fixture's teardown.
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}. Start it or "
            "set TEST_POSTGRES_URL."
        )
    yield engine
    engine.dispose()


def _new_database(backend: str, tmp_path: Path, request) -> Iterator[Database]:
    if backend == "sqlite":
        db = Database(str(tmp_path / "p3bm.sqlite"))
        yield db
        db.dispose()
        return
    admin = request.getfixturevalue("postgres_admin")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    db = Database(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_db(backend: str, tmp_path: Path, request) -> Iterator[Database]:
    """A database with no tables yet."""
    yield from _new_database(backend, tmp_path, request)


def _prepare(database: Database) -> None:
    database.upgrade()
    load_region(database, "32.75")
    with database.begin() as connection:
        install_default_catalogue(connection)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """An SQLite file prepared as ``db`` is, copied for each test that needs one.

    Copying a file takes milliseconds, where migrating and loading a new one
    takes a noticeable part of a second for each of hundreds of tests.
    """
    path = tmp_path_factory.mktemp("template") / "p3bm.sqlite"
    database = Database(str(path))
    _prepare(database)
    with database.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


def _postgres_url(database: str) -> str:
    return (
        make_url(POSTGRES_URL)
        .set(database=database)
        .render_as_string(hide_password=False)
    )


def _autocommit(admin: sa.Engine, statement: str) -> None:
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text(statement))


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: sa.Engine) -> Iterator[str]:
    """A PostgreSQL database prepared as ``db`` is, the template of each test's copy.

    CREATE DATABASE ... TEMPLATE copies it in a fraction of the time that
    migrating and loading a new schema takes; each test process has its own.
    """
    name = f"p3bm_template_{uuid.uuid4().hex[:12]}"
    _autocommit(postgres_admin, f"CREATE DATABASE {name}")
    database = Database(_postgres_url(name))
    _prepare(database)
    database.dispose()
    yield name
    _autocommit(postgres_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db(backend: str, tmp_path: Path, request) -> Iterator[Database]:
    """A migrated database with Kota Bekasi's areas and the default catalogue."""
    if backend == "sqlite":
        path = tmp_path / "p3bm.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        database = Database(str(path))
        yield database
        database.dispose()
        return
    template = request.getfixturevalue("postgres_template")
    admin = request.getfixturevalue("postgres_admin")
    name = f"test_{uuid.uuid4().hex[:12]}"
    _autocommit(admin, f"CREATE DATABASE {name} TEMPLATE {template}")
    database = Database(_postgres_url(name))
    try:
        yield database
    finally:
        database.dispose()
        _autocommit(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def loaded_databases(request, tmp_path_factory) -> Iterator[Callable[[str], Database]]:
    """Build the loaded database of a backend on first use; keep it for the session.

    One cache per test process replaces a session fixture parametrized by
    backend. Pytest tears such a fixture down whenever the next test wants the
    other parameter, and pytest-xdist hands tests out in an order that would
    rebuild the databases many times.
    """
    from p3bm.samples import load_samples

    built: dict[str, Database] = {}
    generators: list[Iterator[Database]] = []

    def get(backend: str) -> Database:
        if backend in built:
            return built[backend]
        if not SAMPLE_DATA.is_dir():
            pytest.skip(f"sample data folder {SAMPLE_DATA} not found")
        folder = tmp_path_factory.mktemp(f"loaded-{backend}")
        generator = _new_database(backend, folder, request)
        database = next(generator)
        generators.append(generator)
        _prepare(database)
        result = load_samples(
            database, SAMPLE_DATA, "sample-loader", folder / "rejected"
        )
        assert not result.failed, result.failed
        built[backend] = database
        return database

    yield get
    for generator in reversed(generators):
        next(generator, None)


@pytest.fixture(params=BACKENDS)
def loaded_db(request, loaded_databases) -> Database:
    """Kota Bekasi with every public sample table imported; tests must not change it."""
    return loaded_databases(request.param)


@contextmanager
def running_server(database_url: str, **settings: object) -> Iterator[str]:
    """Serve the P3BM app with uvicorn in a thread; yield its base URL.

    The server listens on a free port of 127.0.0.1 and stops when the block
    ends. ``settings`` override those read from the environment.
    """
    import uvicorn

    from p3bm.settings import load_settings
    from p3bm.web import create_app

    app = create_app(load_settings(database_url=database_url, **settings))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the server for {database_url} did not start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the server for {database_url} timed out")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SERVER_START_SECONDS)
        listener.close()


@pytest.fixture(scope="session")
def _servers(loaded_databases) -> Iterator[Callable[[Database], str]]:
    """Servers by database, started on first use and stopped at the session's end."""
    urls: dict[str, str] = {}
    with ExitStack() as stack:

        def get(database: Database) -> str:
            if database.url not in urls:
                urls[database.url] = stack.enter_context(running_server(database.url))
            return urls[database.url]

        yield get


@pytest.fixture
def live_server(loaded_db: Database, _servers) -> str:
    """Base URL of a real server of the dashboard and API over ``loaded_db``."""
    return _servers(loaded_db)


@pytest.fixture
def data_file(tmp_path: Path):
    """Write a small input file and return its path."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return write
