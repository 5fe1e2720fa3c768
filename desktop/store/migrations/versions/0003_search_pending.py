"""search pending: the records whose full-text entry is still to be written

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_pending",
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("entity", "seq", name=op.f("pk_search_pending")),
    )


def downgrade() -> None:
    op.drop_table("search_pending")
