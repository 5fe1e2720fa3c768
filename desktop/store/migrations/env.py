"""Alembic environment: run programmatically by :func:`desktop.store.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from desktop.store.models import Base, include_object


def run_migrations() -> None:
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
