"""Seed the six-tier value scheme (钻石 翡翠 白金 宝石 黄金 水晶).

Tiers are configuration rows: an operator edits them later through the API or
SQL; this only gives every new database a working scheme.

Revision ID: 0002
Revises: 0001
"""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# code, zh, en, rank, routine contact interval (days), complaint response (hours)
TIERS = [
    ("diamond", "钻石", "Diamond", 1, 30, 2),
    ("emerald", "翡翠", "Emerald", 2, 30, 4),
    ("platinum", "白金", "Platinum", 3, 45, 8),
    ("sapphire", "宝石", "Sapphire", 4, 60, 12),
    ("gold", "黄金", "Gold", 5, 90, 24),
    ("crystal", "水晶", "Crystal", 6, 120, 48),
]


def upgrade():
    tiers = sa.table(
        "tiers",
        sa.column("id", sa.Uuid),
        sa.column("version", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name_zh", sa.String),
        sa.column("name_en", sa.String),
        sa.column("rank", sa.Integer),
        sa.column("contact_interval_days", sa.Integer),
        sa.column("complaint_response_hours", sa.Integer),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC).replace(tzinfo=None) if op.get_context().dialect.name == "sqlite" else datetime.now(UTC)
    op.bulk_insert(
        tiers,
        [
            {
                # Fixed ids so every installation names the seeded tiers alike.
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"fieldbook:tier:{code}"),
                "version": 1,
                "code": code,
                "name_zh": zh,
                "name_en": en,
                "rank": rank,
                "contact_interval_days": interval,
                "complaint_response_hours": hours,
                "created_at": now,
                "updated_at": now,
            }
            for code, zh, en, rank, interval, hours in TIERS
        ],
    )


def downgrade():
    op.execute(sa.text("DELETE FROM tiers WHERE code IN ('diamond','emerald','platinum','sapphire','gold','crystal')"))
