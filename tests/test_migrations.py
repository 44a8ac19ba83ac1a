"""Schema migrations: the newest one matches the tables, and older data survives."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from p3bm.areas import load_region
from p3bm.catalogue import install_default_catalogue
from p3bm.observations import NewValue, query_values, write_values
from p3bm.storage.schema import metadata

KEY_BY_AREA = ["area_code", "year", "indicator_code", "disaggregation", "source"]
KEY_BY_INDICATOR = ["indicator_code", "area_code", "year", "disaggregation", "source"]


def migrate(db, revision: str, *, down: bool = False) -> None:
    with db.begin() as connection:
        config = db._alembic_config(connection)
        if down:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)


def observation_keys(db) -> tuple[list[str], list[str]]:
    """The unique key's columns and the names of the other indexes."""
    with db.connect() as connection:
        inspector = sa.inspect(connection)
        (key,) = inspector.get_unique_constraints("observation")
        indexes = [
            index["name"]
            for index in inspector.get_indexes("observation")
            if not index.get("duplicates_constraint")
        ]
    return key["column_names"], sorted(indexes)


def test_newest_schema_matches_the_tables(db):
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_observation_key_by_area_keeps_stored_values(empty_db):
    db = empty_db
    migrate(db, "0005")
    load_region(db, "32.75")
    with db.begin() as connection:
        install_default_catalogue(connection)
    write_values(
        db,
        [
            NewValue("P0", "32.75", 2020, "", "", 4.38),
            NewValue("P0", "32.75.01", 2021, "", "", 3.1),
        ],
        user="siti",
        status="draft",
        channel="cli",
        file_name="p0.csv",
    )

    migrate(db, "head")
    upgraded = observation_keys(db)
    migrate(db, "0005", down=True)
    downgraded = observation_keys(db)
    migrate(db, "head")

    with db.connect() as connection:
        stored = [(v.area, v.year, v.value) for v in query_values(connection)]
    assert upgraded == (KEY_BY_AREA, ["ix_observation_indicator_year"])
    assert downgraded == (
        KEY_BY_INDICATOR,
        ["ix_observation_area_year", "ix_observation_indicator_year"],
    )
    assert stored == [("32.75", 2020, 4.38), ("32.75.01", 2021, 3.1)]
