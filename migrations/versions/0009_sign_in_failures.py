"""sign-in failures and lock-outs

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 21:40:00

"""
from alembic import op
import sqlalchemy as sa

import server.models_base


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_failures',
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failed_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', server.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_sign_in_failures'))
    )


def downgrade():
    op.drop_table('sign_in_failures')
