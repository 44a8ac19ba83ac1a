"""Database access: connection, schema, migrations and bulk loading."""

from p3bm.storage.database import Database

__all__ = ["Database"]
