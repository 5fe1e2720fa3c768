"""Persistence types (SQLAlchemy 2.0 typed ORM). Alembic migrations own the actual schema;
``tests/store/test_migrations.py`` proves these classes and the migrations agree.

Each record table converts to and from its pydantic domain type in one place,
:meth:`RecordRow.to_domain` (reads) and :mod:`desktop.store.rows` (the write path), mapping
``camelCase`` domain attributes to ``snake_case`` columns.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop import domain

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


FTS_TABLE_PREFIXES = ("templates_fts", "snippets_fts")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: FTS5 tables (and their shadow tables) are made by raw SQL."""
    return not (type_ == "table" and name is not None and name.startswith(FTS_TABLE_PREFIXES))


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class RecordRow(Base):
    """A table holding one domain type, column names derived from its fields."""

    __abstract__ = True
    model: ClassVar[type[domain.Record]]
    entity: ClassVar[str]
    id_field: ClassVar[str]

    # The server item's attributes this client does not know, kept losslessly (0004).
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")

    def to_domain(self) -> Any:
        fields = {name: getattr(self, snake(name)) for name in self.model.model_fields}
        return self.model.model_construct(**fields)

    @property
    def record_id(self) -> str:
        return str(getattr(self, snake(self.id_field)))


class TemplateRow(RecordRow):
    __tablename__ = "templates"
    model = domain.Template
    entity = "template"
    id_field = "templateId"

    # An INTEGER PRIMARY KEY is SQLite's rowid, which the FTS index refers to (stable on VACUUM).
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(String, unique=True)
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String, default="", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_shared: Mapped[bool] = mapped_column(default=False)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    latest_version: Mapped[str | None] = mapped_column(String, nullable=True)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String, index=True)
    is_favorite: Mapped[bool] = mapped_column(default=False, server_default="0")


class SnippetRow(RecordRow):
    __tablename__ = "snippets"
    model = domain.Snippet
    entity = "snippet"
    id_field = "snippetId"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    snippet_id: Mapped[str] = mapped_column(String, unique=True)
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String, default="", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class PresetRow(RecordRow):
    __tablename__ = "variable_presets"
    model = domain.VariablePreset
    entity = "preset"
    id_field = "presetId"

    preset_id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text, default="")
    values: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class VersionRow(RecordRow):
    __tablename__ = "template_versions"
    model = domain.TemplateVersion
    entity = "version"
    id_field = "versionId"

    version_id: Mapped[str] = mapped_column(String, primary_key=True)
    template_id: Mapped[str] = mapped_column(
        ForeignKey("templates.template_id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    changes: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class ShareRow(RecordRow):
    """Shares of this user's templates, as the web app wrote them (pulled, never queued)."""

    __tablename__ = "template_shares"
    model = domain.TemplateShare
    entity = "share"
    id_field = "shareId"

    share_id: Mapped[str] = mapped_column(String, primary_key=True)
    template_id: Mapped[str] = mapped_column(String, index=True)
    shared_by_user_id: Mapped[str] = mapped_column(String, default="")
    shared_with_user_id: Mapped[str] = mapped_column(String)
    permissions: Mapped[str] = mapped_column(String, default="read")
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class PageRow(RecordRow):
    __tablename__ = "pages"
    model = domain.Page
    entity = "page"
    id_field = "id"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    title: Mapped[str] = mapped_column(String)
    is_published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class NodeRow(RecordRow):
    __tablename__ = "nodes"
    __table_args__ = (Index("ix_nodes_page_position", "page_id", "position"),)
    model = domain.Node
    entity = "node"
    id_field = "id"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    page_id: Mapped[str] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String)
    description: Mapped[str] = mapped_column(Text, default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    generated_images: Mapped[list[str]] = mapped_column(JSON, default=list)
    prediction_id: Mapped[str] = mapped_column(String, default="")
    prediction_status: Mapped[str] = mapped_column(String, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class UsageEventRow(RecordRow):
    __tablename__ = "usage_events"
    model = domain.UsageEvent
    entity = "usage_event"
    id_field = "trackingId"

    tracking_id: Mapped[str] = mapped_column(String, primary_key=True)
    template_id: Mapped[str] = mapped_column(String, index=True)
    action: Mapped[str] = mapped_column(String)
    timestamp: Mapped[str] = mapped_column(String)
    date: Mapped[str] = mapped_column(String)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class OutboxEntry(Base):
    """One pending change to send. See :mod:`desktop.store.outbox` for its life cycle."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("op_id"),
        Index("ix_outbox_record_key_id", "record_key", "id"),
        Index("ix_outbox_parent_key_id", "parent_key", "id"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # A stable token for the operation, written with it to the server to recognise a resend.
    op_id: Mapped[str] = mapped_column(String)
    entity: Mapped[str] = mapped_column(String)
    record_id: Mapped[str] = mapped_column(String)
    record_key: Mapped[str] = mapped_column(String)
    parent_key: Mapped[str | None] = mapped_column(String, nullable=True)
    op: Mapped[str] = mapped_column(String)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_error_code: Mapped[str | None] = mapped_column(String, nullable=True)
    last_error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[str | None] = mapped_column(String, nullable=True)
    # For a conflict: the server's item as DynamoDB returned it (ALL_OLD), decoded.
    server_copy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[str] = mapped_column(String)
    updated_at: Mapped[str] = mapped_column(String)


class SyncRecord(Base):
    """What this device last saw of a record on the server: the condition for its next
    write (``version``, or ``updated_at`` for items the web app wrote without a version)
    and the base of a three-way merge."""

    __tablename__ = "sync_records"

    record_key: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[str | None] = mapped_column(String, nullable=True)
    base: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    synced_at: Mapped[str] = mapped_column(String)


class Setting(Base):
    """Plain settings of this database (never secrets: those live in the OS keyring)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class SearchPending(Base):
    """Records whose search entry is behind (written with the record, in its transaction;
    the full-text index catches up when the database is idle and before any search)."""

    __tablename__ = "search_pending"

    entity: Mapped[str] = mapped_column(String, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
