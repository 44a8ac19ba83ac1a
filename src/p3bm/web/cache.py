"""Per-process cache of page data, dropped whenever stored values change.

Building an area's overview reads and checks every value around the area,
which takes a noticeable part of a second, while the data changes far less
often than the page is read. Entries are keyed by the request's parameters
and by the data version: the newest id of the change history and of the
import runs, which every write of a value or status moves on. Changes that
move neither (a new catalogue, new boundaries) show within ``MAX_AGE``.

Requests that miss the same entry at the same time build it once: one thread
builds and the others wait for its result. Parallel builds of one overview
share the interpreter lock, so each takes several times as long as one build
alone, and every request that reaches a cold worker waits for all of them.
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
        self._building: dict[Hashable, tuple[object, threading.Event]] = {}
        self._lock = threading.Lock()

    def get_or_build(
        self, key: Hashable, version: object, build: Callable[[], Value]
    ) -> Value:
        """Return the entry for ``key`` at ``version``, building it on a miss.

        A miss while another thread builds the same key at the same version
        waits for that build. If that build raises, the waiting threads build
        in turn, so each caller gets a value or its own exception.
        """
        while True:
            with self._lock:
                found = self._fresh(key, version)
                if found is not None:
                    return found[0]  # type: ignore[return-value]
                running = self._building.get(key)
                if running is None or running[0] != version:
                    done = threading.Event()
                    self._building[key] = (version, done)
                    break
            running[1].wait()
        return self._build_and_store(key, version, build, done)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _fresh(self, key: Hashable, version: object) -> tuple[object] | None:
        """Return the stored value in a 1-tuple, or None if it must be built.

        The tuple distinguishes a stored None from a miss. The caller must
        hold the lock.
        """
        found = self._entries.get(key)
        if found is None or found[0] != version:
            return None
        if time.monotonic() - found[1] >= self.max_age:
            return None
        self._entries.move_to_end(key)
        return (found[2],)

    def _build_and_store(
        self,
        key: Hashable,
        version: object,
        build: Callable[[], Value],
        done: threading.Event,
    ) -> Value:
        built_at = time.monotonic()
        try:
            value = build()
            with self._lock:
                self._entries[key] = (version, built_at, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
            return value
        finally:
            with self._lock:
                if self._building.get(key) == (version, done):
                    del self._building[key]
            done.set()
