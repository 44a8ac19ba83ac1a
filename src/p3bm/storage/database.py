"""Connection to the P3BM database, SQLite or PostgreSQL, and its migrations.

This module and ``bulk`` hold every difference between the two engines.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from p3bm.errors import ConfigurationError, ConflictError, DatabaseNotReady

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Turn a file path or a database URL into an SQLAlchemy URL.

    A bare path is an SQLite file. ``postgresql://`` and ``postgres://`` URLs
    use the psycopg 3 driver.
    """
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("postgresql+psycopg", "sqlite"):
        return url
    raise ConfigurationError(
        f"Unsupported database URL scheme {scheme!r} in {url!r}.",
        hint="Use a file path, sqlite:///FILE or postgresql://USER@HOST/DB.",
        indonesian=(
            f"Skema URL basis data {scheme!r} pada {url!r} tidak didukung.",
            "Pakai jalur berkas, sqlite:///BERKAS atau postgresql://PENGGUNA@HOST/DB.",
        ),
    )


# PostgreSQL's SQLSTATE codes of a transaction that lost to another one:
# serialization failure, deadlock, and a lock not granted in time.
_CONFLICT_STATES = {"40001", "40P01", "55P03"}


def _is_write_conflict(exc: OperationalError) -> bool:
    """Check whether a transaction failed only because another one wrote."""
    if getattr(exc.orig, "sqlstate", None) in _CONFLICT_STATES:
        return True
    # SQLite's busy timeout ran out while another connection held the lock.
    return "database is locked" in str(exc.orig)


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


class Database:
    """A P3BM database, reached through one SQLAlchemy engine."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError as exc:
            raise ConfigurationError(
                f"Invalid database URL {url!r}: {exc}.",
                indonesian=(f"URL basis data {url!r} tidak sah: {exc}.", None),
            ) from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.is_postgresql = parsed.get_backend_name() == "postgresql"
        self.engine = self._create_engine(parsed)

    def _create_engine(self, parsed) -> Engine:
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                folder = Path(parsed.database).parent
                if not folder.is_dir():
                    raise ConfigurationError(
                        f"Folder {folder} of the database file does not exist.",
                        hint="Create it or choose another --db path.",
                        indonesian=(
                            f"Folder {folder} untuk berkas basis data tidak ada.",
                            "Buat foldernya atau pilih jalur --db lain.",
                        ),
                    )
            engine = sa.create_engine(parsed, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _configure_sqlite)
            return engine
        return sa.create_engine(parsed, pool_pre_ping=True, pool_size=10)

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """Open a connection inside one transaction, committed on success."""
        with self._translate_errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self._translate_errors(), self.engine.connect() as connection:
            yield connection

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0]
            if _is_write_conflict(exc):
                logger.warning("write conflict on %s: %s", self.display_url, reason)
                raise ConflictError(
                    "Another user wrote the same data at the same time, so "
                    f"nothing was written ({reason}).",
                    hint="Try again.",
                    indonesian=(
                        "Pengguna lain menulis data yang sama pada saat yang sama, "
                        f"jadi tidak ada yang ditulis ({reason}).",
                        "Coba lagi.",
                    ),
                ) from None
            if (
                reason.startswith("connection")
                and "database" in reason
                and ("does not exist" in reason)
            ):
                raise ConfigurationError(
                    f"Cannot use the database {self.display_url}: {reason}.",
                    hint="Create it first, for example with `createdb`, then run "
                    "`p3bm init --region CODE`.",
                    indonesian=(
                        f"Basis data {self.display_url} tidak dapat dipakai: {reason}.",
                        "Buat dulu, misalnya dengan `createdb`, lalu jalankan "
                        "`p3bm init --region KODE`.",
                    ),
                ) from None
            if "no such table" in str(exc) or "does not exist" in str(exc):
                raise DatabaseNotReady(
                    f"The database {self.display_url} has no P3BM tables.",
                    hint="Run `p3bm init --region CODE` first.",
                    indonesian=(
                        f"Basis data {self.display_url} belum berisi tabel P3BM.",
                        "Jalankan `p3bm init --region KODE` lebih dulu.",
                    ),
                ) from None
            raise ConfigurationError(
                f"Cannot use the database {self.display_url}: "
                f"{str(exc.orig).strip().splitlines()[0]}.",
                hint="Check --db or P3BM_DATABASE_URL and that the server runs.",
                indonesian=(
                    f"Basis data {self.display_url} tidak dapat dipakai: "
                    f"{str(exc.orig).strip().splitlines()[0]}.",
                    "Periksa --db atau P3BM_DATABASE_URL, dan pastikan servernya "
                    "berjalan.",
                ),
            ) from None
        except SADatabaseError as exc:
            if "file is not a database" in str(exc.orig):
                raise ConfigurationError(
                    f"The file {self.display_url} is not an SQLite database.",
                    hint="Check --db or P3BM_DATABASE_URL; it must name a P3BM "
                    "database file or a new file.",
                    indonesian=(
                        f"Berkas {self.display_url} bukan basis data SQLite.",
                        "Periksa --db atau P3BM_DATABASE_URL; harus berupa berkas "
                        "basis data P3BM atau berkas baru.",
                    ),
                ) from None
            if "UndefinedTable" in type(exc.orig).__name__:
                raise DatabaseNotReady(
                    f"The database {self.display_url} has no P3BM tables.",
                    hint="Run `p3bm init --region CODE` first.",
                    indonesian=(
                        f"Basis data {self.display_url} belum berisi tabel P3BM.",
                        "Jalankan `p3bm init --region KODE` lebih dulu.",
                    ),
                ) from None
            raise

    def _alembic_config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Create the schema or bring it to the newest migration.

        Raises ConfigurationError for a database that contains another
        application's tables, which P3BM must not write into.
        """
        with self.begin() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            if tables and "alembic_version" not in tables:
                names = ", ".join(sorted(tables)[:3]) + (
                    ", ..." if len(tables) > 3 else ""
                )
                raise ConfigurationError(
                    f"The database {self.display_url} contains tables of another "
                    f"application ({names}).",
                    hint="Give P3BM a new file or an empty database with --db.",
                    indonesian=(
                        f"Basis data {self.display_url} berisi tabel aplikasi lain "
                        f"({names}).",
                        "Beri P3BM berkas baru atau basis data kosong dengan --db.",
                    ),
                )
            command.upgrade(self._alembic_config(connection), "head")
        logger.info("database %s upgraded to the newest schema", self.display_url)

    def schema_revision(self) -> str | None:
        with self.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def check_ready(self) -> None:
        """Raise DatabaseNotReady unless the schema is at the newest migration."""
        path = make_url(self.url).database
        if self.is_sqlite and path and path != ":memory:" and not Path(path).exists():
            # Connecting would leave an empty file behind.
            raise DatabaseNotReady(
                f"There is no database file {path}.",
                hint="Run `p3bm init --region CODE` to create it, or check --db.",
                indonesian=(
                    f"Berkas basis data {path} tidak ada.",
                    "Jalankan `p3bm init --region KODE` untuk membuatnya, atau "
                    "periksa --db.",
                ),
            )
        with self.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            head = ScriptDirectory.from_config(
                self._alembic_config(connection)
            ).get_current_head()
        if current is None:
            raise DatabaseNotReady(
                f"The database {self.display_url} is empty.",
                hint="Run `p3bm init --region CODE` to create it.",
                indonesian=(
                    f"Basis data {self.display_url} masih kosong.",
                    "Jalankan `p3bm init --region KODE` untuk membuatnya.",
                ),
            )
        if current != head:
            raise DatabaseNotReady(
                f"The database {self.display_url} has schema {current}, "
                f"but this version of P3BM needs {head}.",
                hint="Run `p3bm migrate` to upgrade it.",
                indonesian=(
                    f"Basis data {self.display_url} memakai skema {current}, "
                    f"sedangkan versi P3BM ini memerlukan {head}.",
                    "Jalankan `p3bm migrate` untuk memperbaruinya.",
                ),
            )

    def dispose(self) -> None:
        self.engine.dispose()
