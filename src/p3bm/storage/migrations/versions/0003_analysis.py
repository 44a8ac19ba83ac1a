"""Add plan targets and the TKPK's decisions on priority problems.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "target",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "indicator_code",
            sa.String(40),
            sa.ForeignKey("indicator.code"),
            nullable=False,
        ),
        sa.Column(
            "area_code", sa.String(16), sa.ForeignKey("area.code"), nullable=False
        ),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("source_file", sa.String(500)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.UniqueConstraint(
            "indicator_code", "area_code", "year", "kind", name="uq_target_key"
        ),
    )
    op.create_index("ix_target_area", "target", ["area_code", "year"])
    op.create_table(
        "priority_decision",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "area_code", sa.String(16), sa.ForeignKey("area.code"), nullable=False
        ),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column(
            "indicator_code",
            sa.String(40),
            sa.ForeignKey("indicator.code"),
            nullable=False,
        ),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
    )
    op.create_index(
        "ix_priority_decision_key",
        "priority_decision",
        ["area_code", "year", "indicator_code"],
    )


def downgrade() -> None:
    op.drop_index("ix_priority_decision_key", table_name="priority_decision")
    op.drop_table("priority_decision")
    op.drop_index("ix_target_area", table_name="target")
    op.drop_table("target")
