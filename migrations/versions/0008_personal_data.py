"""personal data: access log, erased customers, devices told to wipe

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:50:00

personal_data_access is append-only, refused UPDATE and DELETE by triggers in the
database (as audit_events in 0007; its own trigger function, so either migration can
be downgraded alone).
"""
from alembic import op
import sqlalchemy as sa

import server.models_base


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLE = 'personal_data_access'


def upgrade():
    op.create_table(TABLE,
    sa.Column('at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.Enum('view', 'reveal', 'export', 'sync_pull', 'personal_data_export', 'erasure', name='accesskind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=True),
    sa.Column('device_id', sa.Uuid(), nullable=True),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_personal_data_access_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_data_access'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_data_access_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_personal_data_access_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_personal_data_access_user_at', ['user_id', 'at'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', server.models_base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wipe_requested_at', server.models_base.UTCDateTime(timezone=True), nullable=True))

    if op.get_context().dialect.name == 'postgresql':
        op.execute("""
            CREATE OR REPLACE FUNCTION fieldbook_access_log_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'restrict_violation';
            END
            $$
        """)
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION fieldbook_access_log_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION fieldbook_access_log_append_only()"
        )
    else:
        for operation in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{operation.lower()} BEFORE {operation} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {operation} refused'); END"
            )


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}")
        op.execute("DROP FUNCTION IF EXISTS fieldbook_access_log_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_delete")

    with op.batch_alter_table('device_sessions', schema=None) as batch_op:
        batch_op.drop_column('wipe_requested_at')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index('ix_personal_data_access_user_at')
        batch_op.drop_index(batch_op.f('ix_personal_data_access_customer_id'))
        batch_op.drop_index(batch_op.f('ix_personal_data_access_at'))

    op.drop_table(TABLE)
