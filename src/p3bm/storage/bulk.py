"""Fast loading of many rows: COPY on PostgreSQL, executemany on SQLite.

Both functions run inside the caller's transaction. Values are always passed
as parameters or through COPY, never formatted into SQL.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_IDENTIFIER_OK = set("abcdefghijklmnopqrstuvwxyz_0123456789")


def _quote_identifier(name: str) -> str:
    # Table and column names come from this package, never from input; the
    # check makes sure of it.
    if not name or set(name) - _IDENTIFIER_OK:
        raise ValueError(f"invalid SQL identifier {name!r}")
    return name


def insert_rows(
    connection: Connection,
    table_name: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
) -> None:
    """Append rows (tuples in the order of ``columns``) to a table."""
    table = _quote_identifier(table_name)
    names = ", ".join(_quote_identifier(column) for column in columns)
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        cursor = dbapi.cursor()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    cursor = dbapi.cursor()
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)


# SQLite's page cache during a large write, in KiB (a negative cache_size).
# With the default 2 MB, a million observations pushed index pages out of the
# cache again and again. SQLite allocates the cache only as pages fill it.
_LARGE_CACHE_KIB = 256 * 1024


@contextmanager
def large_cache(connection: Connection) -> Iterator[None]:
    """Give SQLite a larger page cache for a large write, then the old one back.

    PostgreSQL keeps its own shared buffers, so nothing changes there.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    cursor = connection.connection.dbapi_connection.cursor()
    (before,) = cursor.execute("PRAGMA cache_size").fetchone()
    cursor.execute(f"PRAGMA cache_size = {-_LARGE_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")
        cursor.close()


def create_temporary_table(
    connection: Connection, table_name: str, columns: Sequence[tuple[str, str]]
) -> None:
    """Create an empty temporary table that lives until the transaction ends.

    ``columns`` pairs a column name with a portable SQL type (TEXT, INTEGER,
    REAL, BOOLEAN).
    """
    table = _quote_identifier(table_name)
    body = ", ".join(
        f"{_quote_identifier(name)} {_portable_type(connection, kind)}"
        for name, kind in columns
    )
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"CREATE TEMPORARY TABLE {table} ({body})"))
    else:
        connection.execute(sa.text(f"CREATE TEMP TABLE {table} ({body})"))


def _portable_type(connection: Connection, kind: str) -> str:
    if connection.dialect.name == "postgresql":
        return {"REAL": "DOUBLE PRECISION"}.get(kind, kind)
    return kind


def analyze(connection: Connection, table_name: str) -> None:
    """Refresh the planner's statistics after a large load."""
    connection.execute(sa.text(f"ANALYZE {_quote_identifier(table_name)}"))


def insert_unless_present(
    connection: Connection, table: sa.Table, values: dict
) -> int | None:
    """Insert one row unless it breaks a unique key; return its id, or None if present.

    Used where two writers may insert the same key at once: the second one
    gets None instead of an error that would end its transaction.
    """
    return connection.execute(
        _insert_ignoring(connection.dialect.name, table), values
    ).scalar()


@functools.cache
def _insert_ignoring(dialect: str, table: sa.Table):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)
