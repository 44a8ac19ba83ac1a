"""Helpers for the analysis tests: writing small hand-made sets of values."""

from __future__ import annotations

from p3bm.analysis import AnalysisSettings, load_scope
from p3bm.analysis.targets import Target, store_targets
from p3bm.areas.registry import get_area
from p3bm.observations import NewValue, write_values
from p3bm.storage import Database


def write(
    db: Database, rows: list[tuple], source: str = "", status: str = "verified"
) -> None:
    """Store (indicator, area, year, value) rows from one source."""
    values = [NewValue(i, a, y, "", source, v) for i, a, y, v in rows]
    write_values(
        db, values, user="test", status=status, channel="system", file_name="test"
    )


def add_targets(db: Database, rows: list[tuple]) -> None:
    """Store (indicator, area, year, kind, value) targets."""
    store_targets(db, [Target(*row) for row in rows], "test")


def scope_of(db: Database, code: str, **settings):
    with db.connect() as connection:
        area = get_area(connection, code)
        return load_scope(connection, area, AnalysisSettings(**settings)), area
