"""Per-process cache of page data, dropped whenever stored values change.

Building an area's overview reads and checks every value around the area,
which takes a noticeable part of a second, while the data changes far less
often than the page is read. Entries are keyed by the request's parameters
and by the data version: the newest id of the change history and of the
import runs, which every write of a value or status moves on. Changes that
move neither (a new catalogue, new boundaries) show within ``MAX_AGE``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from p3bm.storage.schema import import_run, observation_change

MAX_ENTRIES = 64
MAX_AGE = 300.0
Value = TypeVar("Value")


def data_version(connection: Connection) -> tuple[int, int]:
    """Newest change-history and import ids; both only grow."""
    change = connection.execute(
        sa.select(sa.func.max(observation_change.c.id))
    ).scalar()
    run = connection.execute(sa.select(sa.func.max(import_run.c.id))).scalar()
    return (change or 0, run or 0)


class VersionedCache:
    """A small least-recently-used cache whose entries carry a data version."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE
    ) -> None:
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, tuple[object, float, object]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get_or_build(
        self, key: Hashable, version: object, build: Callable[[], Value]
    ) -> Value:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if (
                found is not None
                and found[0] == version
                and now - found[1] < self.max_age
            ):
                self._entries.move_to_end(key)
                return found[2]  # type: ignore[return-value]
        value = build()
        with self._lock:
            self._entries[key] = (version, now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
