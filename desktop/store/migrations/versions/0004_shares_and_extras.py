"""shares and extras: the web app's shares of this user's templates (pulled, read-only);
and on every record table the server item's attributes this client does not know

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EXTRAS_TABLES = (
    "templates",
    "snippets",
    "variable_presets",
    "template_versions",
    "pages",
    "nodes",
    "usage_events",
)


def upgrade() -> None:
    op.create_table(
        "template_shares",
        sa.Column("share_id", sa.String(), nullable=False),
        sa.Column("template_id", sa.String(), nullable=False),
        sa.Column("shared_by_user_id", sa.String(), nullable=False),
        sa.Column("shared_with_user_id", sa.String(), nullable=False),
        sa.Column("permissions", sa.String(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.Column("updated_at", sa.String(), nullable=False),
        sa.Column("extras", sa.JSON(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("share_id", name=op.f("pk_template_shares")),
    )
    with op.batch_alter_table("template_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_template_shares_template_id"), ["template_id"], unique=False
        )
    for table in EXTRAS_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("extras", sa.JSON(), server_default="{}", nullable=False))


def downgrade() -> None:
    for table in EXTRAS_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("extras")
    with op.batch_alter_table("template_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_template_shares_template_id"))
    op.drop_table("template_shares")
