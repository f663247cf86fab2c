"""Alembic environment: online migrations only, on the connection handed over by `cutover_sandbox.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from cutover_sandbox.core.db import sqlalchemy_url
from cutover_sandbox.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    dsn = context.get_x_argument(as_dictionary=True).get("dsn") or config.get_main_option("sqlalchemy.url")
    if not dsn:
        raise RuntimeError("no database: pass -x dsn=postgresql://... or set sqlalchemy.url")
    engine = create_engine(sqlalchemy_url(dsn))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported")
run_migrations_online()
