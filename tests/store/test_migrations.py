from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from desktop.store.db import SCHEMA_HEAD, alembic_config, current_revision, open_database
from desktop.store.models import Base, include_object
from tests.store.previous_schema import OLD_TEMPLATE_ID, previous_schema_database


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
    from desktop.store.services import Store

    previous_schema_database(db_path, title="Kept", usage_count=3)
    store = Store(open_database(db_path))
    kept = store.get_template(OLD_TEMPLATE_ID)
    assert (kept.title, kept.usageCount) == ("Kept", 3)
    assert current_revision(store.database.engine) == SCHEMA_HEAD
    assert [t.templateId for t in store.search_templates("kept")] == [OLD_TEMPLATE_ID]
    backups = list(db_path.parent.glob(f"*.before-{SCHEMA_HEAD}.bak"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    store.database.close()
