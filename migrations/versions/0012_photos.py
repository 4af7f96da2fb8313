"""photos of visits: metadata rows; the files live in the photo store

Revision ID: 0012_photos
Revises: 0012_plan_skip
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import server.models_base


# revision identifiers, used by Alembic.
revision = '0012_photos'
down_revision = '0012_plan_skip'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visit_photos',
    sa.Column('visit_id', sa.Uuid(), nullable=False),
    sa.Column('customer_id', sa.Uuid(), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=False),
    sa.Column('content_type', sa.String(length=30), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('thumbnail_bytes', sa.Integer(), nullable=False),
    sa.Column('sent_sha256', sa.String(length=64), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', server.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_visit_photos_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_visit_photos_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_photos_visit_id_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_photos'))
    )
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_photos_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_photos_visit_id'), ['visit_id'], unique=False)


def downgrade():
    with op.batch_alter_table('visit_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_photos_visit_id'))
        batch_op.drop_index(batch_op.f('ix_visit_photos_customer_id'))
    op.drop_table('visit_photos')
