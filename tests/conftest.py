"""Fixtures: real SQLite and PostgreSQL databases, and the public sample files.

Every test that takes a database fixture runs twice, once on an SQLite file
and once on PostgreSQL, in a schema of its own that is dropped afterwards.
PostgreSQL is found at TEST_POSTGRES_URL (default: the local server's
``test`` database with trust authentication).

Tests that read the public sample tables find them in SAMPLE_DATA_DIR
(default: ``../shared/data`` beside the repository) and skip, saying why,
when the folder is absent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

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
    engine = sa.create_engine(url)
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


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A migrated database with Kota Bekasi's areas and the default catalogue."""
    empty_db.upgrade()
    load_region(empty_db, "32.75")
    with empty_db.begin() as connection:
        install_default_catalogue(connection)
    return empty_db


@pytest.fixture(scope="session", params=BACKENDS)
def loaded_db(request, tmp_path_factory) -> Iterator[Database]:
    """Kota Bekasi with every public sample table imported; tests must not change it."""
    from p3bm.samples import load_samples

    if not SAMPLE_DATA.is_dir():
        pytest.skip(f"sample data folder {SAMPLE_DATA} not found")
    folder = tmp_path_factory.mktemp(f"loaded-{request.param}")
    generator = _new_database(request.param, folder, request)
    database = next(generator)
    database.upgrade()
    load_region(database, "32.75")
    with database.begin() as connection:
        install_default_catalogue(connection)
    result = load_samples(database, SAMPLE_DATA, "sample-loader", folder / "rejected")
    assert not result.failed, result.failed
    yield database
    generator.close()


@pytest.fixture
def data_file(tmp_path: Path):
    """Write a small input file and return its path."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding=encoding)
        return path

    return write
