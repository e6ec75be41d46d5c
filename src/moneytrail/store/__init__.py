"""The operational store: SQLAlchemy over SQLite (default) or PostgreSQL, migrated by Alembic."""

from moneytrail.store.db import Store, hash_api_key

__all__ = ["Store", "hash_api_key"]
