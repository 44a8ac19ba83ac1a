"""Schema migrations: the newest one creates the tables the code describes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from p3bm.errors import DatabaseNotReady
from p3bm.storage.schema import metadata


def test_newest_schema_matches_the_tables(db):
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_older_schema_message_in_both_languages(db):
    with db.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'old1'"))

    with pytest.raises(DatabaseNotReady) as raised:
        db.check_ready()

    assert raised.value.text("id").startswith(f"Basis data {db.display_url} memakai ")
    assert raised.value.text("id").endswith(
        "Jalankan `p3bm migrate` untuk memperbaruinya."
    )
    assert "has schema old1" in raised.value.text("en")
