"""The audit of planning data: one row per change with the record before and after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.observations import as_utc, utc_now
from p3bm.storage.schema import planning_change

ENTITIES = ("nomenclature", "budget_line", "quarterly_report")


@dataclass(frozen=True)
class PlanningChange:
    """One audited change."""

    entity: str
    entity_id: int
    key: str
    action: str
    old: dict | None
    new: dict | None
    changed_at: datetime
    changed_by: str
    reason: str | None
    channel: str
    source_file: str | None

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["changed_at"] = as_utc(self.changed_at).isoformat()
        return data


def record_change(
    connection: Connection,
    *,
    entity: str,
    entity_id: int,
    key: str,
    action: str,
    old: dict | None,
    new: dict | None,
    user: str,
    channel: str,
    reason: str | None = None,
    source_file: str | None = None,
    import_id: int | None = None,
) -> None:
    connection.execute(
        planning_change.insert().values(
            entity=entity,
            entity_id=entity_id,
            entity_key=key[:120],
            action=action,
            old=old,
            new=new,
            changed_at=utc_now(),
            changed_by=user,
            reason=reason,
            channel=channel,
            source_file=source_file,
            import_id=import_id,
        )
    )


def change_history(
    connection: Connection,
    entity: str,
    *,
    entity_id: int | None = None,
    key: str | None = None,
) -> list[PlanningChange]:
    """Changes of one entity kind, oldest first, for one record when given."""
    c = planning_change.c
    query = (
        sa.select(
            c.entity,
            c.entity_id,
            c.entity_key,
            c.action,
            c.old,
            c.new,
            c.changed_at,
            c.changed_by,
            c.reason,
            c.channel,
            c.source_file,
        )
        .where(c.entity == entity)
        .order_by(c.id)
    )
    if entity_id is not None:
        query = query.where(c.entity_id == entity_id)
    if key is not None:
        query = query.where(c.entity_key == key)
    return [PlanningChange(*row) for row in connection.execute(query)]
