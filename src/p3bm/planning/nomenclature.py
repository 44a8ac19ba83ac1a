"""Codes of the regional budget nomenclature and their levels.

The nomenclature of Permendagri 90/2019 (with its later updates) numbers
every item from the urusan down to the sub-kegiatan::

    1                    urusan        (wajib, pelayanan dasar)
    1.02                 bidang urusan (kesehatan)
    1.02.02              program
    1.02.02.2.02         kegiatan      (the 2 marks kabupaten/kota authority)
    1.02.02.2.02.0001    sub-kegiatan

Budgets are set per sub-kegiatan, so a budget line always carries a level-5
code. Older exports write sub-kegiatan numbers with two digits
(``1.02.02.2.02.01``); they are read as the four-digit form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.observations import utc_now
from p3bm.planning.audit import record_change
from p3bm.storage.schema import nomenclature

URUSAN, BIDANG, PROGRAM, KEGIATAN, SUB_KEGIATAN = range(1, 6)
LEVEL_NAMES = {
    URUSAN: "urusan",
    BIDANG: "bidang",
    PROGRAM: "program",
    KEGIATAN: "kegiatan",
    SUB_KEGIATAN: "sub_kegiatan",
}
LEVEL_LABELS = {
    URUSAN: ("Urusan", "Government affair"),
    BIDANG: ("Bidang urusan", "Affair field"),
    PROGRAM: ("Program", "Programme"),
    KEGIATAN: ("Kegiatan", "Activity"),
    SUB_KEGIATAN: ("Sub-kegiatan", "Sub-activity"),
}
_PATTERNS = (
    (SUB_KEGIATAN, re.compile(r"^\d\.\d{2}\.\d{2}\.\d\.\d{2}\.\d{4}$")),
    (KEGIATAN, re.compile(r"^\d\.\d{2}\.\d{2}\.\d\.\d{2}$")),
    (PROGRAM, re.compile(r"^\d\.\d{2}\.\d{2}$")),
    (BIDANG, re.compile(r"^\d\.\d{2}$")),
    (URUSAN, re.compile(r"^\d$")),
)
_OLD_SUB_KEGIATAN = re.compile(r"^(\d\.\d{2}\.\d{2}\.\d\.\d{2})\.(\d{2})$")
# Lengths in parts of each level's code: 1, 1.02, 1.02.02, 1.02.02.2.02, ...
_PARTS = {URUSAN: 1, BIDANG: 2, PROGRAM: 3, KEGIATAN: 5, SUB_KEGIATAN: 6}


def clean_code(text: object) -> str:
    """A code cell as text: spaces removed, a four-digit sub-kegiatan number."""
    value = re.sub(r"\s+", "", str(text if text is not None else ""))
    old = _OLD_SUB_KEGIATAN.match(value)
    if old:
        return f"{old.group(1)}.00{old.group(2)}"
    return value


def level_of(code: str) -> int | None:
    """Level 1 (urusan) to 5 (sub-kegiatan) of a clean code, or None if invalid."""
    for level, pattern in _PATTERNS:
        if pattern.match(code):
            return level
    return None


def ancestor_at(code: str, level: int) -> str:
    """The code of the item at ``level`` that contains ``code``."""
    return ".".join(code.split(".")[: _PARTS[level]])


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level is None or level == URUSAN:
        return None
    return ancestor_at(code, level - 1)


def chain_of(code: str) -> list[str]:
    """The codes from the urusan down to ``code`` itself."""
    level = level_of(code) or 0
    return [ancestor_at(code, number) for number in range(URUSAN, level + 1)]


def level_label(level: int, lang: str = "id") -> str:
    return LEVEL_LABELS[level][1 if lang == "en" else 0]


@dataclass(frozen=True)
class Item:
    """One named item of the nomenclature."""

    code: str
    name: str
    name_en: str | None = None

    @property
    def level(self) -> int:
        level = level_of(self.code)
        if level is None:
            raise ValueError(f"invalid budget code {self.code!r}")
        return level

    def label(self, lang: str = "id") -> str:
        return (self.name_en or self.name) if lang == "en" else self.name


def load_names(
    connection: Connection, codes: list[str] | None = None
) -> dict[str, Item]:
    """Stored items by code: those of ``codes``, or every one."""
    query = sa.select(nomenclature.c.code, nomenclature.c.name, nomenclature.c.name_en)
    if codes is not None:
        query = query.where(nomenclature.c.code.in_(codes))
    rows = connection.execute(query)
    return {row.code: Item(row.code, row.name, row.name_en) for row in rows}


def _insert_unless_present(connection: Connection, row: dict) -> bool:
    """Insert one nomenclature row unless its code is stored; return whether
    it was inserted.

    Two writers may add the same new code at once. On PostgreSQL the second
    INSERT waits for the first transaction and then does nothing, where a plain
    INSERT would fail with a unique violation.
    """
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (
        insert(nomenclature)
        .values(**row)
        .on_conflict_do_nothing()
        .returning(nomenclature.c.code)
    )
    return connection.execute(statement).scalar() is not None


def store_items(
    connection: Connection,
    items: list[Item],
    user: str,
    *,
    channel: str = "cli",
    source_file: str | None = None,
) -> dict[str, int]:
    """Add new items and rename changed ones, keeping each rename in the audit.

    A parent missing from both ``items`` and the database is added with its
    code as a placeholder name, to be renamed when a file names it.

    Returns counts of added, renamed and unchanged items. A name in ``items``
    that is empty keeps the stored name.
    """
    known = load_names(connection)
    wanted: dict[str, Item] = {}
    placeholders: set[str] = set()
    for item in items:
        for code in chain_of(item.code)[:-1]:
            if code not in known and code not in wanted:
                wanted[code] = Item(code, code)
                placeholders.add(code)
        previous = wanted.get(item.code)
        if item.name or previous is None:
            wanted[item.code] = item
    counts = {"added": 0, "renamed": 0, "unchanged": 0}
    now = utc_now()
    for code in sorted(wanted, key=lambda c: (level_of(c) or 0, c)):
        item = wanted[code]
        stored = known.get(code)
        values = {"updated_at": now, "updated_by": user}
        if stored is None:
            row = {
                "code": code,
                "level": item.level,
                "name": item.name or code,
                "name_en": item.name_en,
                "parent_code": parent_of(code),
                **values,
            }
            if _insert_unless_present(connection, row):
                counts["added"] += 1
                continue
            # Another transaction added the code since it was read, so its
            # name is kept unless this item names it.
            stored = load_names(connection, [code]).get(code)
            assert stored is not None
            if code in placeholders and item.name == code:
                counts["unchanged"] += 1
                continue
        if item.name and (item.name, item.name_en or stored.name_en) != (
            stored.name,
            stored.name_en,
        ):
            connection.execute(
                nomenclature.update()
                .where(nomenclature.c.code == code)
                .values(
                    name=item.name, name_en=item.name_en or stored.name_en, **values
                )
            )
            record_change(
                connection,
                entity="nomenclature",
                entity_id=0,
                key=code,
                action="rename",
                old={"name": stored.name, "name_en": stored.name_en},
                new={"name": item.name, "name_en": item.name_en or stored.name_en},
                user=user,
                channel=channel,
                source_file=source_file,
            )
            counts["renamed"] += 1
        else:
            counts["unchanged"] += 1
    return counts
