"""complaint events: the resolution and the satisfaction a reopen cleared as values

Revision ID: 0012_complaint_event_facts
Revises: 0012_photos
Create Date: 2026-12-03 13:40:00

Until now a step's facts were appended to its note as English prose ("Resolution:
...", "Satisfaction before reopening: 4"), which a zh-CN phone showed as it was. They
become two columns the clients word in the user's language; the existing notes are
split (the user's own text stays in `note`), and the rows changed get a new sync stamp
so phones pull them again.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_complaint_event_facts"
down_revision = "0012_photos"
branch_labels = None
depends_on = None

RESOLUTION = "Resolution: "
SATISFACTION = re.compile(r"(?:^|\n)Satisfaction before reopening: ([1-5])$")
REOPENABLE = ("resolved", "informed", "closed")

EVENTS = sa.table(
    "complaint_events",
    sa.column("id"),
    sa.column("from_status", sa.String),
    sa.column("to_status", sa.String),
    sa.column("note", sa.Text),
    sa.column("resolution", sa.Text),
    sa.column("prior_satisfaction", sa.SmallInteger),
    sa.column("sync_stamp", sa.BigInteger),
)


def split_note(note, from_status, to_status):
    """(note, resolution, prior_satisfaction) of a step written the old way.

    The old service put the user's note first, then "Resolution: <text>" on a step to
    resolved, or "Satisfaction before reopening: <n>" last on a reopen."""
    if note is None:
        return None, None, None
    resolution = satisfaction = None
    if to_status == "resolved":
        if note.startswith(RESOLUTION):
            note, resolution = "", note[len(RESOLUTION) :]
        elif f"\n{RESOLUTION}" in note:
            note, resolution = note.split(f"\n{RESOLUTION}", 1)
    elif to_status == "in_progress" and from_status in REOPENABLE:
        match = SATISFACTION.search(note)
        if match:
            satisfaction = int(match.group(1))
            note = note[: match.start()]
    return note or None, resolution, satisfaction


def _stamp(bind) -> int:
    # As server/stamps.py's stamp_for: the rows this migration rewrites are pulled again.
    if bind.dialect.name == "postgresql":
        return bind.exec_driver_sql("SELECT pg_current_xact_id()::text::bigint").scalar_one()
    return bind.exec_driver_sql(
        "UPDATE sync_clock SET value = value + 1 WHERE id = 1 RETURNING value"
    ).scalar_one()


def upgrade():
    with op.batch_alter_table("complaint_events") as batch:
        batch.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch.add_column(sa.Column("prior_satisfaction", sa.SmallInteger(), nullable=True))
    bind = op.get_bind()
    events = EVENTS
    rows = bind.execute(
        sa.select(events.c.id, events.c.from_status, events.c.to_status, events.c.note).where(
            sa.or_(
                events.c.note.like(f"%{RESOLUTION}%"),
                events.c.note.like("%Satisfaction before reopening: %"),
            )
        )
    ).all()
    stamp = None
    for row in rows:
        note, resolution, satisfaction = split_note(row.note, row.from_status, row.to_status)
        if (note, resolution, satisfaction) == (row.note, None, None):
            continue
        stamp = stamp if stamp is not None else _stamp(bind)
        bind.execute(
            events.update()
            .where(events.c.id == row.id)
            .values(
                note=note, resolution=resolution, prior_satisfaction=satisfaction, sync_stamp=stamp
            )
        )


def downgrade():
    bind = op.get_bind()
    events = EVENTS
    rows = bind.execute(
        sa.select(
            events.c.id, events.c.note, events.c.resolution, events.c.prior_satisfaction
        ).where(sa.or_(events.c.resolution.is_not(None), events.c.prior_satisfaction.is_not(None)))
    ).all()
    for row in rows:
        lines = [row.note] if row.note else []
        if row.resolution is not None:
            lines.append(f"{RESOLUTION}{row.resolution}")
        if row.prior_satisfaction is not None:
            lines.append(f"Satisfaction before reopening: {row.prior_satisfaction}")
        bind.execute(events.update().where(events.c.id == row.id).values(note="\n".join(lines)))
    with op.batch_alter_table("complaint_events") as batch:
        batch.drop_column("prior_satisfaction")
        batch.drop_column("resolution")
