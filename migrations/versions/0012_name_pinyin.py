"""customers and contacts: name_pinyin, the names' pinyin for the phone's search

Revision ID: 0012_name_pinyin
Revises: 0012_complaint_event_facts
Create Date: 2026-12-03 13:50:00

The models fill it whenever a name is set (server/customers/pinyin.py); this fills
the rows that existed before, and stamps them so that every phone holding them
receives their pinyin at its next pull (docs/sync.md), as an ordinary change: their
`version` stays, so no change a phone has pending on them turns into a conflict.
"""

from alembic import op
import sqlalchemy as sa

from server.customers.pinyin import name_pinyin
from server.stamps import stamp_for


# revision identifiers, used by Alembic.
revision = "0012_name_pinyin"
down_revision = "0012_complaint_event_facts"
branch_labels = None
depends_on = None

TABLES = ("customers", "contacts")
# Rows read and written at a time: a province holds 400,000 customers.
CHUNK = 2000


def upgrade():
    for name in TABLES:
        with op.batch_alter_table(name) as batch_op:
            batch_op.add_column(sa.Column("name_pinyin", sa.Text(), nullable=True))
    backfill(op.get_bind())


def backfill(conn: sa.Connection) -> int:
    """Spell every name that has no pinyin yet; the number of rows given one."""
    filled = 0
    for name in TABLES:
        table = sa.table(
            name,
            sa.column("id", sa.Uuid()),
            sa.column("name", sa.String()),
            sa.column("name_pinyin", sa.Text()),
            sa.column("sync_stamp", sa.BigInteger()),
        )
        update = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(name_pinyin=sa.bindparam("spelled"), sync_stamp=sa.bindparam("stamp"))
        )
        after = None
        while True:
            stmt = (
                sa.select(table.c.id, table.c.name)
                .where(table.c.name_pinyin.is_(None))
                .order_by(table.c.id)
                .limit(CHUNK)
            )
            if after is not None:
                stmt = stmt.where(table.c.id > after)
            rows = conn.execute(stmt).all()
            if not rows:
                break
            after = rows[-1].id
            values = [
                {"row_id": row.id, "spelled": spelled}
                for row in rows
                if (spelled := name_pinyin(row.name)) is not None
            ]
            if values:
                stamp = stamp_for(conn)  # one per transaction, as any write's
                conn.execute(update, [{**v, "stamp": stamp} for v in values])
                filled += len(values)
    return filled


def downgrade():
    for name in reversed(TABLES):
        with op.batch_alter_table(name) as batch_op:
            batch_op.drop_column("name_pinyin")
