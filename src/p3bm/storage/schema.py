"""Tables of the P3BM database, as SQLAlchemy Core metadata.

The migrations create and upgrade these tables; this module is what the
queries use. Codes are strings: Kemendagri area codes with dots (``32.75.01``),
indicator codes (``P0``) and SKPD codes (``DINKES``).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

area = sa.Table(
    "area",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("parent_code", sa.String(16), sa.ForeignKey("area.code")),
    sa.Column("bps_code", sa.String(16)),
    sa.Column("valid_from", sa.Integer),
    sa.Column("valid_to", sa.Integer),
    sa.Column("geometry", sa.Text),
    sa.Index("ix_area_parent", "parent_code"),
    sa.Index("ix_area_level", "level"),
)

area_alias = sa.Table(
    "area_alias",
    metadata,
    sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code"), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
)

crosswalk = sa.Table(
    "crosswalk",
    metadata,
    sa.Column("bps_code", sa.String(16), primary_key=True),
    sa.Column("kemendagri_code", sa.String(16), nullable=False),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("bps_name", sa.String(200)),
    sa.Column("source_file", sa.String(300)),
)

skpd = sa.Table(
    "skpd",
    metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_en", sa.String(200)),
)

indicator = sa.Table(
    "indicator",
    metadata,
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

# One row per added, changed or removed indicator: the fields before and after.
catalogue_change = sa.Table(
    "catalogue_change",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("indicator_code", sa.String(40), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("old", sa.JSON),
    sa.Column("new", sa.JSON),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("source_file", sa.String(500)),
    sa.Index("ix_catalogue_change_indicator", "indicator_code"),
)

import_run = sa.Table(
    "import_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("file_sha256", sa.String(64)),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("user_name", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("options", sa.JSON),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("added", sa.Integer, nullable=False, default=0),
    sa.Column("changed", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("rejected", sa.Integer, nullable=False, default=0),
    sa.Column("rejected_file", sa.String(500)),
)

observation = sa.Table(
    "observation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "indicator_code", sa.String(40), sa.ForeignKey("indicator.code"), nullable=False
    ),
    sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code"), nullable=False),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column("disaggregation", sa.String(100), nullable=False, default=""),
    sa.Column("source", sa.String(100), nullable=False, default=""),
    # NULL means "not applicable"; a value not yet reported has no row.
    sa.Column("value", sa.Float),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("is_derived", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
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
    sa.Index("ix_observation_area_year", "area_code", "year"),
    sa.Index("ix_observation_indicator_year", "indicator_code", "year"),
)

observation_change = sa.Table(
    "observation_change",
    metadata,
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
    sa.Index("ix_observation_change_observation", "observation_id"),
    sa.Index("ix_observation_change_user", "changed_by", "changed_at"),
)

app_user = sa.Table(
    "app_user",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("full_name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("skpd_code", sa.String(32), sa.ForeignKey("skpd.code")),
    sa.Column("areas", sa.JSON),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
    # Increased to revoke every web session issued before; see p3bm.users.
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
)

api_token = sa.Table(
    "api_token",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_prefix", sa.String(12), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

auth_event = sa.Table(
    "auth_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("ip", sa.String(64)),
    sa.Column("actor", sa.String(64)),
    sa.Column("detail", sa.Text),
    sa.Index("ix_auth_event_username", "username", "at"),
    sa.Index("ix_auth_event_ip", "ip", "at"),
)

reporting_period = sa.Table(
    "reporting_period",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)

submission = sa.Table(
    "submission",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("skpd_code", sa.String(32), sa.ForeignKey("skpd.code"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True)),
    sa.Column("verified_at", sa.DateTime(timezone=True)),
    sa.Column("published_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("skpd_code", "year", name="uq_submission_skpd_year"),
)

submission_event = sa.Table(
    "submission_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "submission_id", sa.Integer, sa.ForeignKey("submission.id"), nullable=False
    ),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("old_status", sa.String(16)),
    sa.Column("new_status", sa.String(16), nullable=False),
    sa.Column("comment", sa.Text),
)

observation_comment = sa.Table(
    "observation_comment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("observation_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("rule_id", sa.String(80)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_by", sa.String(64)),
    sa.Index("ix_observation_comment_observation", "observation_id"),
)

# Plan targets: the value an indicator should reach for an area in a year,
# by the plan that sets it (RPJMD, RKPD, Renstra, SDG...).
target = sa.Table(
    "target",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "indicator_code", sa.String(40), sa.ForeignKey("indicator.code"), nullable=False
    ),
    sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code"), nullable=False),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("source_file", sa.String(500)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.UniqueConstraint(
        "indicator_code", "area_code", "year", "kind", name="uq_target_key"
    ),
    sa.Index("ix_target_area", "area_code", "year"),
)

# The TKPK's decisions on priority problems. A new decision adds a row, so
# the latest row per area, year and indicator is the current decision and the
# earlier ones stay as its history.
priority_decision = sa.Table(
    "priority_decision",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code"), nullable=False),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column(
        "indicator_code", sa.String(40), sa.ForeignKey("indicator.code"), nullable=False
    ),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_by", sa.String(100), nullable=False),
    sa.Index("ix_priority_decision_key", "area_code", "year", "indicator_code"),
)

# Programme register: the regional budget nomenclature (urusan, bidang urusan,
# program, kegiatan, sub-kegiatan) under the names the region uses. Levels run
# from 1 (urusan) to 5 (sub-kegiatan); the parent is the code one level up.
nomenclature = sa.Table(
    "nomenclature",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("name_en", sa.String(500)),
    sa.Column("parent_code", sa.String(40)),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Index("ix_nomenclature_parent", "parent_code"),
)

# A sub-kegiatan that an SKPD runs in a budget year, with its pagu in rupiah.
budget_line = sa.Table(
    "budget_line",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.SmallInteger, nullable=False),
    sa.Column(
        "code", sa.String(40), sa.ForeignKey("nomenclature.code"), nullable=False
    ),
    sa.Column("skpd_code", sa.String(32), sa.ForeignKey("skpd.code"), nullable=False),
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
    sa.Index("ix_budget_line_skpd", "skpd_code", "year"),
)

# Output indicators of a budget line with their yearly targets.
budget_output = sa.Table(
    "budget_output",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("line_id", sa.Integer, sa.ForeignKey("budget_line.id"), nullable=False),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("unit", sa.String(80), nullable=False),
    sa.Column("target", sa.Float),
    sa.UniqueConstraint("line_id", "position", name="uq_budget_output_position"),
)

# Where a budget line is spent: a kelurahan, a kecamatan or the whole region.
# ``pagu`` is the share allocated there; NULL splits the line's pagu evenly
# over its locations without an allocation.
budget_location = sa.Table(
    "budget_location",
    metadata,
    sa.Column(
        "line_id",
        sa.Integer,
        sa.ForeignKey("budget_line.id"),
        primary_key=True,
    ),
    sa.Column("area_code", sa.String(16), sa.ForeignKey("area.code"), primary_key=True),
    sa.Column("pagu", sa.Float),
    sa.Column("beneficiaries", sa.Integer),
)

# Audit of the programme register and the quarterly reports: who changed
# what, when and why, with the whole record before and after as JSON.
planning_change = sa.Table(
    "planning_change",
    metadata,
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
    sa.Index("ix_planning_change_entity", "entity", "entity_id"),
)

quarter_deadline = sa.Table(
    "quarter_deadline",
    metadata,
    sa.Column("year", sa.SmallInteger, primary_key=True),
    sa.Column("quarter", sa.SmallInteger, primary_key=True),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)

# An SKPD's quarterly report for one triwulan and where it stands in review.
quarter_submission = sa.Table(
    "quarter_submission",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("skpd_code", sa.String(32), sa.ForeignKey("skpd.code"), nullable=False),
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

quarter_event = sa.Table(
    "quarter_event",
    metadata,
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

# What a budget line achieved in one quarter: rupiah spent in the quarter and
# physical progress (percent, cumulative since the start of the year).
quarterly_report = sa.Table(
    "quarterly_report",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("line_id", sa.Integer, sa.ForeignKey("budget_line.id"), nullable=False),
    sa.Column("quarter", sa.SmallInteger, nullable=False),
    sa.Column("realised", sa.Float, nullable=False),
    sa.Column("physical", sa.Float, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.UniqueConstraint("line_id", "quarter", name="uq_quarterly_report_key"),
)

# Output achieved in the quarter, per output indicator of the line.
quarterly_output = sa.Table(
    "quarterly_output",
    metadata,
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

# Bappeda's comments on a returned report line; resolved when resubmitted.
quarterly_comment = sa.Table(
    "quarterly_comment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "report_id", sa.Integer, sa.ForeignKey("quarterly_report.id"), nullable=False
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_by", sa.String(64)),
)
