"""The items table and its tenant/newest-first index, as create_all made them before migrations existed.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from edge_api.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_items_tenant_id_created_at", "items", ["tenant_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_items_tenant_id_created_at", table_name="items")
    op.drop_table("items")
