"""care plans: a skipped plan keeps its reason (a code) and an optional note

Revision ID: 0012_plan_skip
Revises: 0011
Create Date: 2026-12-03 14:00:00

Skipping a plan on the phone cancels it with one of a short list of reasons
(server/plans/models.py SkipReason); indicators and the agenda treat it as cancelled.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_plan_skip"
down_revision = "0011"
branch_labels = None
depends_on = None

REASONS = ("unreachable", "declined", "contacted_otherwise", "not_applicable", "duplicate", "other")


def upgrade():
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "skip_reason",
                sa.Enum(
                    *REASONS,
                    name="skipreason",
                    native_enum=False,
                    create_constraint=True,
                    length=30,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("skip_note", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("care_plans", schema=None) as batch_op:
        batch_op.drop_column("skip_note")
        batch_op.drop_column("skip_reason")
