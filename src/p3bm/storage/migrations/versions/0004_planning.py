"""Add the programme register, budget lines and quarterly reports.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nomenclature",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("name_en", sa.String(500)),
        sa.Column("parent_code", sa.String(40)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column(
            "code", sa.String(40), sa.ForeignKey("nomenclature.code"), nullable=False
        ),
        sa.Column(
            "skpd_code", sa.String(32), sa.ForeignKey("skpd.code"), nullable=False
        ),
        sa.Column("pagu", sa.Float, nullable=False),
        sa.Column("is_pro_poor", sa.Boolean, nullable=False),
        sa.Column("beneficiary_group", sa.String(200), nullable=False),
        sa.Column("beneficiaries", sa.Integer),
        sa.Column("indicators", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("import_run.id")),
        sa.UniqueConstraint("year", "code", "skpd_code", name="uq_budget_line_key"),
    )
    op.create_table(
        "budget_output",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "line_id", sa.Integer, sa.ForeignKey("budget_line.id"), nullable=False
        ),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("target", sa.Float),
        sa.UniqueConstraint("line_id", "position", name="uq_budget_output_position"),
    )
    op.create_table(
        "budget_location",
        sa.Column(
            "line_id",
            sa.Integer,
            sa.ForeignKey("budget_line.id"),
            primary_key=True,
        ),
        sa.Column(
            "area_code", sa.String(16), sa.ForeignKey("area.code"), primary_key=True
        ),
        sa.Column("pagu", sa.Float),
        sa.Column("beneficiaries", sa.Integer),
    )
    op.create_table(
        "planning_change",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(24), nullable=False),
        sa.Column("entity_id", sa.Integer, nullable=False),
        sa.Column("entity_key", sa.String(120), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old", sa.JSON),
        sa.Column("new", sa.JSON),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("source_file", sa.String(500)),
        sa.Column("import_id", sa.Integer),
    )
    op.create_table(
        "quarter_deadline",
        sa.Column("year", sa.SmallInteger, primary_key=True),
        sa.Column("quarter", sa.SmallInteger, primary_key=True),
        sa.Column("deadline", sa.Date, nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "quarter_submission",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "skpd_code", sa.String(32), sa.ForeignKey("skpd.code"), nullable=False
        ),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("quarter", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("verified_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "skpd_code", "year", "quarter", name="uq_quarter_submission_key"
        ),
    )
    op.create_table(
        "quarter_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "submission_id",
            sa.Integer,
            sa.ForeignKey("quarter_submission.id"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old_status", sa.String(16)),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text),
    )
    op.create_table(
        "quarterly_report",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "line_id", sa.Integer, sa.ForeignKey("budget_line.id"), nullable=False
        ),
        sa.Column("quarter", sa.SmallInteger, nullable=False),
        sa.Column("realised", sa.Float, nullable=False),
        sa.Column("physical", sa.Float, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("line_id", "quarter", name="uq_quarterly_report_key"),
    )
    op.create_table(
        "quarterly_output",
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("quarterly_report.id"),
            primary_key=True,
        ),
        sa.Column(
            "output_id", sa.Integer, sa.ForeignKey("budget_output.id"), primary_key=True
        ),
        sa.Column("achieved", sa.Float, nullable=False),
    )
    op.create_table(
        "quarterly_comment",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "report_id",
            sa.Integer,
            sa.ForeignKey("quarterly_report.id"),
            nullable=False,
        ),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.String(64)),
    )
    op.create_index("ix_nomenclature_parent", "nomenclature", ["parent_code"])
    op.create_index("ix_budget_line_skpd", "budget_line", ["skpd_code", "year"])
    op.create_index(
        "ix_planning_change_entity", "planning_change", ["entity", "entity_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_planning_change_entity", table_name="planning_change")
    op.drop_index("ix_budget_line_skpd", table_name="budget_line")
    op.drop_index("ix_nomenclature_parent", table_name="nomenclature")
    for name in (
        "quarterly_comment",
        "quarterly_output",
        "quarterly_report",
        "quarter_event",
        "quarter_submission",
        "quarter_deadline",
        "planning_change",
        "budget_location",
        "budget_output",
        "budget_line",
        "nomenclature",
    ):
        op.drop_table(name)
