"""Stored observations: writing them with their history, and reading them back.

An observation is (indicator, area, year, disaggregation, source) with a value.
A NULL value means "not applicable"; a value not yet reported has no row.
Every insert, change and status change adds a row to ``observation_change``
with who, when, why, through which channel and from which file.
"""

from __future__ import annotations

import hashlib
import logging
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.errors import ConflictError
from p3bm.storage import bulk
from p3bm.storage.database import Database
from p3bm.storage.schema import import_run, observation, observation_change

STATUSES = ("draft", "submitted", "returned", "verified", "published")
# Statuses of the values Bappeda has checked. They count as verified data, and
# they change only with a reason, which the history keeps.
VERIFIED_STATUSES = ("verified", "published")
CHANNELS = ("file", "form", "api", "cli", "system")
_STAGE = "p3bm_stage"
_CHANGED = "p3bm_changed"
_STAGE_COLUMNS = (
    ("indicator_code", "TEXT"),
    ("area_code", "TEXT"),
    ("year", "INTEGER"),
    ("disaggregation", "TEXT"),
    ("source", "TEXT"),
    ("value", "REAL"),
    ("is_derived", "BOOLEAN"),
)
_DIRECT_COLUMNS = (
    *(name for name, _ in _STAGE_COLUMNS),
    "status",
    "version",
    "updated_at",
    "updated_by",
    "import_id",
)
# The order of the observation table's unique key, which is a NewValue's
# own: indicator, area, year, disaggregation and source.
_KEY = operator.itemgetter(0, 1, 2, 3, 4)
logger = logging.getLogger(__name__)
# Serialises concurrent imports on PostgreSQL, so that two imports of the
# same key cannot both insert it.
_IMPORT_LOCK_ID = 0x50334D01


class NewValue(NamedTuple):
    """A value to store for one observation key.

    The fields are in the order of the staging table's columns, so a
    NewValue is written as it is. It is a named tuple because an import
    builds one per value, and a frozen dataclass takes over twice as long to
    create.
    """

    indicator: str
    area: str
    year: int
    disaggregation: str
    source: str
    value: float | None
    is_derived: bool = False


@dataclass(frozen=True)
class WriteResult:
    import_id: int
    added: int
    changed: int
    unchanged: int


def utc_now() -> datetime:
    return datetime.now(UTC)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _differs(connection: Connection, left: str, right: str) -> str:
    """NULL-safe inequality; SQLite before 3.39 lacks IS DISTINCT FROM."""
    if connection.dialect.name == "sqlite":
        return f"{left} IS NOT {right}"
    return f"{left} IS DISTINCT FROM {right}"


_JOIN = (
    "o.indicator_code = s.indicator_code AND o.area_code = s.area_code "
    "AND o.year = s.year AND o.disaggregation = s.disaggregation "
    "AND o.source = s.source"
)


def _timestamp_params(**values: object) -> list[sa.BindParameter]:
    return [
        sa.bindparam(name, value, type_=sa.DateTime(timezone=True))
        for name, value in values.items()
    ]


def write_values(
    db: Database,
    values: Sequence[NewValue],
    *,
    user: str,
    status: str,
    channel: str,
    file_name: str,
    reason: str | None = None,
    file_digest: str | None = None,
    options: dict | None = None,
    dry_run: bool = False,
    keep_locked: bool = False,
) -> WriteResult:
    """Insert new values and change differing ones in one transaction.

    Unchanged values are left alone, so writing the same values twice changes
    nothing. Returns the import's id and counts. A dry run does the same work
    and rolls it back, so its counts are those a real run would give.

    With ``keep_locked``, raises ConflictError and writes nothing when a
    value would change a stored verified or published one. Callers check
    that before, row by row, so this catches only a value locked in between.
    """
    now = utc_now()
    with db.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _IMPORT_LOCK_ID}
            )
        import_id = connection.execute(
            import_run.insert()
            .values(
                file_name=file_name,
                file_sha256=file_digest,
                started_at=now,
                user_name=user,
                channel=channel,
                options=options,
                outcome="running",
                added=0,
                changed=0,
                unchanged=0,
                rejected=0,
            )
            .returning(import_run.c.id)
        ).scalar_one()
        params = {
            "user": user,
            "status": status,
            "channel": channel,
            "file": file_name,
            "reason": reason,
            "import_id": import_id,
        }
        last_id = connection.execute(sa.select(sa.func.max(observation.c.id))).scalar()
        with bulk.large_cache(connection):
            if _has_stored_keys(connection, values):
                changed, added = _merge(connection, values, params, now, keep_locked)
            else:
                changed, added = _insert_unless_stored(
                    connection, values, params, now, keep_locked
                )
            _insert_history(connection, params, now, last_id or 0, added)
        connection.execute(
            import_run.update()
            .where(import_run.c.id == import_id)
            .values(
                finished_at=utc_now(),
                outcome="written",
                added=added,
                changed=changed,
                unchanged=len(values) - added - changed,
            )
        )
        if dry_run:
            connection.rollback()
    return WriteResult(import_id, added, changed, len(values) - added - changed)


def _has_stored_keys(connection: Connection, values: Sequence[NewValue]) -> bool:
    """Check whether a stored observation may have the key of one of ``values``.

    Looks for any stored row with one of the values' indicators, years and
    sources through the (indicator, year) index, which is cheap. New values
    for indicators and years already stored for other areas also give True.
    """
    if not values:
        return False
    c = observation.c
    query = sa.select(sa.literal(1)).where(
        c.indicator_code.in_(sorted({value[0] for value in values})),
        c.year.in_(sorted({value[2] for value in values})),
        c.source.in_(sorted({value[4] for value in values})),
    )
    return connection.execute(query.limit(1)).first() is not None


def _insert_all(
    connection: Connection, values: Sequence[NewValue], params: dict, now: datetime
) -> int:
    """Insert every value straight into the observation table; return how many.

    Only for values of which no key is stored. Rows in key order fill the
    unique key's pages one after another. A staging table would write every
    row twice.
    """
    # Turned into the stored form once here, not once per row by the driver.
    stamp_type = observation.c.updated_at.type.dialect_impl(connection.dialect)
    process = stamp_type.bind_processor(connection.dialect)
    fixed = (
        params["status"],
        1,
        process(now) if process else now,
        params["user"],
        params["import_id"],
    )
    rows = (value + fixed for value in sorted(values, key=_KEY))
    bulk.insert_rows(connection, "observation", _DIRECT_COLUMNS, rows)
    return len(values)


def _insert_unless_stored(
    connection: Connection,
    values: Sequence[NewValue],
    params: dict,
    now: datetime,
    keep_locked: bool,
) -> tuple[int, int]:
    """Insert values of which no key was stored; merge them if one is now.

    Returns the numbers of changed and added values. On SQLite the import
    run's insert has already taken the database's write lock, so no writer
    can store a key in between. On PostgreSQL a web or API entry can, which
    makes the insert fail on the unique key. A savepoint then undoes the
    insert, and the merge compares the values with what is stored now.
    """
    if connection.dialect.name != "postgresql":
        return 0, _insert_all(connection, values, params, now)
    try:
        with connection.begin_nested():
            return 0, _insert_all(connection, values, params, now)
    except connection.dialect.loaded_dbapi.IntegrityError as exc:
        logger.info(
            "import %d: a key was stored during the write, merging instead: %s",
            params["import_id"],
            exc,
        )
    return _merge(connection, values, params, now, keep_locked)


def _merge(
    connection: Connection,
    values: Sequence[NewValue],
    params: dict,
    now: datetime,
    keep_locked: bool,
) -> tuple[int, int]:
    """Change differing stored values and insert the new ones, through a stage.

    Returns the numbers of changed and added values.
    """
    bulk.create_temporary_table(connection, _STAGE, _STAGE_COLUMNS)
    bulk.insert_rows(connection, _STAGE, [name for name, _ in _STAGE_COLUMNS], values)
    if connection.dialect.name == "postgresql":
        bulk.analyze(connection, _STAGE)
    if keep_locked and _changes_locked_values(connection):
        raise ConflictError(
            "Another user verified or published some of these values while the "
            "file was checked, so nothing was written.",
            hint="Import the file again to see which values are locked.",
            indonesian=(
                "Pengguna lain memverifikasi atau menerbitkan sebagian nilai ini "
                "selama berkas diperiksa, jadi tidak ada yang ditulis.",
                "Impor lagi berkas itu untuk melihat nilai mana yang terkunci.",
            ),
        )
    changed = _apply_changes(connection, params, now)
    added = _insert_new(connection, params, now)
    connection.execute(sa.text(f"DROP TABLE {_STAGE}"))
    return changed, added


def _changes_locked_values(connection: Connection) -> bool:
    """Check whether a staged value differs from a stored locked one."""
    differs = _differs(connection, "o.value", "s.value")
    locked = ", ".join(f"'{status}'" for status in VERIFIED_STATUSES)
    query = sa.text(
        f"SELECT 1 FROM {_STAGE} s JOIN observation o ON {_JOIN} "
        f"WHERE o.status IN ({locked}) AND {differs} LIMIT 1"
    )
    return connection.execute(query).first() is not None


def _apply_changes(connection: Connection, params: dict, now: datetime) -> int:
    """Change the stored values that differ from the staged ones, with history.

    One join puts the differing rows into a temporary table. The history and
    the update then read that table and reach each stored row by its id.
    Returns the number of changed values.
    """
    differs = _differs(connection, "o.value", "s.value")
    connection.execute(sa.text(f"DROP TABLE IF EXISTS {_CHANGED}"))
    connection.execute(
        sa.text(
            f"CREATE TEMPORARY TABLE {_CHANGED} AS "
            "SELECT o.id, o.indicator_code, o.area_code, o.year, o.disaggregation, "
            "o.source, o.value AS old_value, o.status AS old_status, "
            "s.value, s.is_derived "
            f"FROM {_STAGE} s JOIN observation o ON {_JOIN} WHERE {differs}"
        )
    )
    history = sa.text(
        "INSERT INTO observation_change (observation_id, indicator_code, area_code, "
        "year, disaggregation, source, action, old_value, new_value, old_status, "
        "new_status, changed_at, changed_by, reason, channel, source_file, import_id) "
        "SELECT c.id, c.indicator_code, c.area_code, c.year, c.disaggregation, "
        "c.source, 'update', c.old_value, c.value, c.old_status, :status, :now, "
        ":user, :reason, :channel, :file, :import_id "
        f"FROM {_CHANGED} c ORDER BY c.id"
    ).bindparams(*_timestamp_params(now=now))
    changed = connection.execute(history, params).rowcount
    update = sa.text(
        "UPDATE observation SET value = c.value, status = :status, "
        "is_derived = c.is_derived, version = observation.version + 1, "
        "updated_at = :now, updated_by = :user, import_id = :import_id "
        f"FROM {_CHANGED} c WHERE observation.id = c.id"
    ).bindparams(*_timestamp_params(now=now))
    connection.execute(update, params)
    connection.execute(sa.text(f"DROP TABLE {_CHANGED}"))
    return changed


def _insert_new(connection: Connection, params: dict, now: datetime) -> int:
    """Insert the staged values whose key is not stored; return how many."""
    insert = sa.text(
        "INSERT INTO observation (indicator_code, area_code, year, disaggregation, "
        "source, value, status, is_derived, version, updated_at, updated_by, "
        "import_id) "
        "SELECT s.indicator_code, s.area_code, s.year, s.disaggregation, s.source, "
        "s.value, :status, s.is_derived, 1, :now, :user, :import_id "
        f"FROM {_STAGE} s WHERE NOT EXISTS (SELECT 1 FROM observation o WHERE {_JOIN}) "
        "ORDER BY s.indicator_code, s.area_code, s.year, s.disaggregation, s.source"
    ).bindparams(*_timestamp_params(now=now))
    return connection.execute(insert, params).rowcount


def _insert_history(
    connection: Connection, params: dict, now: datetime, last_id: int, added: int
) -> None:
    """Add an insert entry to the history of each observation just inserted.

    New rows get ids above ``last_id``, the largest id before the insert, so
    the history reads only those through the primary key. Should an engine
    give a new row a lower id (SQLite does once an id has reached 2**63 - 1),
    the rest are found by reading the earlier rows too.
    """
    history = (
        "INSERT INTO observation_change (observation_id, indicator_code, area_code, "
        "year, disaggregation, source, action, old_value, new_value, old_status, "
        "new_status, changed_at, changed_by, reason, channel, source_file, import_id) "
        "SELECT o.id, o.indicator_code, o.area_code, o.year, o.disaggregation, "
        "o.source, 'insert', NULL, o.value, NULL, o.status, :now, :user, :reason, "
        ":channel, :file, :import_id "
        "FROM observation o WHERE o.import_id = :import_id AND o.version = 1 "
    )
    values = params | {"last_id": last_id}
    later = sa.text(history + "AND o.id > :last_id ORDER BY o.id")
    found = connection.execute(
        later.bindparams(*_timestamp_params(now=now)), values
    ).rowcount
    if found < added:
        earlier = sa.text(history + "AND o.id <= :last_id ORDER BY o.id")
        connection.execute(earlier.bindparams(*_timestamp_params(now=now)), values)


@dataclass(frozen=True)
class StoredValue:
    """An observation as stored."""

    indicator: str
    area: str
    year: int
    disaggregation: str
    source: str
    value: float | None
    status: str
    is_derived: bool
    version: int
    updated_at: datetime
    updated_by: str

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "indicator": self.indicator,
            "area": self.area,
            "year": self.year,
            "value": self.value,
        }
        if self.disaggregation:
            for part in self.disaggregation.split(";"):
                key, _, category = part.partition("=")
                data[key] = category
        data["source"] = self.source
        data["status"] = self.status
        data["is_derived"] = self.is_derived
        data["version"] = self.version
        data["updated_at"] = as_utc(self.updated_at).isoformat()
        data["updated_by"] = self.updated_by
        return data


def query_values(
    connection: Connection,
    *,
    indicators: Iterable[str] | None = None,
    areas: Iterable[str] | None = None,
    years: Iterable[int] | None = None,
    statuses: Iterable[str] | None = None,
    include_disaggregated: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[StoredValue]:
    """Stored observations matching every given filter, in a stable order."""
    query = sa.select(
        observation.c.indicator_code,
        observation.c.area_code,
        observation.c.year,
        observation.c.disaggregation,
        observation.c.source,
        observation.c.value,
        observation.c.status,
        observation.c.is_derived,
        observation.c.version,
        observation.c.updated_at,
        observation.c.updated_by,
    )
    if indicators is not None:
        query = query.where(observation.c.indicator_code.in_(list(indicators)))
    if areas is not None:
        query = query.where(observation.c.area_code.in_(list(areas)))
    if years is not None:
        query = query.where(observation.c.year.in_(list(years)))
    if statuses is not None:
        query = query.where(observation.c.status.in_(list(statuses)))
    if not include_disaggregated:
        query = query.where(observation.c.disaggregation == "")
    query = query.order_by(
        observation.c.indicator_code,
        observation.c.area_code,
        observation.c.year,
        observation.c.disaggregation,
        observation.c.source,
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return [StoredValue(*row) for row in connection.execute(query)]


@dataclass(frozen=True)
class Change:
    """One entry of a value's history."""

    indicator: str
    area: str
    year: int
    disaggregation: str
    source: str
    action: str
    old_value: float | None
    new_value: float | None
    old_status: str | None
    new_status: str | None
    changed_at: datetime
    changed_by: str
    reason: str | None
    channel: str
    source_file: str | None

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["changed_at"] = as_utc(self.changed_at).isoformat()
        return data


def as_utc(moment: datetime) -> datetime:
    """Mark a stored time as UTC.

    Times are written in UTC. SQLite gives them back without a zone and
    PostgreSQL with one, so both engines print the same text.
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def value_history(
    connection: Connection,
    *,
    indicator: str | None = None,
    area: str | None = None,
    year: int | None = None,
    user: str | None = None,
) -> list[Change]:
    """History entries, oldest first, for a value or for a user's activity."""
    c = observation_change.c
    query = sa.select(
        c.indicator_code,
        c.area_code,
        c.year,
        c.disaggregation,
        c.source,
        c.action,
        c.old_value,
        c.new_value,
        c.old_status,
        c.new_status,
        c.changed_at,
        c.changed_by,
        c.reason,
        c.channel,
        c.source_file,
    ).order_by(c.id)
    if indicator is not None:
        query = query.where(c.indicator_code == indicator)
    if area is not None:
        query = query.where(c.area_code == area)
    if year is not None:
        query = query.where(c.year == year)
    if user is not None:
        query = query.where(c.changed_by == user)
    return [Change(*row) for row in connection.execute(query)]


def locked_values(db: Database, records, source: str) -> dict[tuple, tuple]:
    """Stored verified or published values for the keys of ``records``.

    Returns (indicator, area, year, disaggregation) -> (value, status).
    """
    indicators = sorted({record.indicator for record in records})
    years = sorted({record.year for record in records})
    if not indicators:
        return {}
    c = observation.c
    query = sa.select(
        c.indicator_code, c.area_code, c.year, c.disaggregation, c.value, c.status
    ).where(
        c.indicator_code.in_(indicators),
        c.year.in_(years),
        c.source == source,
        c.status.in_(VERIFIED_STATUSES),
    )
    with db.connect() as connection:
        # One fetch of every row is much faster than a fetch per row, and a
        # re-import of a large file reads a row for each of its values.
        rows = connection.execute(query).all()
    return {(row[0], row[1], row[2], row[3]): (row[4], row[5]) for row in rows}
