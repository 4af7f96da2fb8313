"""sync pull: indexes the streams walk, (customer_id, sync_stamp, id) and the like

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:30:00

A pull reads the user's customers' rows in (customer, stamp, id) order
(server/sync/pull.py, server/sync/indexes.py); without these it walked each whole
table's primary key.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

INDEXES = [
    ('customers', 'manager_id'),
    ('contacts', 'customer_id'),
    ('monthly_spend', 'customer_id'),
    ('assignment_history', 'customer_id'),
    ('care_plans', 'customer_id'),
    ('visits', 'customer_id'),
    ('visit_revisions', 'visit_id'),
    ('complaints', 'customer_id'),
    ('complaint_events', 'complaint_id'),
    ('tasks', 'customer_id'),
    ('churn_warnings', 'customer_id'),
    ('campaign_targets', 'customer_id'),
    ('tasks', 'owner_id'),
]


def upgrade():
    # if_not_exists: an operator may have built them beforehand with CREATE INDEX
    # CONCURRENTLY on a live province (docs/deploy.md), which plain CREATE INDEX would
    # block writes for minutes to do.
    for table, column in INDEXES:
        op.create_index(
            f'ix_{table}_{column}_sync', table, [column, 'sync_stamp', 'id'], if_not_exists=True
        )


def downgrade():
    for table, column in reversed(INDEXES):
        op.drop_index(f'ix_{table}_{column}_sync', table_name=table)
