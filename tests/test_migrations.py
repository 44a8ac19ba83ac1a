"""Schema migrations: the newest one creates the tables the code describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from p3bm.storage.schema import metadata


def test_newest_schema_matches_the_tables(db):
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []
