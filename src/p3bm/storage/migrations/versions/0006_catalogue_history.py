"""Keep the history of catalogue edits.

Each indicator added, changed or removed by loading a catalogue gets a row
with the fields before and after, who loaded it, when, from which file and
why.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_change",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("indicator_code", sa.String(40), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old", sa.JSON),
        sa.Column("new", sa.JSON),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("source_file", sa.String(500)),
    )
    op.create_index(
        "ix_catalogue_change_indicator", "catalogue_change", ["indicator_code"]
    )


def downgrade() -> None:
    op.drop_index("ix_catalogue_change_indicator", table_name="catalogue_change")
    op.drop_table("catalogue_change")
