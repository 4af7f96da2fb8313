"""churn prediction: training runs, and warnings of source "model"

Revision ID: 0012_churn
Revises: 0012_name_pinyin
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import server.models_base


# revision identifiers, used by Alembic.
revision = '0012_churn'
down_revision = '0012_name_pinyin'
branch_labels = None
depends_on = None

SOURCES_BEFORE = ('spend_rule', 'complaint_pressure', 'manual')
SOURCES = (*SOURCES_BEFORE, 'model')


def _sources(values):
    listed = ", ".join(f"'{value}'" for value in values)
    return f"source IN ({listed})"


def upgrade():
    op.create_table('churn_runs',
    sa.Column('segment', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Enum('active', 'retired', 'not_activated', name='runstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('not_activated_reason', sa.String(length=40), nullable=True),
    sa.Column('trained_from', sa.Date(), nullable=False),
    sa.Column('trained_to', sa.Date(), nullable=False),
    sa.Column('tested_from', sa.Date(), nullable=False),
    sa.Column('tested_to', sa.Date(), nullable=False),
    sa.Column('window_months', sa.Integer(), nullable=False),
    sa.Column('warnings_per_manager', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('importances', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('model', sa.LargeBinary(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_churn_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_churn_runs'))
    )
    with op.batch_alter_table('churn_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_churn_runs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_churn_runs_segment'), ['segment'], unique=False)
        batch_op.create_index(batch_op.f('ix_churn_runs_status'), ['status'], unique=False)
    _allow_sources(SOURCES)


def _allow_sources(values):
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table.
    with op.batch_alter_table('churn_warnings', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f('ck_churn_warnings_warningsource'), type_='check')
        batch_op.create_check_constraint('warningsource', _sources(values))


def downgrade():
    op.execute(sa.text("DELETE FROM churn_warnings WHERE source = 'model'"))
    _allow_sources(SOURCES_BEFORE)
    with op.batch_alter_table('churn_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_churn_runs_status'))
        batch_op.drop_index(batch_op.f('ix_churn_runs_segment'))
        batch_op.drop_index(batch_op.f('ix_churn_runs_created_at'))
    op.drop_table('churn_runs')
