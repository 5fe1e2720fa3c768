from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from desktop.store.db import alembic_config, current_revision, open_database
from desktop.store.models import Base, include_object


def test_upgrade_head_on_an_empty_file_creates_the_schema(db_path: Path) -> None:
    database = open_database(db_path)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(database.engine) == head
    with sqlite3.connect(db_path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert set(Base.metadata.tables) | {"templates_fts", "snippets_fts", "alembic_version"} <= names
    database.close()


def test_models_and_migrations_do_not_drift(db_path: Path) -> None:
    database = open_database(db_path)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "render_as_batch": True}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    database.close()


def test_reopening_a_current_database_changes_nothing(db_path: Path) -> None:
    open_database(db_path).close()
    open_database(db_path).close()
    assert not list(db_path.parent.glob("*.bak")), "no backup when there is nothing to migrate"
