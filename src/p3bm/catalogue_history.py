"""The history of the indicator catalogue: what each load added, changed or removed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.observations import as_utc, utc_now
from p3bm.storage.schema import catalogue_change


@dataclass(frozen=True)
class CatalogueChange:
    """One indicator added, changed or removed, with the fields it had before and after.

    A change keeps only the fields that differ. An insert has no ``old`` and a
    delete no ``new``. Both keep the whole indicator.
    """

    indicator: str
    action: str
    old: dict | None
    new: dict | None
    changed_at: datetime
    changed_by: str
    reason: str | None
    source_file: str | None

    def to_dict(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["changed_at"] = as_utc(self.changed_at).isoformat()
        return data

    def fields(self) -> list[str]:
        """Return the names of the fields this change touched."""
        return sorted((self.new or self.old or {}).keys())


def record_catalogue_changes(
    connection: Connection,
    changes: list[tuple[str, str, dict | None, dict | None]],
    *,
    user: str,
    reason: str | None,
    source_file: str | None,
) -> None:
    """Store ``(indicator, action, old, new)`` changes made by one load."""
    if not changes:
        return
    now = utc_now()
    connection.execute(
        catalogue_change.insert(),
        [
            {
                "indicator_code": code,
                "action": action,
                "old": old,
                "new": new,
                "changed_at": now,
                "changed_by": user,
                "reason": reason,
                "source_file": source_file,
            }
            for code, action, old, new in changes
        ],
    )


def catalogue_history(
    connection: Connection, indicator: str | None = None
) -> list[CatalogueChange]:
    """List the changes of the catalogue, oldest first, or of one indicator."""
    c = catalogue_change.c
    query = sa.select(catalogue_change).order_by(c.id)
    if indicator is not None:
        query = query.where(c.indicator_code == indicator)
    return [
        CatalogueChange(
            indicator=row.indicator_code,
            action=row.action,
            old=row.old,
            new=row.new,
            changed_at=row.changed_at,
            changed_by=row.changed_by,
            reason=row.reason,
            source_file=row.source_file,
        )
        for row in connection.execute(query)
    ]
