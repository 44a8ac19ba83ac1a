"""Create areas, catalogue, observations and their history.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "area",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(16), sa.ForeignKey("area.code")),
        sa.Column("bps_code", sa.String(16)),
        sa.Column("valid_from", sa.Integer),
        sa.Column("valid_to", sa.Integer),
        sa.Column("geometry", sa.Text),
    )
    op.create_index("ix_area_parent", "area", ["parent_code"])
    op.create_index("ix_area_level", "area", ["level"])
    op.create_table(
        "area_alias",
        sa.Column(
            "area_code", sa.String(16), sa.ForeignKey("area.code"), primary_key=True
        ),
        sa.Column("alias", sa.String(200), primary_key=True),
    )
    op.create_table(
        "crosswalk",
        sa.Column("bps_code", sa.String(16), primary_key=True),
        sa.Column("kemendagri_code", sa.String(16), nullable=False),
        sa.Column("level", sa.SmallInteger, nullable=False),
        sa.Column("bps_name", sa.String(200)),
        sa.Column("source_file", sa.String(300)),
    )
    op.create_table(
        "skpd",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
    )
    op.create_table(
        "indicator",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("definition", sa.Text),
        sa.Column("definition_en", sa.Text),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("unit_en", sa.String(80)),
        sa.Column("polarity", sa.SmallInteger, nullable=False),
        sa.Column("aggregation", sa.String(20), nullable=False),
        sa.Column("numerator", sa.String(40)),
        sa.Column("denominator", sa.String(40)),
        sa.Column("factor", sa.Float),
        sa.Column("weight", sa.String(40)),
        sa.Column("sector", sa.String(40), nullable=False),
        sa.Column("data_type", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("skpd_code", sa.String(32), sa.ForeignKey("skpd.code")),
        sa.Column("lowest_level", sa.SmallInteger, nullable=False),
        sa.Column("frequency_years", sa.SmallInteger, nullable=False),
        sa.Column("frequency_base_year", sa.Integer),
        sa.Column("sdg", sa.String(40)),
        sa.Column("minimum", sa.Float),
        sa.Column("maximum", sa.Float),
        sa.Column("zero_means_missing", sa.Boolean, nullable=False),
        sa.Column("decimals", sa.SmallInteger),
        sa.Column("method_breaks", sa.JSON),
        sa.Column("determinants", sa.JSON),
        sa.Column("aliases", sa.JSON),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64)),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("rejected_file", sa.String(500)),
    )
    op.create_table(
        "observation",
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
        sa.Column("disaggregation", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("is_derived", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("import_run.id")),
        sa.UniqueConstraint(
            "indicator_code",
            "area_code",
            "year",
            "disaggregation",
            "source",
            name="uq_observation_key",
        ),
    )
    op.create_index("ix_observation_area_year", "observation", ["area_code", "year"])
    op.create_index(
        "ix_observation_indicator_year", "observation", ["indicator_code", "year"]
    )
    op.create_table(
        "observation_change",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("observation_id", sa.Integer, nullable=False),
        sa.Column("indicator_code", sa.String(40), nullable=False),
        sa.Column("area_code", sa.String(16), nullable=False),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("disaggregation", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("old_value", sa.Float),
        sa.Column("new_value", sa.Float),
        sa.Column("old_status", sa.String(16)),
        sa.Column("new_status", sa.String(16)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("source_file", sa.String(500)),
        sa.Column("import_id", sa.Integer),
    )
    op.create_index(
        "ix_observation_change_observation", "observation_change", ["observation_id"]
    )
    op.create_index(
        "ix_observation_change_user", "observation_change", ["changed_by", "changed_at"]
    )


def downgrade() -> None:
    for name in (
        "observation_change",
        "observation",
        "import_run",
        "indicator",
        "skpd",
        "crosswalk",
        "area_alias",
        "area",
        "meta",
    ):
        op.drop_table(name)
