from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from desktop.store.db import SCHEMA_HEAD, alembic_config, current_revision, open_database
from desktop.store.models import Base, include_object


def test_upgrade_head_on_an_empty_file_creates_the_schema(db_path: Path) -> None:
    database = open_database(db_path)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current_revision(database.engine) == head
    with sqlite3.connect(db_path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert set(Base.metadata.tables) | {"templates_fts", "snippets_fts", "alembic_version"} <= names
    database.close()


def test_the_schema_head_the_app_checks_first_is_the_newest_migration() -> None:
    # A database at SCHEMA_HEAD opens without Alembic: it must name the real head.
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


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


def test_upgrading_an_older_database_backs_it_up_and_keeps_the_data(db_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from desktop.store.services import Store

    engine = create_engine(f"sqlite:///{db_path}")
    command.upgrade(alembic_config(engine), "0001")
    engine.dispose()
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO templates (template_id, title, description, content, category, tags,"
            " is_shared, usage_count, created_at, updated_at) VALUES ('template-1-abcdefghi',"
            " 'Kept', '', '<p>old</p>', '', '[]', 0, 3, '2026-01-01T00:00:00.000Z',"
            " '2026-01-01T00:00:00.000Z')"
        )
    store = Store(open_database(db_path))
    kept = store.get_template("template-1-abcdefghi")
    assert (kept.title, kept.usageCount) == ("Kept", 3)
    assert current_revision(store.database.engine) == "0002"
    backups = list(db_path.parent.glob("*.before-0002.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    store.database.close()
