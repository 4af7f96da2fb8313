"""sync: failed mutations kept whole, content hashes of acknowledged mutations

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 21:50:00

"""
from alembic import op
import sqlalchemy as sa

import server.models_base


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sync_failed_mutations',
    sa.Column('device_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('mutation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('client_time', server.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('first_failed_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_failed_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('gave_up_at', server.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('settled_at', server.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['sync_devices.id'], name=op.f('fk_sync_failed_mutations_device_id_sync_devices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sync_failed_mutations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_failed_mutations')),
    sa.UniqueConstraint('device_id', 'seq', name=op.f('uq_sync_failed_mutations_device_id_seq'))
    )
    with op.batch_alter_table('sync_failed_mutations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_failed_mutations_gave_up_at'), ['gave_up_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sync_failed_mutations_user_id'), ['user_id'], unique=False)

    # Plain add_column and create_index (no table rebuild on SQLite).
    op.add_column('sync_mutations', sa.Column('content_hash', sa.String(length=64), nullable=True))
    op.create_index('ix_sync_mutations_device_mutation', 'sync_mutations', ['device_id', 'mutation_id'], unique=False)


def downgrade():
    op.drop_index('ix_sync_mutations_device_mutation', table_name='sync_mutations')
    with op.batch_alter_table('sync_mutations', schema=None) as batch_op:
        batch_op.drop_column('content_hash')
    with op.batch_alter_table('sync_failed_mutations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_failed_mutations_user_id'))
        batch_op.drop_index(batch_op.f('ix_sync_failed_mutations_gave_up_at'))
    op.drop_table('sync_failed_mutations')
