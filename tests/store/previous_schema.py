"""A database as the previous release left it: schema 0001, one template in it. Used by the
migration test and by the installed-package smoke test (packaging/smoke.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

OLD_TEMPLATE_ID = "template-1700000000000-upgrademe"


def previous_schema_database(path: Path, title: str = "Kept", usage_count: int = 3) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from desktop.store.db import alembic_config

    engine = create_engine(f"sqlite:///{path}")
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    with sqlite3.connect(path) as connection:
        seq = connection.execute(
            "INSERT INTO templates (template_id, title, description, content, category, tags,"
            " is_shared, usage_count, created_at, updated_at) VALUES (?, ?, '', '<p>old</p>',"
            " '', '[]', 0, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
            (OLD_TEMPLATE_ID, title, usage_count),
        ).lastrowid
        # Its search entry, as that release wrote it with the record.
        connection.execute(
            "INSERT INTO templates_fts (rowid, title, description, body, tags)"
            " VALUES (?, ?, '', 'old', '')",
            (seq, title),
        )
