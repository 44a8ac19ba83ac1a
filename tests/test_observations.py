"""Writing values: keys stored or locked by another writer during an import."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import p3bm.observations
from p3bm.errors import ConflictError
from p3bm.observations import NewValue, query_values, write_values
from p3bm.storage.schema import import_run

YEAR = 2021


def write(db, values, **options):
    settings = {"user": "siti", "status": "verified", "channel": "file"}
    return write_values(db, values, file_name="p0.csv", **settings | options)


def stored_values(db) -> dict[str, float]:
    with db.connect() as connection:
        return {value.area: value.value for value in query_values(connection)}


def import_runs(db) -> int:
    with db.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(import_run)
        ).scalar_one()


def test_value_locked_meanwhile_writes_nothing(db):
    write(db, [NewValue("P0", "32.75", YEAR, "", "", 4.74)])
    runs = import_runs(db)

    values = [
        NewValue("P0", "32.75", YEAR, "", "", 5.1),
        NewValue("P0", "32.75.01", YEAR, "", "", 3.0),
    ]
    with pytest.raises(ConflictError, match="verified or published"):
        write(db, values, keep_locked=True)

    assert stored_values(db) == {"32.75": 4.74}
    assert import_runs(db) == runs


def test_locked_value_changes_with_reason(db):
    write(db, [NewValue("P0", "32.75", YEAR, "", "", 4.74)])

    result = write(
        db, [NewValue("P0", "32.75", YEAR, "", "", 5.1)], reason="revisi BPS"
    )

    assert (result.added, result.changed) == (0, 1)
    assert stored_values(db) == {"32.75": 5.1}


def test_key_stored_during_first_import_is_merged(db, monkeypatch):
    if db.is_sqlite:
        pytest.skip(
            "on SQLite the import holds the write lock before it looks up keys, "
            "so no other writer can store one in between"
        )
    write(db, [NewValue("P0", "32.75", YEAR, "", "", 4.74)], status="draft")
    # The key lookup ran before another writer stored 32.75.
    monkeypatch.setattr(p3bm.observations, "_has_stored_keys", lambda *_: False)

    result = write(
        db,
        [
            NewValue("P0", "32.75", YEAR, "", "", 5.1),
            NewValue("P0", "32.75.01", YEAR, "", "", 3.0),
        ],
    )

    assert (result.added, result.changed, result.unchanged) == (1, 1, 0)
    assert stored_values(db) == {"32.75": 5.1, "32.75.01": 3.0}
