"""Alembic environment: runs against the connection handed in by `Store.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from moneytrail.store.models import Base

target_metadata = Base.metadata
connection = context.config.attributes.get("connection")

if connection is None:
    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///.moneytrail/moneytrail.db"
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
